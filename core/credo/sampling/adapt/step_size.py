"""Step-size adaptation: Nesterov dual averaging and Stan's initial step-size heuristic (Numba).

References
----------
Hoffman & Gelman (2014), JMLR 15, 1593, algorithm 5 (dual averaging with ``gamma=0.05``,
``kappa=0.75``, ``t0=10`` and ``mu = log(10 * step_size)``).
Nesterov (2009), Math. Program. 120, 221, "Primal-dual subgradient methods for convex problems".
Stan ``stepsize_adaptation.hpp`` (``learn_stepsize``) and ``base_hmc.hpp`` (``init_stepsize``).
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from credo.sampling.hamiltonian import draw_momentum, kinetic_energy, leapfrog, velocity

__all__ = ["DualAverageState", "dual_average_init", "dual_average_update", "init_step_size"]


class DualAverageState(NamedTuple):
    """State of dual averaging of ``log(step_size)``.

    Attributes
    ----------
    log_step : float
        Current iterate ``x_t``; the sampler uses ``exp(log_step)`` during warm-up.
    log_step_bar : float
        Weighted average ``x_bar_t``; ``exp(log_step_bar)`` is the step size after warm-up.
    h_bar : float
        Running mean of ``target_accept - acceptance_rate``.
    mu : float
        Shrinkage point, ``log(10 * initial step size)``.
    count : int
        Number of updates since the last restart.
    """

    log_step: float
    log_step_bar: float
    h_bar: float
    mu: float
    count: int


@nb.njit(cache=True, nogil=True)
def dual_average_init(step_size):
    """Restart dual averaging at ``step_size`` (Stan's ``set_mu(log(10 eps)); restart()``)."""
    log_step = np.log(step_size)
    return DualAverageState(log_step, log_step, 0.0, np.log(10.0 * step_size), 0)


@nb.njit(cache=True, nogil=True, inline="always")
def dual_average_update(state, accept_stat, target_accept, gamma=0.05, kappa=0.75, t0=10.0):
    """One dual-averaging update from the acceptance statistic of the last transition.

    Parameters
    ----------
    state : DualAverageState
    accept_stat : float
        Mean acceptance probability of the last transition (values above 1 are clipped).
    target_accept : float
        Target in (0, 1).
    gamma, kappa, t0 : float
        Shrinkage strength, averaging decay exponent and early-iteration damping.

    Returns
    -------
    DualAverageState
    """
    count = state.count + 1
    accept_stat = min(accept_stat, 1.0)
    eta = 1.0 / (count + t0)
    h_bar = (1.0 - eta) * state.h_bar + eta * (target_accept - accept_stat)
    log_step = state.mu - h_bar * np.sqrt(count) / gamma
    weight = count ** (-kappa)
    log_step_bar = (1.0 - weight) * state.log_step_bar + weight * log_step
    return DualAverageState(log_step, log_step_bar, h_bar, state.mu, count)


@nb.njit(cache=True, nogil=True)
def _one_step_log_accept(position, logp, grad, logp_fn, idx, step_size, inv_mass, inv_mass_chol,
                         rng, work, q_full, grad_full):  # fmt: skip
    """``H0 - H`` after one leapfrog step from ``position`` with a fresh momentum; ``work`` holds
    position, momentum, gradient and velocity in its rows 0-3."""
    for k in range(idx.shape[0]):
        work[0, k] = position[idx[k]]
        work[2, k] = grad[idx[k]]
    draw_momentum(inv_mass_chol, rng, work[1])
    velocity(inv_mass, work, 1, 3)
    H0 = -logp + kinetic_energy(work, 1, 3)
    new_logp, kinetic = leapfrog(logp_fn, work, 0, 1, 2, 3, step_size, inv_mass, q_full, grad_full, idx)
    h = -new_logp + kinetic
    if np.isnan(h):
        return -np.inf
    return H0 - h


@nb.njit(cache=True, nogil=True)
def init_step_size(position, logp, grad, logp_fn, idx, step_size, inv_mass, inv_mass_chol, rng,
                   accept_threshold=0.8):  # fmt: skip
    """Stan's initial step-size heuristic: double or halve until one step crosses the threshold.

    From ``step_size``, a single leapfrog step with a fresh momentum is tried; if its acceptance
    probability ``exp(H0 - H)`` exceeds ``accept_threshold`` the step size is doubled until it no
    longer does, otherwise halved until it does (Stan ``base_hmc::init_stepsize``).

    Parameters
    ----------
    position, logp, grad : ndarray (n_dim,), float, ndarray (n_dim,)
        Current state.
    logp_fn : cfunc of ``LOGP_GRAD_SIGNATURE``
    idx : ndarray of int64, shape (m,)
        Coordinates moved by the sampler.
    step_size : float
        Starting value (> 0).
    inv_mass, inv_mass_chol : ndarray, shape (m,) or (m, m)
        Metric and its square root, as in `credo.sampling.nuts.nuts_step`.
    rng : numpy.random.Generator
    accept_threshold : float
        0.8 in Stan; nutpie uses its ``target_accept``.

    Returns
    -------
    step_size : float
        Clamped to [1e-10, 1e7]; the upper bound is what Stan reports as an improper posterior.
    n_steps : int
        Leapfrog steps (gradient evaluations) spent.
    """
    m = idx.shape[0]
    work = np.empty((4, m))
    q_full = position.copy()
    grad_full = grad.copy()
    log_threshold = np.log(accept_threshold)
    delta = _one_step_log_accept(position, logp, grad, logp_fn, idx, step_size, inv_mass,
                                 inv_mass_chol, rng, work, q_full, grad_full)  # fmt: skip
    n_steps = 1
    direction = 1 if delta > log_threshold else -1
    while 1e-10 <= step_size <= 1e7:
        delta = _one_step_log_accept(position, logp, grad, logp_fn, idx, step_size, inv_mass,
                                     inv_mass_chol, rng, work, q_full, grad_full)  # fmt: skip
        n_steps += 1
        if direction == 1 and not delta > log_threshold:
            break
        if direction == -1 and not delta < log_threshold:
            break
        step_size = 2.0 * step_size if direction == 1 else 0.5 * step_size
    return min(max(step_size, 1e-10), 1e7), n_steps
