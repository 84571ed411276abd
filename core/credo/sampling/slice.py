"""Univariate slice sampling, coordinate by coordinate, with stepping out and shrinkage (Numba).

References
----------
Neal (2003), Ann. Statist. 31, 705, "Slice sampling", figures 3 and 5.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["slice_step"]


@nb.njit(cache=True, nogil=True)
def _logp_at(logp_fn, x):
    value = logp_fn(x.ctypes, x.shape[0])
    return value if value < np.inf else -np.inf


@nb.njit(cache=True, nogil=True)
def slice_step(position, logp, logp_fn, idx, width, rng, max_steps_out=100):
    """Update each coordinate of ``idx`` in turn by univariate slice sampling.

    Parameters
    ----------
    position : ndarray of float64, shape (n_dim,)
        Current flat position (finite log-density); not modified.
    logp : float
        Log-density at ``position``.
    logp_fn : cfunc of ``LOGP_SIGNATURE``
        ``double logp(double *x, intp n)``; ``-inf`` or NaN outside the support.
    idx : ndarray of int64, shape (m,)
        Coordinates to update, in this order.
    width : ndarray of float64, shape (m,)
        Initial interval widths ``w`` (> 0), e.g. a posterior standard deviation.
    rng : numpy.random.Generator
    max_steps_out : int
        Maximum total number of stepping-out expansions per coordinate (Neal's ``m``).

    Returns
    -------
    position : ndarray, shape (n_dim,)
        New position (a new array).
    logp : float
    n_evals : int
        Log-density evaluations spent.
    """
    x = position.copy()
    n_evals = 0
    for k in range(idx.shape[0]):
        i = idx[k]
        x0 = x[i]
        w = width[k]
        log_y = logp - rng.standard_exponential()  # slice height under the density
        left = x0 - w * rng.random()
        right = left + w
        n_left = int(np.floor(max_steps_out * rng.random()))
        n_right = max_steps_out - 1 - n_left
        while n_left > 0:
            x[i] = left
            n_evals += 1
            if not _logp_at(logp_fn, x) > log_y:
                break
            left -= w
            n_left -= 1
        while n_right > 0:
            x[i] = right
            n_evals += 1
            if not _logp_at(logp_fn, x) > log_y:
                break
            right += w
            n_right -= 1
        while True:
            x[i] = left + (right - left) * rng.random()
            new_logp = _logp_at(logp_fn, x)
            n_evals += 1
            if new_logp > log_y:
                logp = new_logp
                break
            if x[i] < x0:
                left = x[i]
            else:
                right = x[i]
            if right - left <= 1e-12 * (1.0 + abs(x0)):
                # the interval collapsed onto x0 (possible only through rounding): stay
                x[i] = x0
                break
    return x, logp, n_evals
