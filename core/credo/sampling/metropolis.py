"""Random-walk Metropolis step on a subset of coordinates, for discrete or continuous variables.

With ``discrete=True`` the Gaussian increments are rounded to integers, which keeps the proposal
symmetric, so integer-valued coordinates of the flat vector (stored as float64) stay integers. Used
alone or as one step of a compound sampler: NUTS moves the continuous coordinates ``idx_nuts`` and
this step the discrete ones ``idx``; the log-density is evaluated on the full flat vector.

References
----------
Metropolis et al. (1953), J. Chem. Phys. 21, 1087; Hastings (1970), Biometrika 57, 97.
PyMC ``step_methods/metropolis.py`` (``tune`` rule for the proposal scale).
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["metropolis_step", "tune_scale"]


@nb.njit(cache=True, nogil=True)
def metropolis_step(position, logp, logp_fn, idx, scale, rng, discrete):
    """One joint random-walk Metropolis update of the coordinates ``idx``.

    Parameters
    ----------
    position : ndarray of float64, shape (n_dim,)
        Current flat position; not modified.
    logp : float
        Log-density at ``position`` (finite).
    logp_fn : cfunc of ``LOGP_SIGNATURE``
        ``double logp(double *x, intp n)``; ``-inf`` or NaN outside the support.
    idx : ndarray of int64, shape (m,)
        Coordinates to update.
    scale : ndarray of float64, shape (m,)
        Standard deviations of the Gaussian increments (before rounding if ``discrete``).
    rng : numpy.random.Generator
    discrete : bool
        Round increments to integers.

    Returns
    -------
    position : ndarray, shape (n_dim,)
        New position (a new array; equal to the input if rejected).
    logp : float
    accept_prob : float
        ``min(1, exp(logp_proposal - logp))`` (0 for an invalid proposal).
    accepted : bool
    """
    proposal = position.copy()
    for k in range(idx.shape[0]):
        step = scale[k] * rng.standard_normal()
        if discrete:
            step = np.round(step)
        proposal[idx[k]] += step
    new_logp = logp_fn(proposal.ctypes, proposal.shape[0])
    if not new_logp < np.inf:  # NaN or +inf: invalid
        new_logp = -np.inf
    log_ratio = new_logp - logp
    accept_prob = 1.0 if log_ratio >= 0.0 else np.exp(log_ratio)
    if rng.random() < accept_prob:
        return proposal, new_logp, accept_prob, True
    return position.copy(), logp, accept_prob, False


@nb.njit(cache=True, nogil=True)
def tune_scale(scale, accept_rate):
    """PyMC's proposal-scale tuning from the acceptance rate of the last tuning interval.

    Returns ``scale`` multiplied by 0.1, 0.5, 0.9, 1.1, 2 or 10 for acceptance rates below
    0.001, 0.05, 0.2, above 0.5, 0.75 or 0.95 (unchanged in between).
    """
    if accept_rate < 0.001:
        return scale * 0.1
    if accept_rate < 0.05:
        return scale * 0.5
    if accept_rate < 0.2:
        return scale * 0.9
    if accept_rate > 0.95:
        return scale * 10.0
    if accept_rate > 0.75:
        return scale * 2.0
    if accept_rate > 0.5:
        return scale * 1.1
    return scale
