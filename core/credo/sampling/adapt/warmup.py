"""Warm-up controller: watches each transition and returns a new step size and metric.

The sampler never knows it is tuning (STYLE.md section 1): `warmup_update` takes the state after a
transition and its `NUTSInfo` and returns ``(warmup, step_size, inv_mass, inv_mass_chol)``. The
schemes share one state type; the scheme itself is an argument that the chain loops of
`credo.sampling.chain` hold as a constant, so that each compiles only its own scheme's branch:

``"stan"``
    Stan's windowed adaptation (`credo.sampling.adapt.stan`) of a diagonal or dense metric, with
    dual averaging of the step size restarted after every window.
``"nutpie"``
    nutpie's gradient-based diagonal metric with overlapping windows
    (`credo.sampling.adapt.nutpie`).
``"hybrid"``
    nutpie's scheme for its early phase (the first 30% of warm-up: the gradient-based metric
    from windows of 10-20 draws, which settles the scales from few draws), then the sample
    variance of the draws, as Stan and PyMC estimate it, over one window that grows from the last
    early switch to the final step-size-only phase (~550 draws of 1000). For models like the
    stochastic volatility benchmark, where the gradient-based metric gives a scale parameter
    (``sigma``) a tenth of its posterior variance and it mixes slowly: there it gets ~10% more ESS
    per gradient than nutpie's scheme over 200 seeds (1.2 standard errors), and it is level on
    eight schools and the logistic regression. In funnels (centred hierarchical models) it
    diverges ~3x more often than nutpie's scheme, so it is not the default (benchmarks/README.md,
    seed study).
``"pymc"``
    PyMC 5's default ``init="jitter+adapt_diag"``: the variance of the draws of overlapping windows
    of 101 iterations (`credo.sampling.adapt.pymc`), refreshed after every iteration from the 103rd
    on; the step size starts at ``0.25 / m**0.25`` (no heuristic) and dual averaging runs over the
    whole warm-up, never restarted; the tree depth is limited to 8 in the first 200 iterations
    (`warmup_max_depth`).

All use dual averaging (`credo.sampling.adapt.step_size`) with ``gamma=0.05``, ``kappa=0.75``,
``t0=10`` and end warm-up at the averaged step size.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from credo.sampling.adapt.mass_matrix import (
    RunningVariance,
    diag_sqrt_into,
    grad_based_inv_mass,
    grad_init_inv_mass,
    inv_mass_sqrt,
    running_variance_init,
    stan_inv_mass,
    variance_inv_mass,
)
from credo.sampling.adapt.nutpie import (
    EARLY_WINDOW,
    STEP_SIZE_WINDOW,
    NutpieWindows,
    nutpie_windows_update,
)
from credo.sampling.adapt.pymc import (
    EARLY_DEPTH_ITERS,
    EARLY_MAX_DEPTH,
    PymcWindows,
    pymc_windows_update,
)
from credo.sampling.adapt.stan import StanWindows, stan_window_schedule, stan_windows_update
from credo.sampling.adapt.step_size import (
    DualAverageState,
    dual_average_init,
    dual_average_update,
    init_step_size,
)
from credo.sampling.hamiltonian import unowned

__all__ = [
    "SCHEMES",
    "resolve_scheme",
    "WarmupState",
    "warmup_init",
    "warmup_update",
    "warmup_max_depth",
    "warmup_views",
    "warmup_owners",
]

SCHEMES = {"stan": 0, "nutpie": 1, "pymc": 2, "hybrid": 3}
_STAN, _PYMC, _HYBRID = SCHEMES["stan"], SCHEMES["pymc"], SCHEMES["hybrid"]
_PYMC_STEP_SCALE = 0.25  # PyMC BaseHMC(step_scale=0.25): initial step size 0.25 / m**0.25
_NUTPIE_INITIAL_STEP = 0.1  # nuts-rs StepSizeSettings::initial_step
_STAN_INITIAL_STEP = 1.0  # Stan's default stepsize
_STAN_HEURISTIC_ACCEPT = 0.8  # hard-coded in Stan's init_stepsize


def resolve_scheme(scheme: str | None, dense: bool) -> str:
    """The warm-up scheme to run: ``scheme``, or when it is None ``"stan"`` for a dense metric (the
    only scheme that adapts one), else ``"nutpie"`` (benchmarks/README.md, seed study).

    Parameters
    ----------
    scheme : {"stan", "nutpie", "pymc", "hybrid"} or None
    dense : bool
        Dense rather than diagonal metric.

    Raises
    ------
    ValueError
        For an unknown ``scheme``, or ``dense=True`` with a scheme other than "stan".
    """
    if scheme is None:
        return "stan" if dense else "nutpie"
    if scheme not in SCHEMES:
        raise ValueError(f"adaptation={scheme!r}; expected one of {sorted(SCHEMES)}")
    if dense and scheme != "stan":
        raise ValueError(
            f"adaptation={scheme!r} adapts a diagonal metric; use adaptation='stan' with metric='dense'"
        )
    return scheme


class WarmupState(NamedTuple):
    """State of warm-up adaptation of one chain.

    Attributes
    ----------
    tune : int
        Number of warm-up iterations.
    target_accept : float
        Target of dual averaging.
    step : DualAverageState
    stan : StanWindows
        Used by the Stan scheme (size-0 arrays otherwise).
    nutpie : NutpieWindows
        Used by the nutpie and hybrid schemes (size-0 arrays otherwise).
    pymc : PymcWindows
        Used by the PyMC scheme (size-0 arrays otherwise).
    """

    tune: int
    target_accept: float
    step: DualAverageState
    stan: StanWindows
    nutpie: NutpieWindows
    pymc: PymcWindows


def _empty_estimator(m: int, shape: tuple[int, ...]) -> RunningVariance:
    return RunningVariance(np.zeros(m), np.zeros(shape), 0)


def warmup_init(
    scheme: str,
    tune: int,
    target_accept: float,
    dense: bool,
    position: np.ndarray,
    logp: float,
    grad: np.ndarray,
    logp_fn,
    idx: np.ndarray,
    rng: np.random.Generator,
) -> tuple[WarmupState, float, np.ndarray, np.ndarray, int]:
    """Initial metric, step size and adaptation state of one chain.

    Stan starts from the unit metric and step size 1; nutpie and the hybrid from ``1 / |grad|``
    and step size 0.1. All three then run Stan's step-size heuristic (nutpie's with
    ``target_accept`` as threshold).
    PyMC starts from the unit metric and step size ``0.25 / m**0.25`` without a heuristic.

    Parameters
    ----------
    scheme : {"stan", "nutpie", "pymc", "hybrid"}
    tune : int
        Number of warm-up iterations (>= 0).
    target_accept : float
        In (0, 1).
    dense : bool
        Dense metric (Stan scheme only).
    position, logp, grad : ndarray (n_dim,), float, ndarray (n_dim,)
        Initial state (finite).
    logp_fn : cfunc of ``LOGP_GRAD_SIGNATURE``
    idx : ndarray of int64, shape (m,)
        Coordinates moved by NUTS; with ``m == 0`` the step-size search is skipped and the step
        size is NaN.
    rng : numpy.random.Generator
        The chain's generator.

    Returns
    -------
    warmup : WarmupState
    step_size : float
    inv_mass, inv_mass_chol : ndarray, shape (m,) or (m, m)
    n_grad_evals : int
        Gradient evaluations spent by the step-size heuristic.

    Raises
    ------
    ValueError
        For an unknown ``scheme`` or ``dense=True`` with a scheme other than "stan".
    """
    scheme = resolve_scheme(scheme, dense)
    m = idx.shape[0]
    metric_shape = (m, m) if dense else (m,)
    q, g = position[idx], grad[idx]
    stan = StanWindows(_empty_estimator(0, (0,)), np.empty(0, dtype=np.int64), 0, 0)
    nutpie = NutpieWindows(*[_empty_estimator(0, (0,))] * 4, 0, 0, 0, True)
    pymc = PymcWindows(_empty_estimator(0, (0,)), _empty_estimator(0, (0,)))
    if scheme == "stan":
        start, stop, ends = stan_window_schedule(tune)
        stan = StanWindows(_empty_estimator(m, metric_shape), ends, start, stop)
        inv_mass = np.eye(m) if dense else np.ones(m)
        start_step, threshold = _STAN_INITIAL_STEP, _STAN_HEURISTIC_ACCEPT
    elif scheme == "pymc":
        pymc = PymcWindows(_empty_estimator(m, (m,)), _empty_estimator(m, (m,)))
        inv_mass = np.ones(m)
        start_step, threshold = _PYMC_STEP_SCALE, None
    else:
        # each estimator holds the initial point as its one draw (its mean, no spread), built in
        # Python rather than by four Numba calls (dispatch from Python costs more than the update)
        estimators = [RunningVariance(value.copy(), np.zeros(m), 1) for value in (q, g, q, g)]
        early_end = int(EARLY_WINDOW * tune)
        final_start = tune - int(STEP_SIZE_WINDOW * tune)
        nutpie = NutpieWindows(*estimators, early_end, final_start, 0, True)
        inv_mass = grad_init_inv_mass(g)
        start_step, threshold = _NUTPIE_INITIAL_STEP, target_accept
    chol = inv_mass_sqrt(inv_mass)
    if not m:  # a compound run whose other steps move every coordinate: there is no step size
        step_size, n_grad = np.nan, 0
    elif threshold is None:  # PyMC: no heuristic
        step_size, n_grad = start_step / m**0.25, 0
    else:
        step_size, n_grad = init_step_size(
            position, logp, grad, logp_fn, idx, start_step, inv_mass, chol, rng, threshold
        )
    warmup = WarmupState(int(tune), float(target_accept), dual_average_init(step_size), stan, nutpie, pymc)
    return warmup, step_size, inv_mass, chol, n_grad


@nb.njit(cache=True, nogil=True, inline="always")
def warmup_update(scheme, warmup, draw, position, logp, grad, info, step_size, inv_mass, inv_mass_chol,
                  logp_fn, idx, rng):  # fmt: skip
    """Adapt after warm-up iteration ``draw`` (0-based) that produced ``position`` and ``info``,
    by warm-up scheme ``scheme`` (a value of `SCHEMES`; where it is a compile-time constant, Numba
    compiles only that scheme's branch).

    Returns
    -------
    warmup : WarmupState
    step_size : float
        Step size for the next iteration; the dual-averaged one after the last warm-up iteration.
    inv_mass, inv_mass_chol : ndarray
        Metric for the next iteration (the input arrays when unchanged).
    n_grad_evals : int
        Gradient evaluations spent re-initialising the step size.
    """
    step = warmup.step
    stan = warmup.stan
    nutpie = warmup.nutpie
    pymc = warmup.pymc
    # no copies when NUTS moves every coordinate: this runs after every warm-up transition
    full = idx.shape[0] == position.shape[0]
    q = position if full else position[idx]
    n_grad = 0
    if scheme == _PYMC:
        # BaseHMC.astep: dual averaging on mean_tree_accept, then the potential's update
        step = dual_average_update(step, info.acceptance_rate, warmup.target_accept)
        step_size = np.exp(step.log_step)
        pymc, update, inv_mass = pymc_windows_update(pymc, draw, q, inv_mass)
        if update:
            diag_sqrt_into(inv_mass, inv_mass_chol)
    elif scheme == _STAN:
        step = dual_average_update(step, info.acceptance_rate, warmup.target_accept)
        step_size = np.exp(step.log_step)
        stan, closed = stan_windows_update(stan, draw, q)
        if closed:
            inv_mass = stan_inv_mass(stan.estimator)
            inv_mass_chol = inv_mass_sqrt(inv_mass)
            est = running_variance_init(stan.estimator.mean, stan.estimator.m2)
            stan = StanWindows(est, stan.ends, stan.start, stan.stop)
            step_size, n_grad = init_step_size(position, logp, grad, logp_fn, idx, step_size,
                                               inv_mass, inv_mass_chol, rng,
                                               _STAN_HEURISTIC_ACCEPT)  # fmt: skip
            step = dual_average_init(step_size)
    else:
        late = True
        update = False
        if draw < nutpie.final_start:
            g = grad if full else grad[idx]
            hybrid = scheme == _HYBRID
            nutpie, update, late = nutpie_windows_update(nutpie, draw, q, g, info.diverging,
                                                         info.index_in_trajectory, hybrid)  # fmt: skip
            if update:
                # in place: the chain owns its metric arrays (the transition that used them is over)
                if hybrid and draw >= nutpie.early_end:
                    variance_inv_mass(nutpie.draws, inv_mass)
                else:
                    grad_based_inv_mass(nutpie.draws, nutpie.grads, inv_mass)
                diag_sqrt_into(inv_mass, inv_mass_chol)
        accept = info.acceptance_rate_sym if late else info.acceptance_rate
        step = dual_average_update(step, accept, warmup.target_accept)
        step_size = np.exp(step.log_step)
        if update and nutpie.initial_metric:
            nutpie = NutpieWindows(nutpie.draws, nutpie.grads, nutpie.draws_bg, nutpie.grads_bg,
                                   nutpie.early_end, nutpie.final_start, nutpie.last_update, False)
            step_size, n_grad = init_step_size(position, logp, grad, logp_fn, idx,
                                               _NUTPIE_INITIAL_STEP, inv_mass, inv_mass_chol, rng,
                                               warmup.target_accept)  # fmt: skip
            step = dual_average_init(step_size)
    if draw == warmup.tune - 1:
        step_size = np.exp(step.log_step_bar)
    new = WarmupState(warmup.tune, warmup.target_accept, step, stan, nutpie, pymc)
    return new, step_size, inv_mass, inv_mass_chol, n_grad


@nb.njit(cache=True, nogil=True, inline="always")
def warmup_max_depth(scheme, warmup, it, max_depth):
    """Tree-depth limit of iteration ``it`` (0-based, counting warm-up) under warm-up scheme
    ``scheme``.

    ``max_depth``, except in the first 200 warm-up iterations of the PyMC scheme, where PyMC's NUTS
    uses ``early_max_treedepth=8``. PyMC applies 8 even when ``max_treedepth`` is smaller; credo
    takes the smaller of the two.
    """
    if scheme == _PYMC and it < EARLY_DEPTH_ITERS and it < warmup.tune:
        return min(max_depth, EARLY_MAX_DEPTH)
    return max_depth


# A warm-up iteration rebuilds the state's tuples, and with them counts every array they hold up and
# down, atomically: ~0.4 us per iteration at 10 dimensions, a third of the warm-up's time. A chunk
# runs on unowned views of the arrays instead and hands the owners back at its end. The estimators
# never allocate: they only trade their arrays between foreground and background.
@nb.njit(cache=True, nogil=True, inline="always")
def _estimator_view(est):
    return RunningVariance(unowned(est.mean), unowned(est.m2), est.count)


@nb.njit(cache=True, nogil=True, inline="always")
def _estimator_owner(view, a, b):
    """The estimator ``view`` with the arrays of whichever of ``a`` and ``b`` it views."""
    src = a if view.mean.ctypes.data == a.mean.ctypes.data else b
    return RunningVariance(src.mean, src.m2, view.count)


@nb.njit(cache=True, nogil=True, inline="always")
def _with_estimators(state, stan_estimator, stan_ends, draws, grads, draws_bg, grads_bg, pymc_fg,
                     pymc_bg):  # fmt: skip
    """``state`` with its estimators (and Stan's window ends) replaced by the given ones."""
    stan, nutpie = state.stan, state.nutpie
    return WarmupState(
        state.tune,
        state.target_accept,
        state.step,
        StanWindows(stan_estimator, stan_ends, stan.start, stan.stop),
        NutpieWindows(draws, grads, draws_bg, grads_bg, nutpie.early_end, nutpie.final_start,
                      nutpie.last_update, nutpie.initial_metric),  # fmt: skip
        PymcWindows(pymc_fg, pymc_bg),
    )


@nb.njit(cache=True, nogil=True, inline="always")
def warmup_views(warmup):
    """``warmup`` on `credo.sampling.hamiltonian.unowned` views of its arrays: updating it costs
    no reference counting. ``warmup`` must stay alive while the views are used, and the state that
    leaves the function goes through `warmup_owners`."""
    stan, nutpie, pymc = warmup.stan, warmup.nutpie, warmup.pymc
    return _with_estimators(
        warmup, _estimator_view(stan.estimator), unowned(stan.ends), _estimator_view(nutpie.draws),
        _estimator_view(nutpie.grads), _estimator_view(nutpie.draws_bg), _estimator_view(nutpie.grads_bg),
        _estimator_view(pymc.foreground), _estimator_view(pymc.background),
    )  # fmt: skip


@nb.njit(cache=True, nogil=True, inline="always")
def warmup_owners(view, owner):
    """The state ``view`` (`warmup_views` of ``owner``, then updated) on the arrays of ``owner``."""
    stan, nutpie, pymc = view.stan, view.nutpie, view.pymc
    o_stan, o_nutpie, o_pymc = owner.stan, owner.nutpie, owner.pymc
    return _with_estimators(
        view, _estimator_owner(stan.estimator, o_stan.estimator, o_stan.estimator), o_stan.ends,
        _estimator_owner(nutpie.draws, o_nutpie.draws, o_nutpie.draws_bg),
        _estimator_owner(nutpie.grads, o_nutpie.grads, o_nutpie.grads_bg),
        _estimator_owner(nutpie.draws_bg, o_nutpie.draws, o_nutpie.draws_bg),
        _estimator_owner(nutpie.grads_bg, o_nutpie.grads, o_nutpie.grads_bg),
        _estimator_owner(pymc.foreground, o_pymc.foreground, o_pymc.background),
        _estimator_owner(pymc.background, o_pymc.foreground, o_pymc.background),
    )  # fmt: skip
