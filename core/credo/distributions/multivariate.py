"""Multivariate distributions: MvNormal, MvStudentT, Dirichlet, Multinomial, LKJCorrCholesky,
LKJCholeskyCov.

Values have one (vectors) or two (matrices) core dimensions (``ndim_supp``); parameters declare theirs
through ``param_ndim_supp`` and broadcast over the leading batch dimensions. Densities follow PyMC
(``pymc.distributions.multivariate``) and the Stan functions reference.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor.random import basic as rb
from pytensor.tensor.variable import TensorVariable

from credo.distributions import transforms
from credo.distributions.base import (
    Continuous,
    Discrete,
    as_param,
    check_parameters,
    dist_info,
    random_variable,
)
from credo.distributions.continuous import LOG_2PI
from credo.distributions.dist_math import xlogy

__all__ = [
    "MvNormal",
    "MvStudentT",
    "Dirichlet",
    "Multinomial",
    "LKJCorrCholesky",
    "LKJCholeskyCov",
]


def _with_core(size, *core):
    """``size`` (batch shape, possibly None or symbolic) followed by the core dimensions."""
    if size is None:
        return None
    if isinstance(size, TensorVariable):
        return pt.concatenate([size, pt.as_tensor_variable(core).astype(size.dtype)])
    return (*tuple(size), *core)


def _batch_shape(var, ndim_core: int) -> tuple:
    return tuple(var.shape[i] for i in range(var.type.ndim - ndim_core))


def _chol_from(cov, chol, tau, name: str):
    given = [x is not None for x in (cov, chol, tau)]
    if sum(given) != 1:
        raise ValueError(f"{name}: give exactly one of cov, chol and tau")
    if chol is not None:
        return as_param(chol)
    if cov is not None:
        return pt.linalg.cholesky(as_param(cov), lower=True, check_finite=False, on_error="nan")
    return pt.linalg.cholesky(pt.linalg.inv(as_param(tau)), lower=True, check_finite=False, on_error="nan")


def _diag(chol):
    return pt.diagonal(chol, axis1=-2, axis2=-1)


def _whiten(value, mu, chol):
    """``L^{-1} (value - mu)`` along the last axis, batched."""
    diff = value - mu
    return pt.linalg.solve_triangular(chol, diff[..., None], lower=True, check_finite=False)[..., 0]


class MvNormal(Continuous):
    """Multivariate normal distribution.

    Parameters
    ----------
    mu : tensor_like of float, shape (..., k)
        Mean.
    cov : tensor_like of float, shape (..., k, k), symmetric positive definite, optional
        Covariance; or give exactly one of ``chol`` and ``tau``.
    chol : tensor_like of float, shape (..., k, k), optional
        Lower-triangular Cholesky factor of the covariance, positive diagonal.
    tau : tensor_like of float, shape (..., k, k), optional
        Precision matrix.

    Notes
    -----
    A ``cov`` or ``tau`` that is not positive definite gives a NaN Cholesky factor, reported as a
    `ParameterValueError` (``-inf`` inside a model).
    """

    ndim_supp = 1

    @classmethod
    def dist(cls, mu, cov=None, *, chol=None, tau=None, **kwargs):
        return cls._make([as_param(mu), _chol_from(cov, chol, tau, "MvNormal")], **kwargs)

    @classmethod
    def param_ndim_supp(cls, index):
        return (1, 2)[index]

    @classmethod
    def rv_graph(cls, mu, chol, size=None, rng=None):
        zero = pt.zeros_like(mu + chol[..., 0])  # broadcast batch of mu and chol, core (k,)
        z = random_variable(rb.normal, zero, 1.0, size=_with_core(size, chol.shape[-1]), rng=rng)
        return mu + (chol @ z[..., None])[..., 0]

    @staticmethod
    def logp(value, mu, chol):
        k = pt.cast(value.shape[-1], "float64")
        z = _whiten(value, mu, chol)
        diag = _diag(chol)
        res = -0.5 * k * LOG_2PI - pt.sum(pt.log(diag), axis=-1) - 0.5 * pt.sum(z**2, axis=-1)
        return check_parameters(res, diag > 0, msg="cov positive definite (chol with positive diagonal)")

    @classmethod
    def support_point(cls, rv, mu, chol):
        return pt.broadcast_to(mu, rv.shape)


class MvStudentT(Continuous):
    """Multivariate Student's t distribution.

    Parameters
    ----------
    nu : tensor_like of float, > 0
        Degrees of freedom.
    mu : tensor_like of float, shape (..., k)
        Location.
    scale : tensor_like of float, shape (..., k, k), symmetric positive definite, optional
        Scale matrix (the covariance is ``nu / (nu - 2) scale``); or give one of ``chol``, ``tau``.
    chol : tensor_like of float, shape (..., k, k), optional
        Lower-triangular Cholesky factor of ``scale``.
    tau : tensor_like of float, shape (..., k, k), optional
        Inverse of ``scale``.
    """

    ndim_supp = 1

    @classmethod
    def dist(cls, nu, mu, scale=None, *, chol=None, tau=None, **kwargs):
        return cls._make([as_param(nu), as_param(mu), _chol_from(scale, chol, tau, "MvStudentT")], **kwargs)

    @classmethod
    def param_ndim_supp(cls, index):
        return (0, 1, 2)[index]

    @classmethod
    def rv_graph(cls, nu, mu, chol, size=None, rng=None):
        # mu + L z / sqrt(w) with z standard normal and w ~ chi2(nu) / nu
        zero = pt.zeros_like(mu + chol[..., 0] + nu[..., None])
        z = random_variable(rb.normal, zero, 1.0, size=_with_core(size, chol.shape[-1]), rng=rng)
        w = random_variable(rb._gamma, nu / 2.0 + zero[..., 0], 2.0 / nu, size=size)
        return mu + (chol @ z[..., None])[..., 0] / pt.sqrt(w)[..., None]

    @staticmethod
    def logp(value, nu, mu, chol):
        k = pt.cast(value.shape[-1], "float64")
        z = _whiten(value, mu, chol)
        diag = _diag(chol)
        res = (
            pt.gammaln((nu + k) / 2.0)
            - pt.gammaln(nu / 2.0)
            - 0.5 * k * pt.log(nu * np.pi)
            - pt.sum(pt.log(diag), axis=-1)
            - (nu + k) / 2.0 * pt.log1p(pt.sum(z**2, axis=-1) / nu)
        )
        return check_parameters(res, nu > 0, diag > 0, msg="nu > 0, scale positive definite")

    @classmethod
    def support_point(cls, rv, nu, mu, chol):
        return pt.broadcast_to(mu, rv.shape)


class Dirichlet(Continuous):
    """Dirichlet distribution on the simplex.

    Parameters
    ----------
    a : tensor_like of float, shape (..., K), > 0
        Concentrations.
    """

    ndim_supp = 1
    rv_op = rb.dirichlet
    default_transform = transforms.simplex

    @classmethod
    def dist(cls, a, **kwargs):
        return cls._make([as_param(a)], **kwargs)

    @classmethod
    def param_ndim_supp(cls, index):
        return 1

    @staticmethod
    def logp(value, a):
        res = (
            pt.sum(xlogy(a - 1.0, value), axis=-1)
            - pt.sum(pt.gammaln(a), axis=-1)
            + pt.gammaln(pt.sum(a, axis=-1))
        )
        on_simplex = pt.all(value >= 0, axis=-1) & (pt.abs(pt.sum(value, axis=-1) - 1.0) < 1e-9)
        res = pt.switch(on_simplex, res, -np.inf)
        return check_parameters(res, a > 0, msg="a > 0")

    @classmethod
    def support_point(cls, rv, a):
        return pt.broadcast_to(a / pt.sum(a, axis=-1, keepdims=True), rv.shape)


class Multinomial(Discrete):
    """Multinomial distribution: counts of ``n`` draws over K categories.

    Parameters
    ----------
    n : tensor_like of int, >= 0
        Number of draws.
    p : tensor_like of float, shape (..., K), each in [0, 1]
        Category probabilities (normalised to sum to 1).
    """

    ndim_supp = 1

    @classmethod
    def dist(cls, n, p, **kwargs):
        return cls._make([as_param(n, "int64"), as_param(p)], **kwargs)

    @classmethod
    def param_ndim_supp(cls, index):
        return (0, 1)[index]

    @classmethod
    def rv_graph(cls, n, p, size=None, rng=None):
        return random_variable(rb.multinomial, n, p / pt.sum(p, axis=-1, keepdims=True), size=size, rng=rng)

    @staticmethod
    def logp(value, n, p):
        p = p / pt.sum(p, axis=-1, keepdims=True)
        res = (
            pt.gammaln(n + 1.0) - pt.sum(pt.gammaln(value + 1.0), axis=-1) + pt.sum(xlogy(value, p), axis=-1)
        )
        valid = pt.all(value >= 0, axis=-1) & pt.eq(pt.sum(value, axis=-1), n)
        res = pt.switch(valid, res, -np.inf)
        return check_parameters(res, n >= 0, p >= 0, p <= 1, msg="n >= 0, 0 <= p <= 1")

    @classmethod
    def support_point(cls, rv, n, p):
        p = p / pt.sum(p, axis=-1, keepdims=True)
        counts = pt.floor(n[..., None] * p)
        rest = n - pt.sum(counts, axis=-1)  # remaining draws go to the last category
        last = pt.eq(pt.arange(p.shape[-1]), p.shape[-1] - 1)
        return pt.broadcast_to(counts + last * rest[..., None], rv.shape).astype("int64")


def lkj_log_normalizer(eta, n: int):
    """``log c_n(eta)``: the integral of ``det(C)**(eta - 1)`` over n x n correlation matrices.

    ``log c_n = sum_{k=1}^{n-1} [k/2 log(pi) + log Gamma(eta + (n-1-k)/2)] - (n-1) log Gamma(eta + (n-1)/2)``
    (Lewandowski, Kurowicka & Joe 2009, section 3.2).
    """
    k = np.arange(1, n)
    return pt.sum(0.5 * k * np.log(np.pi) + pt.gammaln(eta[..., None] + 0.5 * (n - 1 - k)), axis=-1) - (
        n - 1
    ) * pt.gammaln(eta + 0.5 * (n - 1))


def _lkj_onion(eta, n: int, size, rng=None):
    """Cholesky factors of LKJ(eta) correlation matrices by the onion method.

    Row ``i`` (``i >= 1``) is ``sqrt(y_i) u_i`` on its first ``i`` entries, with
    ``y_i ~ Beta(i/2, eta + (n-1-i)/2)`` and ``u_i`` uniform on the unit sphere, and
    ``sqrt(1 - y_i)`` on the diagonal (Lewandowski, Kurowicka & Joe 2009; as NumPyro's LKJCholesky).
    """
    batch = _batch_shape(eta, 0) if size is None else size
    k = np.arange(1, n)
    y = random_variable(
        rb.beta, 0.5 * k, eta[..., None] + 0.5 * (n - 1 - k), size=_with_core(batch, n - 1), rng=rng
    )
    strict = np.tril(np.ones((n, n)), -1)
    z = random_variable(rb.normal, 0.0, 1.0, size=_with_core(batch, n, n)) * strict
    norm = pt.sqrt(pt.sum(z**2, axis=-1, keepdims=True))
    u = z[..., 1:, :] / norm[..., 1:, :]
    w = pt.sqrt(y)[..., None] * u
    diag = pt.sqrt(1.0 - pt.sum(w**2, axis=-1))
    rows = w + np.eye(n)[1:] * diag[..., None]
    first = pt.zeros_like(rows[..., :1, :]) + np.eye(n)[:1]
    return pt.concatenate([first, rows], axis=-2)


def _lkj_chol_logp(chol_corr, eta, n: int):
    """Log-density of a correlation Cholesky factor over its strictly lower triangle (Stan)."""
    i = np.arange(n)
    return pt.sum((n - 1 - i + 2.0 * eta[..., None] - 2.0) * pt.log(_diag(chol_corr)), axis=-1) - (
        lkj_log_normalizer(eta, n)
    )


def _static_n(n) -> int:
    if isinstance(n, TensorVariable) or int(n) != n or n < 2:
        raise ValueError(f"n must be a Python integer >= 2 (the matrix dimension), got {n!r}")
    return int(n)


class LKJCorrCholesky(Continuous):
    """Cholesky factor of a correlation matrix with the LKJ distribution, ``p(C) ~ det(C)**(eta - 1)``.

    Parameters
    ----------
    eta : tensor_like of float, > 0
        Shape: 1 is uniform over correlation matrices, larger values concentrate near the identity.
    n : int, >= 2
        Dimension.

    Notes
    -----
    The value ``L`` (shape ``(..., n, n)``, lower triangular with unit-norm rows) is sampled through
    the `CholeskyCorr` transform; the density is over the strictly lower triangle, as Stan's
    ``lkj_corr_cholesky``. The correlation matrix is ``L @ L.T``.

    References
    ----------
    Lewandowski, Kurowicka & Joe (2009), J. Multivariate Anal. 100, 1989-2001.
    """

    ndim_supp = 2

    @classmethod
    def dist(cls, eta, n, **kwargs):
        return cls._make([as_param(eta)], kwargs={"n": _static_n(n)}, **kwargs)

    @classmethod
    def rv_graph(cls, eta, size=None, rng=None, n=2):
        return _lkj_onion(eta, n, size, rng)

    @staticmethod
    def logp(value, eta, n=2):
        res = _lkj_chol_logp(value, eta, n)
        upper = np.triu(np.ones((n, n)), 1)
        valid = (
            pt.all(_diag(value) > 0, axis=-1)
            & pt.all(pt.abs(pt.sum(value**2, axis=-1) - 1.0) < 1e-9, axis=-1)
            & pt.all(pt.eq(value * upper, 0), axis=(-2, -1))
        )
        return check_parameters(pt.switch(valid, res, -np.inf), eta > 0, msg="eta > 0")

    @classmethod
    def get_transform(cls, eta, n=2):
        return transforms.CholeskyCorr(n)

    @classmethod
    def support_point(cls, rv, eta, n=2):
        return pt.broadcast_to(pt.eye(n), rv.shape)


def _pack_matrix(n: int) -> np.ndarray:
    rows, cols = np.tril_indices(n)
    return transforms._scatter_matrix(n, rows, cols)


def unpack_cholesky(packed, n: int):
    """Lower-triangular ``(..., n, n)`` matrix from its row-major packing ``(..., n (n + 1) / 2)``."""
    return pt.dot(packed, _pack_matrix(n)).reshape((*packed.shape[:-1], n, n))


class LKJCholeskyCov(Continuous):
    """Cholesky factor of a covariance matrix with LKJ correlations and given standard deviations.

    ``cov = diag(sigma) C diag(sigma)`` with ``C ~ LKJ(eta)`` and ``sigma ~ sd_dist`` independent. The
    random variable is the packed lower triangle of ``chol = cholesky(cov)`` (PyMC semantics).

    Parameters
    ----------
    name : str
        Name of the packed variable (when called inside a model).
    eta : tensor_like of float, > 0
        LKJ shape.
    n : int, >= 2
        Dimension.
    sd_dist : TensorVariable
        An unnamed positive distribution for the standard deviations, scalar or shape ``(n,)``, e.g.
        ``cr.Exponential.dist(1.0, size=n)``.
    compute_corr : bool
        Return ``(chol, corr, stds)`` instead of the packed factor (default, as PyMC).
    store_in_trace : bool
        With ``compute_corr``, record ``{name}_corr`` and ``{name}_stds`` as deterministics.

    Returns
    -------
    packed : TensorVariable, shape (n (n + 1) / 2,)
        Without ``compute_corr`` (and always from ``.dist``).
    chol, corr, stds : TensorVariable, shapes (n, n), (n, n), (n,)
        With ``compute_corr``.

    Notes
    -----
    The density of the packed factor is ``p_LKJ(C) p_sd(sigma) prod_i C_ii / sigma_i**i`` (the last factor
    is the Jacobian of ``(sigma, chol(C)) -> chol``); the diagonal is sampled on the log scale
    (`CholeskyCovPacked` transform).

    References
    ----------
    Lewandowski, Kurowicka & Joe (2009), J. Multivariate Anal. 100, 1989-2001; PyMC's LKJCholeskyCov.
    """

    ndim_supp = 1

    def __new__(
        cls, name, eta, n, sd_dist, *, compute_corr: bool = True, store_in_trace: bool = True, **kwargs
    ):
        from credo.model.core import Deterministic

        packed = super().__new__(cls, name, eta, n, sd_dist, **kwargs)
        if not compute_corr:
            return packed
        chol, corr, stds = cholesky_corr_stds(packed, _static_n(n))
        if store_in_trace:
            corr = Deterministic(f"{name}_corr", corr)
            stds = Deterministic(f"{name}_stds", stds)
        return chol, corr, stds

    @classmethod
    def dist(cls, eta, n, sd_dist, **kwargs):
        n = _static_n(n)
        info = dist_info(sd_dist)
        if info.cls.ndim_supp != 0:
            raise ValueError(f"LKJCholeskyCov: sd_dist must be univariate, got {info.cls.__name__}")
        static = {"n": n, "sd": info.cls, "sd_kwargs": info.kwargs, "n_sd": len(info.params)}
        return cls._make([as_param(eta), *info.params], kwargs=static, **kwargs)

    @classmethod
    def _check_broadcast(cls, params, size) -> None:
        pass  # sd_dist parameters carry the core dimension n

    @classmethod
    def rv_graph(cls, eta, *sd_params, size=None, rng=None, n=2, sd=None, sd_kwargs=(), n_sd=0):
        batch = _batch_shape(eta, 0) if size is None else size
        corr = _lkj_onion(eta, n, batch, rng)
        stds = sd.rv_graph(*sd_params, size=_with_core(batch, n), **dict(sd_kwargs))
        chol = (stds[..., None] * corr).reshape(_with_core(batch, n * n))
        return pt.dot(chol, _pack_matrix(n).T)

    @staticmethod
    def logp(value, eta, *sd_params, n=2, sd=None, sd_kwargs=(), n_sd=0):
        chol = unpack_cholesky(value, n)
        stds = pt.sqrt(pt.sum(chol**2, axis=-1))
        corr_diag = _diag(chol) / stds
        lkj = pt.sum((n - 1 - np.arange(n) + 2.0 * eta[..., None] - 2.0) * pt.log(corr_diag), axis=-1)
        lkj = lkj - lkj_log_normalizer(eta, n)
        log_jac = pt.sum(pt.log(corr_diag) - np.arange(n) * pt.log(stds), axis=-1)
        sd_lp = pt.sum(sd.logp(stds, *sd_params, **dict(sd_kwargs)), axis=-1)
        res = pt.switch(pt.all(_diag(chol) > 0, axis=-1), lkj + log_jac + sd_lp, -np.inf)
        return check_parameters(res, eta > 0, msg="eta > 0")

    @classmethod
    def get_transform(cls, eta, *sd_params, n=2, **kwargs):
        return transforms.CholeskyCovPacked(n)

    @classmethod
    def support_point(cls, rv, eta, *sd_params, n=2, sd=None, sd_kwargs=(), n_sd=0):
        batch = _batch_shape(rv, 1)
        shape = _with_core(batch, n)
        stds = pt.broadcast_to(sd.support_point(pt.zeros(shape), *sd_params, **dict(sd_kwargs)), shape)
        diag = (stds[..., None] * np.eye(n)).reshape(_with_core(batch, n * n))
        return pt.broadcast_to(pt.dot(diag, _pack_matrix(n).T), rv.shape)


def cholesky_corr_stds(packed, n: int):
    """``(chol, corr, stds)`` of a packed covariance Cholesky factor (as `LKJCholeskyCov` returns)."""
    chol = unpack_cholesky(packed, n)
    cov = chol @ pt.swapaxes(chol, -1, -2)
    stds = pt.sqrt(_diag(cov))
    corr = cov / (stds[..., :, None] * stds[..., None, :])
    return chol, corr, stds
