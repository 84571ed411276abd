"""Advance one chain by a chunk of NUTS iterations in Numba, adapting while in warm-up.

Each iteration also records the clock at its start and its duration (``perf_counter_start``,
``perf_counter_diff``, seconds), as PyMC does.

The driver calls a chain loop of `RUN_CHUNK` repeatedly, each call returning after ``max_seconds``
at most (plus the iteration under way), so that Python can refresh the progress bar and notice a
KeyboardInterrupt between chunks; inside a chunk no Python runs and the GIL is released, so chains
advance in parallel on threads. The clock bounds a chunk rather than a number of iterations, whose cost
changes a thousandfold with the tree depth: a short run takes one call per phase.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from credo.sampling.adapt.warmup import SCHEMES, warmup_max_depth, warmup_owners, warmup_update, warmup_views
from credo.sampling.clock import now
from credo.sampling.compound import step_sweep
from credo.sampling.hamiltonian import keep_alive, owner_of, unowned
from credo.sampling.nuts import nuts_transition, nuts_workspace

__all__ = [
    "NUTS_STAT_NAMES",
    "TIMING_STAT_NAMES",
    "STAT_NAMES",
    "STEP_STAT_NAMES",
    "STAT_DTYPES",
    "RUN_CHUNK",
    "RUN_COMPOUND_CHUNK",
    "nuts_iteration",
]

NUTS_STAT_NAMES = (
    "lp",
    "diverging",
    "energy",
    "energy_error",
    "tree_depth",
    "n_steps",
    "step_size",
    "step_size_bar",
    "acceptance_rate",
    "acceptance_rate_sym",
    "max_energy_error",
    "reached_max_treedepth",
    "index_in_trajectory",
)
# every iteration, whatever the steps: PyMC's names for the clock at its start and its duration
TIMING_STAT_NAMES = ("perf_counter_start", "perf_counter_diff")
# the columns a chain loop (`RUN_CHUNK`) writes
STAT_NAMES = NUTS_STAT_NAMES + TIMING_STAT_NAMES
# after STAT_NAMES in a compound run: the Metropolis and slice blocks (`credo.sampling.compound`)
STEP_STAT_NAMES = ("accept", "accepted", "slice_evals")
_PERF_START = len(NUTS_STAT_NAMES)
_PERF_DIFF = _PERF_START + 1
STAT_DTYPES = {
    "diverging": np.bool_,
    "tree_depth": np.int64,
    "n_steps": np.int64,
    "reached_max_treedepth": np.bool_,
    "index_in_trajectory": np.int64,
    "slice_evals": np.int64,
}


# inlined into the chunk loops: as a call, passing the arrays in and out costs two atomic reference
# count updates each
@nb.njit(cache=True, nogil=True, inline="always")
def nuts_iteration(scheme, work, logp_fn, idx, position, logp, grad, step_size, inv_mass, inv_mass_chol,
                   rng, warmup, it, max_depth, max_energy_error, row):  # fmt: skip
    """One NUTS transition at iteration ``it`` (`credo.sampling.nuts.nuts_transition` on the scratch
    ``work``, updating ``position`` and ``grad`` in place), its statistics, and warm-up adaptation by
    scheme ``scheme`` if ``it`` is a warm-up iteration (``it < warmup.tune``).

    Writes the `NUTS_STAT_NAMES` columns of ``row`` (a row of the stats array). The other arguments
    are those of a chain loop (`RUN_CHUNK`).

    Returns
    -------
    tuple
        ``(logp, step_size, inv_mass, inv_mass_chol, warmup, n_grad_evals)``.
    """
    logp, info = nuts_transition(work, position, logp, grad, logp_fn, step_size, inv_mass, inv_mass_chol,
                                 rng, idx, warmup_max_depth(scheme, warmup, it, max_depth),
                                 max_energy_error)  # fmt: skip
    n_grad = info.n_steps
    tuning = it < warmup.tune
    row[0] = logp
    row[1] = info.diverging
    row[2] = info.energy
    row[3] = info.energy_error
    row[4] = info.tree_depth
    row[5] = info.n_steps
    row[6] = step_size
    row[7] = np.exp(warmup.step.log_step_bar) if tuning else step_size
    row[8] = info.acceptance_rate
    row[9] = info.acceptance_rate_sym
    row[10] = info.max_energy_error
    row[11] = info.reached_max_treedepth
    row[12] = info.index_in_trajectory
    if tuning:
        warmup, step_size, inv_mass, inv_mass_chol, extra = warmup_update(
            scheme, warmup, it, position, logp, grad, info, step_size, inv_mass, inv_mass_chol, logp_fn, idx,
            rng,
        )  # fmt: skip
        n_grad += extra
    return logp, step_size, inv_mass, inv_mass_chol, warmup, n_grad


@nb.njit(cache=True, nogil=True, inline="always")
def _record(draws_out, stats_out, k, position, start, clock):
    """Keep iteration ``k``'s position (if ``draws_out`` has rows) and its timing; returns the clock
    at its end, the start of the next iteration."""
    if draws_out.shape[0] > 0:
        # a loop, not a slice assignment: Numba would compile the formatting of its shape-mismatch
        # error (~3.5 s of the first compilation)
        for j in range(position.shape[0]):
            draws_out[k, j] = position[j]
    end = now(clock)
    stats_out[k, _PERF_START] = start
    stats_out[k, _PERF_DIFF] = end - start
    return end


def _chain_loops(scheme: int):
    """The chain loops of warm-up scheme ``scheme`` (a value of `credo.sampling.adapt.warmup.SCHEMES`),
    for which it is a constant: ``run_chunk`` and ``run_compound_chunk``.

    Numba's dead-branch pruning resolves the closure variable through the inlined calls and drops
    the other schemes' branches of `warmup_update` before typing, so each loop compiles one scheme's
    warm-up (~1 s sooner on an empty cache than a loop of all four, which the default scheme would
    otherwise pay). Numba caches closures by the values of their variables: one cache entry per
    scheme.
    """

    @nb.njit(cache=True, nogil=True)
    def run_chunk(logp_fn, idx, position, logp, grad, step_size, inv_mass, inv_mass_chol, rng, warmup,
                  first, max_depth, max_energy_error, max_seconds, draws_out, stats_out):  # fmt: skip
        """Run up to ``stats_out.shape[0]`` iterations starting at iteration ``first`` (0-based, counting
        warm-up), writing positions to ``draws_out`` and `STAT_NAMES` columns to ``stats_out``; stop
        after the first iteration that ends ``max_seconds`` or more after the call began.

        Iterations ``< warmup.tune`` are followed by `warmup_update` of the loop's scheme.

        Parameters
        ----------
        logp_fn : cfunc of ``LOGP_GRAD_SIGNATURE``
        idx : ndarray of int64, shape (m,)
            Coordinates moved by NUTS.
        position, logp, grad : ndarray (n_dim,), float, ndarray (n_dim,)
            Current state; ``position`` and ``grad`` are updated in place (and returned).
        step_size : float
        inv_mass, inv_mass_chol : ndarray, shape (m,) or (m, m)
        rng : numpy.random.Generator
        warmup : WarmupState
        first : int
        max_depth : int
        max_energy_error : float
        max_seconds : float
            Wall-clock budget of the call (``inf``: run every iteration).
        draws_out : ndarray, shape (k, n_dim) or (0, n_dim)
            Positions after each iteration; with no rows they are not kept.
        stats_out : ndarray, shape (k, len(STAT_NAMES))

        Returns
        -------
        tuple
            ``(position, logp, grad, step_size, inv_mass, inv_mass_chol, warmup, n_grad_evals,
            n_done)`` after the chunk; ``n_grad_evals`` counts leapfrog steps and step-size searches,
            ``n_done`` the iterations run (the first rows of the outputs).
        """
        n_grad = 0
        clock = np.empty(2, dtype=np.int64)
        work = nuts_workspace(idx.shape[0], position.shape[0], max_depth)
        # unowned views of the arrays that every iteration passes on, which would otherwise cost ~0.2 us
        # of atomic reference counting per iteration; their owners are arguments (alive for the call)
        # or kept alive to the end, and position and grad are updated in place
        W, slot_scalars, rows, q_full, grad_full = work
        work_v = (unowned(W), unowned(slot_scalars), unowned(rows), unowned(q_full), unowned(grad_full))
        idx_v, position_v, grad_v = unowned(idx), unowned(position), unowned(grad)
        draws_v, stats_v, clock_v = unowned(draws_out), unowned(stats_out), unowned(clock)
        warmup_v, inv_mass_v, chol_v = warmup_views(warmup), unowned(inv_mass), unowned(inv_mass_chol)
        n = stats_out.shape[0]
        start = now(clock_v)
        deadline = start + max_seconds
        k = 0
        while k < n:
            logp, step_size, inv_mass_v, chol_v, warmup_v, extra = nuts_iteration(
                scheme, work_v, logp_fn, idx_v, position_v, logp, grad_v, step_size, inv_mass_v, chol_v, rng,
                warmup_v, first + k, max_depth, max_energy_error, stats_v[k],
            )  # fmt: skip
            n_grad += extra
            start = _record(draws_v, stats_v, k, position_v, start, clock_v)
            k += 1
            if start >= deadline:
                break
        keep_alive((work, clock))
        # the metric is the argument's (updated in place) or a new array of a Stan window
        return (position, logp, grad, step_size, owner_of(inv_mass_v, inv_mass),
                owner_of(chol_v, inv_mass_chol), warmup_owners(warmup_v, warmup), n_grad, k)  # fmt: skip

    @nb.njit(cache=True, nogil=True)
    def run_compound_chunk(logp_fn, logp_only_fn, idx, plan, position, logp, grad, step_size, inv_mass,
                           inv_mass_chol, rng, warmup, first, max_depth, max_energy_error, max_seconds,
                           draws_out, stats_out):  # fmt: skip
        """``run_chunk`` for a compound sampler: each iteration is a NUTS transition of the coordinates
        ``idx`` (skipped if there are none), then a `credo.sampling.compound.step_sweep` over the
        coordinates of ``plan``.

        After a sweep that moved, the gradient is re-evaluated at the new position, since NUTS needs the
        gradient with respect to its coordinates at the current values of the others.

        Parameters
        ----------
        logp_fn : cfunc of ``LOGP_GRAD_SIGNATURE``
        logp_only_fn : cfunc of ``LOGP_SIGNATURE``
            The same log-density without gradient, for the sweep.
        idx : ndarray of int64, shape (m,), m >= 0
            Coordinates moved by NUTS.
        plan : StepPlan
            This chain's non-NUTS block; tuned in place during warm-up.
        position, logp, grad, step_size, inv_mass, inv_mass_chol, rng, warmup, first, max_depth,
        max_energy_error, max_seconds, draws_out
            As in ``run_chunk``.
        stats_out : ndarray, shape (k, len(STAT_NAMES) + len(STEP_STAT_NAMES))
            The `NUTS_STAT_NAMES` columns are left unwritten when ``m == 0``, except ``lp``.

        Returns
        -------
        tuple
            As ``run_chunk``; ``n_grad_evals`` includes the re-evaluations after the sweeps.
        """
        n_grad = 0
        clock = np.empty(2, dtype=np.int64)
        m = idx.shape[0]
        work = nuts_workspace(m, position.shape[0], max_depth)
        start = now(clock)
        deadline = start + max_seconds
        k = 0
        while k < stats_out.shape[0]:
            it = first + k
            row = stats_out[k]
            if m > 0:
                logp, step_size, inv_mass, inv_mass_chol, warmup, extra = nuts_iteration(
                    scheme, work, logp_fn, idx, position, logp, grad, step_size, inv_mass, inv_mass_chol, rng,
                    warmup, it, max_depth, max_energy_error, row,
                )  # fmt: skip
                n_grad += extra
            position, logp, moved = step_sweep(plan, position, logp, logp_only_fn, rng, it, it < warmup.tune,
                                               row, _PERF_DIFF + 1)  # fmt: skip
            if moved and m > 0:
                logp = logp_fn(position.ctypes, grad.ctypes, position.shape[0])
                n_grad += 1
            row[0] = logp
            start = _record(draws_out, stats_out, k, position, start, clock)
            k += 1
            if start >= deadline:
                break
        return position, logp, grad, step_size, inv_mass, inv_mass_chol, warmup, n_grad, k

    return run_chunk, run_compound_chunk


_LOOPS = {name: _chain_loops(code) for name, code in SCHEMES.items()}
# the entry points from Python, by warm-up scheme name
RUN_CHUNK = {name: loops[0] for name, loops in _LOOPS.items()}
RUN_COMPOUND_CHUNK = {name: loops[1] for name, loops in _LOOPS.items()}
