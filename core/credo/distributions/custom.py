"""`CustomDist`: a distribution from user functions (PyMC's ``CustomDist`` semantics).

The log-density is a user function of PyTensor variables, so it joins the model graph and is compiled
and differentiated with the rest. Forward sampling is either a NumPy function (``random=``, wrapped in
a PyTensor ``RandomVariable``; it runs in Python) or a symbolic graph built from other distributions
(``dist=``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor.random.op import RandomVariable

from credo.distributions.base import Distribution, as_param, random_variable, resolve_size

__all__ = ["CustomDist"]

_OPS: dict = {}  # RandomVariable Ops and ndim_supp subclasses, built once each


def _param_dtype(p) -> str:
    return "int64" if np.asarray(p).dtype.kind in "iu" else "float64"


def _no_random(*args, **kwargs):
    raise NotImplementedError(
        "this CustomDist has no random= or dist= function: it cannot be sampled forward"
    )


def _random_op(random: Callable | None, signature: str, dtype: str) -> RandomVariable:
    """A `RandomVariable` calling ``random(*params, rng=rng, size=size)`` (one Op per function)."""
    key = (random, signature, dtype)
    if key not in _OPS:
        fn = random or _no_random

        def rng_fn(self, rng, *args):
            *params, size = args
            return np.asarray(fn(*params, rng=rng, size=size), dtype=dtype)

        op_type = type(
            "CustomDistRV",
            (RandomVariable,),
            {"name": "custom_dist", "signature": signature, "dtype": dtype, "rng_fn": rng_fn},
        )
        _OPS[key] = op_type()
    return _OPS[key]


def _with_ndim_supp(cls, ndim_supp: int) -> type:
    """The subclass of `CustomDist` whose values have ``ndim_supp`` core dimensions."""
    key = (cls, ndim_supp)
    if key not in _OPS:
        _OPS[key] = type(cls.__name__, (cls,), {"ndim_supp": ndim_supp, "__doc__": cls.__doc__})
    return _OPS[key]


def _ndim_supp(signature: str) -> int:
    out = signature.split("->")[1].strip()
    inner = out[1:-1].strip()
    return 0 if not inner else len(inner.split(","))


class CustomDist(Distribution):
    """A distribution defined by a log-density function and, optionally, a sampler.

    Parameters
    ----------
    name : str
        Variable name (inside a model).
    *dist_params : tensor_like
        Parameters, passed to every function in this order (as PyTensor variables).
    logp : callable
        ``logp(value, *dist_params) -> TensorVariable``: log-density, elementwise over batch
        dimensions; use -inf outside the support and `check_parameters` for parameter domains.
    random : callable, optional
        ``random(*dist_params, rng=numpy.random.Generator, size=tuple | None) -> ndarray`` with NumPy
        parameter values; used for forward sampling (prior and posterior predictive).
    dist : callable, optional
        ``dist(*dist_params, size) -> TensorVariable``: forward sampling as a graph of credo
        distributions (``cr.X.dist(...)``), instead of ``random``.
    logcdf : callable, optional
        ``logcdf(value, *dist_params)``, enables ``cr.logcdf`` and `Truncated`/`Censored`.
    support_point : callable, optional
        ``support_point(rv, *dist_params)``: initial value with finite logp (default zeros).
    signature : str, optional
        Core dimensions of parameters and value, e.g. ``"(),()->()"`` (default: scalar parameters
        and value) or ``"(n),(n,n)->(n)"`` for a vector value.
    dtype : str
        ``"float64"`` or an integer type for discrete values.
    transform : Transform or None, optional
        Transform to the unconstrained space (only when called with a name; default none).

    Raises
    ------
    ValueError
        If neither or both of ``random`` and ``dist`` are given together, or ``logp`` is missing.
    NotImplementedError
        When drawing from a distribution without ``random``/``dist``, or asking for a missing logcdf.
    """

    @classmethod
    def dist(
        cls,
        *dist_params,
        logp: Callable | None = None,
        random: Callable | None = None,
        dist: Callable | None = None,
        logcdf: Callable | None = None,
        support_point: Callable | None = None,
        signature: str | None = None,
        dtype: str = "float64",
        shape=None,
        size=None,
        **kwargs,
    ):
        if logp is None:
            raise ValueError("CustomDist needs logp= (automatic derivation from dist= is not supported)")
        if random is not None and dist is not None:
            raise ValueError("CustomDist: give random= or dist=, not both")
        params = [
            pt.as_tensor_variable(p) if hasattr(p, "owner") else as_param(p, _param_dtype(p))
            for p in dist_params
        ]
        if signature is None:
            signature = ",".join(["()"] * len(params)) + "->()"
        static = {
            "logp_fn": logp,
            "logcdf_fn": logcdf,
            "support_point_fn": support_point,
            "random_fn": random,
            "dist_fn": dist,
            "signature": signature,
            "dtype": dtype,
        }
        ndim_supp = _ndim_supp(signature)
        size = resolve_size(shape, size, ndim_supp)
        target = cls if ndim_supp == cls.ndim_supp else _with_ndim_supp(cls, ndim_supp)
        return target._make(params, size=size, kwargs=static, **kwargs)

    @classmethod
    def _check_broadcast(cls, params, size) -> None:
        pass  # core dimensions come from the user's signature

    @classmethod
    def rv_graph(
        cls, *params, size=None, rng=None, dist_fn=None, random_fn=None, signature="", dtype="", **kw
    ):
        if dist_fn is not None:
            return pt.as_tensor_variable(dist_fn(*params, size=size))
        return random_variable(_random_op(random_fn, signature, dtype), *params, size=size, rng=rng)

    @staticmethod
    def logp(value, *params, logp_fn=None, **kw):
        return pt.as_tensor_variable(logp_fn(value, *params))

    @staticmethod
    def logcdf(value, *params, logcdf_fn=None, **kw):
        if logcdf_fn is None:
            raise NotImplementedError("this CustomDist has no logcdf=")
        return pt.as_tensor_variable(logcdf_fn(value, *params))

    @classmethod
    def support_point(cls, rv, *params, support_point_fn=None, **kw):
        if support_point_fn is None:
            return pt.zeros_like(rv)
        return pt.broadcast_to(support_point_fn(rv, *params), rv.shape).astype(rv.dtype)
