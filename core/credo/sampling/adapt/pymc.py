"""PyMC's diagonal mass-matrix adaptation schedule, ``init="jitter+adapt_diag"`` (Numba).

PyMC 5 (``QuadPotentialDiagAdapt`` with ``discard_window=50``, ``adaptation_window=101``,
``adaptation_window_multiplier=1``, ``early_update=False``) keeps a foreground and a background
running variance of the warm-up draws. After warm-up iteration ``n`` (0-based):

1. draws with ``n > 50`` enter both estimators;
2. for ``n > 101`` the metric becomes the foreground's variance ``m2 / count`` (no ``n - 1``, no
   shrinkage), clipped to [1e-12, 1e12];
3. at ``n = 101, 202, 303, ...`` the background replaces the foreground and a new, empty background
   starts.

The metric is therefore the unit matrix for the first 103 iterations, then refreshed after every
iteration from the last 101-202 draws. The step size is never re-initialised when the metric changes
(see `credo.sampling.adapt.warmup`).

Where credo differs from PyMC, and why:

- PyMC seeds the foreground with a prior of weight 10 (mean of the initial points, variance 1), but
  that estimator is swapped out at ``n = 101`` before its first use at ``n = 102``: the prior never
  reaches the metric, so credo does not carry it.
- The early tree-depth limit is ``min(8, max_treedepth)``; PyMC uses 8 even when ``max_treedepth`` is
  smaller.
- The transition is credo's NUTS (Stan's multinomial tree with the extra U-turn checks across joins),
  which PyMC's ``_Tree`` also implements; PyMC's ``tree_depth`` statistic also counts a last doubling
  that was rejected, credo's (as Stan's) does not, so PyMC reports ~0.25 more on the same trees.

References
----------
PyMC 5 ``pymc/step_methods/hmc/quadpotential.py`` (``QuadPotentialDiagAdapt.update``,
``_WeightedVariance``) and ``pymc/sampling/mcmc.py`` (``init_nuts``, ``init="jitter+adapt_diag"``).
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb

from credo.sampling.adapt.mass_matrix import (
    RunningVariance,
    running_variance_add,
    running_variance_init,
)

__all__ = ["PymcWindows", "pymc_windows_update", "pymc_inv_mass", "EARLY_MAX_DEPTH", "EARLY_DEPTH_ITERS"]

DISCARD_WINDOW = 50
ADAPTATION_WINDOW = 101
# PyMC's NUTS(early_max_treedepth=8): the tree depth limit of the first 200 warm-up iterations
EARLY_MAX_DEPTH = 8
EARLY_DEPTH_ITERS = 200
_LOWER = 1e-12
_UPPER = 1e12


class PymcWindows(NamedTuple):
    """State of PyMC's diagonal adaptation.

    Attributes
    ----------
    foreground : RunningVariance
        Draws since the last-but-one switch (diagonal); the metric is its variance.
    background : RunningVariance
        Draws since the last switch; becomes the foreground at the next switch.
    """

    foreground: RunningVariance
    background: RunningVariance


@nb.njit(cache=True, nogil=True)
def pymc_inv_mass(est, out):
    """PyMC's ``_WeightedVariance.current_variance``: ``m2 / count``, clipped to [1e-12, 1e12], into
    ``out`` (shape (m,); taking its type lets the warm-up controller compile for a dense metric too,
    where this scheme never runs). Returns ``out``, updated in place: the metric is refreshed after
    every warm-up draw. Requires ``est.count >= 1``.
    """
    for i in range(est.m2.shape[0]):
        out[i] = min(max(est.m2[i] / est.count, _LOWER), _UPPER)
    return out


@nb.njit(cache=True, nogil=True)
def pymc_windows_update(windows, draw, q, inv_mass):
    """Record warm-up iteration ``draw`` (0-based) at moved coordinates ``q`` (shape (m,)).

    Returns
    -------
    windows : PymcWindows
    update : bool
        True when the metric changed (``draw > 101``).
    inv_mass : ndarray, shape (m,)
        The input array, holding the new metric if ``update`` (the foreground's variance, read
        before a switch at this iteration as in PyMC).
    """
    fg, bg = windows.foreground, windows.background
    if draw > DISCARD_WINDOW:
        fg = running_variance_add(fg, q)
        bg = running_variance_add(bg, q)
    update = draw > ADAPTATION_WINDOW
    if update:
        inv_mass = pymc_inv_mass(fg, inv_mass)
    if draw > 0 and draw % ADAPTATION_WINDOW == 0:
        fg, bg = bg, running_variance_init(fg.mean, fg.m2)
    return PymcWindows(fg, bg), update, inv_mass
