"""The non-NUTS block of a compound sampler: Metropolis and slice updates of chosen coordinates.

A compound iteration (`credo.sampling.chain.run_compound_chunk`) makes one NUTS transition of the
continuous coordinates, with the others held fixed, then one `step_sweep` over the remaining ones:
a Metropolis update of each coordinate in the plan's Metropolis block (discrete variables by
default), then a slice update of each coordinate of its slice block. Each update leaves the
posterior invariant, so their composition does too (Tierney 1994).

During warm-up the sweep also tunes its proposals, as PyMC does: every ``TUNE_INTERVAL``
iterations each random-walk scale is rescaled by `credo.sampling.metropolis.tune_scale` from its mean
acceptance probability over the interval, and each slice width is set to twice the mean absolute
jump of its coordinate so far.

References
----------
Tierney (1994), Ann. Statist. 22, 1701, "Markov chains for exploring posterior distributions".
Metropolis et al. (1953), J. Chem. Phys. 21, 1087; Hastings (1970), Biometrika 57, 97.
Neal (2003), Ann. Statist. 31, 705, "Slice sampling".
PyMC ``step_methods/compound.py``, ``metropolis.py`` and ``slicer.py``.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from credo.sampling.metropolis import (
    FLIP,
    RANDOM_WALK,
    ROUNDED_WALK,
    UNIFORM_CATEGORY,
    metropolis_step,
    tune_scale,
)
from credo.sampling.slice import slice_step

__all__ = ["TUNE_INTERVAL", "StepPlan", "step_plan", "copy_plan", "plan_coordinates", "step_sweep"]

TUNE_INTERVAL = 100  # PyMC's Metropolis tune_interval
_MAX_STEPS_OUT = 100
_KINDS = (RANDOM_WALK, ROUNDED_WALK, FLIP, UNIFORM_CATEGORY)


class StepPlan(NamedTuple):
    """Which coordinates the non-NUTS steps update and how; one copy per chain.

    Attributes
    ----------
    metropolis_idx : ndarray of int64, shape (a,)
        Coordinates updated by Metropolis, in this order.
    kind : ndarray of int64, shape (a,)
        Proposal of each (`credo.sampling.metropolis` constants).
    lower, upper : ndarray of float64, shape (a,)
        Inclusive category bounds for ``UNIFORM_CATEGORY`` proposals.
    scale : ndarray of float64, shape (a,)
        Random-walk scales; tuned in place during warm-up.
    accept_sum : ndarray of float64, shape (a,)
        Acceptance probabilities summed over the current tuning interval (scratch).
    accept_prob : ndarray of float64, shape (a,)
        Acceptance probabilities of the last sweep (scratch).
    slice_idx : ndarray of int64, shape (b,)
        Coordinates updated by slice sampling, in this order.
    width : ndarray of float64, shape (b,)
        Initial interval widths; tuned in place during warm-up.
    jump_sum : ndarray of float64, shape (b,)
        Absolute warm-up jumps summed (scratch).
    """

    metropolis_idx: np.ndarray
    kind: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    scale: np.ndarray
    accept_sum: np.ndarray
    accept_prob: np.ndarray
    slice_idx: np.ndarray
    width: np.ndarray
    jump_sum: np.ndarray


def step_plan(metropolis_idx=(), kind=(), lower=(), upper=(), scale=(), slice_idx=(), width=()) -> StepPlan:
    """Build and check a `StepPlan`.

    Parameters
    ----------
    metropolis_idx : array_like of int, shape (a,)
    kind : array_like of int, shape (a,)
        ``RANDOM_WALK``, ``ROUNDED_WALK``, ``FLIP`` or ``UNIFORM_CATEGORY``.
    lower, upper : array_like of float, shape (a,)
        Category bounds (any value for the other kinds).
    scale : array_like of float, shape (a,)
        Initial random-walk scales (> 0).
    slice_idx : array_like of int, shape (b,)
    width : array_like of float, shape (b,)
        Initial slice widths (> 0).

    Raises
    ------
    ValueError
        If lengths differ, a coordinate appears twice, a kind is unknown or a scale or width is
        not positive and finite.
    """
    m_idx = np.asarray(metropolis_idx, dtype=np.int64).reshape(-1)
    s_idx = np.asarray(slice_idx, dtype=np.int64).reshape(-1)
    given = {"lower": lower, "upper": upper, "scale": scale, "width": width}
    arrays = {name: np.asarray(v, dtype=float).reshape(-1) for name, v in given.items()}
    kinds = np.asarray(kind, dtype=np.int64).reshape(-1)
    for name in ("kind", "lower", "upper", "scale"):
        n = kinds.size if name == "kind" else arrays[name].size
        if n != m_idx.size:
            raise ValueError(f"{name} has {n} entries; expected one per Metropolis coordinate ({m_idx.size})")
    if arrays["width"].size != s_idx.size:
        raise ValueError(f"width has {arrays['width'].size} entries; expected {s_idx.size}")
    both = np.concatenate([m_idx, s_idx])
    if np.unique(both).size != both.size:
        raise ValueError(f"coordinates {sorted(both.tolist())} are assigned to more than one step")
    unknown = set(kinds.tolist()) - set(_KINDS)
    if unknown:
        raise ValueError(f"unknown proposal kinds {sorted(unknown)}; expected values in {_KINDS}")
    for name in ("scale", "width"):
        bad = arrays[name][~(np.isfinite(arrays[name]) & (arrays[name] > 0))]
        if bad.size:
            raise ValueError(f"{name}={bad.tolist()}; expected positive finite values")
    return StepPlan(m_idx, kinds, arrays["lower"], arrays["upper"], arrays["scale"],
                    np.zeros(m_idx.size), np.zeros(m_idx.size), s_idx, arrays["width"],
                    np.zeros(s_idx.size))  # fmt: skip


def copy_plan(plan: StepPlan) -> StepPlan:
    """A copy with fresh arrays, for one chain (the sweep tunes its arrays in place)."""
    return StepPlan(*(a.copy() for a in plan))


def plan_coordinates(plan: StepPlan) -> np.ndarray:
    """Every coordinate the plan updates, sorted (shape (a + b,))."""
    return np.sort(np.concatenate([plan.metropolis_idx, plan.slice_idx]))


# inlined into the chunk loop, which saves reference counting of the plan's arrays per iteration
@nb.njit(cache=True, nogil=True, inline="always")
def step_sweep(plan, position, logp, logp_fn, rng, it, tuning, row, col):
    """Metropolis then slice updates of the plan's coordinates at iteration ``it``.

    Parameters
    ----------
    plan : StepPlan
        This chain's plan; its scales and widths are tuned in place if ``tuning``.
    position : ndarray of float64, shape (n_dim,)
        Current position; not modified.
    logp : float
        Log-density at ``position``.
    logp_fn : cfunc of ``LOGP_SIGNATURE``
    rng : numpy.random.Generator
    it : int
        Iteration, counting from 0 at the start of warm-up.
    tuning : bool
        Whether ``it`` is a warm-up iteration.
    row : ndarray of float64
        Stats row; ``row[col]``, ``row[col + 1]``, ``row[col + 2]`` receive the mean Metropolis
        acceptance probability, the fraction of accepted Metropolis updates and the slice
        log-density evaluations (`credo.sampling.chain.STEP_STAT_NAMES`).
    col : int

    Returns
    -------
    position : ndarray, shape (n_dim,)
    logp : float
    moved : bool
        Whether the position changed.
    """
    moved = False
    a = plan.metropolis_idx.shape[0]
    if a > 0:
        position, logp, n_accepted, moved = metropolis_step(
            position, logp, logp_fn, plan.metropolis_idx, plan.kind, plan.lower, plan.upper,
            plan.scale, rng, plan.accept_prob,
        )  # fmt: skip
        row[col] = plan.accept_prob.mean()
        row[col + 1] = n_accepted / a
        if tuning:
            plan.accept_sum[:] += plan.accept_prob
            if (it + 1) % TUNE_INTERVAL == 0:
                for k in range(a):
                    if plan.kind[k] == RANDOM_WALK or plan.kind[k] == ROUNDED_WALK:
                        plan.scale[k] = tune_scale(plan.scale[k], plan.accept_sum[k] / TUNE_INTERVAL)
                plan.accept_sum[:] = 0.0
    b = plan.slice_idx.shape[0]
    if b > 0:
        old = position
        position, logp, n_evals = slice_step(position, logp, logp_fn, plan.slice_idx, plan.width, rng,
                                             _MAX_STEPS_OUT)  # fmt: skip
        row[col + 2] = n_evals
        moved = True
        if tuning:
            for k in range(b):
                i = plan.slice_idx[k]
                plan.jump_sum[k] += abs(position[i] - old[i])
                if plan.jump_sum[k] > 0.0:
                    plan.width[k] = 2.0 * plan.jump_sum[k] / (it + 1)
    return position, logp, moved
