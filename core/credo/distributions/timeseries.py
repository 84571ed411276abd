"""Time series: GaussianRandomWalk and AR(p).

The last axis is time (``ndim_supp = 1``); leading axes are independent series. The first value(s)
follow an ``init_dist`` (an unnamed univariate distribution, default ``Normal.dist(0, 100)`` as PyMC);
the rest follow the recursion, so the log-density is the init term plus a sum of normal innovations.
Forward sampling draws the innovations at once and accumulates them (a cumulative sum for the random
walk, a deterministic ``scan`` for AR), so no random number generator lives inside a loop.
"""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.tensor.random import basic as rb
from pytensor.tensor.variable import TensorVariable

from credo.distributions.base import Continuous, as_param, check_parameters, dist_info, random_variable
from credo.distributions.continuous import Normal, _sigma_from
from credo.distributions.multivariate import _batch_shape, _with_core

__all__ = ["GaussianRandomWalk", "AR"]


def _init_info(init_dist, name: str):
    if init_dist is None:
        init_dist = Normal.dist(0.0, 100.0)
    info = dist_info(init_dist)
    if info.cls.ndim_supp != 0:
        raise ValueError(f"{name}: init_dist must be univariate, got {info.cls.__name__}")
    return info


def _n_time(shape, steps, extra: int, name: str) -> int:
    """Number of innovation steps from ``steps`` or the last entry of ``shape``."""
    if steps is None:
        if shape is None or isinstance(shape, TensorVariable):
            raise ValueError(f"{name}: give steps= or a static shape= whose last entry is the length")
        last = shape if isinstance(shape, int | np.integer) else tuple(shape)[-1]
        steps = int(last) - extra
    if int(steps) != steps or steps < 1:
        raise ValueError(f"{name}: steps must be a positive integer, got {steps!r}")
    return int(steps)


class GaussianRandomWalk(Continuous):
    """Gaussian random walk: ``x[0] ~ init_dist``, ``x[t] = x[t-1] + Normal(mu, sigma)``.

    Parameters
    ----------
    mu : tensor_like of float
        Drift (mean of the innovations); broadcasts over the batch dimensions.
    sigma : tensor_like of float, > 0
        Standard deviation of the innovations.
    init_dist : TensorVariable, optional
        Unnamed univariate distribution of ``x[0]`` (default ``Normal.dist(0, 100)``).
    steps : int, optional
        Number of innovations; the series has ``steps + 1`` values. Taken from ``shape[-1] - 1``
        (or ``dims``) when not given.
    """

    ndim_supp = 1

    @classmethod
    def dist(cls, mu=0.0, sigma=1.0, *, init_dist=None, steps=None, **kwargs):
        info = _init_info(init_dist, "GaussianRandomWalk")
        steps = _n_time(kwargs.get("shape"), steps, 1, "GaussianRandomWalk")
        static = {"steps": steps, "init": info.cls, "init_kwargs": info.kwargs}
        return cls._make([as_param(mu), as_param(sigma), *info.params], kwargs=static, **kwargs)

    @classmethod
    def rv_graph(cls, mu, sigma, *init_params, size=None, rng=None, steps=1, init=None, init_kwargs=()):
        zero = pt.zeros_like(mu + sigma)
        eps = random_variable(
            rb.normal,
            (mu + zero)[..., None],
            (sigma + zero)[..., None],
            size=_with_core(size, steps),
            rng=rng,
        )
        if size is None:
            eps = eps * pt.ones(steps)
        x0 = init.rv_graph(*init_params, size=size, **dict(init_kwargs))
        start = x0[..., None] + pt.zeros_like(eps[..., :1])
        walk = start + pt.cumsum(eps, axis=-1)
        return pt.concatenate([start + pt.zeros_like(walk[..., :1]), walk], axis=-1)

    @staticmethod
    def logp(value, mu, sigma, *init_params, steps=1, init=None, init_kwargs=()):
        init_lp = init.logp(value[..., 0], *init_params, **dict(init_kwargs))
        innov = Normal.logp(pt.diff(value, axis=-1), mu[..., None], sigma[..., None])
        return init_lp + pt.sum(innov, axis=-1)

    @classmethod
    def support_point(cls, rv, mu, sigma, *init_params, steps=1, init=None, init_kwargs=()):
        batch = _batch_shape(rv, 1)
        x0 = pt.broadcast_to(init.support_point(pt.zeros(batch), *init_params, **dict(init_kwargs)), batch)
        return pt.broadcast_to(x0[..., None] + mu[..., None] * np.arange(steps + 1), rv.shape)


class AR(Continuous):
    """Autoregressive process of order p: ``x[t] = c + sum_k rho[k] x[t-1-k] + Normal(0, sigma)``.

    Parameters
    ----------
    rho : tensor_like of float, shape (..., p) or (..., p + 1) with ``constant=True``
        AR coefficients for lags 1..p; with ``constant``, ``rho[..., 0]`` is the constant ``c``.
    sigma : tensor_like of float, > 0
        Standard deviation of the innovations (or give ``tau = 1/sigma**2``).
    constant : bool
        Whether ``rho`` starts with a constant term.
    init_dist : TensorVariable, optional
        Unnamed univariate distribution of the first p values, scalar or shape ``(..., p)``
        (default ``Normal.dist(0, 100)``).
    ar_order : int, optional
        p, when it cannot be read from the static shape of ``rho``.
    steps : int, optional
        Number of values after the first p; taken from ``shape[-1] - p`` when not given.

    Notes
    -----
    Stationarity is not required (nor checked).
    """

    ndim_supp = 1

    @classmethod
    def dist(
        cls, rho, sigma=None, *, tau=None, constant=False, init_dist=None, ar_order=None, steps=None, **kwargs
    ):
        rho = as_param(rho)
        if ar_order is None:
            last = rho.type.shape[-1] if rho.type.ndim else None
            if last is None:
                raise ValueError("AR: give ar_order= when rho has no static last dimension")
            ar_order = int(last) - int(constant)
        if ar_order < 1:
            raise ValueError(f"AR: the order must be >= 1, got {ar_order} (rho has shape {rho.type.shape})")
        info = _init_info(init_dist, "AR")
        steps = _n_time(kwargs.get("shape"), steps, ar_order, "AR")
        static = {
            "p": ar_order,
            "constant": bool(constant),
            "steps": steps,
            "init": info.cls,
            "init_kwargs": info.kwargs,
        }
        return cls._make([rho, _sigma_from(sigma, tau), *info.params], kwargs=static, **kwargs)

    @classmethod
    def param_ndim_supp(cls, index):
        return 0 if index == 1 else 1  # rho and init parameters carry the lag axis

    @staticmethod
    def _split(rho, constant):
        return (rho[..., 0], rho[..., 1:]) if constant else (pt.zeros_like(rho[..., 0]), rho)

    @classmethod
    def rv_graph(
        cls,
        rho,
        sigma,
        *init_params,
        size=None,
        rng=None,
        p=1,
        constant=False,
        steps=1,
        init=None,
        init_kwargs=(),
    ):
        c, coefs = cls._split(rho, constant)
        zero = pt.zeros_like(c + sigma)
        batch = _batch_shape(zero, 0) if size is None else size
        eps = random_variable(
            rb.normal, 0.0, (sigma + zero)[..., None], size=_with_core(batch, steps), rng=rng
        )
        x_init = init.rv_graph(*init_params, size=_with_core(batch, p), **dict(init_kwargs))
        # time-major for scan: taps -p..-1 are the previous p values
        eps_t = pt.moveaxis(eps, -1, 0)
        init_t = pt.moveaxis(x_init + pt.zeros_like(eps[..., :1]), -1, 0)
        coefs_t = pt.moveaxis(coefs + zero[..., None], -1, 0)

        def step(e, *args):
            *prev, coefs_, c_ = args  # prev[0] is x[t-p], prev[-1] is x[t-1]
            return c_ + sum(coefs_[k] * prev[p - 1 - k] for k in range(p)) + e

        out = pytensor.scan(
            step,
            sequences=[eps_t],
            # scan takes a single previous value without its time axis
            outputs_info=[{"initial": init_t[0] if p == 1 else init_t, "taps": list(range(-p, 0))}],
            non_sequences=[coefs_t, c + zero],
            return_updates=False,
        )
        series = pt.concatenate([pt.moveaxis(init_t, 0, -1), pt.moveaxis(out, 0, -1)], axis=-1)
        return pt.specify_shape(series, (*series.type.shape[:-1], p + steps))  # scan loses the length

    @staticmethod
    def logp(value, rho, sigma, *init_params, p=1, constant=False, steps=1, init=None, init_kwargs=()):
        c, coefs = AR._split(rho, constant)
        init_lp = pt.sum(init.logp(value[..., :p], *init_params, **dict(init_kwargs)), axis=-1)
        n = value.shape[-1]
        mean = c[..., None] + sum(coefs[..., k, None] * value[..., p - 1 - k : n - 1 - k] for k in range(p))
        innov = Normal.logp(value[..., p:], mean, sigma[..., None])
        return check_parameters(init_lp + pt.sum(innov, axis=-1), sigma > 0, msg="sigma > 0")

    @classmethod
    def support_point(
        cls, rv, rho, sigma, *init_params, p=1, constant=False, steps=1, init=None, init_kwargs=()
    ):
        shape = _with_core(_batch_shape(rv, 1), p)
        x0 = pt.broadcast_to(init.support_point(pt.zeros(shape), *init_params, **dict(init_kwargs)), shape)
        return pt.concatenate([x0, pt.zeros((*_batch_shape(rv, 1), steps))], axis=-1)
