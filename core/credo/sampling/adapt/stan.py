"""Stan's windowed mass-matrix adaptation schedule (Numba update, Python schedule).

Warm-up is split into a fast initial buffer (75 draws, step size only), slow windows of 25, 50,
100, ... draws in which draws are accumulated, and a terminal buffer (50 draws, step size only).
At the end of each slow window the metric becomes the regularised (co)variance of that window's
draws, the step size is re-initialised with the heuristic and dual averaging restarts.

References
----------
Stan Reference Manual, "HMC algorithm parameters: automatic parameter tuning".
Stan ``windowed_adaptation.hpp`` (``compute_next_window``) and ``var_adaptation.hpp``.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from credo.sampling.adapt.mass_matrix import RunningVariance, running_variance_add

__all__ = ["StanWindows", "stan_window_schedule", "stan_windows_update"]


class StanWindows(NamedTuple):
    """State of Stan's windowed adaptation.

    Attributes
    ----------
    estimator : RunningVariance
        Draws of the current slow window; ``m2`` has the shape of the metric.
    ends : ndarray of int64
        Warm-up iteration (0-based) closing each slow window.
    start : int
        First iteration of the first slow window (end of the initial buffer).
    stop : int
        First iteration of the terminal buffer.
    """

    estimator: RunningVariance
    ends: np.ndarray
    start: int
    stop: int


def stan_window_schedule(
    tune: int, init_buffer: int = 75, term_buffer: int = 50, base_window: int = 25
) -> tuple[int, int, np.ndarray]:
    """Slow-window boundaries of Stan's warm-up for ``tune`` iterations.

    Parameters
    ----------
    tune : int
        Number of warm-up iterations (>= 0).
    init_buffer, term_buffer, base_window : int
        Stan's defaults 75, 50, 25. If they do not fit in ``tune``, Stan's fallback of 15% / 10% /
        the rest is used; with ``tune < 20`` the metric is not adapted.

    Returns
    -------
    start, stop : int
        Slow windows cover iterations ``start <= i < stop``.
    ends : ndarray of int64
        Last iteration of each slow window (Stan's ``adapt_next_window_`` sequence).
    """
    if tune < 20:
        return 0, 0, np.empty(0, dtype=np.int64)
    if init_buffer + base_window + term_buffer > tune:
        init_buffer = int(0.15 * tune)
        term_buffer = int(0.1 * tune)
        base_window = tune - (init_buffer + term_buffer)
    stop = tune - term_buffer
    size = base_window
    end = init_buffer + size - 1
    ends = [end]
    while end != stop - 1:
        size *= 2
        end += size
        if end != stop - 1 and end + 2 * size >= stop:
            end = stop - 1
        ends.append(end)
    return init_buffer, stop, np.array(ends, dtype=np.int64)


@nb.njit(cache=True, nogil=True, inline="always")
def stan_windows_update(windows, draw, q):
    """Record warm-up iteration ``draw`` at moved coordinates ``q``; say whether a window closed.

    Returns
    -------
    windows : StanWindows
    closed : bool
        True when ``draw`` ends a slow window: the caller then computes the new metric from
        ``windows.estimator`` and empties it.
    """
    est = windows.estimator
    if windows.start <= draw < windows.stop:
        est = running_variance_add(est, q)
    closed = False
    for end in windows.ends:
        if end == draw:
            closed = True
    return StanWindows(est, windows.ends, windows.start, windows.stop), closed
