"""Step methods for ``cr.sample(step=...)`` and their assignment to the model's free variables.

A step is a small spec (which variables, which settings); `assign_steps` turns the specs and the
defaults into coordinates of the flat vector: NUTS for continuous variables, Metropolis for
discrete ones, with a proposal chosen by the variable's distribution as PyMC does:

* Bernoulli: flip ``0 <-> 1`` (PyMC's ``BinaryGibbsMetropolis``);
* Categorical: another category uniformly at random (``CategoricalGibbsMetropolis``);
* every other discrete distribution (Poisson, Binomial, NegativeBinomial, Geometric,
  DiscreteUniform, ...): a rounded Gaussian random walk with a tuned scale (PyMC's ``Metropolis``),
  which mixes far better than uniform proposals over a wide support when the posterior is
  concentrated on a few values (e.g. the switch point of a change-point model).

The log-density is ``-inf`` outside the support, so proposals there are rejected.

References
----------
Metropolis et al. (1953), J. Chem. Phys. 21, 1087; Hastings (1970), Biometrika 57, 97;
Neal (2003), Ann. Statist. 31, 705; PyMC ``sampling/mcmc.py`` (``assign_step_methods``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from credo.distributions.discrete import Bernoulli, Categorical
from credo.model.compile import RavelMap
from credo.model.core import Model
from credo.sampling.compound import StepPlan, step_plan
from credo.sampling.metropolis import FLIP, RANDOM_WALK, ROUNDED_WALK, UNIFORM_CATEGORY

__all__ = ["NUTS", "Metropolis", "Slice", "StepAssignment", "assign_steps"]


def _check_vars(name: str, vars) -> None:
    if vars is not None and (isinstance(vars, str) or not isinstance(vars, Sequence)):
        raise TypeError(f"{name}(vars={vars!r}): expected a list of variables or names, or None")


def _check_positive(name: str, setting: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name}({setting}={value!r}): expected a positive finite value")


@dataclass(frozen=True)
class NUTS:
    """No-U-Turn sampler for continuous variables (Hoffman & Gelman 2014).

    Parameters
    ----------
    vars : list of str or random variables, optional
        Variables to move (default: every continuous variable no other step claims).
    target_accept : float, optional
        Overrides ``cr.sample``'s ``target_accept``, in (0, 1).

    Raises
    ------
    ValueError
        If ``target_accept`` is outside (0, 1).
    """

    vars: Sequence[Any] | None = None
    target_accept: float | None = None

    def __post_init__(self):
        _check_vars("NUTS", self.vars)
        if self.target_accept is not None and not 0.0 < self.target_accept < 1.0:
            raise ValueError(f"NUTS(target_accept={self.target_accept!r}): expected a value in (0, 1)")


@dataclass(frozen=True)
class Metropolis:
    """Metropolis updates, one coordinate at a time (Metropolis et al. 1953; Hastings 1970).

    Continuous variables get a Gaussian random walk of standard deviation ``scale``; discrete
    ones the proposal of their distribution (see `credo.sampling.steps`). Random-walk scales are
    tuned during warm-up with PyMC's rule every 100 iterations.

    Parameters
    ----------
    vars : list of str or random variables, optional
        Variables to update (default: every free variable no other step claims).
    scale : float
        Initial random-walk standard deviation on the unconstrained space (> 0).

    Raises
    ------
    ValueError
        If ``scale`` is not positive and finite.
    """

    vars: Sequence[Any] | None = None
    scale: float = 1.0

    def __post_init__(self):
        _check_vars("Metropolis", self.vars)
        _check_positive("Metropolis", "scale", self.scale)


@dataclass(frozen=True)
class Slice:
    """Univariate slice sampling with stepping out and shrinkage (Neal 2003), coordinate by
    coordinate, for continuous variables.

    Parameters
    ----------
    vars : list of str or random variables, optional
        Variables to update (default: every continuous variable no other step claims).
    w : float
        Initial interval width on the unconstrained space (> 0); during warm-up it becomes twice
        the mean absolute jump of each coordinate, as in PyMC.

    Raises
    ------
    ValueError
        If ``w`` is not positive and finite.
    """

    vars: Sequence[Any] | None = None
    w: float = 1.0

    def __post_init__(self):
        _check_vars("Slice", self.vars)
        _check_positive("Slice", "w", self.w)


class StepAssignment(NamedTuple):
    """Coordinates of each step.

    Attributes
    ----------
    nuts_idx : ndarray of int64, shape (m,)
        Coordinates moved by NUTS (sorted; may be empty).
    plan : StepPlan or None
        Metropolis and slice coordinates; None when NUTS moves everything.
    names : dict of str to list of str
        Variable names per step (``"NUTS"``, ``"Metropolis"``, ``"Slice"``), for attrs and messages.
    target_accept : float or None
        From a `NUTS` spec, if given.
    """

    nuts_idx: np.ndarray
    plan: StepPlan | None
    names: dict[str, list[str]]
    target_accept: float | None


def _var_name(var) -> str:
    return var if isinstance(var, str) else getattr(var, "name", None) or repr(var)


def _categories(f) -> int:
    """Number of categories of a Categorical free variable (its p's last axis)."""
    k = f.info.params[0].type.shape[-1]
    if k is None:
        k = int(f.info.params[0].shape[-1].eval())
    return int(k)


def _metropolis_proposal(f, continuous_scale: float) -> tuple[int, float, float, float]:
    """``(kind, lower, upper, scale)`` of a variable's Metropolis proposal."""
    if not (f.discrete and f.transform is None):
        return RANDOM_WALK, -np.inf, np.inf, continuous_scale
    if issubclass(f.info.cls, Bernoulli):
        return FLIP, 0.0, 1.0, 1.0
    if issubclass(f.info.cls, Categorical):
        return UNIFORM_CATEGORY, 0.0, float(_categories(f) - 1), 1.0
    return ROUNDED_WALK, -np.inf, np.inf, continuous_scale


def _as_list(step) -> list:
    if step is None:
        return []
    steps = list(step) if isinstance(step, list | tuple) else [step]
    for s in steps:
        if not isinstance(s, NUTS | Metropolis | Slice):
            raise TypeError(f"step={s!r}: expected cr.NUTS, cr.Metropolis or cr.Slice (or a list of them)")
    if sum(isinstance(s, NUTS) for s in steps) > 1:
        raise ValueError("step: give at most one cr.NUTS; list all its variables in one vars")
    return steps


def assign_steps(model: Model, ravel_map: RavelMap, step=None) -> StepAssignment:
    """Assign every free variable of ``model`` to a step.

    Variables named in a spec's ``vars`` go to that step; a spec with ``vars=None`` takes every
    variable it can handle that no spec names; the rest get the defaults (NUTS if continuous,
    Metropolis if discrete).

    Parameters
    ----------
    model : Model
    ravel_map : RavelMap
        Layout of the flat vector (`credo.model.compile.RavelMap.from_model`).
    step : NUTS, Metropolis, Slice, or a list of them, optional

    Returns
    -------
    StepAssignment

    Raises
    ------
    TypeError
        If ``step`` holds something other than the step specs.
    ValueError
        If a name is not a free variable, a variable is claimed twice, NUTS or Slice is given a
        discrete variable, or two NUTS specs are given (the variables are named).
    """
    steps = _as_list(step)
    free = {f.name: f for f in model.free_rvs}
    owner: dict[str, Any] = {}
    for s in steps:
        for name in map(_var_name, s.vars or ()):
            if name not in free:
                raise ValueError(
                    f"{type(s).__name__}: {name!r} is not a free variable of the model; "
                    f"expected one of {sorted(free)}"
                )
            if name in owner:
                raise ValueError(
                    f"{name!r} is assigned to both {type(owner[name]).__name__} and {type(s).__name__}"
                )
            owner[name] = s
    for s in steps:
        if s.vars is None:
            for name, f in free.items():
                is_discrete = f.discrete and f.transform is None
                if name not in owner and (isinstance(s, Metropolis) or not is_discrete):
                    owner[name] = s
    names: dict[str, list[str]] = {"NUTS": [], "Metropolis": [], "Slice": []}
    nuts_idx, m_idx, kinds, lowers, uppers, scales, s_idx, widths = ([] for _ in range(8))
    for f, start, shape in zip(model.free_rvs, ravel_map.starts, ravel_map.shapes):
        coords = list(range(start, start + int(np.prod(shape, dtype=int))))
        is_discrete = f.discrete and f.transform is None
        s = owner.get(f.name, Metropolis() if is_discrete else NUTS())
        if is_discrete and not isinstance(s, Metropolis):
            raise ValueError(
                f"{type(s).__name__} cannot update the discrete variable {f.name!r}; use cr.Metropolis "
                "(or leave it out: discrete variables get Metropolis by default)"
            )
        names[type(s).__name__].append(f.name)
        if isinstance(s, NUTS):
            nuts_idx += coords
        elif isinstance(s, Slice):
            s_idx += coords
            widths += [s.w] * len(coords)
        else:
            kind, lower, upper, scale = _metropolis_proposal(f, s.scale)
            m_idx += coords
            kinds += [kind] * len(coords)
            lowers += [lower] * len(coords)
            uppers += [upper] * len(coords)
            scales += [scale] * len(coords)
    plan = None
    if m_idx or s_idx:
        plan = step_plan(m_idx, kinds, lowers, uppers, scales, s_idx, widths)
    nuts = next((s for s in steps if isinstance(s, NUTS)), None)
    return StepAssignment(
        np.array(sorted(nuts_idx), dtype=np.int64),
        plan,
        {k: v for k, v in names.items() if v},
        None if nuts is None else nuts.target_accept,
    )
