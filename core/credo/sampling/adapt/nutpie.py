"""nutpie's gradient-based diagonal mass-matrix adaptation schedule (Numba).

Every warm-up draw (and its gradient) enters two pairs of running variances, a foreground and a
background one. The metric is refreshed after every draw from the foreground pair as
``sqrt(var(draws) / var(grads))``. Whenever the background has seen ``switch_freq`` draws it
replaces the foreground and a new background starts, so the estimate forgets the early,
unconverged part of the chain: 10 draws per switch in the first 30% of warm-up, then 80. The last
15% of warm-up adapt the step size only. Draws that did not move (index 0 in the trajectory), or
divergent draws within 4 steps of the start, are not used.

The same windows serve credo's ``"hybrid"`` scheme (`credo.sampling.adapt.warmup`), which stops
switching after the early phase (``grow_late``): its foreground then grows to the final window.

References
----------
Seyboldt, Carlson, Carpenter et al. (2024?), nutpie; nuts-rs ``adapt_strategy.rs``
(``GlobalStrategy::adapt``: ``early_window=0.3``, ``step_size_window=0.15``,
``early_mass_matrix_switch_freq=10``, ``mass_matrix_switch_freq=80``), ``mass_matrix/adapt.rs``.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb

from credo.sampling.adapt.mass_matrix import (
    RunningVariance,
    running_variance_add,
    running_variance_init,
)

__all__ = ["NutpieWindows", "nutpie_windows_update", "EARLY_WINDOW", "STEP_SIZE_WINDOW"]

EARLY_WINDOW = 0.3
STEP_SIZE_WINDOW = 0.15
_EARLY_SWITCH_FREQ = 10
_SWITCH_FREQ = 80


class NutpieWindows(NamedTuple):
    """State of nutpie's adaptation.

    Attributes
    ----------
    draws, grads : RunningVariance
        Foreground estimators of the variance of draws and of gradients (diagonal).
    draws_bg, grads_bg : RunningVariance
        Background estimators that replace the foreground at the next switch.
    early_end : int
        Iterations before this switch every 10 draws, after it every 80.
    final_start : int
        First iteration of the final window (step size only).
    last_update : int
        Iteration of the last metric update.
    initial_metric : bool
        True until the metric is first estimated from draws (then the step size is re-initialised).
    """

    draws: RunningVariance
    grads: RunningVariance
    draws_bg: RunningVariance
    grads_bg: RunningVariance
    early_end: int
    final_start: int
    last_update: int
    initial_metric: bool


@nb.njit(cache=True, nogil=True, inline="always")
def nutpie_windows_update(windows, draw, q, g, diverging, index_in_trajectory, grow_late):
    """Record warm-up iteration ``draw`` (position ``q``, gradient ``g`` at moved coordinates).

    With ``grow_late`` (credo's ``"hybrid"`` scheme) the foreground is never replaced after the
    early phase, so it holds every draw since the last early switch (a window that grows to ~55% of
    warm-up).

    Returns
    -------
    windows : NutpieWindows
    update : bool
        True when the caller should set the metric to
        ``grad_based_inv_mass(windows.draws, windows.grads, ...)``.
    late : bool
        True in the last ``switch_freq`` draws before the final window: nutpie then adapts the
        step size to the symmetric acceptance statistic.
    """
    draws, grads = windows.draws, windows.grads
    draws_bg, grads_bg = windows.draws_bg, windows.grads_bg
    early = draw < windows.early_end
    switch_freq = _EARLY_SWITCH_FREQ if early else _SWITCH_FREQ
    if diverging:
        good = abs(index_in_trajectory) > 4
    else:
        good = index_in_trajectory != 0
    if good:
        draws = running_variance_add(draws, q)
        grads = running_variance_add(grads, g)
        draws_bg = running_variance_add(draws_bg, q)
        grads_bg = running_variance_add(grads_bg, g)
    late = switch_freq + draw > windows.final_start
    switched = False
    if draws_bg.count >= switch_freq and not late and (early or not grow_late):
        draws, draws_bg = draws_bg, running_variance_init(draws.mean, draws.m2)
        grads, grads_bg = grads_bg, running_variance_init(grads.mean, grads.m2)
        switched = True
    update = (switched or draw - windows.last_update >= 1) and draws.count >= 3
    last_update = draw if update else windows.last_update
    new = NutpieWindows(draws, grads, draws_bg, grads_bg, windows.early_end, windows.final_start,
                        last_update, windows.initial_metric)  # fmt: skip
    return new, update, late
