"""SMC on conjugate Gaussian models: wall time and log marginal likelihood error, credo vs PyMC.

Model (d = 10 and 50): ``mu ~ Normal(0, 1, shape=d)``, ``y[i, k] ~ Normal(mu[k], 1)`` for 5 rows of
simulated data (``numpy.random.default_rng(d)``). The marginal likelihood is closed form: each
column of ``y`` is ``MvNormal(0, I + 1 1^T)``.

Prints, per dimension and kernel, the wall time of ``sample_smc(2000, chains=2)`` (model
compilation included, after one warm-up run that pays the one-off JIT costs), the number of stages
and the log-ML error of each chain; for the random-walk kernel also with
``correlation_threshold=0.001``. PyMC's ``pm.sample_smc`` runs
the same model and data in the peers venv (``.venv-peers/bin/python`` or ``$CREDO_PEERS_PYTHON``,
see ``benchmarks/README.md``) and is printed alongside; it is skipped if that venv is missing.

Both run with one BLAS thread (``OPENBLAS_NUM_THREADS=1``...): the particle linear algebra is small,
and multi-threaded BLAS on a shared 2-core machine is slower, not faster.

Usage: ``python benchmarks/smc_gaussian.py``
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import textwrap  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

import credo as cr  # noqa: E402

DIMS = (10, 50)
ROWS = 5
DRAWS, CHAINS, SEED = 2000, 2, 1
KERNELS = ("imh", "mh")

PEER_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import numpy as np
    import pymc as pm
    y = np.load(sys.argv[1])
    draws, chains, seed = (int(a) for a in sys.argv[2:5])
    out = {}
    with pm.Model():  # warm-up: one-off imports and compilation stay out of the timings
        pm.Normal("y", pm.Normal("mu", 0, 1, shape=2), 1, observed=y[:, :2])
        pm.sample_smc(100, chains=1, progressbar=False, compute_convergence_checks=False)
    for kernel in ("imh", "mh"):
        with pm.Model():
            mu = pm.Normal("mu", 0, 1, shape=y.shape[1])
            pm.Normal("y", mu, 1, observed=y)
            k = pm.smc.kernels.IMH if kernel == "imh" else pm.smc.kernels.MH
            t = time.perf_counter()
            idata = pm.sample_smc(draws, kernel=k, chains=chains, random_seed=seed, progressbar=False,
                                  compute_convergence_checks=False)
            wall = time.perf_counter() - t
        lml = idata.sample_stats["log_marginal_likelihood"].values
        final = [float(np.asarray(c, dtype=float)[-1]) for c in lml]
        stages = int(np.asarray(idata.sample_stats["beta"].values[0], dtype=float).size)
        out[kernel] = {"wall": wall, "lml": final, "stages": stages}
    print(json.dumps(out))
    """
)


def data(d: int) -> np.ndarray:
    rng = np.random.default_rng(d)
    return rng.normal(rng.normal(0, 1, size=d), 1, size=(ROWS, d))


def exact_log_ml(y: np.ndarray) -> float:
    n, d = y.shape
    dist = stats.multivariate_normal(np.zeros(n), np.eye(n) + 1.0)
    return float(sum(dist.logpdf(y[:, k]) for k in range(d)))


def run_credo(y: np.ndarray, kernel: str, correlation_threshold: float = 0.01) -> dict:
    with cr.Model() as model:
        mu = cr.Normal("mu", 0, 1, shape=y.shape[1])
        cr.Normal("y", mu, 1, observed=y)
    t = time.perf_counter()
    idata = cr.sample_smc(
        DRAWS, kernel=kernel, chains=CHAINS, random_seed=SEED, progressbar=False, model=model,
        correlation_threshold=correlation_threshold,
    )
    wall = time.perf_counter() - t
    ss = idata.sample_stats
    return {"wall": wall, "lml": ss["log_marginal_likelihood"].values.tolist(), "stages": ss.sizes["stage"]}


def run_pymc(y: np.ndarray) -> dict | None:
    default = Path(__file__).resolve().parents[1] / ".venv-peers/bin/python"
    python = os.environ.get("CREDO_PEERS_PYTHON", str(default))
    if not Path(python).exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "y.npy"
        np.save(path, y)
        args = [python, "-c", PEER_SCRIPT, str(path), str(DRAWS), str(CHAINS), str(SEED)]
        proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"PyMC run failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    run_credo(data(2)[:, :2], "imh")  # warm-up: one-off JIT compilation stays out of the timings
    print(f"sample_smc(draws={DRAWS}, chains={CHAINS}); log-ML error = estimate - closed form, per chain")
    print("credo* = credo with correlation_threshold=0.001 (more MH steps per stage)")
    print(f"{'d':>3} {'kernel':>6} {'library':>7} {'wall [s]':>9} {'stages':>6}  log-ML error")
    for d in DIMS:
        y = data(d)
        exact = exact_log_ml(y)
        peer = run_pymc(y)
        for kernel in KERNELS:
            rows = [("credo", run_credo(y, kernel))]
            if peer is not None:
                rows.append(("pymc", peer[kernel]))
            if kernel == "mh":
                # random-walk steps decorrelate O(1/d) per step: more steps per stage in 50-d
                rows.append(("credo*", run_credo(y, kernel, correlation_threshold=0.001)))
            for lib, r in rows:
                err = ", ".join(f"{v - exact:+.3f}" for v in r["lml"])
                print(f"{d:>3} {kernel:>6} {lib:>7} {r['wall']:>9.2f} {r['stages']:>6}  [{err}]")
        if peer is None:
            print(f"{d:>3} (PyMC not run: no peers venv or it failed)")


if __name__ == "__main__":
    main()
