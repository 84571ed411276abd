"""Continuous univariate distributions on the real line and on half-lines.

Every class follows the same pattern (STYLE.md §2): ``rv_op`` (or ``rv_graph``) for forward sampling,
``dist`` mapping the user's arguments to the parameter list, a static ``logp`` that checks parameters
and returns -inf outside the support, ``logcdf`` where closed form, and a ``support_point`` used as
initial value. Shape-scale families on the positive half-line (Gamma, InverseGamma, Weibull, Pareto,
ChiSquared) live in `credo.distributions.positive`, distributions on intervals (Beta, Uniform,
VonMises, TruncatedNormal) in `credo.distributions.bounded`.

The densities are those of PyMC (``pymc.distributions.continuous``) and Stan's functions reference,
written with the numerically stable primitives ``log1p``, ``log1mexp``, ``softplus``, ``erfcx``.
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
    random_variable,
)
from credo.distributions.dist_math import SQRT_2, std_normal_logcdf, student_t_tail

__all__ = [
    "Normal",
    "HalfNormal",
    "StudentT",
    "HalfStudentT",
    "Cauchy",
    "HalfCauchy",
    "Laplace",
    "Logistic",
    "LogNormal",
    "Exponential",
    "SkewNormal",
    "Flat",
    "HalfFlat",
]

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
        return check_parameters(std_normal_logcdf((value - mu) / sigma), sigma > 0, msg="sigma > 0")

    @classmethod
    def support_point(cls, rv, mu, sigma):
        return pt.broadcast_to(mu, rv.shape)


class HalfNormal(PositiveContinuous):
    """Half-normal distribution on [0, inf).

    Parameters
    ----------
    sigma : tensor_like of float, > 0
        Scale (standard deviation of the parent normal), or give ``tau = 1/sigma**2``.
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
        res = pt.switch(value >= loc, pt.log(pt.erf(z / SQRT_2)), -np.inf)
        return check_parameters(res, sigma > 0, msg="sigma > 0")

    @classmethod
    def support_point(cls, rv, loc, sigma):
        return pt.broadcast_to(loc + sigma, rv.shape)


class StudentT(Continuous):
    """Student's t distribution.

    Parameters
    ----------
    nu : tensor_like of float, > 0
        Degrees of freedom.
    mu : tensor_like of float
        Location.
    sigma : tensor_like of float, > 0
        Scale (or give ``lam = 1/sigma**2``).
    """

    rv_op = rb.t

    @classmethod
    def dist(cls, nu, mu=0.0, sigma=None, *, lam=None, **kwargs):
        return cls._make([as_param(nu), as_param(mu), _sigma_from(sigma, lam, "sigma")], **kwargs)

    @staticmethod
    def logp(value, nu, mu, sigma):
        z = (value - mu) / sigma
        res = (
            pt.gammaln((nu + 1.0) / 2.0)
            - pt.gammaln(nu / 2.0)
            - 0.5 * pt.log(nu * np.pi)
            - pt.log(sigma)
            - (nu + 1.0) / 2.0 * pt.log1p(z**2 / nu)
        )
        return check_parameters(res, nu > 0, sigma > 0, msg="nu > 0, sigma > 0")

    @staticmethod
    def logcdf(value, nu, mu, sigma):
        z = (value - mu) / sigma
        tail = student_t_tail(z, nu)
        res = pt.switch(z < 0, pt.log(tail) - LOG_2, pt.log1p(-tail / 2.0))
        return check_parameters(res, nu > 0, sigma > 0, msg="nu > 0, sigma > 0")

    @classmethod
    def support_point(cls, rv, nu, mu, sigma):
        return pt.broadcast_to(mu, rv.shape)


class HalfStudentT(PositiveContinuous):
    """Half Student's t distribution on [0, inf): ``|X|`` for ``X ~ StudentT(nu, 0, sigma)``.

    Parameters
    ----------
    nu : tensor_like of float, > 0
        Degrees of freedom.
    sigma : tensor_like of float, > 0
        Scale (or give ``lam = 1/sigma**2``).
    """

    @classmethod
    def dist(cls, nu=1.0, sigma=None, *, lam=None, **kwargs):
        return cls._make([as_param(nu), _sigma_from(sigma, lam, "sigma")], **kwargs)

    @classmethod
    def rv_graph(cls, nu, sigma, size=None, rng=None):
        return pt.abs(random_variable(rb.t, nu, 0.0, sigma, size=size, rng=rng))

    @staticmethod
    def logp(value, nu, sigma):
        res = LOG_2 + StudentT.logp(value, nu, 0.0, sigma)
        return pt.switch(value >= 0, res, -np.inf)

    @staticmethod
    def logcdf(value, nu, sigma):
        res = pt.switch(value >= 0, pt.log1p(-student_t_tail(value / sigma, nu)), -np.inf)
        return check_parameters(res, nu > 0, sigma > 0, msg="nu > 0, sigma > 0")

    @classmethod
    def support_point(cls, rv, nu, sigma):
        return pt.broadcast_to(sigma, rv.shape)


class Cauchy(Continuous):
    """Cauchy distribution.

    Parameters
    ----------
    alpha : tensor_like of float
        Location.
    beta : tensor_like of float, > 0
        Scale.
    """

    rv_op = rb.cauchy

    @classmethod
    def dist(cls, alpha=0.0, beta=1.0, **kwargs):
        return cls._make([as_param(alpha), as_param(beta)], **kwargs)

    @staticmethod
    def logp(value, alpha, beta):
        res = -LOG_PI - pt.log(beta) - pt.log1p(((value - alpha) / beta) ** 2)
        return check_parameters(res, beta > 0, msg="beta > 0")

    @staticmethod
    def logcdf(value, alpha, beta):
        res = pt.log(0.5 + pt.arctan((value - alpha) / beta) / np.pi)
        return check_parameters(res, beta > 0, msg="beta > 0")

    @classmethod
    def support_point(cls, rv, alpha, beta):
        return pt.broadcast_to(alpha, rv.shape)


class HalfCauchy(PositiveContinuous):
    """Half-Cauchy distribution on [0, inf).

    Parameters
    ----------
    beta : tensor_like of float, > 0
        Scale.
    """

    @classmethod
    def dist(cls, beta=1.0, **kwargs):
        return cls._make([as_param(0.0), as_param(beta)], **kwargs)

    @classmethod
    def rv_graph(cls, loc, beta, size=None, rng=None):
        # |Cauchy| rather than the scipy-backed halfcauchy op, which has no Numba implementation
        return loc + pt.abs(random_variable(rb.cauchy, 0.0, beta, size=size, rng=rng))

    @staticmethod
    def logp(value, loc, beta):
        res = LOG_2 - pt.log(np.pi * beta) - pt.log1p(((value - loc) / beta) ** 2)
        res = pt.switch(value >= loc, res, -np.inf)
        return check_parameters(res, beta > 0, msg="beta > 0")

    @staticmethod
    def logcdf(value, loc, beta):
        res = pt.switch(value >= loc, pt.log(2.0 / np.pi) + pt.log(pt.arctan((value - loc) / beta)), -np.inf)
        return check_parameters(res, beta > 0, msg="beta > 0")

    @classmethod
    def support_point(cls, rv, loc, beta):
        return pt.broadcast_to(loc + beta, rv.shape)


class Laplace(Continuous):
    """Laplace (double exponential) distribution.

    Parameters
    ----------
    mu : tensor_like of float
        Location.
    b : tensor_like of float, > 0
        Scale.
    """

    rv_op = rb.laplace

    @classmethod
    def dist(cls, mu=0.0, b=1.0, **kwargs):
        return cls._make([as_param(mu), as_param(b)], **kwargs)

    @staticmethod
    def logp(value, mu, b):
        res = -pt.log(2.0 * b) - pt.abs(value - mu) / b
        return check_parameters(res, b > 0, msg="b > 0")

    @staticmethod
    def logcdf(value, mu, b):
        z = (value - mu) / b
        res = pt.switch(z < 0, z - LOG_2, pt.log1p(-0.5 * pt.exp(-z)))
        return check_parameters(res, b > 0, msg="b > 0")

    @classmethod
    def support_point(cls, rv, mu, b):
        return pt.broadcast_to(mu, rv.shape)


class Logistic(Continuous):
    """Logistic distribution.

    Parameters
    ----------
    mu : tensor_like of float
        Location.
    s : tensor_like of float, > 0
        Scale.
    """

    rv_op = rb.logistic

    @classmethod
    def dist(cls, mu=0.0, s=1.0, **kwargs):
        return cls._make([as_param(mu), as_param(s)], **kwargs)

    @staticmethod
    def logp(value, mu, s):
        z = (value - mu) / s
        res = -z - pt.log(s) - 2.0 * pt.softplus(-z)
        return check_parameters(res, s > 0, msg="s > 0")

    @staticmethod
    def logcdf(value, mu, s):
        return check_parameters(-pt.softplus(-(value - mu) / s), s > 0, msg="s > 0")

    @classmethod
    def support_point(cls, rv, mu, s):
        return pt.broadcast_to(mu, rv.shape)


class LogNormal(PositiveContinuous):
    """Log-normal distribution: ``log(X) ~ Normal(mu, sigma)``.

    Parameters
    ----------
    mu : tensor_like of float
        Mean of ``log(X)``.
    sigma : tensor_like of float, > 0
        Standard deviation of ``log(X)`` (or give ``tau = 1/sigma**2``).
    """

    rv_op = rb.lognormal

    @classmethod
    def dist(cls, mu=0.0, sigma=None, *, tau=None, **kwargs):
        return cls._make([as_param(mu), _sigma_from(sigma, tau)], **kwargs)

    @staticmethod
    def logp(value, mu, sigma):
        logx = pt.log(value)
        res = Normal.logp(logx, mu, sigma) - logx
        return pt.switch(value > 0, res, -np.inf)

    @staticmethod
    def logcdf(value, mu, sigma):
        res = pt.switch(value > 0, std_normal_logcdf((pt.log(value) - mu) / sigma), -np.inf)
        return check_parameters(res, sigma > 0, msg="sigma > 0")

    @classmethod
    def support_point(cls, rv, mu, sigma):
        return pt.broadcast_to(pt.exp(mu), rv.shape)


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


class SkewNormal(Continuous):
    """Skew-normal distribution (Azzalini 1985): density ``2/sigma phi(z) Phi(alpha z)``.

    Parameters
    ----------
    mu : tensor_like of float
        Location.
    sigma : tensor_like of float, > 0
        Scale (or give ``tau = 1/sigma**2``).
    alpha : tensor_like of float
        Skewness; 0 gives the normal distribution.

    References
    ----------
    Azzalini (1985), Scand. J. Statist. 12, 171-178.
    """

    @classmethod
    def dist(cls, mu=0.0, sigma=None, *, tau=None, alpha=1.0, **kwargs):
        return cls._make([as_param(mu), _sigma_from(sigma, tau), as_param(alpha)], **kwargs)

    @classmethod
    def rv_graph(cls, mu, sigma, alpha, size=None, rng=None):
        # X = delta |U| + sqrt(1 - delta^2) V with U, V independent standard normal (Azzalini 1985)
        zero = pt.zeros_like(mu + sigma + alpha)  # one independent pair per element of the batch
        u = random_variable(rb.normal, zero, 1.0, size=size, rng=rng)
        v = random_variable(rb.normal, zero, 1.0, size=size)
        delta = alpha / pt.sqrt(1.0 + alpha**2)
        return mu + sigma * (delta * pt.abs(u) + pt.sqrt(1.0 - delta**2) * v)

    @staticmethod
    def logp(value, mu, sigma, alpha):
        z = (value - mu) / sigma
        res = LOG_2 - 0.5 * LOG_2PI - 0.5 * z**2 - pt.log(sigma) + std_normal_logcdf(alpha * z)
        return check_parameters(res, sigma > 0, msg="sigma > 0")

    @classmethod
    def support_point(cls, rv, mu, sigma, alpha):
        delta = alpha / pt.sqrt(1.0 + alpha**2)
        return pt.broadcast_to(mu + sigma * np.sqrt(2.0 / np.pi) * delta, rv.shape)  # the mean


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
