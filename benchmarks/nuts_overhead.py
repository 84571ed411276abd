"""Overheads of credo's NUTS around the model's gradient, and start-up time with a warm cache.

Prints:

1. the cost of one log-density call through the cfunc pointer (first-class function argument, as
   the kernels call the model) against the same code called directly from Numba;
2. NUTS time per gradient evaluation against the bare gradient, on standard normals of 10, 100
   and 1000 dimensions (the difference is the sampler's own work per leapfrog step);
3. wall time in a fresh process to import ``credo.sampling``, load the cached kernels and finish
   the first draw (run once before so that Numba's cache is warm);
4. throughput of 1 vs 2 chains on threads (the kernels release the GIL).

Usage: ``python benchmarks/nuts_overhead.py``
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import numba as nb
import numpy as np

from credo.sampling import LOGP_GRAD_SIGNATURE, run_chains
from credo.sampling.hamiltonian import eval_logp_grad
from credo.sampling.targets import normal


def _std_normal_body(x, g, n):
    acc = 0.0
    for i in range(n):
        acc -= 0.5 * x[i] * x[i]
        g[i] = -x[i]
    return acc


_direct = nb.njit(nogil=True)(_std_normal_body)
_cfunc = nb.cfunc(LOGP_GRAD_SIGNATURE, nogil=True)(_std_normal_body)


@nb.njit(nogil=True)
def _loop_pointer(fn, x, g, idx, calls):
    acc = 0.0
    for _ in range(calls):
        x[0] += 1e-9
        acc += eval_logp_grad(fn, x, g, x, g, idx)
    return acc


@nb.njit(nogil=True)
def _loop_direct(x, g, calls):
    acc = 0.0
    for _ in range(calls):
        x[0] += 1e-9
        acc += _direct(x, g, x.shape[0])
    return acc


def call_overhead(calls: int = 5_000_000) -> None:
    print("1. one log-density call (n_dim=1), Numba loop of", calls)
    x, g, idx = np.zeros(1), np.zeros(1), np.arange(1)
    _loop_pointer(_cfunc, x, g, idx, 10)
    _loop_direct(x, g, 10)
    t0 = time.perf_counter()
    _loop_pointer(_cfunc, x, g, idx, calls)
    t1 = time.perf_counter()
    _loop_direct(x, g, calls)
    t2 = time.perf_counter()
    ptr, direct = (t1 - t0) / calls * 1e9, (t2 - t1) / calls * 1e9
    print(f"   through cfunc pointer: {ptr:6.1f} ns/call   direct (inlinable): {direct:6.1f} ns/call"
          f"   overhead {ptr - direct:5.1f} ns")  # fmt: skip


def per_gradient(dims=(10, 100, 1000)) -> None:
    print("2. NUTS time per gradient evaluation vs the bare gradient (1 chain, 2000 draws)")
    for n in dims:
        fn = normal(np.zeros(n), np.ones(n))
        x, g, idx = np.zeros(n), np.zeros(n), np.arange(n)
        _loop_pointer(fn, x, g, idx, 10)
        calls = max(10_000, 20_000_000 // n)
        t0 = time.perf_counter()
        _loop_pointer(fn, x, g, idx, calls)
        bare = (time.perf_counter() - t0) / calls * 1e6
        init = np.random.default_rng(0).normal(size=(1, n))
        res = run_chains(fn, n, init, draws=2000, tune=500, seed=1, progressbar=False)
        per = res.timings["draws"] / res.stats["n_steps"].sum() * 1e6
        print(f"   n_dim={n:5d}: bare gradient {bare:8.3f} us   NUTS per gradient {per:8.3f} us"
              f"   sampler overhead {per - bare:7.3f} us/step")  # fmt: skip


def fresh_process() -> None:
    print("3. fresh process, warm Numba cache")
    script = textwrap.dedent(
        """
        import time
        t0 = time.perf_counter()
        import numpy as np
        from credo.sampling import run_chains
        from credo.sampling.chain import run_chunk
        from credo.sampling.targets import normal
        t1 = time.perf_counter()
        fn = normal(np.zeros(5), np.ones(5))
        t2 = time.perf_counter()
        run_chains(fn, 5, np.zeros((1, 5)), draws=1, tune=0, seed=0, progressbar=False)
        t3 = time.perf_counter()
        print(t1 - t0, t2 - t1, t3 - t2, sum(run_chunk.stats.cache_misses.values()))
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)  # warm up
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    t_import, t_cfunc, t_first, misses = out.stdout.split()
    print(f"   import credo.sampling {float(t_import):.2f} s (includes credo's own imports), "
          f"compile the test cfunc {float(t_cfunc):.2f} s, first draw {float(t_first):.3f} s, "
          f"kernel cache misses {misses}")  # fmt: skip


def threads() -> None:
    print("4. chains on threads (standard normal, 100 dims, 3000 draws each)")
    fn = normal(np.zeros(100), np.ones(100))
    for chains in (1, 2):
        init = np.random.default_rng(0).normal(size=(chains, 100))
        t0 = time.perf_counter()
        run_chains(fn, 100, init, draws=3000, tune=300, seed=2, cores=chains, progressbar=False)
        dt = time.perf_counter() - t0
        print(f"   {chains} chain(s): {dt:.2f} s wall, {chains * 3300 / dt:8.0f} iterations/s")


if __name__ == "__main__":
    call_overhead()
    per_gradient()
    fresh_process()
    threads()
