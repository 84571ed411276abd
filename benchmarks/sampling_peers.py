"""credo's ``cr.sample`` side by side with PyMC 5, nutpie and NumPyro on the three benchmark models.

For each model of /work/shared/benchmarks/models.md (``models.py`` here, ``peers_sampling.py`` for the
peers: same data, same priors, same parametrisation) and each framework, with the settings of
models.md (4 chains, 1000 tuning + 1000 kept draws, fixed seed, two chains at a time on this 2-core
machine), this prints compile/setup time, sampling time, the minimum ArviZ bulk ESS over every scalar
free parameter, ESS/s, gradient evaluations (leapfrog steps of all chains, warm-up included), ESS per
1000 gradient evaluations and divergences, with the 1-minute load average at the end of each run.

credo runs in this process (its Numba kernels loaded once before the first timed run), up to nine
times with the same seed (the same draws), and its median sampling time is reported. For credo it
also prints

- ``t_grad``: one logp+gradient call through the cfunc pointer (``logp_gradient.cfunc_us_per_call``,
  minimum over batches: the time on an idle core), timed after each sampling run;
- the overhead factor ``sampling_time / (n_grad_evals * t_grad / parallel_chains)`` (wall clock, as the
  issue defines it; it counts other processes' load as overhead) and its CPU-time version
  ``cpu_seconds / (n_grad_evals * t_grad)``, where ``cpu_seconds`` is this process's CPU time inside
  ``run_chains`` (all chains, all threads), which the load of other processes does not inflate. Each
  run's factor divides its sampling time by the ``t_grad`` timed right after it (this machine slows
  down by up to 2x for seconds at a time), and the median over runs is reported;

and, in fresh processes, the time from ``cr.sample(draws=1, tune=0, chains=1)`` to its return (model
compilation included): "cold" with empty Numba and PyTensor cache directories (``NUMBA_CACHE_DIR``
and PyTensor's ``base_compiledir`` pointed at a new temporary directory), then "warm" in a second
process on the cache the first one left. The peers' first draw (``--first-draw-peers``) is timed the
same way, one chain, one tuning step and one draw, cold then warm on their own temporary caches.

The peers run in the peers venv (``.venv-peers`` or ``$CREDO_PEERS_PYTHON``, see README.md), one
subprocess per framework and model, on the user's default cache directories (warm after the first
run). NumPyro runs in float64 (``jax_enable_x64``, like credo, PyMC and nutpie); ``numpyro-f32`` is
JAX's default float32, for reference.

Usage::

    .venv/bin/python benchmarks/sampling_peers.py [--models NAME ...] [--peers pymc nutpie numpyro]
        [--quick] [--json out.json] [--first-draw-peers nutpie numpyro] [--installed]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import credo as cr
import credo.sampling.sample as cr_sample

sys.path.insert(0, str(Path(__file__).parent))
from logp_gradient import PEERS_PYTHON, benchmark_point, cfunc_us_per_call  # noqa: E402
from models import MODELS  # noqa: E402

HERE = Path(__file__).parent
SEED = 1
PEERS = ("pymc", "nutpie", "numpyro", "numpyro-f32")
OVERHEAD_TARGET = 1.3
FIRST_DRAW_TARGET_S = 5.0
CREDO_REPEATS = 9
CREDO_REPEAT_SECONDS = 10.0


def _timed_run_chains(cpu_seconds: list[float]):
    """``run_chains`` of ``cr.sample``, also recording this process's CPU seconds inside it."""
    run_chains = cr_sample.run_chains

    def timed(*args, **kwargs):
        t0 = time.process_time()
        res = run_chains(*args, **kwargs)
        cpu_seconds.append(time.process_time() - t0)
        return res

    return timed


def min_ess_bulk(idata) -> float:
    """Minimum ArviZ bulk ESS over every scalar of the free variables of ``idata.posterior``."""
    import arviz as az

    ess = az.ess(idata.posterior, method="bulk")
    return min(float(np.min(ess[v].values)) for v in ess.data_vars)


def run_credo(name: str, draws: int, tune: int, chains: int, grad_repeats: int) -> dict:
    """Sample ``name`` with ``cr.sample`` and time one logp+gradient call after each run.

    The run is repeated (same seed, so the same draws) up to ``CREDO_REPEATS`` times while the runs
    so far took under ``CREDO_REPEAT_SECONDS``: a 0.02 s run varies by +-20% from one repetition to
    the next on this shared machine, and by 2x when the machine slows down for seconds at a time.
    After each run ``t_grad`` is timed again (``grad_repeats / CREDO_REPEATS`` batches), so that
    each run's overhead factor divides times taken in the same state of the machine; the median
    sampling time, ``t_grad`` and factors are reported.
    """
    cpu_seconds: list[float] = []
    times: list[float] = []
    t_grads: list[float] = []
    compiled = cr.compile_logp_dlogp(MODELS[name]())
    x0 = benchmark_point(compiled.ndim)
    batches = max(grad_repeats // CREDO_REPEATS, 1)
    timed = _timed_run_chains(cpu_seconds)
    original, cr_sample.run_chains = cr_sample.run_chains, timed
    try:
        while len(times) < CREDO_REPEATS and sum(times) < CREDO_REPEAT_SECONDS:
            with MODELS[name]():
                idata = cr.sample(draws=draws, tune=tune, chains=chains, random_seed=SEED,
                                  progressbar=False, compute_convergence_checks=False)  # fmt: skip
            times.append(float(idata.attrs["sampling_time"]))
            t_grads.append(cfunc_us_per_call(compiled.cfunc, x0, batches) * 1e-6)
    finally:
        cr_sample.run_chains = original
    load = os.getloadavg()[0]
    attrs = idata.attrs
    n_grad = int(attrs["n_grad_evals"])
    parallel = min(chains, os.cpu_count() or 1)
    ideal = np.array(t_grads) * n_grad
    wall = np.array(times) / (ideal / parallel)
    cpu = np.array(cpu_seconds) / ideal
    return {
        "setup_s": float(attrs["compile_time"]),
        "sampling_s": float(np.median(times)),
        "sampling_s_runs": times,
        "min_ess_bulk": min_ess_bulk(idata),
        "n_grad_evals": n_grad,
        "divergences": int(idata.sample_stats["diverging"].sum()),
        "t_grad_us": float(np.median(t_grads)) * 1e6,
        "t_grad_us_runs": [t * 1e6 for t in t_grads],
        "overhead_wall": float(np.median(wall)),
        "overhead_wall_runs": wall.tolist(),
        "overhead_cpu": float(np.median(cpu)),
        "cpu_s": float(np.median(cpu_seconds)),
        "load_avg": load,
        "version": cr.__version__,
    }


def run_peer(framework: str, name: str, draws: int, tune: int, chains: int) -> dict:
    """One peer run in the peers venv (``peers_sampling.py``), its JSON result."""
    cmd = [str(PEERS_PYTHON), str(HERE / "peers_sampling.py"), framework, name, "--draws", str(draws),
           "--tune", str(tune), "--chains", str(chains), "--cores", str(min(chains, os.cpu_count() or 1)),
           "--seed", str(SEED)]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{framework} on {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cache_env(cache_dir: str) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(cache_dir) / "numba"))
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    env["PYTENSOR_FLAGS"] = ",".join(filter(None, [flags, f"base_compiledir={Path(cache_dir) / 'pytensor'}"]))
    return env


def _first_draw_credo(name: str) -> dict:
    # as for the peers (`peers_sampling.first_draw`): the model is built and the libraries are
    # imported before the clock starts; `import nutpie` and `import pymc` import ArviZ, which credo
    # imports at its first result
    import arviz  # noqa: F401

    model = MODELS[name]()
    t0 = time.perf_counter()
    idata = cr.sample(draws=1, tune=0, chains=1, random_seed=SEED, progressbar=False,
                      compute_convergence_checks=False, model=model)  # fmt: skip
    return {"first_draw_s": time.perf_counter() - t0, "compile_s": float(idata.attrs["compile_time"])}


def first_draw_installed(names: list[str]) -> dict:
    """credo's time to one draw of each model in a fresh process on the caches ``make install``
    leaves: a new cache directory filled by ``python -m credo.sampling.precompile`` (the sampler
    kernels), then one process per model, none of which was compiled before."""
    result = {}
    with tempfile.TemporaryDirectory(prefix="credo-bench-cache-") as cache:
        env = _cache_env(cache)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "credo.sampling.precompile"], env=env, check=True,
                       capture_output=True)  # fmt: skip
        result["precompile_s"] = time.perf_counter() - t0
        for name in names:
            out = subprocess.run([sys.executable, __file__, "--as-first-draw", name], capture_output=True,
                                 text=True, env=env, check=True)  # fmt: skip
            result[name] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def first_draw(framework: str, name: str) -> dict:
    """Cold then warm time to one draw in fresh processes sharing a new, empty cache directory."""
    if framework == "credo":
        cmd = [sys.executable, __file__, "--as-first-draw", name]
    else:
        cmd = [str(PEERS_PYTHON), str(HERE / "peers_sampling.py"), framework, name, "--first-draw",
               "--chains", "1", "--seed", str(SEED)]  # fmt: skip
    result = {}
    with tempfile.TemporaryDirectory(prefix="credo-bench-cache-") as cache:
        for state in ("cold", "warm"):
            out = subprocess.run(cmd, capture_output=True, text=True, env=_cache_env(cache))
            if out.returncode != 0:
                raise RuntimeError(f"{framework} first draw on {name} failed:\n{out.stderr[-3000:]}")
            res = json.loads(out.stdout.strip().splitlines()[-1])
            result[state] = res["first_draw_s"]
            result[f"{state}_compile_s"] = res.get("compile_s")
    result["load_avg"] = os.getloadavg()[0]
    return result


def _ess_s(r: dict) -> float:
    return r["min_ess_bulk"] / r["sampling_s"]


def _row(label: str, r: dict) -> str:
    ess_s = _ess_s(r)
    per_k = 1000 * r["min_ess_bulk"] / r["n_grad_evals"]
    return (f"  {label:<12}{r['setup_s']:>8.2f}{r['sampling_s']:>10.2f}{r['min_ess_bulk']:>9.0f}"
            f"{ess_s:>10.1f}{r['n_grad_evals']:>10d}{per_k:>9.2f}{r['divergences']:>6d}"
            f"{r['load_avg']:>6.1f}")  # fmt: skip


def report(results: dict, first: dict) -> None:
    """Print the tables and which targets are met."""
    head = (f"  {'framework':<12}{'setup s':>8}{'sample s':>10}{'min ESS':>9}{'ESS/s':>10}{'grads':>10}"
            f"{'ESS/1kg':>9}{'div':>6}{'load':>6}")  # fmt: skip
    for name, rows in results.items():
        print(f"\n{name}\n{head}")
        for label, r in rows.items():
            print(_row(label, r))
        c = rows["credo"]
        runs = ", ".join(f"{t:.3g}" for t in c["sampling_s_runs"])
        factors = ", ".join(f"{f:.2f}" for f in c["overhead_wall_runs"])
        print(f"  credo: sampling s per run {runs} (median above); t_grad {c['t_grad_us']:.3f} us "
              f"(median of the runs'); overhead factor {c['overhead_wall']:.2f} (wall; per run "
              f"{factors}), {c['overhead_cpu']:.2f} (CPU: {c['cpu_s']:.2f} s in run_chains)")
    if first:
        print("\nseconds from the start of compilation to one draw (1 chain), fresh process: cold / warm")
        for name, per in first.items():
            line = "  ".join(f"{fw} {v['cold']:.1f} / {v['warm']:.1f}" for fw, v in per.items())
            c = per["credo"]
            compile_s = f"{c['cold_compile_s']:.1f} / {c['warm_compile_s']:.1f}"
            print(f"  {name:<24}{line}  (credo compile_time {compile_s}: model + kernels if cold)")
    print("\ntargets")
    for name, rows in results.items():
        c = rows["credo"]
        peers = {k: v for k, v in rows.items() if k in ("pymc", "nutpie", "numpyro")}
        checks = [f"overhead {c['overhead_wall']:.2f} <= {OVERHEAD_TARGET}: "
                  f"{'met' if c['overhead_wall'] <= OVERHEAD_TARGET else 'NOT met'}"]  # fmt: skip
        if "pymc" in rows:
            mine, theirs = (r["min_ess_bulk"] / r["n_grad_evals"] for r in (c, rows["pymc"]))
            checks.append(f"ESS/grad vs PyMC {mine / theirs:.2f}x: {'met' if mine >= theirs else 'NOT met'}")
        if peers:
            best = max(peers, key=lambda k: _ess_s(peers[k]))
            ratio = _ess_s(c) / _ess_s(peers[best])
            checks.append(f"ESS/s vs best peer ({best}) {ratio:.2f}x: {'met' if ratio >= 1 else 'NOT met'}")
        if name in first:
            f = first[name]
            checks.append(f"warm first draw {f['credo']['warm']:.1f} s < {FIRST_DRAW_TARGET_S:g}: "
                          f"{'met' if f['credo']['warm'] < FIRST_DRAW_TARGET_S else 'NOT met'}")  # fmt: skip
            if "nutpie" in f:
                ok = f["credo"]["cold"] <= f["nutpie"]["cold"]
                checks.append(f"cold first draw {f['credo']['cold']:.1f} s vs nutpie "
                              f"{f['nutpie']['cold']:.1f} s: {'met' if ok else 'NOT met'}")  # fmt: skip
        print(f"  {name}: " + "; ".join(checks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--peers", nargs="*", default=list(PEERS), choices=PEERS)
    parser.add_argument("--first-draw-peers", nargs="*", default=["nutpie", "numpyro"],
                        choices=["pymc", "nutpie", "numpyro"])  # fmt: skip
    parser.add_argument("--no-first-draw", action="store_true", help="skip the cold/warm first-draw runs")
    parser.add_argument("--quick", action="store_true", help="2 chains, 200 + 200 draws, 20 t_grad batches")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--installed", action="store_true",
                        help="only credo's first draw of each model after `make install` precompiled")
    parser.add_argument("--as-first-draw", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.as_first_draw:
        print(json.dumps(_first_draw_credo(args.as_first_draw)))
        return
    if args.installed:
        res = first_draw_installed(args.models)
        print(f"precompile (make install) on an empty cache: {res.pop('precompile_s'):.1f} s")
        for name, r in res.items():
            print(f"  {name}: first draw {r['first_draw_s']:.1f} s (compile_time {r['compile_s']:.1f} s)")
        return

    chains, tune, draws, grad_repeats = (2, 200, 200, 20) if args.quick else (4, 1000, 1000, 200)
    peers = args.peers if PEERS_PYTHON.exists() else []
    if not PEERS_PYTHON.exists():
        print(f"no peers venv at {PEERS_PYTHON} (see benchmarks/README.md): credo only")
    started = datetime.datetime.now().isoformat(timespec="seconds")
    print(f"credo {cr.__version__} on {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"{chains} chains, {tune} tune + {draws} draws, seed {SEED}; started {started}, "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    # load the cached NUTS kernels once, so that the first timed run does not pay for it
    with MODELS["eight_schools_nc"]():
        cr.sample(draws=1, tune=0, chains=1, random_seed=SEED, progressbar=False,
                  compute_convergence_checks=False)  # fmt: skip

    results, first = {}, {}
    for name in args.models:
        rows = {"credo": run_credo(name, draws, tune, chains, grad_repeats)}
        for framework in peers:
            rows[framework] = run_peer(framework, name, draws, tune, chains)
        results[name] = rows
        print(f"{name}: done, load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    if not args.no_first_draw:
        for name in args.models:
            first[name] = {"credo": first_draw("credo", name)}
            for framework in args.first_draw_peers if peers else []:
                first[name][framework] = first_draw(framework, name)
    report(results, first)
    if args.json:
        meta = {"started": started, "chains": chains, "tune": tune, "draws": draws, "seed": SEED}
        args.json.write_text(json.dumps({"meta": meta, "results": results, "first_draw": first}, indent=1))


if __name__ == "__main__":
    main()
