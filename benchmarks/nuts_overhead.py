"""Overheads of credo's NUTS around the model's gradient, and start-up time with a warm cache.

Prints:

1. the cost of one log-density call through the cfunc pointer (first-class function argument, as
   the kernels call the model) against the same code called directly from Numba;
2. NUTS CPU time per gradient evaluation against the bare gradient, on standard normals of 10,
   100 and 1000 dimensions (the difference is the sampler's own work per leapfrog step);
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
from credo.sampling.nuts import nuts_transition, nuts_workspace
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
    # position and gradient as rows of one work array, as the kernels hold them
    W = np.stack((x, g))
    acc = 0.0
    for _ in range(calls):
        W[0, 0] += 1e-9
        acc += eval_logp_grad(fn, W, 0, 1, x, g, idx)
    return acc


@nb.njit(nogil=True)
def _loop_direct(x, g, calls):
    acc = 0.0
    for _ in range(calls):
        x[0] += 1e-9
        acc += _direct(x, g, x.shape[0])
    return acc


def _cpu_best(fn, *args, repeats=5):
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.process_time()
        out = fn(*args)
        best = min(best, time.process_time() - t0)
    return best, out


def call_overhead(calls: int = 5_000_000) -> None:
    print("1. one log-density call (n_dim=1), CPU time in a Numba loop of", calls)
    x, g, idx = np.zeros(1), np.zeros(1), np.arange(1)
    _loop_pointer(_cfunc, x, g, idx, 10)
    _loop_direct(x, g, 10)
    ptr, _ = _cpu_best(_loop_pointer, _cfunc, x, g, idx, calls)
    direct, _ = _cpu_best(_loop_direct, x, g, calls)
    ptr, direct = ptr / calls * 1e9, direct / calls * 1e9
    print(f"   through cfunc pointer: {ptr:6.1f} ns/call   direct (inlinable): {direct:6.1f} ns/call"
          f"   overhead {ptr - direct:5.1f} ns")  # fmt: skip


@nb.njit(nogil=True)
def _nuts_loop(fn, x, logp, grad, step_size, inv_mass, rng, idx, transitions):
    # as the chain loops run it: in place, on one workspace
    x, grad = x.copy(), grad.copy()
    work = nuts_workspace(idx.shape[0], x.shape[0], 10)
    n_steps = 0
    for _ in range(transitions):
        logp, info = nuts_transition(work, x, logp, grad, fn, step_size, inv_mass, inv_mass, rng, idx,
                                     10, 1000.0)  # fmt: skip
        n_steps += info.n_steps
    return n_steps


def per_gradient(dims=(10, 100, 1000)) -> None:
    print("2. NUTS CPU time per gradient evaluation vs the bare gradient (unit metric, fixed step)")
    for n in dims:
        fn = normal(np.zeros(n), np.ones(n))
        x, idx = np.random.default_rng(0).normal(size=n), np.arange(n)
        inv_mass, rng = np.ones(n), np.random.default_rng(1)
        step_size = 1.5 * n**-0.25  # acceptance about 0.8
        transitions = 200_000 // n + 100
        _nuts_loop(fn, x, -0.5 * x @ x, -x, step_size, inv_mass, rng, idx, 2)
        _loop_pointer(fn, x.copy(), x.copy(), idx, 2)
        seconds, steps = _cpu_best(_nuts_loop, fn, x, -0.5 * x @ x, -x, step_size, inv_mass, rng,
                                   idx, transitions)  # fmt: skip
        calls = 10 * transitions
        bare, _ = _cpu_best(_loop_pointer, fn, x.copy(), x.copy(), idx, calls)
        per, bare = seconds / steps * 1e6, bare / calls * 1e6
        print(f"   n_dim={n:5d}: bare gradient {bare:7.3f} us   NUTS per gradient {per:7.3f} us"
              f"   sampler overhead {per - bare:6.3f} us/step ({steps / transitions:.1f} steps"
              "/transition)")  # fmt: skip


def fresh_process() -> None:
    print("3. fresh process, warm Numba cache")
    script = textwrap.dedent(
        """
        import time
        t0 = time.perf_counter()
        import numpy as np
        from credo.sampling import run_chains
        from credo.sampling.chain import RUN_CHUNK
        from credo.sampling.targets import normal
        t1 = time.perf_counter()
        fn = normal(np.zeros(5), np.ones(5))
        t2 = time.perf_counter()
        run_chains(fn, 5, np.zeros((1, 5)), draws=1, tune=0, seed=0, progressbar=False)
        t3 = time.perf_counter()
        print(t1 - t0, t2 - t1, t3 - t2, sum(RUN_CHUNK["nutpie"].stats.cache_misses.values()))
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)  # warm up
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    t_import, t_cfunc, t_first, misses = out.stdout.split()
    print(f"   import credo.sampling {float(t_import):.2f} s (includes credo's own imports), "
          f"compile the test cfunc {float(t_cfunc):.2f} s, first draw {float(t_first):.3f} s, "
          f"kernel cache misses {misses}")  # fmt: skip


def threads() -> None:
    print("4. chains on threads (standard normal, 100 dims, 30000 draws each); meaningful only on"
          " an otherwise idle machine")  # fmt: skip
    fn = normal(np.zeros(100), np.ones(100))
    for chains in (1, 2):
        init = np.random.default_rng(0).normal(size=(chains, 100))
        t0, c0 = time.perf_counter(), time.process_time()
        run_chains(fn, 100, init, draws=30000, tune=300, seed=2, cores=chains, progressbar=False)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        print(f"   {chains} chain(s): {dt:.2f} s wall, {dc:.2f} s CPU, "
              f"{chains * 30300 / dt:8.0f} iterations/s")  # fmt: skip


if __name__ == "__main__":
    call_overhead()
    per_gradient()
    fresh_process()
    threads()
