"""Continuous distributions on intervals: Uniform, Beta, VonMises, TruncatedNormal.

Same pattern as `credo.distributions.continuous`; the default transforms map the interval to the real
line (``interval`` / ``logodds``), except VonMises whose angle is wrapped (``circular``).
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor.random import basic as rb

from credo.distributions import transforms
from credo.distributions.base import (
    BoundedContinuous,
    Continuous,
    UnitContinuous,
    as_param,
    check_parameters,
    random_variable,
)
from credo.distributions.continuous import LOG_2PI, Normal, _sigma_from
from credo.distributions.dist_math import SQRT_2, betaln, std_normal_logcdf, xlog1py, xlogy
from credo.distributions.positive import _alpha_beta_from_moments

__all__ = ["Uniform", "Beta", "VonMises", "TruncatedNormal"]


class Uniform(BoundedContinuous):
    """Continuous uniform distribution on [lower, upper].

    Parameters
    ----------
    lower : tensor_like of float
        Lower end.
    upper : tensor_like of float, > lower
        Upper end.
    """

    rv_op = rb.uniform
    bound_params = (0, 1)

    @classmethod
    def dist(cls, lower=0.0, upper=1.0, **kwargs):
        return cls._make([as_param(lower), as_param(upper)], **kwargs)

    @staticmethod
    def logp(value, lower, upper):
        res = pt.switch((value >= lower) & (value <= upper), -pt.log(upper - lower), -np.inf)
        return check_parameters(res, lower < upper, msg="lower < upper")

    @staticmethod
    def logcdf(value, lower, upper):
        res = pt.switch(
            value < lower,
            -np.inf,
            pt.switch(value < upper, pt.log(value - lower) - pt.log(upper - lower), 0.0),
        )
        return check_parameters(res, lower < upper, msg="lower < upper")

    @classmethod
    def support_point(cls, rv, lower, upper):
        return pt.broadcast_to((lower + upper) / 2.0, rv.shape)


class Beta(UnitContinuous):
    """Beta distribution on [0, 1].

    Parameters
    ----------
    alpha, beta : tensor_like of float, > 0
        Shape parameters.
    mu : tensor_like of float, in (0, 1), optional
        Mean, with ``sigma`` instead of ``alpha, beta``.
    sigma : tensor_like of float, in (0, sqrt(mu (1 - mu))), optional
        Standard deviation: ``kappa = mu (1 - mu) / sigma**2 - 1``, ``alpha = mu kappa``,
        ``beta = (1 - mu) kappa``.
    """

    rv_op = rb.beta

    @classmethod
    def dist(cls, alpha=None, beta=None, *, mu=None, sigma=None, **kwargs):
        def convert(m, s):
            kappa = m * (1.0 - m) / s**2 - 1.0
            return m * kappa, (1.0 - m) * kappa

        return cls._make(_alpha_beta_from_moments(alpha, beta, mu, sigma, "Beta", convert), **kwargs)

    @staticmethod
    def logp(value, alpha, beta):
        res = xlogy(alpha - 1.0, value) + xlog1py(beta - 1.0, -value) - betaln(alpha, beta)
        res = pt.switch((value >= 0) & (value <= 1), res, -np.inf)
        return check_parameters(res, alpha > 0, beta > 0, msg="alpha > 0, beta > 0")

    @staticmethod
    def logcdf(value, alpha, beta):
        inside = pt.log(pt.betainc(alpha, beta, pt.clip(value, 0.0, 1.0)))
        res = pt.switch(value <= 0, -np.inf, pt.switch(value >= 1, 0.0, inside))
        return check_parameters(res, alpha > 0, beta > 0, msg="alpha > 0, beta > 0")

    @classmethod
    def support_point(cls, rv, alpha, beta):
        return pt.broadcast_to(alpha / (alpha + beta), rv.shape)


class VonMises(Continuous):
    """Von Mises distribution of an angle on [-pi, pi].

    Parameters
    ----------
    mu : tensor_like of float
        Mean direction in radians.
    kappa : tensor_like of float, >= 0
        Concentration (0 gives the uniform distribution on the circle).

    Notes
    -----
    The value is sampled on the real line and wrapped to [-pi, pi] (``circular`` transform).
    """

    rv_op = rb.vonmises
    default_transform = transforms.circular

    @classmethod
    def dist(cls, mu=0.0, kappa=1.0, **kwargs):
        return cls._make([as_param(mu), as_param(kappa)], **kwargs)

    @staticmethod
    def logp(value, mu, kappa):
        # log I0(kappa) = log(ive(0, kappa)) + kappa stays finite for large kappa
        res = kappa * (pt.cos(value - mu) - 1.0) - LOG_2PI - pt.log(pt.ive(0.0, kappa))
        res = pt.switch(pt.abs(value) <= np.pi, res, -np.inf)
        return check_parameters(res, kappa >= 0, msg="kappa >= 0")

    @classmethod
    def support_point(cls, rv, mu, kappa):
        return pt.broadcast_to(pt.arctan2(pt.sin(mu), pt.cos(mu)), rv.shape)


def _log_normal_mass(a, b):
    """``log(Phi(b) - Phi(a))`` for ``a < b``; evaluated in the lower tail to keep precision."""
    flip = a > 0
    lo, hi = pt.switch(flip, -b, a), pt.switch(flip, -a, b)
    log_hi = std_normal_logcdf(hi)
    return log_hi + pt.log1mexp(std_normal_logcdf(lo) - log_hi)


def _is_infinite(x, sign: int) -> bool:
    return transforms._is_constant_inf(x, sign)


class TruncatedNormal(BoundedContinuous):
    """Normal distribution truncated to [lower, upper].

    Parameters
    ----------
    mu : tensor_like of float
        Mean of the parent normal.
    sigma : tensor_like of float, > 0
        Standard deviation of the parent normal (or give ``tau = 1/sigma**2``).
    lower, upper : tensor_like of float, optional
        Truncation points (None: unbounded on that side); ``lower < upper``.

    Notes
    -----
    Forward sampling is by inverse CDF of a uniform draw, computed on the tail nearer to the truncation
    interval so that ``[lower, upper]`` far in a tail keeps its precision.
    """

    bound_params = (2, 3)

    @classmethod
    def dist(cls, mu=0.0, sigma=None, *, tau=None, lower=None, upper=None, **kwargs):
        lower = as_param(-np.inf if lower is None else lower)
        upper = as_param(np.inf if upper is None else upper)
        return cls._make([as_param(mu), _sigma_from(sigma, tau), lower, upper], **kwargs)

    @classmethod
    def rv_graph(cls, mu, sigma, lower, upper, size=None, rng=None):
        a, b = (lower - mu) / sigma, (upper - mu) / sigma
        flip = a > 0
        lo, hi = pt.switch(flip, -b, a), pt.switch(flip, -a, b)
        u = random_variable(
            rb.uniform, 0.5 * pt.erfc(-lo / SQRT_2), 0.5 * pt.erfc(-hi / SQRT_2), size=size, rng=rng
        )
        z = -SQRT_2 * pt.erfcinv(2.0 * u)
        return mu + sigma * pt.switch(flip, -z, z)

    @staticmethod
    def _log_mass(mu, sigma, lower, upper):
        # an infinite bound known when the graph is built drops out: no inf - inf in the gradient
        a, b = (lower - mu) / sigma, (upper - mu) / sigma
        has_lower, has_upper = not _is_infinite(lower, -1), not _is_infinite(upper, +1)
        if has_lower and has_upper:
            return _log_normal_mass(a, b)
        if has_upper:
            return std_normal_logcdf(b)
        if has_lower:
            return std_normal_logcdf(-a)
        return pt.zeros_like(a)

    @staticmethod
    def logp(value, mu, sigma, lower, upper):
        res = Normal.logp(value, mu, sigma) - TruncatedNormal._log_mass(mu, sigma, lower, upper)
        res = pt.switch((value >= lower) & (value <= upper), res, -np.inf)
        return check_parameters(res, lower < upper, msg="lower < upper")

    @staticmethod
    def logcdf(value, mu, sigma, lower, upper):
        below = TruncatedNormal._log_mass(mu, sigma, lower, pt.clip(value, lower, upper))
        res = below - TruncatedNormal._log_mass(mu, sigma, lower, upper)
        res = pt.switch(value <= lower, -np.inf, pt.switch(value >= upper, 0.0, res))
        return check_parameters(res, sigma > 0, lower < upper, msg="sigma > 0, lower < upper")

    @classmethod
    def support_point(cls, rv, mu, sigma, lower, upper):
        mid = (lower + upper) / 2.0
        sp = pt.switch(mu <= lower, pt.switch(pt.isinf(upper), lower + sigma, mid), mu)
        sp = pt.switch(sp >= upper, pt.switch(pt.isinf(lower), upper - sigma, mid), sp)
        return pt.broadcast_to(sp, rv.shape)
