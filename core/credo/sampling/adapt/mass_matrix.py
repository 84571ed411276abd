"""Mass-matrix estimators: Welford running (co)variance, Stan's regularised estimate and nutpie's
gradient-based diagonal (Numba).

The inverse mass matrix is the metric of `credo.sampling.nuts.nuts_step`: a diagonal of shape (m,)
or a dense matrix of shape (m, m). `RunningVariance` accumulates the diagonal or the full
covariance depending on the shape of its ``m2`` array, so one code path serves both metrics.

References
----------
Welford (1962), Technometrics 4, 419.
Stan ``welford_var_estimator.hpp``, ``welford_covar_estimator.hpp``, ``var_adaptation.hpp`` and
``covar_adaptation.hpp`` (shrinkage with weight ``5 / (n + 5)`` towards ``1e-3 I``; credo's dense
estimate shrinks towards the diagonal of the sample covariance instead, see `stan_inv_mass`).
Seyboldt et al., nutpie / nuts-rs ``mass_matrix.rs``: ``M^-1 = diag(sqrt(var(draws) / var(grads)))``,
which is exact for Gaussian targets and uses the gradients that NUTS computes anyway.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np
from numba.extending import overload

__all__ = [
    "RunningVariance",
    "running_variance_init",
    "running_variance_add",
    "stan_inv_mass",
    "grad_based_inv_mass",
    "variance_inv_mass",
    "grad_init_inv_mass",
    "inv_mass_sqrt",
    "diag_sqrt_into",
]

_LOWER = 1e-20
_UPPER = 1e20


class RunningVariance(NamedTuple):
    """Welford accumulator of draws; ``m2`` is (m,) for variances or (m, m) for a covariance.

    Attributes
    ----------
    mean : ndarray, shape (m,)
        Running mean (updated in place).
    m2 : ndarray, shape (m,) or (m, m)
        Sum of squared deviations from the mean (updated in place).
    count : int
        Number of draws added.
    """

    mean: np.ndarray
    m2: np.ndarray
    count: int


@nb.njit(cache=True, nogil=True, inline="always")
def running_variance_init(mean, m2):
    """Empty the accumulator whose arrays are ``mean`` and ``m2`` (zeroed in place)."""
    mean[:] = 0.0
    m2[:] = 0.0
    return RunningVariance(mean, m2, 0)


def _welford_add(mean, m2, x, count):
    """Add ``x`` as the ``count``-th draw to ``mean`` and ``m2`` in place (Numba only)."""
    raise NotImplementedError("_welford_add runs in Numba code only")


# an overload, specialised on the type of m2 when typed, so that it can be inlined (a call costs two
# atomic reference-count updates per array argument, after every warm-up draw)
@overload(_welford_add, inline="always", jit_options={"cache": True, "nogil": True})
def _welford_add_impl(mean, m2, x, count):
    if m2.ndim == 1:

        def diagonal(mean, m2, x, count):
            for i in range(x.shape[0]):
                delta = x[i] - mean[i]
                mean[i] += delta / count
                m2[i] += delta * (x[i] - mean[i])

        return diagonal

    def dense(mean, m2, x, count):
        m = x.shape[0]
        delta = x - mean
        for i in range(m):
            mean[i] += delta[i] / count
        for i in range(m):
            d = x[i] - mean[i]
            for j in range(m):
                m2[i, j] += d * delta[j]

    return dense


@nb.njit(cache=True, nogil=True, inline="always")
def running_variance_add(est, x):
    """Add the draw ``x`` (shape (m,)) to the accumulator; arrays are updated in place."""
    count = est.count + 1
    _welford_add(est.mean, est.m2, x, count)
    return RunningVariance(est.mean, est.m2, count)


@nb.njit(cache=True, nogil=True)
def _shrink(m2, n):
    w = 5.0 / (n + 5.0)
    out = m2 * ((1.0 - w) / (n - 1.0))
    if m2.ndim == 1:
        out += 1e-3 * w
    else:
        # towards the diagonal of the estimate itself, not Stan's 1e-3 I (see stan_inv_mass)
        for i in range(out.shape[0]):
            out[i, i] = max(m2[i, i] / (n - 1.0), _LOWER)
    return out


@nb.njit(cache=True, nogil=True)
def stan_inv_mass(est):
    """Stan's regularised sample variance, and a scale-aware regularised sample covariance.

    Diagonal metric: ``n/(n+5) s^2 + 1e-3 * 5/(n+5)``, Stan's ``var_adaptation``. Dense metric:
    ``n/(n+5) S + 5/(n+5) diag(S)``, i.e. the variances are kept and the correlations shrunk by
    ``n/(n+5)``. Stan's ``covar_adaptation`` adds ``1e-3 * 5/(n+5)`` to the diagonal instead, which
    swamps every parameter whose posterior sd is below ~0.003 (a transit period known to 1e-5 d gets
    a metric 100x too wide and NUTS hits the maximum tree depth on every draw). Variances are
    floored at 1e-20 so the result stays positive definite.

    Returns a new array of the shape of ``est.m2``. Requires ``est.count >= 2``.
    """
    return _shrink(est.m2, float(est.count))


@nb.njit(cache=True, nogil=True, inline="always")
def _set_scale(out, i, value):
    """``out[i] = value`` clamped to [1e-20, 1e20], unless ``value`` is not finite or not positive
    (then ``out[i]``, the previous metric, stays)."""
    if np.isfinite(value) and value > 0.0:
        out[i] = min(max(value, _LOWER), _UPPER)


@nb.njit(cache=True, nogil=True)
def grad_based_inv_mass(draws, grads, out):
    """nutpie's diagonal ``sqrt(var(draws) / var(grads))``, clamped to [1e-20, 1e20], into ``out``.

    ``draws`` and ``grads`` hold the same number of samples, so their ``m2`` sums are used without
    normalising. Entries that are not finite or zero keep the value ``out`` holds (the previous
    metric). Returns ``out``, updated in place: warm-up refreshes the metric after every draw.
    """
    for i in range(out.shape[0]):
        # a gradient that never varied (a coordinate no term of the density depends on) has no scale
        if grads.m2[i] > 0.0:
            _set_scale(out, i, np.sqrt(draws.m2[i] / grads.m2[i]))
    return out


@nb.njit(cache=True, nogil=True)
def variance_inv_mass(draws, out):
    """The sample variance of ``draws`` (diagonal, ``count >= 2``), clamped to [1e-20, 1e20], into
    ``out``; entries that are not finite or zero keep the value ``out`` holds.

    Unlike `stan_inv_mass` it is not shrunk towards ``1e-3``: Stan's term would widen the metric of
    every parameter whose posterior sd is below ~0.003 many times over. Returns ``out``, updated
    in place (the hybrid warm-up refreshes it every draw).
    """
    for i in range(out.shape[0]):
        _set_scale(out, i, draws.m2[i] / (draws.count - 1.0))
    return out


@nb.njit(cache=True, nogil=True)
def grad_init_inv_mass(grad):
    """nutpie's initial diagonal ``1 / |grad|`` at the initial point, clamped to [1e-20, 1e20].

    Components whose gradient is zero or not finite carry no scale information and get 1 (nutpie
    would give them 1e20, which wrecks the first step-size search when a chain starts at a point
    where some coordinate sits at its mode, e.g. 0 for a centred normal prior).
    """
    out = np.empty_like(grad)
    for i in range(grad.shape[0]):
        g = abs(grad[i])
        out[i] = 1.0 / min(max(g, _LOWER), _UPPER) if 0.0 < g < np.inf else 1.0
    return out


@nb.njit(cache=True, nogil=True, inline="always")
def diag_sqrt_into(inv_mass, out):
    """``out = sqrt(inv_mass)`` for a diagonal metric, in place (warm-up refreshes it every draw)."""
    for i in range(inv_mass.shape[0]):
        out[i] = np.sqrt(inv_mass[i])


@nb.njit(cache=True, nogil=True)
def inv_mass_sqrt(inv_mass):
    """``sqrt`` of a diagonal metric or the lower Cholesky factor of a dense one."""
    if inv_mass.ndim == 1:
        return np.sqrt(inv_mass)
    return np.ascontiguousarray(np.linalg.cholesky(inv_mass))
