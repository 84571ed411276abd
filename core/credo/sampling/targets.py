"""Closed-form log-densities as cfuncs, for testing and benchmarking samplers.

Each factory returns a Numba cfunc of `credo.sampling.logp.LOGP_GRAD_SIGNATURE` (or
``LOGP_SIGNATURE`` with ``grad=False``) whose parameters are frozen into the compiled code.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from credo.sampling.logp import LOGP_GRAD_SIGNATURE, LOGP_SIGNATURE

__all__ = ["normal", "mvnormal", "funnel", "half_normal_untransformed"]


def normal(mean, sd, grad: bool = True):
    """Independent normals ``x_i ~ N(mean_i, sd_i)``.

    Parameters
    ----------
    mean, sd : array_like of float, shape (n_dim,)
        Means and standard deviations (> 0).
    grad : bool
        Return a ``LOGP_GRAD_SIGNATURE`` cfunc (True) or a ``LOGP_SIGNATURE`` one.

    Raises
    ------
    ValueError
        If ``sd`` is not positive or shapes differ.
    """
    mu = np.ascontiguousarray(mean, dtype=np.float64)
    sd = np.ascontiguousarray(sd, dtype=np.float64)
    if mu.shape != sd.shape or mu.ndim != 1:
        raise ValueError(f"mean {mu.shape} and sd {sd.shape} must be 1-d of equal length")
    if not np.all(sd > 0):
        raise ValueError(f"sd={sd}; expected positive standard deviations")
    prec = 1.0 / sd**2

    if not grad:

        @nb.cfunc(LOGP_SIGNATURE, nogil=True)
        def logp_only(x, n):
            acc = 0.0
            for i in range(n):
                d = x[i] - mu[i]
                acc -= 0.5 * prec[i] * d * d
            return acc

        return logp_only

    @nb.cfunc(LOGP_GRAD_SIGNATURE, nogil=True)
    def logp(x, g, n):
        acc = 0.0
        for i in range(n):
            d = x[i] - mu[i]
            acc -= 0.5 * prec[i] * d * d
            g[i] = -prec[i] * d
        return acc

    return logp


def mvnormal(mean, cov):
    """Multivariate normal ``N(mean, cov)`` as a ``LOGP_GRAD_SIGNATURE`` cfunc.

    Parameters
    ----------
    mean : array_like of float, shape (n_dim,)
    cov : array_like of float, shape (n_dim, n_dim)
        Symmetric positive definite.

    Raises
    ------
    ValueError
        If ``cov`` is not symmetric positive definite or shapes differ.
    """
    mu = np.ascontiguousarray(mean, dtype=np.float64)
    cov = np.asarray(cov, dtype=np.float64)
    if cov.shape != (mu.size, mu.size) or not np.allclose(cov, cov.T):
        raise ValueError(f"cov of shape {cov.shape} must be symmetric ({mu.size}, {mu.size})")
    try:
        np.linalg.cholesky(cov)
    except np.linalg.LinAlgError as err:
        raise ValueError("cov is not positive definite") from err
    prec = np.ascontiguousarray(np.linalg.inv(cov))

    @nb.cfunc(LOGP_GRAD_SIGNATURE, nogil=True)
    def logp(x, g, n):
        acc = 0.0
        for i in range(n):
            gi = 0.0
            for j in range(n):
                gi -= prec[i, j] * (x[j] - mu[j])
            g[i] = gi
            acc += 0.5 * gi * (x[i] - mu[i])
        return acc

    return logp


def funnel(scale_v: float = 3.0):
    """Neal's funnel: ``v ~ N(0, scale_v)``, ``x_i | v ~ N(0, exp(v / 2))``; ``v`` is ``x[0]``.

    References
    ----------
    Neal (2003), Ann. Statist. 31, 705, "Slice sampling", section 8.
    """
    s2 = float(scale_v) ** 2

    @nb.cfunc(LOGP_GRAD_SIGNATURE, nogil=True)
    def logp(x, g, n):
        v = x[0]
        acc = -0.5 * v * v / s2
        g[0] = -v / s2
        w = np.exp(-v)
        for i in range(1, n):
            acc -= 0.5 * x[i] * x[i] * w + 0.5 * v
            g[i] = -x[i] * w
            g[0] += 0.5 * x[i] * x[i] * w - 0.5
        return acc

    return logp


def half_normal_untransformed():
    """Standard half-normal on ``x[i] > 0`` without a transform: ``-inf`` outside the support.

    Trajectories that leave the support must be flagged as divergent.
    """

    @nb.cfunc(LOGP_GRAD_SIGNATURE, nogil=True)
    def logp(x, g, n):
        acc = 0.0
        for i in range(n):
            if x[i] <= 0.0:
                return -np.inf
            acc -= 0.5 * x[i] * x[i]
            g[i] = -x[i]
        return acc

    return logp
