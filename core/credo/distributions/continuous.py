"""Continuous univariate distributions.

Every class follows the same pattern (STYLE.md §2): ``rv_op`` for forward sampling, ``dist`` mapping
the user's arguments to the parameter list, a static ``logp`` that checks parameters first and returns
-inf outside the support, ``logcdf`` where closed form, and a ``support_point`` used as initial value.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor.random import basic as rb

from credo.distributions.base import (
    Continuous,
    PositiveContinuous,
    as_param,
    check_parameters,
)

__all__ = ["Normal", "HalfNormal", "HalfCauchy", "Exponential", "Flat", "HalfFlat"]

LOG_2PI = float(np.log(2 * np.pi))
LOG_2 = float(np.log(2.0))
LOG_PI = float(np.log(np.pi))


def _sigma_from(sigma, tau, name: str = "sigma"):
    if sigma is not None and tau is not None:
        raise ValueError(f"give either {name} or tau, not both")
    if tau is not None:
        return as_param(tau) ** -0.5
    return as_param(1.0 if sigma is None else sigma)


class Normal(Continuous):
    """Normal distribution.

    Parameters
    ----------
    mu : tensor_like of float
        Mean.
    sigma : tensor_like of float, > 0
        Standard deviation (or give ``tau = 1/sigma**2``).
    """

    rv_op = rb.normal

    @classmethod
    def dist(cls, mu=0.0, sigma=None, *, tau=None, **kwargs):
        return cls._make([as_param(mu), _sigma_from(sigma, tau)], **kwargs)

    @staticmethod
    def logp(value, mu, sigma):
        z = (value - mu) / sigma
        res = -0.5 * z**2 - pt.log(sigma) - 0.5 * LOG_2PI
        return check_parameters(res, sigma > 0, msg="sigma > 0")

    @staticmethod
    def logcdf(value, mu, sigma):
        z = (value - mu) / sigma
        res = pt.switch(
            z < -1.0,
            pt.log(pt.erfcx(-z / np.sqrt(2.0)) / 2.0) - z**2 / 2.0,
            pt.log1p(-pt.erfc(z / np.sqrt(2.0)) / 2.0),
        )
        return check_parameters(res, sigma > 0, msg="sigma > 0")

    @classmethod
    def support_point(cls, rv, mu, sigma):
        return pt.broadcast_to(mu, rv.shape)


class HalfNormal(PositiveContinuous):
    """Half-normal distribution on [0, inf).

    Parameters
    ----------
    sigma : tensor_like of float, > 0
        Scale (standard deviation of the parent normal).
    """

    rv_op = rb.halfnormal

    @classmethod
    def dist(cls, sigma=None, *, tau=None, **kwargs):
        return cls._make([as_param(0.0), _sigma_from(sigma, tau)], **kwargs)

    @staticmethod
    def logp(value, loc, sigma):
        z = (value - loc) / sigma
        res = 0.5 * LOG_2 - 0.5 * LOG_PI - pt.log(sigma) - 0.5 * z**2
        res = pt.switch(value >= loc, res, -np.inf)
        return check_parameters(res, sigma > 0, msg="sigma > 0")

    @staticmethod
    def logcdf(value, loc, sigma):
        z = (value - loc) / sigma
        res = pt.switch(value >= loc, pt.log(pt.erf(z / np.sqrt(2.0))), -np.inf)
        return check_parameters(res, sigma > 0, msg="sigma > 0")

    @classmethod
    def support_point(cls, rv, loc, sigma):
        return pt.broadcast_to(loc + sigma, rv.shape)


class HalfCauchy(PositiveContinuous):
    """Half-Cauchy distribution on [0, inf).

    Parameters
    ----------
    beta : tensor_like of float, > 0
        Scale.
    """

    rv_op = rb.halfcauchy

    @classmethod
    def dist(cls, beta=1.0, **kwargs):
        return cls._make([as_param(0.0), as_param(beta)], **kwargs)

    @staticmethod
    def logp(value, loc, beta):
        res = LOG_2 - pt.log(np.pi * beta) - pt.log1p(((value - loc) / beta) ** 2)
        res = pt.switch(value >= loc, res, -np.inf)
        return check_parameters(res, beta > 0, msg="beta > 0")

    @staticmethod
    def logcdf(value, loc, beta):
        res = pt.switch(
            value >= loc, pt.log(2.0 / np.pi) + pt.log(pt.arctan((value - loc) / beta)), -np.inf
        )
        return check_parameters(res, beta > 0, msg="beta > 0")

    @classmethod
    def support_point(cls, rv, loc, beta):
        return pt.broadcast_to(loc + beta, rv.shape)


class Exponential(PositiveContinuous):
    """Exponential distribution.

    Parameters
    ----------
    lam : tensor_like of float, > 0
        Rate (or give ``scale = 1/lam``).
    """

    rv_op = rb.exponential

    @classmethod
    def dist(cls, lam=None, *, scale=None, **kwargs):
        if lam is not None and scale is not None:
            raise ValueError("give either lam or scale, not both")
        scale = 1.0 / as_param(1.0 if lam is None else lam) if scale is None else as_param(scale)
        return cls._make([scale], **kwargs)

    @staticmethod
    def logp(value, scale):
        res = pt.switch(value >= 0, -pt.log(scale) - value / scale, -np.inf)
        return check_parameters(res, scale > 0, msg="lam > 0")

    @staticmethod
    def logcdf(value, scale):
        res = pt.switch(value >= 0, pt.log1mexp(-value / scale), -np.inf)
        return check_parameters(res, scale > 0, msg="lam > 0")

    @classmethod
    def support_point(cls, rv, scale):
        return pt.broadcast_to(scale, rv.shape)


class Flat(Continuous):
    """Improper uniform density on the real line (logp = 0); cannot be sampled forward."""

    improper = True

    @classmethod
    def dist(cls, **kwargs):
        return cls._make([], **kwargs)

    @classmethod
    def rv_graph(cls, size=None, rng=None):
        return _improper(size)

    @staticmethod
    def logp(value):
        return pt.zeros_like(value, dtype="float64")


class HalfFlat(PositiveContinuous):
    """Improper uniform density on (0, inf); cannot be sampled forward."""

    improper = True

    @classmethod
    def dist(cls, **kwargs):
        return cls._make([], **kwargs)

    @classmethod
    def rv_graph(cls, size=None, rng=None):
        return _improper(size)

    @staticmethod
    def logp(value):
        return pt.switch(value > 0, 0.0, -np.inf)


def _improper(size):
    # forward sampling refuses improper priors (see `credo.sampling.forward`); NaN is a placeholder
    shape = () if size is None else size
    return pt.full(shape, np.nan, dtype="float64")
