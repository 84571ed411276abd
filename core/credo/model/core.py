"""The `Model`: a container of named random variables whose joint log-density is one PyTensor graph.

Free variables get a value variable on the unconstrained space (named ``<name>_<transform>__`` like
PyMC); observed ones are tied to their data; deterministics and potentials are named graphs. The
joint log-density (``Model.logp``) substitutes values for every random variable, adds the
log-Jacobians of the transforms and is what samplers compile (see `credo.model.compile`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.compile.mode import Mode
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.replace import graph_replace
from pytensor.graph.traversal import ancestors
from pytensor.tensor.variable import TensorVariable

from credo.distributions.base import UNSET, CheckParameterValue, DistInfo, dist_info
from credo.distributions.transforms import Transform
from credo.exceptions import DataError, ParameterValueError, SamplingError, ShapeError

__all__ = ["Model", "modelcontext", "Deterministic", "Potential", "FreeRV", "PYTHON_MODE"]

# PyTensor mode of the small functions credo evaluates in Python (initial points, shapes, data,
# forward draws): FAST_COMPILE's rewrites and Python thunks, but the Python linker, since
# FAST_COMPILE's VM linker imports PyTensor's C VM, which on an empty compile directory first builds
# it with the C compiler (~1 s of a first `cr.sample`)
PYTHON_MODE = Mode(linker="py", optimizer="fast_compile")

_context = threading.local()


def _stack() -> list[Model]:
    if not hasattr(_context, "stack"):
        _context.stack = []
    return _context.stack


def modelcontext(model: Model | None) -> Model:
    """Return ``model`` or, if None, the innermost model of the ``with`` stack.

    Raises
    ------
    TypeError
        If ``model`` is None and no model is active.
    """
    if model is not None:
        return model
    stack = _stack()
    if not stack:
        raise TypeError(
            "no model on the context stack: create variables inside `with cr.Model():`"
            " or pass model=..."
        )
    return stack[-1]


@dataclass
class FreeRV:
    """A free random variable and its value variables.

    ``value`` is the unconstrained input of the log-density (shape ``ushape``); ``constrained`` is the
    graph giving the variable's value on its support from ``value``.
    """

    rv: TensorVariable
    name: str
    info: DistInfo
    transform: Transform | None
    value: TensorVariable
    constrained: TensorVariable
    shape: tuple[int, ...]
    ushape: tuple[int, ...]
    initval: Any = None
    start: Any = None

    @property
    def value_name(self) -> str:
        return self.value.name

    @property
    def discrete(self) -> bool:
        return self.rv.dtype.startswith("int") or self.rv.dtype == "bool"


@dataclass
class ObservedRV:
    """An observed random variable: its data tensor (constant or `cr.Data`) and the imputed part."""

    rv: TensorVariable
    name: str
    info: DistInfo
    data: TensorVariable
    imputed: FreeRV | None = None


@dataclass
class Model:
    """A probabilistic model: use as a context manager and create variables inside it.

    Parameters
    ----------
    coords : dict of str to sequence, optional
        Coordinate values per dimension name; ``dims=`` of variables refers to these names.
    name : str, optional
        Model name, used in reports.

    Examples
    --------
    >>> import credo as cr
    >>> with cr.Model(coords={"school": list("ABCDEFGH")}) as model:
    ...     mu = cr.Normal("mu", 0, 5)
    """

    coords: dict[str, Sequence] = field(default_factory=dict)
    name: str = ""

    def __post_init__(self) -> None:
        self.coords = {k: tuple(np.asarray(v).tolist()) for k, v in dict(self.coords).items()}
        self.free_rvs: list[FreeRV] = []
        self.observed_rvs: list[ObservedRV] = []
        self.deterministics: list[TensorVariable] = []
        self.potentials: list[TensorVariable] = []
        self.data_vars: dict[str, SharedVariable] = {}
        self.named_vars: dict[str, TensorVariable] = {}
        self.named_vars_to_dims: dict[str, tuple[str | None, ...]] = {}
        self.citation_keys: set[str] = set()

    # -- context -------------------------------------------------------------------------------------
    def __enter__(self) -> Model:
        _stack().append(self)
        return self

    def __exit__(self, *exc) -> None:
        _stack().pop()

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other) -> bool:
        return self is other

    def __getitem__(self, name: str) -> TensorVariable:
        try:
            return self.named_vars[name]
        except KeyError:
            raise KeyError(f"model has no variable named {name!r}") from None

    def add_citations(self, *keys: str) -> None:
        """Record citation keys of the components used in this model."""
        self.citation_keys.update(keys)

    # -- dims and data -------------------------------------------------------------------------------
    def add_coord(self, name: str, values: Sequence) -> None:
        """Add (or replace) the coordinate values of dimension ``name``."""
        self.coords[name] = tuple(np.asarray(values).tolist())

    def normalize_dims(self, dims) -> tuple[str | None, ...] | None:
        if dims is None:
            return None
        if isinstance(dims, str):
            return (dims,)
        return tuple(dims)

    def shape_from_dims(self, name: str, dims, observed=None) -> tuple[int, ...]:
        """Shape implied by ``dims``; unknown dims take their length from ``observed``."""
        obs_shape = self.observed_shape(observed) if observed is not None else None
        shape = []
        for i, dim in enumerate(dims):
            if dim in self.coords:
                shape.append(len(self.coords[dim]))
            elif obs_shape is not None and i < len(obs_shape):
                self.add_coord(dim, range(obs_shape[i]))
                shape.append(obs_shape[i])
            else:
                raise ShapeError(
                    f"variable {name!r}: dim {dim!r} has no coords; pass coords={{{dim!r}: ...}}"
                    " to cr.Model or give shape="
                )
        return tuple(shape)

    @staticmethod
    def observed_shape(observed) -> tuple[int, ...]:
        if isinstance(observed, SharedVariable):
            return tuple(observed.get_value().shape)
        if isinstance(observed, np.ndarray):
            return tuple(observed.shape)
        return tuple(int(d) for d in observed.type.shape)

    def prepare_observed(self, name: str, observed, dims=None, impute: bool = False):
        """Turn ``observed`` into a tensor, rejecting NaN unless ``impute``."""
        if isinstance(observed, SharedVariable):
            return observed
        if isinstance(observed, TensorVariable):
            raise TypeError(
                f"observed data of {name!r} must be data (array, pandas, cr.Data), not a graph"
            )
        if hasattr(observed, "to_numpy"):
            observed = observed.to_numpy()
        arr = np.asarray(observed)
        if arr.dtype == object:
            raise DataError(f"observed data of {name!r} is not numeric: {observed!r}")
        if arr.dtype.kind == "f":
            bad = np.isnan(arr)
            if bad.any():
                if impute:
                    return np.ma.masked_array(arr, mask=bad)
                first = tuple(int(i) for i in np.argwhere(bad)[0])
                idx = first[0] if len(first) == 1 else first
                raise DataError(
                    f"observed data of {name!r} contain NaN at index {idx} ({int(bad.sum())} NaN"
                    " in total); remove them or pass impute=True to treat them as missing values"
                )
            if np.isinf(arr).any():
                first = tuple(int(i) for i in np.argwhere(np.isinf(arr))[0])
                raise DataError(f"observed data of {name!r} contain inf at index {first}")
        return pt.as_tensor_variable(arr)

    def _check_name(self, name: str) -> None:
        if name in self.named_vars:
            raise ValueError(f"variable name {name!r} is already used in this model")

    def _add_named(self, var, name: str, dims) -> None:
        self._check_name(name)
        var.name = name
        self.named_vars[name] = var
        if dims is not None:
            self.named_vars_to_dims[name] = tuple(dims)

    # -- registration --------------------------------------------------------------------------------
    def register_rv(
        self, rv, name: str, *, observed=None, dims=None, transform=UNSET, initval=None
    ) -> TensorVariable:
        """Add a random variable made by ``Distribution.dist`` as free or observed variable ``name``."""
        info = dist_info(rv)
        self._check_name(name)
        self.add_citations(*info.cls.cite)
        if isinstance(observed, np.ma.MaskedArray):
            rv = self._register_imputed(rv, name, info, observed, dims, transform)
        elif observed is not None:
            data = observed
            self._check_observed_shape(name, rv, data)
            if data.dtype != rv.dtype and not isinstance(data, SharedVariable):
                data = pt.cast(data, rv.dtype)
            self.observed_rvs.append(ObservedRV(rv, name, info, data))
        else:
            self.free_rvs.append(self._make_free(rv, name, info, transform, initval))
        self._add_named(rv, name, dims)
        self._check_dims(name, rv, dims)
        return rv

    def _make_free(self, rv, name, info, transform, initval) -> FreeRV:
        if transform is UNSET:
            transform = info.get_transform()
        shape = self._concrete_shape(name, rv)
        if transform is None:
            ushape = shape
            value = pt.tensor(dtype=rv.dtype, shape=shape, name=name)
            constrained = value
        else:
            ushape = tuple(transform.unconstrained_shape(shape))
            value = pt.tensor(dtype="float64", shape=ushape, name=f"{name}_{transform.name}__")
            constrained = transform.backward(value)
        if initval is not None:
            initval = np.broadcast_to(np.asarray(initval, dtype=rv.dtype), shape)
        return FreeRV(rv, name, info, transform, value, constrained, shape, ushape, initval)

    def _register_imputed(self, rv, name, info, masked, dims, transform) -> TensorVariable:
        mask = np.ma.getmaskarray(masked)
        missing = np.nonzero(mask)
        n_missing = int(mask.sum())
        if transform is UNSET:
            transform = info.get_transform()
        if transform is not None and transform.ndim_supp:
            raise ValueError(f"cannot impute missing values of {name!r}: not an elementwise density")
        vname = f"{name}_unobserved"
        if transform is None:
            value = pt.tensor(dtype=rv.dtype, shape=(n_missing,), name=vname)
            constrained = value
        else:
            value = pt.tensor(dtype="float64", shape=(n_missing,), name=f"{vname}_{transform.name}__")
            constrained = transform.backward(value)
            constrained.name = vname
        start = pt.broadcast_to(info.support_point(rv), rv.shape)[missing]
        # the missing entries have no density of their own: it comes with the observed term
        free = FreeRV(
            constrained, vname, None, transform, value, constrained, (n_missing,), (n_missing,),
            start=start,
        )
        self._check_name(vname)
        self.free_rvs.append(free)
        self.named_vars[vname] = constrained
        filled = pt.as_tensor_variable(masked.filled(0).astype(rv.dtype))
        data = pt.set_subtensor(filled[missing], constrained)
        self.observed_rvs.append(ObservedRV(rv, name, info, data, imputed=free))
        return rv

    def _concrete_shape(self, name, rv) -> tuple[int, ...]:
        static = tuple(rv.type.shape)
        if all(d is not None for d in static):
            return tuple(int(d) for d in static)
        try:
            return tuple(int(d) for d in rv.shape.eval(mode=PYTHON_MODE))
        except Exception as err:  # symbolic sizes that depend on other random variables
            raise ShapeError(
                f"cannot determine the shape of free variable {name!r}: give shape= or dims="
            ) from err

    def _check_observed_shape(self, name, rv, data) -> None:
        got = tuple(rv.type.shape)
        want = self.observed_shape(data)
        if len(got) != len(want) or any(g is not None and g != w for g, w in zip(got, want)):
            if not (isinstance(data, SharedVariable) and len(got) == len(want)):
                raise ShapeError(
                    f"variable {name!r}: distribution shape {got} does not match observed data"
                    f" shape {want}"
                )

    def _check_dims(self, name, var, dims) -> None:
        if dims is None:
            return
        if len(dims) != var.type.ndim:
            raise ShapeError(
                f"variable {name!r} has {var.type.ndim} dimensions but dims={tuple(dims)}"
            )

    def register_deterministic(self, var, name: str, dims=None) -> TensorVariable:
        var = pt.as_tensor_variable(var)
        if var.name is not None or var.owner is None:
            var = var.copy()
        self._add_named(var, name, dims)
        self._check_dims(name, var, dims)
        self.deterministics.append(var)
        return var

    def register_potential(self, var, name: str) -> TensorVariable:
        var = pt.as_tensor_variable(var)
        if var.name is not None or var.owner is None:
            var = var.copy()
        self._add_named(var, name, None)
        self.potentials.append(var)
        return var

    def register_data(self, name: str, var: SharedVariable, dims=None) -> None:
        self._add_named(var, name, dims)
        self.data_vars[name] = var

    # -- log-density ---------------------------------------------------------------------------------
    @property
    def value_vars(self) -> list[TensorVariable]:
        """Unconstrained value variables of the free variables, in model order."""
        return [f.value for f in self.free_rvs]

    def rv_replacements(self) -> dict:
        """Map each random variable to its value: constrained graph of free ones, data of observed."""
        reps = {}
        for f in self.free_rvs:
            if f.info is None:
                continue
            value = f.constrained
            # a transform's bounds may depend on earlier variables (Stan's `upper=1 - alpha1`);
            # graph_replace does not look inside replacement graphs, so resolve those first
            if reps and any(a in reps for a in ancestors([value])):
                value = graph_replace(value, reps, strict=False)
            reps[f.rv] = value
        reps.update({o.rv: o.data for o in self.observed_rvs})
        return reps

    def _terms(self, jacobian: bool) -> list[tuple[str, TensorVariable]]:
        terms = []
        for f in self.free_rvs:
            if f.info is None:  # imputed values: density comes with the observed term
                if jacobian and f.transform is not None:
                    terms.append((f.name, pt.sum(f.transform.log_jac_det(f.value))))
                continue
            term = pt.sum(f.info.logp(f.constrained))
            if jacobian and f.transform is not None:
                term = term + pt.sum(f.transform.log_jac_det(f.value))
            terms.append((f.name, term))
        for o in self.observed_rvs:
            terms.append((o.name, pt.sum(o.info.logp(o.data))))
        for p in self.potentials:
            terms.append((p.name, pt.sum(p)))
        return terms

    def logp_terms(self, jacobian: bool = True, checks: str = "switch") -> dict[str, TensorVariable]:
        """Per-variable log-density graphs (summed) in terms of the value variables.

        Parameters
        ----------
        jacobian : bool
            Include the log-Jacobian of each transform.
        checks : {"switch", "raise"}
            How parameter-domain checks behave: -inf (for samplers) or `ParameterValueError`.
        """
        names, graphs = zip(*self._terms(jacobian), strict=True) if self._terms(False) else ((), ())
        graphs = self.replace_rvs(list(graphs))
        if checks == "switch":
            graphs = replace_parameter_checks(graphs)
        return dict(zip(names, graphs, strict=True))

    def replace_rvs(self, graphs: list) -> list:
        """Substitute values for all random variables in ``graphs``."""
        if not graphs:
            return []
        return list(graph_replace(graphs, self.rv_replacements(), strict=False))

    def logp(self, vars=None, jacobian: bool = True, sum: bool = True) -> TensorVariable:
        """Joint log-density graph on the unconstrained space.

        Parameters
        ----------
        vars : list of str or variables, optional
            Restrict to these variables' terms (default all, potentials included).
        jacobian : bool
            Include the log-Jacobians of the transforms (True for sampling).
        sum : bool
            Sum the terms (True) or return the list of per-variable terms.
        """
        terms = self.logp_terms(jacobian=jacobian)
        if vars is not None:
            wanted = {v if isinstance(v, str) else v.name for v in vars}
            unknown = wanted - set(terms)
            if unknown:
                raise KeyError(f"no log-density terms for {sorted(unknown)}")
            terms = {k: v for k, v in terms.items() if k in wanted}
        if not sum:
            return list(terms.values())
        return pt.add(*terms.values()) if terms else pt.constant(0.0)

    def varlogp(self, jacobian: bool = True) -> TensorVariable:
        """Log-density of the free variables (the prior, for SMC tempering)."""
        names = [f.name for f in self.free_rvs if f.info is not None or jacobian]
        return self.logp(vars=names, jacobian=jacobian) if names else pt.constant(0.0)

    def observedlogp(self) -> TensorVariable:
        """Log-likelihood: observed terms plus potentials."""
        names = [o.name for o in self.observed_rvs] + [p.name for p in self.potentials]
        return self.logp(vars=names) if names else pt.constant(0.0)

    def logp_elemwise(self, name: str) -> TensorVariable:
        """Pointwise log-likelihood of observed variable ``name`` (for ``log_likelihood`` groups)."""
        obs = {o.name: o for o in self.observed_rvs}
        if name not in obs:
            raise KeyError(f"{name!r} is not an observed variable")
        (graph,) = self.replace_rvs([obs[name].info.logp(obs[name].data)])
        (graph,) = replace_parameter_checks([graph])
        return graph

    # -- points --------------------------------------------------------------------------------------
    def initial_point(self, random_seed=None, jitter: float = 0.0) -> dict[str, np.ndarray]:
        """Initial values of the unconstrained value variables, by value name.

        Each free variable starts at its distribution's support point (or ``initval``), computed from
        the parents' initial values; ``jitter > 0`` adds Uniform(-jitter, jitter) noise on the
        unconstrained space (``init="jitter+adapt_diag"``), drawn from ``random_seed``.
        """
        sp_map: dict = {}
        outputs = []
        for f in self.free_rvs:
            if f.initval is not None:
                sp = pt.as_tensor_variable(f.initval)
            elif f.start is not None:
                sp = f.start
            else:
                sp = f.info.support_point(f.rv)
                sp = pt.broadcast_to(sp, f.shape)
            sp = graph_replace(sp, sp_map, strict=False) if sp_map else sp
            sp_map[f.rv] = sp
            out = sp if f.transform is None else f.transform.forward(sp)
            outputs.append(out)
        if not outputs:
            return {}
        outputs = graph_replace(outputs, sp_map, strict=False)
        fn = pytensor.function([], outputs, mode=PYTHON_MODE, on_unused_input="ignore")
        values = [np.asarray(v, dtype=f.value.dtype) for v, f in zip(fn(), self.free_rvs)]
        if jitter:
            rng = np.random.default_rng(random_seed)
            values = [
                v + rng.uniform(-jitter, jitter, size=v.shape) if f.transform or not f.discrete else v
                for v, f in zip(values, self.free_rvs)
            ]
        return {f.value_name: v.reshape(f.ushape) for f, v in zip(self.free_rvs, values)}

    def point_logps(self, point: dict | None = None) -> dict[str, float]:
        """Log-density of each variable at ``point`` (unconstrained value names; default initial).

        Parameter-domain violations give -inf here; `check_start_vals` says why.
        """
        point = self.initial_point() if point is None else point
        terms = self.logp_terms(jacobian=True, checks="switch")
        fn = pytensor.function(
            self.value_vars, list(terms.values()), mode=PYTHON_MODE, on_unused_input="ignore"
        )
        values = fn(*[point[v.name] for v in self.value_vars])
        return {k: float(v) for k, v in zip(terms, values)}

    def check_start_vals(self, point: dict) -> None:
        """Raise `SamplingError` naming every variable whose logp at ``point`` is -inf or NaN.

        The message gives the failed parameter condition (`ParameterValueError`) where there is one,
        and the offending values.
        """
        missing = [v.name for v in self.value_vars if v.name not in point]
        if missing:
            raise SamplingError(f"initial point lacks values for {missing}")
        for v in self.value_vars:
            arr = np.asarray(point[v.name])
            if not np.all(np.isfinite(arr)):
                raise SamplingError(f"initial value of {v.name!r} is not finite: {arr}")
        logps = self.point_logps(point)
        bad = {k: v for k, v in logps.items() if not np.isfinite(v)}
        if not bad:
            return
        raising = self.logp_terms(jacobian=True, checks="raise")
        lines = []
        for name, value in bad.items():
            reason = "value outside the support of its distribution"
            try:
                pytensor.function(
                    self.value_vars, raising[name], mode=PYTHON_MODE, on_unused_input="ignore"
                )(*[point[v.name] for v in self.value_vars])
            except ParameterValueError as err:
                reason = f"ParameterValueError: {err}"
            lines.append(f"  {name}: logp = {value} ({reason})")
        raise SamplingError(
            "the initial point has non-finite log-density for:\n"
            + "\n".join(lines)
            + "\nat point: "
            + ", ".join(f"{k}={np.round(np.asarray(v), 4).tolist()}" for k, v in point.items())
        )

    # -- reporting -----------------------------------------------------------------------------------
    def summary(self) -> str:
        """Text description of the model graph: each variable, its distribution, shape and parents."""
        from credo.model.graph import model_summary

        return model_summary(self)

    def __repr__(self) -> str:
        return self.summary()


def replace_parameter_checks(graphs: list) -> list:
    """Replace `CheckParameterValue` nodes by ``switch(all(conds), value, -inf)``."""
    checks = [
        v
        for v in ancestors(graphs)
        if v.owner is not None and isinstance(v.owner.op, CheckParameterValue)
    ]
    if not checks:
        return list(graphs)
    reps = {}
    for out in checks:
        value, *conds = out.owner.inputs
        cond = pt.all(pt.stack([pt.all(c) for c in conds])) if len(conds) > 1 else conds[0]
        reps[out] = pt.switch(cond, value, -np.inf)
    # nested checks: replace repeatedly until none are left
    new = list(graph_replace(graphs, reps, strict=False))
    return replace_parameter_checks(new)


def Deterministic(name: str, var, dims=None, model: Model | None = None) -> TensorVariable:
    """A named deterministic quantity recorded in the posterior.

    Parameters
    ----------
    name : str
        Name in the model and in the `InferenceData`.
    var : tensor_like
        Graph of other model variables.
    dims : str or tuple of str, optional
        Dimension names from the model's coords.
    """
    model = modelcontext(model)
    return model.register_deterministic(var, name, model.normalize_dims(dims))


def Potential(name: str, var, model: Model | None = None) -> TensorVariable:
    """An arbitrary term added to the model's log-density (summed if not scalar)."""
    model = modelcontext(model)
    return model.register_potential(var, name)
