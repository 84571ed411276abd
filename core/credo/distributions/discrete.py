"""Discrete (integer-valued) distributions.

Same pattern as `credo.distributions.continuous`. Values are ``int64`` and have no transform (samplers
for discrete variables move on the integers). Probabilities may be given on the logit scale
(``logit_p``), which keeps the log-probabilities exact for large ``|logit_p|``.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor.random import basic as rb
from pytensor.tensor.special import log_softmax, softmax

from credo.distributions.base import Discrete, as_param, check_parameters, random_variable
from credo.distributions.dist_math import betaln, lchoose, xlog1py, xlogy

__all__ = [
    "Bernoulli",
    "Binomial",
    "BetaBinomial",
    "Poisson",
    "NegativeBinomial",
    "Geometric",
    "Categorical",
    "DiscreteUniform",
]


def _p_or_logit(p, logit_p, name: str):
    if (p is None) == (logit_p is None):
        raise ValueError(f"{name}: give exactly one of p and logit_p")
    return (as_param(p), False) if logit_p is None else (as_param(logit_p), True)


def _log_p_q(p, logit: bool):
    """``(log p, log(1 - p))`` from a probability or a logit."""
    if logit:
        return -pt.softplus(-p), -pt.softplus(p)
    return pt.log(p), pt.log1p(-p)


def _check_p(res, p, logit: bool):
    if logit:
        return res
    return check_parameters(res, p >= 0, p <= 1, msg="0 <= p <= 1")


class Bernoulli(Discrete):
    """Bernoulli distribution on {0, 1}.

    Parameters
    ----------
    p : tensor_like of float, in [0, 1]
        Probability of 1.
    logit_p : tensor_like of float, optional
        ``logit(p)`` instead of ``p``.
    """

    rv_op = rb.bernoulli

    @classmethod
    def dist(cls, p=None, *, logit_p=None, **kwargs):
        param, logit = _p_or_logit(p, logit_p, "Bernoulli")
        return cls._make([param], kwargs={"logit": logit}, **kwargs)

    @classmethod
    def rv_graph(cls, p, size=None, rng=None, logit=False):
        return random_variable(rb.bernoulli, pt.sigmoid(p) if logit else p, size=size, rng=rng)

    @staticmethod
    def logp(value, p, logit=False):
        log_p, log_q = _log_p_q(p, logit)
        res = pt.switch(pt.eq(value, 1), log_p, pt.switch(pt.eq(value, 0), log_q, -np.inf))
        return _check_p(res, p, logit)

    @staticmethod
    def logcdf(value, p, logit=False):
        _, log_q = _log_p_q(p, logit)
        res = pt.switch(value < 0, -np.inf, pt.switch(value < 1, log_q, 0.0))
        return _check_p(res, p, logit)

    @classmethod
    def support_point(cls, rv, p, logit=False):
        return pt.broadcast_to(pt.ge(p, 0.0 if logit else 0.5).astype("int64"), rv.shape)


class Binomial(Discrete):
    """Binomial distribution: number of successes in ``n`` trials.

    Parameters
    ----------
    n : tensor_like of int, >= 0
        Number of trials.
    p : tensor_like of float, in [0, 1]
        Success probability (or give ``logit_p``).
    """

    rv_op = rb.binomial

    @classmethod
    def dist(cls, n, p=None, *, logit_p=None, **kwargs):
        param, logit = _p_or_logit(p, logit_p, "Binomial")
        return cls._make([as_param(n, "int64"), param], kwargs={"logit": logit}, **kwargs)

    @classmethod
    def rv_graph(cls, n, p, size=None, rng=None, logit=False):
        return random_variable(rb.binomial, n, pt.sigmoid(p) if logit else p, size=size, rng=rng)

    @staticmethod
    def logp(value, n, p, logit=False):
        if logit:
            log_terms = -value * pt.softplus(-p) - (n - value) * pt.softplus(p)
        else:
            log_terms = xlogy(value, p) + xlog1py(n - value, -p)
        res = pt.switch((value >= 0) & (value <= n), lchoose(n, value) + log_terms, -np.inf)
        return _check_p(check_parameters(res, n >= 0, msg="n >= 0"), p, logit)

    @staticmethod
    def logcdf(value, n, p, logit=False):
        q = pt.sigmoid(-p) if logit else 1.0 - p
        k = pt.clip(value, 0, n - 1)
        inside = pt.log(pt.betainc(n - k, k + 1.0, q))
        res = pt.switch(value < 0, -np.inf, pt.switch(value >= n, 0.0, inside))
        return _check_p(check_parameters(res, n >= 0, msg="n >= 0"), p, logit)

    @classmethod
    def support_point(cls, rv, n, p, logit=False):
        prob = pt.sigmoid(p) if logit else p
        return pt.broadcast_to(pt.clip(pt.round(n * prob), 0, n).astype("int64"), rv.shape)


class BetaBinomial(Discrete):
    """Beta-binomial distribution: ``Binomial(n, p)`` with ``p ~ Beta(alpha, beta)``.

    Parameters
    ----------
    alpha, beta : tensor_like of float, > 0
        Shape parameters of the beta distribution of ``p``.
    n : tensor_like of int, >= 0
        Number of trials.
    """

    @classmethod
    def dist(cls, alpha, beta, n, **kwargs):
        return cls._make([as_param(alpha), as_param(beta), as_param(n, "int64")], **kwargs)

    @classmethod
    def rv_graph(cls, alpha, beta, n, size=None, rng=None):
        # the scipy-backed betabinom op has no Numba implementation; compose it instead
        p = random_variable(rb.beta, alpha, beta, size=size, rng=rng)
        return random_variable(rb.binomial, n, p)

    @staticmethod
    def logp(value, alpha, beta, n):
        res = lchoose(n, value) + betaln(value + alpha, n - value + beta) - betaln(alpha, beta)
        res = pt.switch((value >= 0) & (value <= n), res, -np.inf)
        return check_parameters(res, alpha > 0, beta > 0, n >= 0, msg="alpha > 0, beta > 0, n >= 0")

    @classmethod
    def support_point(cls, rv, alpha, beta, n):
        return pt.broadcast_to(pt.round(n * alpha / (alpha + beta)).astype("int64"), rv.shape)


class Poisson(Discrete):
    """Poisson distribution.

    Parameters
    ----------
    mu : tensor_like of float, >= 0
        Mean (rate).
    """

    rv_op = rb.poisson

    @classmethod
    def dist(cls, mu, **kwargs):
        return cls._make([as_param(mu)], **kwargs)

    @staticmethod
    def logp(value, mu):
        res = pt.switch(value >= 0, xlogy(value, mu) - mu - pt.gammaln(value + 1.0), -np.inf)
        return check_parameters(res, mu >= 0, msg="mu >= 0")

    @staticmethod
    def logcdf(value, mu):
        k = pt.maximum(value, 0)
        res = pt.switch(value >= 0, pt.log(pt.gammaincc(k + 1.0, mu)), -np.inf)
        return check_parameters(res, mu >= 0, msg="mu >= 0")

    @classmethod
    def support_point(cls, rv, mu):
        return pt.broadcast_to(pt.floor(mu).astype("int64"), rv.shape)


class NegativeBinomial(Discrete):
    """Negative binomial distribution, by mean and dispersion or by ``n`` and ``p``.

    ``P(k) = C(k + n - 1, k) p**n (1 - p)**k``: failures before the ``n``-th success; with
    ``mu, alpha``: ``n = alpha``, ``p = alpha / (mu + alpha)``, variance ``mu + mu**2 / alpha``.

    Parameters
    ----------
    mu : tensor_like of float, > 0
        Mean.
    alpha : tensor_like of float, > 0
        Dispersion (Poisson limit as ``alpha -> inf``).
    n : tensor_like of float, > 0, optional
        Number of successes (real-valued), with ``p`` instead of ``mu, alpha``.
    p : tensor_like of float, in (0, 1], optional
        Success probability.
    """

    rv_op = rb.nbinom

    @classmethod
    def dist(cls, mu=None, alpha=None, *, p=None, n=None, **kwargs):
        if (mu is None) == (n is None) or (mu is None) != (alpha is None) or (n is None) != (p is None):
            raise ValueError("NegativeBinomial: give either mu and alpha, or n and p")
        if mu is not None:
            mu, alpha = as_param(mu), as_param(alpha)
            return cls._make([alpha, alpha / (mu + alpha)], **kwargs)
        return cls._make([as_param(n), as_param(p)], **kwargs)

    @staticmethod
    def logp(value, n, p):
        res = (
            pt.gammaln(value + n) - pt.gammaln(value + 1.0) - pt.gammaln(n) + xlogy(n, p) + xlog1py(value, -p)
        )
        res = pt.switch(value >= 0, res, -np.inf)
        return check_parameters(res, n > 0, p > 0, p <= 1, msg="n > 0, 0 < p <= 1")

    @staticmethod
    def logcdf(value, n, p):
        k = pt.maximum(value, 0)
        res = pt.switch(value >= 0, pt.log(pt.betainc(n, k + 1.0, p)), -np.inf)
        return check_parameters(res, n > 0, p > 0, p <= 1, msg="n > 0, 0 < p <= 1")

    @classmethod
    def support_point(cls, rv, n, p):
        return pt.broadcast_to(pt.floor(n * (1.0 - p) / p).astype("int64"), rv.shape)


class Geometric(Discrete):
    """Geometric distribution on {1, 2, ...}: trials up to and including the first success.

    Parameters
    ----------
    p : tensor_like of float, in (0, 1]
        Success probability.
    """

    rv_op = rb.geometric

    @classmethod
    def dist(cls, p, **kwargs):
        return cls._make([as_param(p)], **kwargs)

    @staticmethod
    def logp(value, p):
        res = pt.switch(value >= 1, pt.log(p) + xlog1py(value - 1.0, -p), -np.inf)
        return check_parameters(res, p > 0, p <= 1, msg="0 < p <= 1")

    @staticmethod
    def logcdf(value, p):
        res = pt.switch(value >= 1, pt.log1mexp(xlog1py(value, -p)), -np.inf)
        return check_parameters(res, p > 0, p <= 1, msg="0 < p <= 1")

    @classmethod
    def support_point(cls, rv, p):
        return pt.ones_like(rv, dtype="int64")


class Categorical(Discrete):
    """Categorical distribution on {0, ..., K - 1}.

    Parameters
    ----------
    p : tensor_like of float, shape (..., K), each in [0, 1]
        Category probabilities along the last axis; normalised to sum to 1.
    logit_p : tensor_like of float, shape (..., K), optional
        Unnormalised log-probabilities instead of ``p`` (``p = softmax(logit_p)``).
    """

    rv_op = rb.categorical

    @classmethod
    def dist(cls, p=None, *, logit_p=None, **kwargs):
        param, logit = _p_or_logit(p, logit_p, "Categorical")
        if param.type.ndim < 1:
            raise ValueError("Categorical: p (or logit_p) needs a last axis of K categories")
        return cls._make([param], kwargs={"logit": logit}, **kwargs)

    @classmethod
    def param_ndim_supp(cls, index):
        return 1

    @staticmethod
    def _log_probs(p, logit):
        return log_softmax(p, axis=-1) if logit else pt.log(p / pt.sum(p, axis=-1, keepdims=True))

    @classmethod
    def rv_graph(cls, p, size=None, rng=None, logit=False):
        probs = softmax(p, axis=-1) if logit else p / pt.sum(p, axis=-1, keepdims=True)
        return random_variable(rb.categorical, probs, size=size, rng=rng)

    @staticmethod
    def logp(value, p, logit=False):
        lp = Categorical._log_probs(p, logit)
        k = p.shape[-1]
        hit = pt.eq(value[..., None], pt.arange(k))
        res = pt.sum(pt.switch(hit, lp, 0.0), axis=-1)
        res = pt.switch((value >= 0) & (value < k), res, -np.inf)
        return _check_p(res, p, logit)

    @staticmethod
    def logcdf(value, p, logit=False):
        probs = pt.exp(Categorical._log_probs(p, logit))
        below = pt.le(pt.arange(p.shape[-1]), value[..., None])
        res = pt.switch(value >= 0, pt.log(pt.sum(pt.switch(below, probs, 0.0), axis=-1)), -np.inf)
        return _check_p(res, p, logit)

    @classmethod
    def support_point(cls, rv, p, logit=False):
        return pt.broadcast_to(pt.argmax(p, axis=-1).astype("int64"), rv.shape)


class DiscreteUniform(Discrete):
    """Discrete uniform distribution on {lower, ..., upper}.

    Parameters
    ----------
    lower, upper : tensor_like of int, lower <= upper
        Inclusive bounds.
    """

    @classmethod
    def dist(cls, lower, upper, **kwargs):
        return cls._make([as_param(lower, "int64"), as_param(upper, "int64")], **kwargs)

    @classmethod
    def rv_graph(cls, lower, upper, size=None, rng=None):
        return random_variable(rb.integers, lower, upper + 1, size=size, rng=rng)

    @staticmethod
    def logp(value, lower, upper):
        res = pt.switch((value >= lower) & (value <= upper), -pt.log(upper - lower + 1.0), -np.inf)
        return check_parameters(res, lower <= upper, msg="lower <= upper")

    @staticmethod
    def logcdf(value, lower, upper):
        inside = pt.log(value - lower + 1.0) - pt.log(upper - lower + 1.0)
        res = pt.switch(value < lower, -np.inf, pt.switch(value >= upper, 0.0, inside))
        return check_parameters(res, lower <= upper, msg="lower <= upper")

    @classmethod
    def support_point(cls, rv, lower, upper):
        return pt.broadcast_to((lower + upper) // 2, rv.shape).astype("int64")
