"""Shape-scale families on the positive half-line: Gamma, InverseGamma, Weibull, Pareto, ChiSquared.

Same pattern as `credo.distributions.continuous`; Gamma, InverseGamma (and Beta in
`credo.distributions.bounded`) also accept their mean and standard deviation.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor.random import basic as rb

from credo.distributions import transforms
from credo.distributions.base import (
    Continuous,
    PositiveContinuous,
    as_param,
    check_parameters,
    random_variable,
)
from credo.distributions.dist_math import xlogy

__all__ = ["Gamma", "InverseGamma", "Weibull", "Pareto", "ChiSquared"]


def _alpha_beta_from_moments(alpha, beta, mu, sigma, dist_name: str, convert):
    if (alpha is not None) + (mu is not None) != 1 or (beta is None) != (alpha is None):
        raise ValueError(f"{dist_name}: give either alpha and beta, or mu and sigma")
    if alpha is not None:
        return as_param(alpha), as_param(beta)
    if sigma is None:
        raise ValueError(f"{dist_name}: mu needs sigma")
    return convert(as_param(mu), as_param(sigma))


class Gamma(PositiveContinuous):
    """Gamma distribution with shape ``alpha`` and rate ``beta`` (mean ``alpha / beta``).

    Parameters
    ----------
    alpha : tensor_like of float, > 0
        Shape.
    beta : tensor_like of float, > 0
        Rate.
    mu, sigma : tensor_like of float, > 0, optional
        Mean and standard deviation instead of ``alpha, beta``
        (``alpha = mu**2 / sigma**2``, ``beta = mu / sigma**2``).
    """

    @classmethod
    def dist(cls, alpha=None, beta=None, *, mu=None, sigma=None, **kwargs):
        params = _alpha_beta_from_moments(
            alpha, beta, mu, sigma, "Gamma", lambda m, s: (m**2 / s**2, m / s**2)
        )
        return cls._make(params, **kwargs)

    @classmethod
    def rv_graph(cls, alpha, beta, size=None, rng=None):
        return random_variable(rb._gamma, alpha, 1.0 / beta, size=size, rng=rng)

    @staticmethod
    def logp(value, alpha, beta):
        res = alpha * pt.log(beta) - pt.gammaln(alpha) + xlogy(alpha - 1.0, value) - beta * value
        res = pt.switch(value >= 0, res, -np.inf)
        return check_parameters(res, alpha > 0, beta > 0, msg="alpha > 0, beta > 0")

    @staticmethod
    def logcdf(value, alpha, beta):
        res = pt.switch(value > 0, pt.log(pt.gammainc(alpha, beta * value)), -np.inf)
        return check_parameters(res, alpha > 0, beta > 0, msg="alpha > 0, beta > 0")

    @classmethod
    def support_point(cls, rv, alpha, beta):
        return pt.broadcast_to(alpha / beta, rv.shape)


class InverseGamma(PositiveContinuous):
    """Inverse-gamma distribution: ``1/X ~ Gamma(alpha, beta)``.

    Parameters
    ----------
    alpha : tensor_like of float, > 0
        Shape.
    beta : tensor_like of float, > 0
        Scale.
    mu, sigma : tensor_like of float, > 0, optional
        Mean and standard deviation instead of ``alpha, beta``
        (``alpha = mu**2 / sigma**2 + 2``, ``beta = mu * (alpha - 1)``).
    """

    rv_op = rb.invgamma

    @classmethod
    def dist(cls, alpha=None, beta=None, *, mu=None, sigma=None, **kwargs):
        def convert(m, s):
            a = m**2 / s**2 + 2.0
            return a, m * (a - 1.0)

        return cls._make(_alpha_beta_from_moments(alpha, beta, mu, sigma, "InverseGamma", convert), **kwargs)

    @staticmethod
    def logp(value, alpha, beta):
        res = alpha * pt.log(beta) - pt.gammaln(alpha) - (alpha + 1.0) * pt.log(value) - beta / value
        res = pt.switch(value > 0, res, -np.inf)
        return check_parameters(res, alpha > 0, beta > 0, msg="alpha > 0, beta > 0")

    @staticmethod
    def logcdf(value, alpha, beta):
        res = pt.switch(value > 0, pt.log(pt.gammaincc(alpha, beta / value)), -np.inf)
        return check_parameters(res, alpha > 0, beta > 0, msg="alpha > 0, beta > 0")

    @classmethod
    def support_point(cls, rv, alpha, beta):
        return pt.broadcast_to(beta / (alpha + 1.0), rv.shape)  # the mode


class Weibull(PositiveContinuous):
    """Weibull distribution, ``F(x) = 1 - exp(-(x / beta)**alpha)``.

    Parameters
    ----------
    alpha : tensor_like of float, > 0
        Shape.
    beta : tensor_like of float, > 0
        Scale.
    """

    @classmethod
    def dist(cls, alpha, beta, **kwargs):
        return cls._make([as_param(alpha), as_param(beta)], **kwargs)

    @classmethod
    def rv_graph(cls, alpha, beta, size=None, rng=None):
        return beta * random_variable(rb.weibull, alpha, size=size, rng=rng)

    @staticmethod
    def logp(value, alpha, beta):
        z = value / beta
        res = pt.log(alpha) - pt.log(beta) + xlogy(alpha - 1.0, z) - z**alpha
        res = pt.switch(value >= 0, res, -np.inf)
        return check_parameters(res, alpha > 0, beta > 0, msg="alpha > 0, beta > 0")

    @staticmethod
    def logcdf(value, alpha, beta):
        res = pt.switch(value > 0, pt.log1mexp(-((value / beta) ** alpha)), -np.inf)
        return check_parameters(res, alpha > 0, beta > 0, msg="alpha > 0, beta > 0")

    @classmethod
    def support_point(cls, rv, alpha, beta):
        return pt.broadcast_to(beta * pt.exp(pt.gammaln(1.0 + 1.0 / alpha)), rv.shape)  # the mean


class Pareto(Continuous):
    """Pareto distribution on [m, inf), density ``alpha m**alpha / x**(alpha + 1)``.

    Parameters
    ----------
    alpha : tensor_like of float, > 0
        Shape (tail index).
    m : tensor_like of float, > 0
        Scale: the lower end of the support.
    """

    rv_op = rb.pareto

    @classmethod
    def dist(cls, alpha, m, **kwargs):
        return cls._make([as_param(alpha), as_param(m)], **kwargs)

    @classmethod
    def get_transform(cls, alpha, m):
        return transforms.LowerBound(m)

    @staticmethod
    def logp(value, alpha, m):
        res = pt.log(alpha) + alpha * pt.log(m) - (alpha + 1.0) * pt.log(value)
        res = pt.switch(value >= m, res, -np.inf)
        return check_parameters(res, alpha > 0, m > 0, msg="alpha > 0, m > 0")

    @staticmethod
    def logcdf(value, alpha, m):
        res = pt.switch(value > m, pt.log1mexp(alpha * pt.log(m / value)), -np.inf)
        return check_parameters(res, alpha > 0, m > 0, msg="alpha > 0, m > 0")

    @classmethod
    def support_point(cls, rv, alpha, m):
        return pt.broadcast_to(m * 2.0 ** (1.0 / alpha), rv.shape)  # the median


class ChiSquared(PositiveContinuous):
    """Chi-squared distribution: ``Gamma(nu / 2, 1 / 2)``.

    Parameters
    ----------
    nu : tensor_like of float, > 0
        Degrees of freedom.
    """

    @classmethod
    def dist(cls, nu, **kwargs):
        return cls._make([as_param(nu)], **kwargs)

    @classmethod
    def rv_graph(cls, nu, size=None, rng=None):
        return random_variable(rb._gamma, nu / 2.0, 2.0, size=size, rng=rng)

    @staticmethod
    def logp(value, nu):
        return Gamma.logp(value, nu / 2.0, pt.constant(0.5))

    @staticmethod
    def logcdf(value, nu):
        return Gamma.logcdf(value, nu / 2.0, pt.constant(0.5))

    @classmethod
    def support_point(cls, rv, nu):
        return pt.broadcast_to(nu, rv.shape)
