"""Truncated and censored versions of univariate distributions with a closed-form ``logcdf``.

``Truncated(dist, lower, upper)`` renormalises the density to ``[lower, upper]``;
``Censored(dist, lower, upper)`` puts the tail probabilities as point masses on the bounds (a value
recorded at a detection limit). For discrete distributions the mass below ``lower`` is
``P(X <= lower - 1)``. A bound that is ``None`` (or a constant infinity) drops out of the graph.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.raise_op import Assert

from credo.distributions import transforms
from credo.distributions.base import Distribution, as_param, check_parameters, dist_info

__all__ = ["Truncated", "Censored"]


def _wrap(cls, dist, lower, upper, kwargs):
    """Build ``cls`` (Truncated or Censored) around the univariate ``dist`` with bounds."""
    info = dist_info(dist)
    name = cls.__name__
    if info.cls.ndim_supp != 0:
        raise NotImplementedError(f"{name} supports univariate distributions only, got {info.cls.__name__}")
    if info.cls.logcdf is None:
        raise NotImplementedError(f"{name}({info.cls.__name__}): the distribution has no closed-form logcdf")
    lower, upper = _bounds(lower, upper)
    static = {"base": info.cls, "base_kwargs": info.kwargs}
    return cls._make([lower, upper, *info.params], kwargs=static, **kwargs)


def _has(bound, sign: int) -> bool:
    return not transforms._is_constant_inf(bound, sign)


def _bounds(lower, upper):
    return as_param(-np.inf if lower is None else lower), as_param(np.inf if upper is None else upper)


def _discrete(base) -> bool:
    return base.dtype.startswith("int")


def _log_mass(base, kw, params, lower, upper):
    """``log P(lower <= X <= upper)`` with the bounds known to be infinite left out."""
    below = lower - 1 if _discrete(base) else lower
    has_lower, has_upper = _has(lower, -1), _has(upper, +1)
    if has_upper:
        log_upper = base.logcdf(upper, *params, **kw)
    if has_lower and has_upper:
        return log_upper + pt.log1mexp(base.logcdf(below, *params, **kw) - log_upper)
    if has_upper:
        return log_upper
    if has_lower:
        return pt.log1mexp(base.logcdf(below, *params, **kw))
    return pt.zeros_like(lower)


class Truncated(Distribution):
    """A univariate distribution restricted to ``[lower, upper]`` and renormalised.

    Parameters
    ----------
    dist : TensorVariable
        Unnamed univariate distribution with a closed-form logcdf, e.g. ``cr.Gamma.dist(2, 1)``.
    lower, upper : tensor_like, optional
        Bounds (inclusive); None for no bound.

    Notes
    -----
    Forward sampling draws from ``dist`` and keeps the first draw inside the bounds, out of enough
    draws that all fail with probability below 1e-12; an acceptance probability below 1e-4 raises
    ``AssertionError`` when drawing. Use `TruncatedNormal` for a normal far in its tails.
    """

    @classmethod
    def dist(cls, dist, lower=None, upper=None, **kwargs):
        return _wrap(cls, dist, lower, upper, kwargs)

    @staticmethod
    def logp(value, lower, upper, *params, base=None, base_kwargs=()):
        kw = dict(base_kwargs)
        res = base.logp(value, *params, **kw) - _log_mass(base, kw, params, lower, upper)
        res = pt.switch((value >= lower) & (value <= upper), res, -np.inf)
        return check_parameters(res, lower <= upper, msg="lower <= upper")

    @staticmethod
    def logcdf(value, lower, upper, *params, base=None, base_kwargs=()):
        kw = dict(base_kwargs)
        inside = _log_mass(base, kw, params, lower, pt.clip(value, lower, upper))
        res = inside - _log_mass(base, kw, params, lower, upper)
        res = pt.switch(value < lower, -np.inf, pt.switch(value >= upper, 0.0, res))
        return check_parameters(res, lower <= upper, msg="lower <= upper")

    @classmethod
    def rv_graph(cls, lower, upper, *params, size=None, rng=None, base=None, base_kwargs=()):
        kw = dict(base_kwargs)
        batch = tuple(pt.broadcast_shape(lower, upper, *params)) if size is None else tuple(size)
        accept = pt.exp(_log_mass(base, kw, params, lower, upper))
        accept = Assert("Truncated: acceptance probability below 1e-4; rejection sampling would not end")(
            accept, pt.all(accept >= 1e-4)
        )
        n_try = pt.max(pt.ceil(np.log(1e-12) / pt.log1p(-pt.minimum(accept, 1.0 - 1e-16))))
        n_try = pt.maximum(n_try, 1).astype("int64")
        draws = base.rv_graph(*params, size=(n_try, *batch), rng=rng, **kw)
        inside = (draws >= lower) & (draws <= upper)
        first = pt.argmax(inside, axis=0)
        # the all-fail case (probability < 1e-12) is clipped into the bounds rather than left outside
        return pt.clip(pt.take_along_axis(draws, first[None], axis=0)[0], lower, upper).astype(draws.dtype)

    @classmethod
    def get_transform(cls, lower, upper, *params, base=None, base_kwargs=()):
        return None if _discrete(base) else transforms.bounded(lower, upper)

    @classmethod
    def support_point(cls, rv, lower, upper, *params, base=None, base_kwargs=()):
        sp = base.support_point(rv, *params, **dict(base_kwargs))
        if _discrete(base):
            return pt.clip(sp, lower, upper).astype(rv.dtype)
        mid = (lower + upper) / 2.0
        sp = pt.switch(sp <= lower, pt.switch(pt.isinf(upper), lower + 1.0, mid), sp)
        sp = pt.switch(sp >= upper, pt.switch(pt.isinf(lower), upper - 1.0, mid), sp)
        return pt.broadcast_to(sp, rv.shape)


class Censored(Distribution):
    """A univariate distribution clipped to ``[lower, upper]``: tail probabilities sit on the bounds.

    ``logp(lower) = log P(X <= lower)``, ``logp(upper) = log P(X >= upper)``, the density in between.

    Parameters
    ----------
    dist : TensorVariable
        Unnamed univariate distribution with a closed-form logcdf, e.g. ``cr.Normal.dist(0, 1)``.
    lower, upper : tensor_like, optional
        Censoring points; None for no censoring on that side.

    Notes
    -----
    Meant for observed data; as a free variable it has no transform.
    """

    @classmethod
    def dist(cls, dist, lower=None, upper=None, **kwargs):
        return _wrap(cls, dist, lower, upper, kwargs)

    @staticmethod
    def logp(value, lower, upper, *params, base=None, base_kwargs=()):
        kw = dict(base_kwargs)
        res = base.logp(value, *params, **kw)
        if _has(lower, -1):
            res = pt.switch(pt.eq(value, lower), base.logcdf(lower, *params, **kw), res)
        if _has(upper, +1):
            below = upper - 1 if _discrete(base) else upper
            res = pt.switch(pt.eq(value, upper), pt.log1mexp(base.logcdf(below, *params, **kw)), res)
        res = pt.switch((value >= lower) & (value <= upper), res, -np.inf)
        return check_parameters(res, lower <= upper, msg="lower <= upper")

    @staticmethod
    def logcdf(value, lower, upper, *params, base=None, base_kwargs=()):
        res = base.logcdf(value, *params, **dict(base_kwargs))
        res = pt.switch(value < lower, -np.inf, pt.switch(value >= upper, 0.0, res))
        return check_parameters(res, lower <= upper, msg="lower <= upper")

    @classmethod
    def rv_graph(cls, lower, upper, *params, size=None, rng=None, base=None, base_kwargs=()):
        if size is None:  # bounds may vary per element: each element needs its own draw
            size = tuple(pt.broadcast_shape(lower, upper, *params))
        draws = base.rv_graph(*params, size=size, rng=rng, **dict(base_kwargs))
        return pt.clip(draws, lower, upper).astype(draws.dtype)

    @classmethod
    def support_point(cls, rv, lower, upper, *params, base=None, base_kwargs=()):
        sp = base.support_point(rv, *params, **dict(base_kwargs))
        return pt.broadcast_to(pt.clip(sp, lower, upper), rv.shape).astype(rv.dtype)
