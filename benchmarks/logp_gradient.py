"""Per-call time of credo's compiled logp + gradient, called from Numba, beside JAX.

For each benchmark model (``models.py``; definitions in /work/shared/benchmarks/models.md) this prints
the time of one call of credo's compiled ``logp, grad = f(x)``

- through the ``cfunc`` pointer (``double f(double *x, double *grad, intp n)``, how credo's NUTS calls
  it) and through the ``njit`` function ``fn(x) -> (logp, grad)``, each from a Numba loop;
- optionally (``--variants``) in two more processes: with ``CREDO_NO_LIBMVEC=1`` (scalar libm calls),
  and "PyTensor baseline": no libmvec and without credo's graph rewrites (``credo.model.rewrites``),
  i.e. PyTensor's own Numba code for the same graph;

beside a jitted ``jax.value_and_grad`` of the same function of the same vector (``peers_jax.py``, run
with the peers venv: see README.md), called inside one jitted ``lax.fori_loop``.

Every loop feeds the gradient back, ``x = x0 + 1e-12 * grad``, as a leapfrog step does, so that no
call can be skipped or overlapped and every gradient component is needed. A time is the minimum over
``--repeats`` batches of calls lasting about 2 ms each: robust to other processes on the machine.

Usage::

    .venv/bin/python benchmarks/logp_gradient.py [--variants] [--repeats 200] [--models NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

import credo as cr
from credo import compiler

sys.path.insert(0, str(Path(__file__).parent))
from models import MODELS  # noqa: E402

HERE = Path(__file__).parent
PEERS_PYTHON = Path(os.environ.get("CREDO_PEERS_PYTHON", HERE.parent / ".venv-peers" / "bin" / "python"))
EIGHT_SCHOOLS_TARGET_US = 1.0
BATCH_SECONDS = 2e-3
_REWRITES = ("credo_vectorizable", "credo_dot_constant_layout", "credo_contiguous_loop_inputs")


@numba.njit
def _loop_njit(fn, x0, n_calls):
    x = x0.copy()
    acc = 0.0
    for _ in range(n_calls):
        logp, grad = fn(x)
        acc += logp
        for j in range(x.size):
            x[j] = x0[j] + 1e-12 * grad[j]
    return acc


@numba.njit
def _loop_cfunc(fn, x0, n_calls):
    x = x0.copy()
    grad = np.empty_like(x0)
    acc = 0.0
    for _ in range(n_calls):
        acc += fn(x.ctypes, grad.ctypes, x.size)
        for j in range(x.size):
            x[j] = x0[j] + 1e-12 * grad[j]
    return acc


def best_us_per_call(runs: dict, n_repeats: int) -> dict[str, float]:
    """Minimum over ``n_repeats`` batches of each ``runs[key](n_calls)``, in microseconds per call.

    Batches of the different runs are interleaved, so that a busy spell on the machine does not hit
    one of them only.
    """
    n_calls = {}
    for key, run in runs.items():
        run(10)
        t = time.perf_counter()
        run(10)
        per_call = max((time.perf_counter() - t) / 10, 1e-9)
        n_calls[key] = int(np.clip(BATCH_SECONDS / per_call, 1, 100_000))
    best = dict.fromkeys(runs, np.inf)
    for _ in range(n_repeats):
        for key, run in runs.items():
            t = time.perf_counter()
            run(n_calls[key])
            best[key] = min(best[key], (time.perf_counter() - t) / n_calls[key])
    return {key: value * 1e6 for key, value in best.items()}


def cfunc_us_per_call(cfunc, x0: np.ndarray, n_repeats: int) -> float:
    """One logp+gradient call through ``cfunc`` near ``x0``, microseconds (best of ``n_repeats``
    batches)."""
    return best_us_per_call({"cfunc": lambda n: _loop_cfunc(cfunc, x0, n)}, n_repeats)["cfunc"]


def benchmark_point(ndim: int) -> np.ndarray:
    """The evaluation point shared by credo and JAX: ``N(0, 0.3^2)`` draws, seed 0."""
    return np.random.default_rng(0).normal(scale=0.3, size=ndim)


def time_credo(name: str, n_repeats: int) -> dict:
    """Compile ``name`` with credo and time one logp+gradient call through the cfunc and the njit fn."""
    model = MODELS[name]()
    t = time.perf_counter()
    compiled = cr.compile_logp_dlogp(model)
    compile_s = time.perf_counter() - t
    x0 = benchmark_point(compiled.ndim)
    logp, grad = compiled(x0)
    runs = {
        "cfunc_us": lambda n: _loop_cfunc(compiled.cfunc, x0, n),
        "njit_us": lambda n: _loop_njit(compiled.fn, x0, n),
    }
    return {
        "ndim": compiled.ndim, "logp": float(logp), "grad": grad.tolist(), "compile_s": compile_s,
        **best_us_per_call(runs, n_repeats),
    }


def time_jax(name: str, x0: np.ndarray, n_repeats: int) -> dict | None:
    """Run ``peers_jax.py`` in the peers venv at ``x0``; None if that venv is missing."""
    if not PEERS_PYTHON.exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        x_path = Path(tmp) / "x.npy"
        np.save(x_path, x0)
        out = subprocess.run(
            [str(PEERS_PYTHON), str(HERE / "peers_jax.py"), name, str(x_path), str(n_repeats)],
            capture_output=True, text=True, check=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def time_variant(variant: str, names: list[str], n_repeats: int) -> dict:
    """Time credo in a fresh process without libmvec (and, for "baseline", without credo's rewrites)."""
    env = dict(os.environ, CREDO_NO_LIBMVEC="1")
    out = subprocess.run(
        [sys.executable, __file__, "--as-variant", variant, "--repeats", str(n_repeats),
         "--models", *names],
        env=env, capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _exclude_credo_rewrites() -> None:
    # compile_logp_dlogp asks for mode "NUMBA"; point that name at a mode without credo's rewrites
    from pytensor.compile import mode

    mode.predefined_modes["NUMBA"] = mode.predefined_modes["NUMBA"].excluding(*_REWRITES)


def _fmt(value: float | None, width: int = 10) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:{width}.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--variants", action="store_true", help="also time without libmvec/rewrites")
    parser.add_argument("--as-variant", choices=["no-libmvec", "baseline"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.as_variant:
        if args.as_variant == "baseline":
            _exclude_credo_rewrites()
        print(json.dumps({name: time_credo(name, args.repeats) for name in args.models}))
        return

    print(f"credo {cr.__version__}, numba {numba.__version__}; libmvec {compiler.libmvec_status()}")
    print(f"time per call = minimum over {args.repeats} batches of ~{BATCH_SECONDS * 1e3:.0f} ms, wall clock")
    credo = {name: time_credo(name, args.repeats) for name in args.models}
    variants = {}
    if args.variants:
        variants = {v: time_variant(v, args.models, args.repeats) for v in ("no-libmvec", "baseline")}
    jax = {name: time_jax(name, benchmark_point(credo[name]["ndim"]), args.repeats) for name in args.models}
    if not PEERS_PYTHON.exists():
        print(f"JAX: no peers venv at {PEERS_PYTHON} (see benchmarks/README.md)")

    print("\nus per logp+gradient call")
    header = f"{'model':<24}{'ndim':>6}{'cfunc':>10}{'njit':>10}"
    header += f"{'no libmvec':>12}{'PT baseline':>12}" if args.variants else ""
    print(header + f"{'JAX loop':>10}{'JAX py':>10}{'compile s':>11}")
    for name in args.models:
        c, j = credo[name], jax[name]
        row = f"{name:<24}{c['ndim']:>6}{_fmt(c['cfunc_us'])}{_fmt(c['njit_us'])}"
        if args.variants:
            row += _fmt(variants["no-libmvec"][name]["cfunc_us"], 12)
            row += _fmt(variants["baseline"][name]["cfunc_us"], 12)
        row += _fmt(j and j["us_per_call_loop"]) + _fmt(j and j["us_per_call_python"])
        print(row + f"{c['compile_s']:>11.1f}")
        if j is not None:
            rel = abs(c["logp"] - j["logp"]) / abs(j["logp"])
            grad_rel = np.max(np.abs(np.subtract(c["grad"], j["grad"]))) / np.max(np.abs(j["grad"]))
            if rel > 1e-10 or grad_rel > 1e-10:
                raise RuntimeError(f"{name}: credo and JAX disagree (logp {rel:.1e}, grad {grad_rel:.1e})")

    if "eight_schools_nc" in credo:
        us = credo["eight_schools_nc"]["cfunc_us"]
        verdict = "met" if us < EIGHT_SCHOOLS_TARGET_US else "NOT met"
        print(f"\neight_schools_nc: one call from Numba = {us:.3f} us "
              f"(target < {EIGHT_SCHOOLS_TARGET_US:g} us): {verdict}")

    print(f"\n{'model':<24}{'credo us/call':>14}{'JAX us/call':>13}{'credo/JAX':>11}")
    for name in args.models:
        c, j = credo[name]["cfunc_us"], jax[name] and jax[name]["us_per_call_loop"]
        ratio = None if j is None else c / j
        print(f"{name:<24}{_fmt(c, 14)}{_fmt(j, 13)}{_fmt(ratio, 11)}")


if __name__ == "__main__":
    main()
