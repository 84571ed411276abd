"""Finite mixtures of univariate distributions.

``p(x) = sum_k w_k p_k(x)``, evaluated as ``logsumexp_k(log w_k + log p_k(x))``. The components are a
list of unnamed distributions, or one distribution whose last axis indexes the components (e.g.
``cr.Normal.dist(mu=[0, 5], sigma=1)``).
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor.random import basic as rb

from credo.distributions.base import Distribution, as_param, check_parameters, dist_info, random_variable

__all__ = ["Mixture"]


def _split(params, comps):
    out, i = [], 0
    for cls, n, kwargs, _ in comps:
        out.append((cls, params[i : i + n], dict(kwargs)))
        i += n
    return out


def _stack_last(tensors):
    return pt.stack(pt.broadcast_arrays(*tensors), axis=-1)


class Mixture(Distribution):
    """Mixture distribution with weights ``w``.

    Parameters
    ----------
    w : tensor_like of float, shape (..., K), each >= 0, summing to 1 along the last axis
        Mixture weights.
    comp_dists : list of K TensorVariable, or TensorVariable
        Unnamed univariate component distributions (``cr.X.dist(...)``), or one whose last axis has
        length K. Components must all be discrete or all continuous.

    Notes
    -----
    The default transform is the components' common default transform (e.g. ``log`` for positive
    components) when they share one that does not depend on parameters, else none. The weights are
    checked to sum to 1 within 1e-6.
    """

    @classmethod
    def dist(cls, w, comp_dists, **kwargs):
        stacked = not isinstance(comp_dists, list | tuple)
        dists = [comp_dists] if stacked else list(comp_dists)
        infos = [dist_info(d) for d in dists]
        if any(i.cls.ndim_supp != 0 for i in infos):
            raise NotImplementedError("Mixture supports univariate components only")
        if len({d.dtype.startswith("int") for d in dists}) != 1:
            raise TypeError("Mixture: components must be all discrete or all continuous")
        # static shapes of the components: a component's size= is not among its parameters
        shapes = [tuple(d.type.shape) for d in dists]
        if any(None in s for s in shapes):
            raise ValueError("Mixture: components need static shapes (give shape= or size= as integers)")
        comps = tuple((i.cls, len(i.params), i.kwargs, s) for i, s in zip(infos, shapes))
        params = [p for i in infos for p in i.params]
        return cls._make([as_param(w), *params], kwargs={"comps": comps, "stacked": stacked}, **kwargs)

    @classmethod
    def _check_broadcast(cls, params, size) -> None:
        pass  # component parameters may carry the component axis; rv_graph broadcasts them

    @staticmethod
    def _component_logps(method: str, value, params, comps, stacked):
        parts = _split(params, comps)
        if stacked:
            cls, p, kw = parts[0]
            return getattr(cls, method)(value[..., None], *p, **kw)
        return _stack_last([getattr(cls, method)(value, *p, **kw) for cls, p, kw in parts])

    @staticmethod
    def _weighted(res, w):
        total = pt.sum(w, axis=-1)
        return check_parameters(
            res, w >= 0, pt.abs(total - 1.0) < 1e-6, msg="w >= 0 and sum(w) = 1 along the last axis"
        )

    @staticmethod
    def logp(value, w, *params, comps=(), stacked=False):
        lps = Mixture._component_logps("logp", value, params, comps, stacked)
        return Mixture._weighted(pt.logsumexp(pt.log(w) + lps, axis=-1), w)

    @staticmethod
    def logcdf(value, w, *params, comps=(), stacked=False):
        if any(cls.logcdf is None for cls, *_ in comps):
            raise NotImplementedError("Mixture.logcdf needs a closed-form logcdf for every component")
        lcs = Mixture._component_logps("logcdf", value, params, comps, stacked)
        return Mixture._weighted(pt.logsumexp(pt.log(w) + lcs, axis=-1), w)

    @classmethod
    def rv_graph(cls, w, *params, size=None, rng=None, comps=(), stacked=False):
        parts = _split(params, comps)
        k = w.shape[-1]
        if size is None:  # every batch element needs its own component draws
            dummies = [np.zeros(shape) for *_, shape in comps]
            if stacked:
                size = tuple(pt.broadcast_shape(w, *params, *dummies))[:-1]
            else:
                size = tuple(pt.broadcast_shape(w[..., 0], *params, *dummies))
        if stacked:
            ccls, p, kw = parts[0]
            draws = ccls.rv_graph(*p, size=(*tuple(size), k), **kw)
        else:
            draws = _stack_last([ccls.rv_graph(*p, size=size, **kw) for ccls, p, kw in parts])
        weights = w + pt.zeros_like(draws, dtype="float64")
        idx = random_variable(rb.categorical, weights, rng=rng)
        return pt.take_along_axis(draws, idx[..., None], axis=-1)[..., 0]

    @classmethod
    def get_transform(cls, w, *params, comps=(), stacked=False):
        found = {id(ccls.get_transform(*p, **kw)): ccls for ccls, p, kw in _split(params, comps)}
        if len(found) != 1:
            return None
        ccls = next(iter(found.values()))
        # only a transform without parameters (log, logodds) fits the mixture's value shape
        return ccls.default_transform if id(ccls.default_transform) in found else None

    @classmethod
    def support_point(cls, rv, w, *params, comps=(), stacked=False):
        parts = _split(params, comps)
        if stacked:
            ccls, p, kw = parts[0]
            dummy = pt.zeros((*[rv.shape[i] for i in range(rv.type.ndim)], w.shape[-1]), dtype=rv.dtype)
            points = pt.broadcast_to(ccls.support_point(dummy, *p, **kw), dummy.shape)
        else:
            points = _stack_last(
                [pt.broadcast_to(c.support_point(rv, *p, **kw), rv.shape) for c, p, kw in parts]
            )
        # the support point of the heaviest component: the weighted mean may fall between modes
        best = pt.argmax(w + pt.zeros_like(points, dtype="float64"), axis=-1)
        return pt.take_along_axis(points, best[..., None], axis=-1)[..., 0].astype(rv.dtype)
