"""Metropolis updates of single coordinates, with proposals suited to each kind of variable (Numba).

`metropolis_step` sweeps over a set of coordinates of the flat vector and updates them one at a time
(Metropolis within Gibbs), each with a symmetric proposal, so the acceptance probability is the
Metropolis ratio ``min(1, p(x') / p(x))``:

``RANDOM_WALK``
    ``x + scale * N(0, 1)``, for continuous coordinates (PyMC's ``Metropolis``).
``ROUNDED_WALK``
    ``x + round(scale * N(0, 1))``, for integer coordinates with many values (Poisson, Binomial,
    NegativeBinomial, Geometric, DiscreteUniform: PyMC's ``Metropolis`` on discrete variables).
``FLIP``
    ``1 - x``, for binary coordinates (PyMC's ``BinaryGibbsMetropolis``).
``UNIFORM_CATEGORY``
    A value drawn uniformly from ``{lower, ..., upper}`` without ``x`` (Categorical; the proposal
    of PyMC's ``CategoricalGibbsMetropolis`` with ``proposal="uniform"``).

A proposal outside the support has log-density ``-inf`` and is rejected. Used alone or as one block
of a compound sampler (`credo.sampling.compound`), where NUTS moves the continuous coordinates.

References
----------
Metropolis, Rosenbluth, Rosenbluth, Teller & Teller (1953), J. Chem. Phys. 21, 1087.
Hastings (1970), Biometrika 57, 97.
PyMC ``step_methods/metropolis.py`` (proposals, and the ``tune`` rule for the proposal scale).
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = [
    "RANDOM_WALK",
    "ROUNDED_WALK",
    "FLIP",
    "UNIFORM_CATEGORY",
    "propose",
    "metropolis_step",
    "tune_scale",
]

RANDOM_WALK = 0
ROUNDED_WALK = 1
FLIP = 2
UNIFORM_CATEGORY = 3


@nb.njit(cache=True, nogil=True)
def propose(value, kind, lower, upper, scale, rng):
    """A symmetric proposal from ``value`` of the given ``kind`` (module constants).

    ``lower`` and ``upper`` (inclusive) are used by ``UNIFORM_CATEGORY`` only, ``scale`` by the
    random walks. With a single category the proposal is ``value`` itself.
    """
    if kind == FLIP:
        return 1.0 - value
    if kind == UNIFORM_CATEGORY:
        n_other = upper - lower
        if n_other < 1.0:
            return value
        draw = lower + np.floor(n_other * rng.random())
        return draw + 1.0 if draw >= value else draw
    step = scale * rng.standard_normal()
    if kind == ROUNDED_WALK:
        step = np.round(step)
    return value + step


@nb.njit(cache=True, nogil=True)
def metropolis_step(position, logp, logp_fn, idx, kind, lower, upper, scale, rng, accept_prob):
    """One Metropolis update of each coordinate of ``idx`` in turn.

    Parameters
    ----------
    position : ndarray of float64, shape (n_dim,)
        Current flat position; not modified.
    logp : float
        Log-density at ``position`` (finite).
    logp_fn : cfunc of ``LOGP_SIGNATURE``
        ``double logp(double *x, intp n)``; ``-inf`` or NaN outside the support.
    idx : ndarray of int64, shape (m,)
        Coordinates to update, in this order.
    kind : ndarray of int64, shape (m,)
        Proposal of each coordinate: ``RANDOM_WALK``, ``ROUNDED_WALK``, ``FLIP`` or
        ``UNIFORM_CATEGORY``.
    lower, upper : ndarray of float64, shape (m,)
        Inclusive category bounds for ``UNIFORM_CATEGORY`` (ignored otherwise).
    scale : ndarray of float64, shape (m,)
        Standard deviations of the random-walk increments (before rounding).
    rng : numpy.random.Generator
    accept_prob : ndarray of float64, shape (m,)
        Output: ``min(1, exp(logp_proposal - logp))`` of each update (0 for an invalid proposal).

    Returns
    -------
    position : ndarray, shape (n_dim,)
        New position (a new array).
    logp : float
    n_accepted : int
        Accepted updates, proposals equal to the current value included (as in PyMC).
    moved : bool
        Whether the position changed.
    """
    x = position.copy()
    n_accepted = 0
    moved = False
    for k in range(idx.shape[0]):
        i = idx[k]
        old = x[i]
        x[i] = propose(old, kind[k], lower[k], upper[k], scale[k], rng)
        if x[i] == old:  # a null move (rounded to zero) needs no evaluation
            accept_prob[k] = 1.0
            n_accepted += 1
            continue
        new_logp = logp_fn(x.ctypes, x.shape[0])
        if not new_logp < np.inf:  # NaN or +inf: invalid
            new_logp = -np.inf
        log_ratio = new_logp - logp
        accept_prob[k] = 1.0 if log_ratio >= 0.0 else np.exp(log_ratio)
        if log_ratio >= 0.0 or rng.random() < accept_prob[k]:
            logp = new_logp
            n_accepted += 1
            moved = True
        else:
            x[i] = old
    return x, logp, n_accepted, moved


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
