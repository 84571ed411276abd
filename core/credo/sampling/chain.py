"""Advance one chain by a chunk of NUTS iterations in Numba, adapting while in warm-up.

The driver calls `run_chunk` repeatedly with a few draws at a time, so that Python can refresh the
progress bar and notice a KeyboardInterrupt between chunks; inside a chunk no Python runs and the
GIL is released, so chains advance in parallel on threads.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from credo.sampling.adapt.warmup import warmup_update
from credo.sampling.nuts import nuts_step

__all__ = ["STAT_NAMES", "STAT_DTYPES", "run_chunk"]

STAT_NAMES = (
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
STAT_DTYPES = {
    "diverging": np.bool_,
    "tree_depth": np.int64,
    "n_steps": np.int64,
    "reached_max_treedepth": np.bool_,
    "index_in_trajectory": np.int64,
}


@nb.njit(cache=True, nogil=True)
def run_chunk(logp_fn, idx, position, logp, grad, step_size, inv_mass, inv_mass_chol, rng, warmup,
              first, max_depth, max_energy_error, draws_out, stats_out):  # fmt: skip
    """Run ``draws_out.shape[0]`` iterations starting at iteration ``first`` (0-based, counting
    warm-up), writing positions to ``draws_out`` and `STAT_NAMES` columns to ``stats_out``.

    Iterations ``< warmup.tune`` are followed by `warmup_update`.

    Parameters
    ----------
    logp_fn : cfunc of ``LOGP_GRAD_SIGNATURE``
    idx : ndarray of int64, shape (m,)
        Coordinates moved by NUTS.
    position, logp, grad : ndarray (n_dim,), float, ndarray (n_dim,)
        Current state.
    step_size : float
    inv_mass, inv_mass_chol : ndarray, shape (m,) or (m, m)
    rng : numpy.random.Generator
    warmup : WarmupState
    first : int
    max_depth : int
    max_energy_error : float
    draws_out : ndarray, shape (k, n_dim)
    stats_out : ndarray, shape (k, len(STAT_NAMES))

    Returns
    -------
    tuple
        ``(position, logp, grad, step_size, inv_mass, inv_mass_chol, warmup, n_grad_evals)``
        after the chunk; ``n_grad_evals`` counts leapfrog steps and step-size searches.
    """
    n_grad = 0
    for k in range(draws_out.shape[0]):
        it = first + k
        position, logp, grad, info = nuts_step(position, logp, grad, logp_fn, step_size, inv_mass,
                                               inv_mass_chol, rng, idx, max_depth,
                                               max_energy_error)  # fmt: skip
        n_grad += info.n_steps
        tuning = it < warmup.tune
        draws_out[k, :] = position
        row = stats_out[k]
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
                warmup, it, position, logp, grad, info, step_size, inv_mass, inv_mass_chol,
                logp_fn, idx, rng,
            )  # fmt: skip
            n_grad += extra
    return position, logp, grad, step_size, inv_mass, inv_mass_chol, warmup, n_grad
