"""Approximate Bayesian computation: `Simulator` variables and their pseudo-likelihood for SMC.

A `Simulator` is an observed variable whose likelihood is unknown but which can be simulated:
``fn(rng, *param_values, size=observed_shape)``. `credo.sampling.smc.sample_smc` scores each
particle by simulating data and comparing summary statistics with the observed ones (PyMC's
``pm.Simulator`` semantics): the log pseudo-likelihood is
``sum(distance(epsilon, sum_stat(observed), sum_stat(simulated)))`` with a fixed ``epsilon``, or,
with ``epsilon=AdaptiveEpsilon(...)``, the indicator ``distance <= epsilon_t`` with a tolerance that
shrinks stage by stage to a quantile of the particles' distances (Del Moral, Doucet & Jasra 2012;
pyabc's quantile epsilon). Each particle keeps the likelihood of the simulation it was accepted with
(a pseudo-marginal move, Beaumont et al. 2009; Sisson, Fan & Tanaka 2007).

Simulations run as tasks of a `concurrent.futures.Executor` (see `credo.sampling.executor`), each
chunk of particles with its own spawned seed, so results do not depend on the executor.

A simulator's density cannot be evaluated or differentiated: its log-density term in the model
graph is a placeholder (`SimulatorLogp`) that raises `NotImplementedError` with a message pointing
to `cr.sample_smc` when evaluated or differentiated. Gradient-based samplers should check
`model_has_simulator` first.

References
----------
Beaumont, M. A., Cornuet, J.-M., Marin, J.-M. & Robert, C. P. (2009), Biometrika 96, 983,
"Adaptive approximate Bayesian computation".
Sisson, S. A., Fan, Y. & Tanaka, M. M. (2007), PNAS 104, 1760, "Sequential Monte Carlo without
likelihoods".
Del Moral, P., Doucet, A. & Jasra, A. (2012), Stat. Comput. 22, 1009, "An adaptive sequential Monte
Carlo method for approximate Bayesian computation".
Pérez-Cruz, F. (2008), IEEE ISIT, 1666, "Kullback-Leibler divergence estimation of continuous
distributions" (the ``"kullback_leibler"`` distance).
Klinger, E., Rickert, D. & Hasenauer, J. (2018), Bioinformatics 34, 3591, "pyABC" (quantile
epsilon, minimum acceptance rate).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
import pytensor.tensor as pt
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.graph.replace import graph_replace
from pytensor.tensor.random.op import RandomVariable

from credo.distributions.base import DistInfo, Distribution, as_param, random_variable
from credo.exceptions import SamplingError
from credo.inference_data import observed_data
from credo.model.compile import compile_numba, flat_replacements, freeze_data
from credo.model.core import Model, ObservedRV, modelcontext
from credo.sampling.executor import chunk_slices, map_chunks

__all__ = [
    "Simulator",
    "AdaptiveEpsilon",
    "SimulatorLogp",
    "SimulatorLikelihood",
    "model_has_simulator",
    "simulator_rvs",
]

DISTANCES = ("gaussian", "laplace", "kullback_leibler")


# -- summary statistics (module-level functions so that process pools can pickle them) -------------
def _identity(x: np.ndarray) -> np.ndarray:
    return np.ravel(x)


def _sort(x: np.ndarray) -> np.ndarray:
    return np.sort(x, axis=-1).ravel()


def _mean(x: np.ndarray) -> np.ndarray:
    return np.array([x.sum() / x.size])  # x.mean() costs several times more per simulation


def _median(x: np.ndarray) -> np.ndarray:
    return np.atleast_1d(np.median(x))


SUM_STATS: dict[str, Callable] = {"identity": _identity, "sort": _sort, "mean": _mean, "median": _median}


@dataclass(frozen=True)
class AdaptiveEpsilon:
    """Tolerance schedule for ABC-SMC: each stage's epsilon is a quantile of the particles' distances.

    With this epsilon the simulator's pseudo-likelihood is the indicator ``distance <= epsilon_t``
    (``distance="gaussian"``: Euclidean distance of the summary statistics; ``"laplace"``: sum of
    absolute differences). Stage ``t`` sets ``epsilon_t`` to the ``quantile`` of the current
    distances (never above ``epsilon_{t-1}`` and never below ``floor``), keeps the particles within
    it, resamples and moves them with MH steps at ``epsilon_t``. Sampling stops after the stage where
    ``epsilon_t`` reaches ``floor``, where the MH acceptance rate falls below ``min_acceptance``, or
    where epsilon can no longer shrink.

    Parameters
    ----------
    quantile : float in (0, 1)
        Fraction of particles kept per stage (pyabc's ``QuantileEpsilon(alpha=...)``).
    floor : float >= 0
        Smallest tolerance, in units of the distance (pyabc's ``minimum_epsilon``).
    min_acceptance : float in [0, 1)
        Stop once fewer than this fraction of MH proposals are accepted (pyabc's
        ``min_acceptance_rate``; Del Moral et al. 2012 stop at a few percent).

    Raises
    ------
    ValueError
        If an argument is outside its range.

    References
    ----------
    Del Moral, Doucet & Jasra (2012), Stat. Comput. 22, 1009. Klinger, Rickert & Hasenauer (2018),
    Bioinformatics 34, 3591.
    """

    quantile: float = 0.5
    floor: float = 0.0
    min_acceptance: float = 0.05
    name: ClassVar[str] = "epsilon"
    start: ClassVar[float] = np.inf

    def __post_init__(self) -> None:
        if not 0.0 < self.quantile < 1.0:
            raise ValueError(f"AdaptiveEpsilon: quantile must be in (0, 1), got {self.quantile!r}")
        if not self.floor >= 0.0:
            raise ValueError(f"AdaptiveEpsilon: floor must be >= 0, got {self.floor!r}")
        if not 0.0 <= self.min_acceptance < 1.0:
            raise ValueError(
                f"AdaptiveEpsilon: min_acceptance must be in [0, 1), got {self.min_acceptance!r}"
            )

    def log_target(self, loglike: np.ndarray, epsilon: float) -> np.ndarray:
        # loglike is minus the distance
        return np.where(-loglike <= epsilon, 0.0, -np.inf)

    def next(self, loglike: np.ndarray, epsilon: float) -> float:
        q = float(np.quantile(-loglike, self.quantile))
        return max(self.floor, min(epsilon, q))

    def finished(self, new: float, old: float, accept_rate: float) -> bool:
        return new <= self.floor or accept_rate < self.min_acceptance or new >= old


# -- what the model stores ---------------------------------------------------------------------------
class SimulationTask(NamedTuple):
    """What a worker needs to simulate for one `Simulator` (picklable if ``fn`` and ``sum_stat`` are)."""

    name: str
    fn: Callable
    sum_stat: Callable
    shape: tuple[int, ...]
    param_names: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class SimulatorSpec:
    """A `Simulator`'s simulation task, distance and tolerance (compared by identity)."""

    task: SimulationTask
    distance: str | Callable
    epsilon: np.ndarray | AdaptiveEpsilon


def format_values(names, values) -> str:
    """``"mu=0.31, sigma=[1.2, 0.4]"``: parameter values for error messages."""
    parts = []
    for n, v in zip(names, values):
        v = np.asarray(v)
        parts.append(f"{n}={v.item():.6g}" if v.ndim == 0 else f"{n}={np.round(v, 6).tolist()}")
    return ", ".join(parts)


def simulate_one(task: SimulationTask, rng: np.random.Generator, values) -> np.ndarray:
    """Run the simulator once and check its output; return the simulated data.

    Raises
    ------
    SamplingError
        If the simulator raises, returns a non-numeric value, the wrong shape, NaN or inf; the
        message names the simulator and the parameter values.
    """
    try:
        sim = np.asarray(task.fn(rng, *values, size=task.shape), dtype=np.float64)
    except Exception as err:
        raise SamplingError(
            f"simulator {task.name!r} raised {type(err).__name__}: {err} "
            f"at {format_values(task.param_names, values)}"
        ) from err
    if sim.shape != task.shape:
        raise SamplingError(
            f"simulator {task.name!r} returned shape {sim.shape}, expected the observed shape "
            f"{task.shape}, at {format_values(task.param_names, values)}"
        )
    # one reduction instead of an isfinite mask per simulation; the exact test only on suspicion
    if not np.isfinite(sim.sum()) and not np.all(np.isfinite(sim)):
        bad = "NaN" if np.isnan(sim).any() else "inf"
        raise SamplingError(
            f"simulator {task.name!r} returned {bad} at {format_values(task.param_names, values)}"
        )
    return sim


def _summarise(task: SimulationTask, sim: np.ndarray, values) -> np.ndarray:
    try:
        return np.asarray(task.sum_stat(sim), dtype=np.float64).ravel()
    except Exception as err:
        raise SamplingError(
            f"sum_stat of simulator {task.name!r} raised {type(err).__name__}: {err} "
            f"at {format_values(task.param_names, values)}"
        ) from err


def simulate_chunk(
    task: SimulationTask, params: list[np.ndarray], n: int, seed: np.random.SeedSequence
) -> np.ndarray:
    """Summary statistics of one simulation per particle of a chunk (an executor task).

    Parameters
    ----------
    task : SimulationTask
    params : list of ndarray, each shape (n, *param_shape)
        Parameter values of the chunk's particles.
    n : int
        Number of particles in the chunk.
    seed : numpy.random.SeedSequence
        The chunk's seed; the particles draw from one generator in order.

    Returns
    -------
    ndarray, shape (n, n_stats)

    Raises
    ------
    SamplingError
        If a simulation fails (see `simulate_one`), or a summary statistic raises, changes length
        or is not finite; the message names the parameter values.
    """
    rng = np.random.default_rng(seed)
    stats = []
    for i in range(n):
        values = [p[i] for p in params]
        stat = _summarise(task, simulate_one(task, rng, values), values)
        if stats and stat.shape != stats[0].shape:
            raise SamplingError(
                f"sum_stat of simulator {task.name!r} returned {stat.size} values at "
                f"{format_values(task.param_names, values)} but {stats[0].size} at other parameters"
            )
        stats.append(stat)
    out = np.stack(stats)
    bad = np.flatnonzero(~np.all(np.isfinite(out), axis=1))
    if bad.size:
        raise SamplingError(
            f"summary statistic of simulator {task.name!r} is not finite at "
            f"{format_values(task.param_names, [p[bad[0]] for p in params])}"
        )
    return out


class SimulatorRV(RandomVariable):
    """Forward-sampling Op of a `Simulator` (prior and posterior predictive draws)."""

    __props__ = ("name", "signature", "dtype", "inplace", "spec")

    def __init__(self, spec: SimulatorSpec, signature: str, dtype: str = "float64", name=None, inplace=False):
        self.spec = spec
        super().__init__(name=name or "simulator", signature=signature, dtype=dtype, inplace=inplace)

    def rng_fn(self, rng, *args):
        *values, _size = args
        return simulate_one(self.spec.task, rng, values)


class SimulatorLogp(Op):
    """Placeholder for a simulator's log-density: raises when evaluated or differentiated."""

    __props__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    @property
    def message(self) -> str:
        return (
            f"Simulator {self.name!r} has no likelihood that can be evaluated or differentiated: its "
            "pseudo-likelihood comes from simulations. Sample the model with cr.sample_smc "
            "(NUTS and other gradient-based samplers cannot be used)"
        )

    def make_node(self, value, *params):
        inputs = [pt.as_tensor_variable(v) for v in (value, *params)]
        return Apply(self, inputs, [pt.dscalar()])

    def perform(self, node, inputs, outputs):
        raise NotImplementedError(self.message)

    def pullback(self, inputs, outputs, cotangents):
        raise NotImplementedError(self.message)

    def __str__(self) -> str:
        return f"SimulatorLogp{{{self.name}}}"


def _signature(params, shape) -> str:
    ins = []
    for i, p in enumerate(params):
        ins.append("(" + ",".join(f"p{i}d{k}" for k in range(p.type.ndim)) + ")")
    return ",".join(ins) + "->(" + ",".join(str(int(s)) for s in shape) + ")"


def _check_epsilon(name: str, epsilon, n_stats: int):
    if isinstance(epsilon, AdaptiveEpsilon):
        return epsilon
    eps = np.asarray(epsilon, dtype=np.float64)
    if eps.ndim > 1 or (eps.ndim == 1 and eps.shape[0] not in (1, n_stats)):
        raise ValueError(
            f"Simulator {name!r}: epsilon must be a number or have one value per summary statistic "
            f"({n_stats}), got shape {eps.shape}"
        )
    if not np.all(np.isfinite(eps)) or np.any(eps <= 0):
        raise ValueError(f"Simulator {name!r}: epsilon must be > 0, got {epsilon!r}")
    return eps


class Simulator(Distribution):
    """An observed variable defined by a simulator instead of a likelihood (for ABC with SMC).

    Parameters
    ----------
    name : str
        Variable name.
    fn : callable
        ``fn(rng, *param_values, size=observed_shape) -> ndarray`` of the observed shape. ``rng`` is
        a `numpy.random.Generator`; ``fn`` must draw all its randomness from it, so that a seed
        reproduces the simulation. It must be picklable (a module-level function) to run on a
        process pool or a Dask cluster.
    *params : tensor_like
        Parameters passed to ``fn`` (model variables or graphs of them), as NumPy arrays.
    observed : array_like
        Observed data (or `cr.Data`).
    distance : {"gaussian", "laplace", "kullback_leibler"} or callable
        Log-kernel comparing summary statistics: ``"gaussian"`` is ``-0.5 ((xo - xs) / epsilon)**2``,
        ``"laplace"`` is ``-|xo - xs| / epsilon``, ``"kullback_leibler"`` the nearest-neighbour KL
        estimate between observed and simulated samples divided by ``-epsilon`` (Pérez-Cruz 2008;
        rows of the data are points, needs ``sum_stat="identity"``); a callable
        ``distance(epsilon, obs_stat, sim_stat)`` returns log-kernel values that are summed.
        ``"gaussian"`` with ``sum_stat="sort"`` is the 1-d 2-Wasserstein distance.
    sum_stat : {"identity", "sort", "mean", "median"} or callable
        Summary statistic applied to observed and simulated data; a callable returns a 1-d array.
    epsilon : float, array_like of float (> 0) or AdaptiveEpsilon
        Kernel scale (one value or one per summary statistic), or an adaptive tolerance schedule.
    dims : str or tuple of str, optional

    Returns
    -------
    TensorVariable
        The observed random variable (forward sampling runs ``fn``).

    Raises
    ------
    ValueError
        If ``observed`` is missing, ``epsilon <= 0`` or of the wrong length, ``distance`` or
        ``sum_stat`` is unknown, or the KL distance gets repeated observed points.
    TypeError
        If ``fn`` is not callable.

    Notes
    -----
    Only `cr.sample_smc` can sample a model with a simulator; the model's log-density graph has a
    placeholder for it that raises `NotImplementedError` when compiled for NUTS
    (`model_has_simulator` tells beforehand).

    References
    ----------
    Sisson, Fan & Tanaka (2007), PNAS 104, 1760. Beaumont et al. (2009), Biometrika 96, 983.
    Del Moral, Doucet & Jasra (2012), Stat. Comput. 22, 1009. PyMC's ``pm.Simulator``.

    Examples
    --------
    >>> def normal_sim(rng, mu, sigma, size=None):
    ...     return rng.normal(mu, sigma, size=size)
    >>> with cr.Model():  # doctest: +SKIP
    ...     mu = cr.Normal("mu", 0, 5)
    ...     cr.Simulator("y", normal_sim, mu, 1.0, observed=y, sum_stat="mean", epsilon=0.05)
    ...     idata = cr.sample_smc()
    """

    dtype = "float64"

    def __new__(
        cls,
        name: str,
        fn: Callable,
        *params,
        observed=None,
        distance: str | Callable = "gaussian",
        sum_stat: str | Callable = "identity",
        epsilon: float | np.ndarray | AdaptiveEpsilon = 1.0,
        dims=None,
    ):
        model = modelcontext(None)
        if not isinstance(name, str):
            raise TypeError(f"the first argument of Simulator must be the variable name (str), got {name!r}")
        if observed is None:
            raise ValueError(f"Simulator {name!r} needs observed= data to compare simulations with")
        dims = model.normalize_dims(dims)
        data = model.prepare_observed(name, observed, dims=dims)
        value = data.get_value() if isinstance(data, SharedVariable) else data.data
        rv = cls.dist(
            fn, *params, observed=value, distance=distance, sum_stat=sum_stat, epsilon=epsilon, name=name
        )
        return model.register_rv(rv, name, observed=data, dims=dims)

    @classmethod
    def dist(
        cls,
        fn: Callable,
        *params,
        observed,
        distance: str | Callable = "gaussian",
        sum_stat: str | Callable = "identity",
        epsilon: float | np.ndarray | AdaptiveEpsilon = 1.0,
        name: str = "simulator",
    ):
        """Unnamed simulator variable for data shaped like ``observed`` (see the class docstring)."""
        if not callable(fn):
            raise TypeError(f"Simulator {name!r}: fn must be callable, got {type(fn).__name__}")
        if isinstance(sum_stat, str):
            if sum_stat not in SUM_STATS:
                raise ValueError(
                    f"Simulator {name!r}: sum_stat {sum_stat!r} unknown; expected one of "
                    f"{sorted(SUM_STATS)} or a callable"
                )
            sum_stat = SUM_STATS[sum_stat]
        elif not callable(sum_stat):
            raise ValueError(f"Simulator {name!r}: sum_stat must be a name or a callable, got {sum_stat!r}")
        if isinstance(distance, str) and distance not in DISTANCES:
            raise ValueError(
                f"Simulator {name!r}: distance {distance!r} unknown; expected one of {DISTANCES} or a "
                "callable"
            )
        if not isinstance(distance, str) and not callable(distance):
            raise ValueError(f"Simulator {name!r}: distance must be a name or a callable, got {distance!r}")
        observed = np.asarray(observed, dtype=np.float64)
        params = [as_param(p) for p in params]
        names = tuple(p.name or f"param{i}" for i, p in enumerate(params))
        task = SimulationTask(name, fn, sum_stat, tuple(observed.shape), names)
        n_stats = np.asarray(sum_stat(observed)).size
        epsilon = _check_epsilon(name, epsilon, n_stats)
        if distance == "kullback_leibler":
            if sum_stat is not _identity:
                raise ValueError(f"Simulator {name!r}: distance='kullback_leibler' needs sum_stat='identity'")
            _KullbackLeibler(observed, name)  # validates the data up front
        if isinstance(epsilon, AdaptiveEpsilon) and distance not in ("gaussian", "laplace"):
            raise ValueError(
                f"Simulator {name!r}: an AdaptiveEpsilon needs distance='gaussian' (Euclidean) or "
                f"'laplace' (sum of absolute differences), got {distance!r}"
            )
        spec = SimulatorSpec(task, distance, epsilon)
        op = SimulatorRV(spec, _signature(params, observed.shape), name=f"simulator_{name}")
        rv = random_variable(op, *params)
        rv.tag.credo_dist = DistInfo(cls, tuple(params), (("spec", spec),))
        return rv

    @staticmethod
    def logp(value, *params, spec: SimulatorSpec):
        return SimulatorLogp(spec.task.name)(value, *params)


def simulator_rvs(model: Model) -> list[ObservedRV]:
    """Observed variables of ``model`` defined by a `Simulator`, in model order."""
    return [o for o in model.observed_rvs if o.info.cls is Simulator]


def model_has_simulator(model: Model | None = None) -> bool:
    """True if ``model`` has a `Simulator` (its likelihood cannot be evaluated or differentiated).

    NUTS and other gradient-based samplers should refuse such a model; `cr.sample_smc` handles it.
    """
    return bool(simulator_rvs(modelcontext(model)))


# -- pseudo-likelihood used by sample_smc ------------------------------------------------------------
class _KullbackLeibler:
    """Nearest-neighbour KL estimate between observed and simulated samples (Pérez-Cruz 2008)."""

    def __init__(self, observed: np.ndarray, name: str):
        from scipy.spatial import cKDTree

        obs = observed.reshape(observed.shape[0], -1) if observed.ndim else observed.reshape(1, 1)
        n, d = obs.shape
        if n < 2:
            raise ValueError(f"Simulator {name!r}: distance='kullback_leibler' needs >= 2 observed points")
        rho, _ = cKDTree(obs).query(obs, 2)
        if np.any(rho[:, 1] == 0):
            raise ValueError(
                f"Simulator {name!r}: distance='kullback_leibler' needs continuous data without repeated "
                "points (some observed points coincide)"
            )
        self.obs, self.rho, self.d_n, self.log_r = obs, rho[:, 1], d / n, np.log(n / (n - 1))

    def __call__(self, epsilon, sim: np.ndarray) -> float:
        from scipy.spatial import cKDTree

        nu, _ = cKDTree(sim.reshape(self.obs.shape[0], -1)).query(self.obs, 1)
        with np.errstate(divide="ignore"):
            return float(self.d_n * np.sum(-np.log(nu / self.rho) / epsilon) + self.log_r)


class SimulatorLikelihood:
    """Pseudo-log-likelihood of particles from simulations, summed over a model's simulators.

    Parameters
    ----------
    model : Model
    x : TensorVariable, shape (d,)
        Flat unconstrained vector; the simulators' parameters are compiled as functions of it.

    Attributes
    ----------
    schedule : AdaptiveEpsilon or None
        Set when the (single) simulator has an adaptive tolerance; the likelihood is then minus the
        distance.

    Raises
    ------
    ValueError
        If an adaptive tolerance is combined with other simulators, observed variables or potentials.
    """

    def __init__(self, model: Model, x):
        sims = simulator_rvs(model)
        self.specs: list[SimulatorSpec] = [dict(o.info.kwargs)["spec"] for o in sims]
        obs = observed_data(model)
        self.observed = [np.asarray(obs[o.name], dtype=np.float64) for o in sims]
        self.obs_stats = [
            np.asarray(spec.task.sum_stat(v), dtype=np.float64).ravel()
            for spec, v in zip(self.specs, self.observed)
        ]
        self.kl = [
            _KullbackLeibler(v, s.task.name) if s.distance == "kullback_leibler" else None
            for s, v in zip(self.specs, self.observed)
        ]
        adaptive = [s for s in self.specs if isinstance(s.epsilon, AdaptiveEpsilon)]
        self.schedule = adaptive[0].epsilon if adaptive else None
        if adaptive and (len(model.observed_rvs) > 1 or model.potentials):
            raise ValueError(
                f"Simulator {adaptive[0].task.name!r} has an AdaptiveEpsilon: the model must have no other "
                "observed variables or potentials (their likelihood cannot follow a tolerance schedule)"
            )
        self.n_params = [len(o.info.params) for o in sims]
        graphs = model.replace_rvs([p for o in sims for p in o.info.params])
        graphs = freeze_data(list(graph_replace(graphs, flat_replacements(model, x), strict=False)))
        self._params_fn = compile_numba([x], graphs)[0] if graphs else None

    def check_executor(self, executor: Executor) -> None:
        """Raise TypeError if a simulator cannot be sent to the worker processes of ``executor``.

        Only `concurrent.futures.ProcessPoolExecutor` is checked (it pickles with `pickle`; Dask uses
        cloudpickle, which also handles closures and lambdas).
        """
        if not isinstance(executor, ProcessPoolExecutor):
            return
        for spec in self.specs:
            try:
                pickle.dumps(spec.task)
            except Exception as err:
                raise TypeError(
                    f"Simulator {spec.task.name!r}: its fn or sum_stat cannot be pickled for a "
                    f"ProcessPoolExecutor ({err}); define them at module level, or use a thread pool"
                ) from err

    def params(self, x: np.ndarray) -> list[list[np.ndarray]]:
        """Parameter values of each simulator at each particle: ``[sim][param] -> (n, *shape)``."""
        rows = [self._params_fn(row) for row in x] if self._params_fn is not None else [()] * len(x)
        rows = [r if isinstance(r, tuple | list) else (r,) for r in rows]
        flat = [np.stack([np.asarray(r[k]) for r in rows]) for k in range(sum(self.n_params))]
        out, start = [], 0
        for k in self.n_params:
            out.append(flat[start : start + k])
            start += k
        return out

    def __call__(self, x: np.ndarray, seed: np.random.SeedSequence, executor: Executor) -> np.ndarray:
        """Log pseudo-likelihood of each particle of ``x`` (shape (n, d)) -> shape (n,)."""
        params = self.params(x)
        slices = chunk_slices(x.shape[0])
        total = np.zeros(x.shape[0])
        children = seed.spawn(len(self.specs))
        for spec, p, obs_stat, kl, child in zip(self.specs, params, self.obs_stats, self.kl, children):
            chunks = [(spec.task, [v[s] for v in p], s.stop - s.start) for s in slices]
            stats = np.concatenate(map_chunks(executor, simulate_chunk, chunks, seed=child))
            total += self._loglike(spec, obs_stat, stats, kl)
        return total

    @staticmethod
    def _loglike(spec: SimulatorSpec, obs_stat: np.ndarray, stats: np.ndarray, kl) -> np.ndarray:
        if stats.shape[1] != obs_stat.shape[0]:
            raise SamplingError(
                f"simulator {spec.task.name!r}: sum_stat gives {stats.shape[1]} values for simulated data "
                f"but {obs_stat.shape[0]} for the observed data"
            )
        diff = stats - obs_stat
        if isinstance(spec.epsilon, AdaptiveEpsilon):
            if spec.distance == "gaussian":
                return -np.sqrt(np.sum(diff * diff, axis=1))
            return -np.sum(np.abs(diff), axis=1)
        eps = spec.epsilon
        if spec.distance == "gaussian":
            return -0.5 * np.sum((diff / eps) ** 2, axis=1)
        if spec.distance == "laplace":
            return -np.sum(np.abs(diff / eps), axis=1)
        if spec.distance == "kullback_leibler":
            return np.array([kl(eps, s) for s in stats])
        return np.array([float(np.sum(spec.distance(eps, obs_stat, s))) for s in stats])
