"""The `Distribution` base class: forward sampling graph + log-density + support.

A credo distribution declares what it is (STYLE.md §2): ``rv_op`` (a PyTensor ``RandomVariable`` used for
forward sampling), a static ``logp(value, *params)`` (and ``logcdf`` where closed form), its
``default_transform`` to unconstrained space and a ``support_point`` used as initial value.

Calling the class inside a model, ``cr.Normal("mu", 0, 1)``, creates a named model variable;
``cr.Normal.dist(0, 1)`` creates an unnamed one for use inside other distributions (``Mixture``,
``Truncated``) or with ``cr.logp``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pytensor.tensor as pt
from pytensor.raise_op import CheckAndRaise
from pytensor.tensor.random.variable import shared_rng
from pytensor.tensor.variable import TensorVariable

from credo.distributions import transforms
from credo.distributions.transforms import Transform
from credo.exceptions import ParameterValueError, ShapeError

__all__ = [
    "Distribution",
    "Continuous",
    "Discrete",
    "PositiveContinuous",
    "UnitContinuous",
    "BoundedContinuous",
    "DistInfo",
    "check_parameters",
    "CheckParameterValue",
    "dist_info",
    "as_param",
    "random_variable",
    "UNSET",
]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


class CheckParameterValue(CheckAndRaise):
    """Raise `ParameterValueError` when a parameter condition fails.

    Inside a model's log-density the check is replaced by ``switch(cond, logp, -inf)`` so that a sampler
    sees -inf rather than an exception; `Model.check_start_vals` evaluates the raising form to name the
    variable and the failed condition. PyTensor's Numba backend implements ``CheckAndRaise``.
    """

    def __init__(self, msg: str = ""):
        super().__init__(ParameterValueError, msg)

    def __str__(self) -> str:
        return f"Check{{{self.msg}}}"


def check_parameters(logp: TensorVariable, *conditions, msg: str = "") -> TensorVariable:
    """Wrap ``logp`` so that it is only valid when every condition holds.

    Parameters
    ----------
    logp : TensorVariable
        The log-density graph.
    *conditions : TensorVariable of bool
        Parameter conditions (e.g. ``sigma > 0``); each is reduced with ``all``.
    msg : str
        Human-readable statement of the conditions, used in the error message.
    """
    conds = [pt.all(pt.as_tensor_variable(c)) for c in conditions]
    return CheckParameterValue(msg)(logp, *conds)


def as_param(x, dtype: str = "float64") -> TensorVariable:
    """Convert a user parameter (number, array, pandas object, PyTensor variable) to a tensor."""
    if isinstance(x, TensorVariable) or hasattr(x, "type") and hasattr(x, "owner"):
        var = pt.as_tensor_variable(x)
        if dtype.startswith("float") and var.dtype != dtype:
            var = pt.cast(var, dtype)
        return var
    if hasattr(x, "to_numpy"):  # pandas Series / DataFrame
        x = x.to_numpy()
    arr = np.asarray(x)
    if arr.dtype == object:
        raise TypeError(f"cannot use {x!r} (object array) as a distribution parameter")
    if dtype.startswith("float") or arr.dtype.kind == "f":
        arr = arr.astype("float64")
    else:
        arr = arr.astype(dtype)
    return pt.as_tensor_variable(arr)


@dataclass(frozen=True)
class DistInfo:
    """What a random variable is: its distribution class, parameters and support-dimension count."""

    cls: type[Distribution]
    params: tuple[TensorVariable, ...]
    kwargs: tuple[tuple[str, Any], ...] = ()

    def logp(self, value) -> TensorVariable:
        return self.cls.logp(value, *self.params, **dict(self.kwargs))

    def logcdf(self, value) -> TensorVariable:
        return self.cls.logcdf(value, *self.params, **dict(self.kwargs))

    def get_transform(self) -> Transform | None:
        return self.cls.get_transform(*self.params, **dict(self.kwargs))

    def support_point(self, rv) -> TensorVariable:
        return self.cls.support_point(rv, *self.params, **dict(self.kwargs))


def dist_info(var) -> DistInfo:
    """The `DistInfo` of a variable made by a credo distribution; `TypeError` otherwise."""
    info = getattr(getattr(var, "tag", None), "credo_dist", None)
    if info is None:
        raise TypeError(
            f"{var} is not a credo random variable; create it with e.g. cr.Normal.dist(0, 1)"
        )
    return info


def random_variable(op, *params, size=None, rng=None, **kwargs) -> TensorVariable:
    """Draw from the PyTensor ``RandomVariable`` ``op`` with its own shared generator.

    Each node gets a fresh ``shared_rng`` unless ``rng`` is given, so forward sampling can reseed every
    generator of a graph and update each one from its own node (``node.outputs[0]``).
    """
    rng = shared_rng(seed=None) if rng is None else rng
    _, draw = op(*params, size=size, rng=rng, return_next_rng=True, **kwargs)
    return draw


def _static_shape(var) -> tuple:
    return tuple(var.type.shape)


def resolve_size(shape, size, ndim_supp: int):
    """The batch ``size`` for an RV op from PyMC-style ``shape`` (batch + support) or ``size``."""
    if shape is not None and size is not None:
        raise ShapeError(f"pass either shape={shape} or size={size}, not both")
    if shape is not None:
        if isinstance(shape, int | np.integer):
            shape = (int(shape),)
        if isinstance(shape, TensorVariable):
            return shape[: shape.shape[0] - ndim_supp] if ndim_supp else shape
        shape = tuple(shape)
        return shape[: len(shape) - ndim_supp] if ndim_supp else shape
    if isinstance(size, int | np.integer):
        return (int(size),)
    return size


class Distribution:
    """Base class of credo distributions.

    Subclasses set ``rv_op`` and implement ``dist`` (mapping user arguments to the parameter list),
    ``logp`` and ``support_point``; bounded ones set ``default_transform`` (or override
    ``get_transform`` when the transform depends on parameters).

    Parameters (when called)
    ------------------------
    name : str
        Variable name in the model.
    *args, **kwargs
        Distribution parameters; numbers, NumPy arrays, pandas Series or PyTensor variables.
    observed : array_like, optional
        Observed data; makes this a likelihood term. NaN entries raise `DataError` naming the first
        bad index unless ``impute=True``, which turns them into free variables.
    shape, size, dims : optional
        PyMC semantics: ``shape`` is the full shape, ``size`` the batch shape, ``dims`` names from the
        model's ``coords`` (they also fix the shape).
    transform : Transform or None, optional
        Override the default transform (``None`` samples on the constrained space).
    initval : array_like, optional
        Initial value on the constrained space.

    Raises
    ------
    TypeError
        Outside a ``with cr.Model():`` block.
    ShapeError
        If parameter shapes do not broadcast or disagree with ``shape``/observed data.
    """

    rv_op: ClassVar[Any] = None
    ndim_supp: ClassVar[int] = 0
    default_transform: ClassVar[Transform | None] = None
    dtype: ClassVar[str] = "float64"
    cite: ClassVar[tuple[str, ...]] = ()
    improper: ClassVar[bool] = False

    def __new__(
        cls,
        name: str,
        *args,
        observed=None,
        dims=None,
        shape=None,
        size=None,
        transform=UNSET,
        initval=None,
        impute: bool = False,
        **kwargs,
    ) -> TensorVariable:
        from credo.model.core import modelcontext

        if not isinstance(name, str):
            raise TypeError(
                f"the first argument of {cls.__name__} must be the variable name (str), got {name!r};"
                f" use {cls.__name__}.dist(...) for an unnamed distribution"
            )
        model = modelcontext(None)
        dims = model.normalize_dims(dims)
        if observed is not None:
            observed = model.prepare_observed(name, observed, dims=dims, impute=impute)
        if shape is None and size is None:
            if observed is not None:
                want = model.shape_from_dims(name, dims, observed) if dims is not None else None
                return cls._new_observed(model, name, args, kwargs, observed, dims, want, transform, initval)
            if dims is not None:
                shape = model.shape_from_dims(name, dims)
        rv = cls.dist(*args, shape=shape, size=size, **kwargs)
        return model.register_rv(
            rv, name, observed=observed, dims=dims, transform=transform, initval=initval
        )

    @classmethod
    def _new_observed(cls, model, name, args, kwargs, observed, dims, want, transform, initval):
        """Observed variable without shape: keep a parameter-driven shape when it fits the data.

        A shape that follows the parameters (e.g. a mean built from `cr.Data` predictors) lets
        `cr.set_data` change the number of rows for prediction, with or without ``dims``; otherwise
        the data (or the dims' lengths, ``want``) fix the shape.
        """
        if want is None:
            want = model.observed_shape(observed)
        try:
            rv = cls.dist(*args, **kwargs)
        except ValueError:  # only the data give the length (e.g. a time series without steps=)
            return model.register_rv(
                cls.dist(*args, shape=want, **kwargs), name, observed=observed, dims=dims,
                transform=transform, initval=initval,
            )  # fmt: skip
        static = tuple(rv.type.shape)
        fits = len(static) == len(want) and all(d is None or d == w for d, w in zip(static, want))
        if fits and any(d is None for d in static):
            try:
                fits = model._concrete_shape(name, rv) == want
            except ShapeError:
                fits = False
        if not fits:
            rv = cls.dist(*args, shape=want, **kwargs)
        return model.register_rv(rv, name, observed=observed, dims=dims, transform=transform, initval=initval)

    @classmethod
    def dist(cls, *args, **kwargs) -> TensorVariable:  # pragma: no cover - overridden
        raise NotImplementedError(f"{cls.__name__} must implement dist()")

    @classmethod
    def _make(
        cls, params, *, shape=None, size=None, rng=None, kwargs: dict | None = None
    ) -> TensorVariable:
        """Build the forward-sampling graph of ``cls`` and attach its `DistInfo`."""
        params = tuple(params)
        size = resolve_size(shape, size, cls.ndim_supp)
        cls._check_broadcast(params, size)
        rv = cls.rv_graph(*params, size=size, rng=rng, **(kwargs or {}))
        if shape is not None and not isinstance(shape, TensorVariable):
            want = (int(shape),) if isinstance(shape, int | np.integer) else tuple(shape)
            got = _static_shape(rv)
            if len(got) != len(want) or any(g is not None and g != w for g, w in zip(got, want)):
                raise ShapeError(f"{cls.__name__}: requested shape {want} but parameters give {got}")
        rv.tag.credo_dist = DistInfo(cls, params, tuple(sorted((kwargs or {}).items())))
        return rv

    @classmethod
    def _check_broadcast(cls, params, size) -> None:
        shapes = []
        for p in params:
            s = _static_shape(p)
            batch = s[: len(s) - cls.param_ndim_supp(len(shapes))] if s else s
            if any(d is None for d in batch):
                return
            shapes.append(batch)
        if size is not None and not isinstance(size, TensorVariable):
            if any(not isinstance(d, int | np.integer) for d in size):
                return
            shapes.append(tuple(int(d) for d in size))
        try:
            bshape = np.broadcast_shapes(*shapes)
        except ValueError:
            named = ", ".join(f"{s}" for s in shapes)
            raise ShapeError(
                f"{cls.__name__}: parameter shapes {named} do not broadcast"
                + (f" to size {tuple(size)}" if size is not None else "")
            ) from None
        if size is not None and tuple(bshape) != tuple(int(d) for d in size):
            raise ShapeError(
                f"{cls.__name__}: parameters of shape {bshape} do not fit size {tuple(size)}"
            )

    @classmethod
    def param_ndim_supp(cls, index: int) -> int:
        """Number of core (non-batch) dimensions of parameter ``index`` (0 for scalars)."""
        return 0

    @classmethod
    def rv_graph(cls, *params, size=None, rng=None, **kwargs) -> TensorVariable:
        """Forward-sampling graph; defaults to calling ``rv_op``."""
        return random_variable(cls.rv_op, *params, size=size, rng=rng)

    @staticmethod
    def logp(value, *params) -> TensorVariable:  # pragma: no cover - overridden
        raise NotImplementedError

    logcdf = None

    @classmethod
    def get_transform(cls, *params, **kwargs) -> Transform | None:
        """Transform to the unconstrained space for these parameter values."""
        return cls.default_transform

    @classmethod
    def support_point(cls, rv, *params, **kwargs) -> TensorVariable:
        """A point of high density used as initial value; shape of ``rv``."""
        return pt.zeros_like(rv, dtype=cls.dtype)


class Continuous(Distribution):
    """Base class of continuous distributions."""


class Discrete(Distribution):
    """Base class of discrete (integer-valued) distributions."""

    dtype = "int64"


class PositiveContinuous(Continuous):
    """Continuous on (0, inf), sampled on the log scale."""

    default_transform = transforms.log

    @classmethod
    def support_point(cls, rv, *params, **kwargs):
        return pt.ones_like(rv, dtype="float64")


class UnitContinuous(Continuous):
    """Continuous on (0, 1), sampled on the log-odds scale."""

    default_transform = transforms.logodds

    @classmethod
    def support_point(cls, rv, *params, **kwargs):
        return pt.full_like(rv, 0.5, dtype="float64")


class BoundedContinuous(Continuous):
    """Continuous on an interval given by parameters; subclasses set ``bound_params``."""

    bound_params: ClassVar[tuple[int | None, int | None]] = (None, None)

    @classmethod
    def get_transform(cls, *params, **kwargs):
        lo, hi = cls.bound_params
        return transforms.bounded(None if lo is None else params[lo], None if hi is None else params[hi])
