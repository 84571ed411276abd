"""SMC building blocks as pure functions over an explicit particle population.

A stage of tempered SMC (Ching & Chen 2007; Minson, Simons & Beck 2013; Del Moral, Doucet & Jasra
2012) reweights the population from one intermediate target to the next, resamples it and moves
every particle with a few Metropolis-Hastings steps that leave the new target invariant. The
targets are ``prior_logp + phi(loglike)`` where the *schedule* says what ``phi`` is: `Tempering`
(``phi = beta * loglike``) here, the ABC tolerance schedule in `credo.sampling.abc`. A schedule
provides ``name``, ``start``, ``next(loglike, current)``, ``log_target(loglike, param)`` and
``finished(new, old, accept_rate)``.

Everything is vectorised over particles: ``evaluate(x)`` returns the prior and likelihood
log-densities of a whole ``(n, d)`` batch, and no Python runs per particle.

References
----------
Ching, J. & Chen, Y.-C. (2007), J. Eng. Mech. 133, 816, "Transitional Markov chain Monte Carlo
method for Bayesian model updating, model class selection, and model averaging".
Minson, S. E., Simons, M. & Beck, J. L. (2013), Geophys. J. Int. 194, 1701, "Bayesian inversion
for finite fault earthquake source models I - theory and algorithm".
Del Moral, P., Doucet, A. & Jasra, A. (2012), Stat. Comput. 22, 1009, "An adaptive sequential
Monte Carlo method for approximate Bayesian computation".
Kitagawa, G. (1996), J. Comput. Graph. Stat. 5, 1 (systematic resampling).
Roberts, G. O. & Rosenthal, J. S. (2001), Stat. Sci. 16, 351 (random-walk scale 2.38/sqrt(d)).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from scipy.linalg import solve_triangular
from scipy.special import logsumexp

from credo.exceptions import SamplingError

__all__ = [
    "Particles",
    "Tempering",
    "ess",
    "systematic_resampling",
    "reweight",
    "fit_gaussian",
    "mutate",
    "tune_scales",
    "MAX_STEPS",
]

# Cap on MH steps per stage; the correlation rule normally stops far earlier (PyMC has no cap, but
# a proposal that never decorrelates the particles should not run forever).
MAX_STEPS = 100
# Target acceptance rate of the random-walk kernel (Roberts, Gelman & Gilks 1997; PyMC's MH kernel).
TARGET_ACCEPT = 0.234


class Particles(NamedTuple):
    """A population of ``n`` particles on the flat unconstrained space.

    Attributes
    ----------
    x : ndarray, shape (n, d)
    prior_logp : ndarray, shape (n,)
        Prior log-density including transform log-Jacobians.
    loglike : ndarray, shape (n,)
        Log-likelihood (or, for ABC with an adaptive tolerance, minus the distance); -inf allowed.
    """

    x: np.ndarray
    prior_logp: np.ndarray
    loglike: np.ndarray

    def take(self, idx: np.ndarray) -> Particles:
        return Particles(self.x[idx], self.prior_logp[idx], self.loglike[idx])


@dataclass(frozen=True)
class Tempering:
    """Likelihood tempering ``phi = beta * loglike``, beta from 0 (prior) to 1 (posterior).

    The next beta makes the effective sample size of the incremental weights
    ``exp((beta_new - beta) * loglike)`` equal ``threshold * n`` (found by bisection), so that each
    stage keeps about that fraction of the particles' information (Minson et al. 2013).

    Parameters
    ----------
    threshold : float in (0, 1)
    """

    threshold: float
    name: ClassVar[str] = "beta"
    start: ClassVar[float] = 0.0

    def log_target(self, loglike: np.ndarray, beta: float) -> np.ndarray:
        if beta == 0.0:  # the prior: even particles with loglike = -inf keep their weight
            return np.zeros_like(loglike)
        return beta * loglike

    def next(self, loglike: np.ndarray, beta: float) -> float:
        want = self.threshold * loglike.shape[0]
        old = self.log_target(loglike, beta)

        def ess_at(b: float) -> float:
            return ess(self.log_target(loglike, b) - old)

        if ess_at(1.0) >= want:
            return 1.0
        lo, hi = beta, 1.0
        for _ in range(64):  # the interval is below float resolution long before 64 halvings
            mid = 0.5 * (lo + hi)
            if not lo < mid < hi:
                break
            if ess_at(mid) < want:
                hi = mid
            else:
                lo = mid
        return hi if lo == beta else lo

    def finished(self, new: float, old: float, accept_rate: float) -> bool:
        return new >= 1.0


def ess(log_weights: np.ndarray) -> float:
    """Kish effective sample size ``(sum w)^2 / sum w^2`` of unnormalised log-weights (0 if none)."""
    top = np.max(log_weights)
    if not np.isfinite(top):
        return 0.0
    w = np.exp(log_weights - top)
    return float(w.sum() ** 2 / np.sum(w * w))


def reweight(log_incr: np.ndarray) -> tuple[np.ndarray, float]:
    """Normalised weights and log mean weight ``log(mean(exp(log_incr)))`` of one stage.

    The log mean weight is the stage's factor of the marginal-likelihood estimate (the particles
    are equally weighted after every resampling).

    Raises
    ------
    SamplingError
        If every weight is zero (no particle has a finite tempered density).
    """
    log_mean = float(logsumexp(log_incr) - np.log(log_incr.shape[0]))
    if not np.isfinite(log_mean):
        raise SamplingError(
            "every particle has zero weight at the next stage (log-likelihood -inf or NaN at all "
            "particles): check the likelihood and its support"
        )
    w = np.exp(log_incr - np.max(log_incr))
    return w / w.sum(), log_mean


def systematic_resampling(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices drawn by systematic resampling (one uniform for all particles; Kitagawa 1996).

    Parameters
    ----------
    weights : ndarray, shape (n,)
        Normalised weights.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of int, shape (n,)
    """
    n = weights.shape[0]
    points = (rng.random() + np.arange(n)) / n
    idx = np.searchsorted(np.cumsum(weights), points, side="left")
    return np.minimum(idx, n - 1)  # cumsum may end a rounding error below 1


def fit_gaussian(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and Cholesky factor of the covariance of the particles (with a small ridge).

    Raises
    ------
    SamplingError
        If the covariance is not finite (diverging particles).
    """
    mean = x.mean(axis=0)
    cov = np.atleast_2d(np.cov(x, rowvar=False, ddof=0))
    if not np.all(np.isfinite(cov)):
        raise SamplingError(
            "the particle covariance is not finite: particles diverged (unbounded likelihood?)"
        )
    # a ridge relative to the typical variance keeps collapsed coordinates (e.g. integer ones)
    # from making the covariance singular without distorting well-scaled ones
    ridge = max(1e-8 * float(np.mean(np.diag(cov))), 1e-12)
    chol = np.linalg.cholesky(cov + ridge * np.eye(cov.shape[0]))
    return mean, chol


class FamilyGaussian(NamedTuple):
    """Per-particle Gaussians fitted to the population without the particle's own family.

    A particle's family is the set of identical copies resampling made of it. Each particle ``i``
    gets the mean and covariance of the other particles, ``m_i = m - c_i delta_i`` and
    ``C_i = f_i L (I - c_i u_i u_i^T) L^T`` with ``delta_i = x_i - m``, ``u_i = L^{-1} delta_i``,
    ``c_i = k_i / (n - k_i)``, ``f_i = n / (n - k_i)``, ``k_i`` the family size and ``L L^T`` the full
    covariance: rank-one downdates, so all ``n`` proposals cost one Cholesky factorisation.

    Why: a proposal fitted to a population that contains the particle itself depends on the
    particle's position, and the MH kernel then no longer leaves the target invariant. The
    self-influence on the Mahalanobis distance is about ``r^4 / (2 n)`` for a particle at distance
    ``r``, i.e. ``d^2 / (2 n)``: 0.6 nats for d = 50 and n = 2000, enough to shrink the particles
    and bias the marginal likelihood upwards by about one nat over a run.
    """

    mean: np.ndarray  # (n, d)
    chol: np.ndarray  # (d, d)
    chol_inv: np.ndarray  # (d, d)
    u: np.ndarray  # (n, d)
    c: np.ndarray  # (n,)
    f: np.ndarray  # (n,)
    kappa: np.ndarray  # (n,), I - kappa u u^T is the square root of I - c u u^T
    rest: np.ndarray  # (n,), 1 - c |u|^2


def fit_family_out(x: np.ndarray) -> FamilyGaussian:
    """`FamilyGaussian` proposals for the population ``x`` (shape (n, d))."""
    n, d = x.shape
    mean, chol = fit_gaussian(x)
    chol_inv = solve_triangular(chol, np.eye(d), lower=True)
    _, inverse, counts = np.unique(x, axis=0, return_inverse=True, return_counts=True)
    k = counts[inverse.ravel()].astype(float)
    k[k >= n] = 0.0  # one family only: nothing to leave out of, keep the full fit
    c, f = k / (n - k), n / (n - k)
    delta = x - mean
    u = delta @ chol_inv.T
    uu = np.sum(u * u, axis=1)
    # the downdated covariance is a sum of outer products, so 1 - c|u|^2 >= 0 up to rounding
    rest = np.maximum(1.0 - c * uu, 1e-12)
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa = np.where(uu > 0, (1.0 - np.sqrt(rest)) / uu, 0.0)
    return FamilyGaussian(mean - c[:, None] * delta, chol, chol_inv, u, c, f, kappa, rest)


def _family_draw(q: FamilyGaussian, rng: np.random.Generator) -> np.ndarray:
    """One draw per particle from ``N(0, C_i)``, shape (n, d)."""
    eps = rng.standard_normal(q.u.shape)
    eps -= (q.kappa * np.sum(eps * q.u, axis=1))[:, None] * q.u
    return np.sqrt(q.f)[:, None] * (eps @ q.chol.T)


def _family_logq(q: FamilyGaussian, y: np.ndarray) -> np.ndarray:
    """``log N(y_i | m_i, C_i)`` up to a per-particle constant (it cancels in the IMH ratio)."""
    v = (y - q.mean) @ q.chol_inv.T
    quad = np.sum(v * v, axis=1) + q.c * np.sum(q.u * v, axis=1) ** 2 / q.rest
    return -0.5 * quad / q.f


def _abs_corr(x0c: np.ndarray, norm0: np.ndarray, x: np.ndarray) -> np.ndarray:
    xc = x - x.mean(axis=0)
    norm = np.sqrt(np.sum(xc * xc, axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.abs(np.sum(x0c * xc, axis=0) / (norm0 * norm))


def tune_scales(scales: np.ndarray, accept: np.ndarray) -> np.ndarray:
    """Random-walk scales after a stage: each moves by ``exp(accept_i - 0.234)`` and is pulled
    halfway to the population mean (PyMC's MH kernel).

    Parameters
    ----------
    scales, accept : ndarray, shape (n,)
        Per-particle scales and acceptance fractions of the last stage (resampled alongside).
    """
    new = scales * np.exp(accept - TARGET_ACCEPT)
    return 0.5 * (new + new.mean())


def mutate(
    particles: Particles,
    tempered: Callable[[np.ndarray], np.ndarray],
    evaluate: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    rng: np.random.Generator,
    kernel: str,
    correlation_threshold: float,
    scales: np.ndarray | None = None,
    max_steps: int = MAX_STEPS,
) -> tuple[Particles, np.ndarray, int]:
    """Move every particle with Metropolis-Hastings steps that keep ``prior + tempered(loglike)``.

    ``kernel="imh"`` proposes independently from a Gaussian fitted to the population;
    ``kernel="mh"`` proposes ``x + scale_i * L z`` with ``L L^T`` the population covariance. Both
    fit particle ``i``'s proposal without ``i`` and its copies (`FamilyGaussian`), so that each
    particle's kernel leaves the target exactly invariant.
    Steps continue while, in more than 90% of the coordinates, the absolute correlation between
    the particles before the stage and now still drops by more than ``correlation_threshold`` per
    step (PyMC's rule; the step count adapts to how fast the kernel mixes), at most ``max_steps``.

    Parameters
    ----------
    particles : Particles
        Equally weighted population after resampling.
    tempered : callable
        ``loglike (n,) -> phi(loglike) (n,)`` of the current stage.
    evaluate : callable
        ``x (n, d) -> (prior_logp (n,), loglike (n,))``; NaN must already be mapped to -inf.
    rng : numpy.random.Generator
    kernel : {"imh", "mh"}
    correlation_threshold : float
    scales : ndarray, shape (n,), optional
        Per-particle random-walk scales (``"mh"`` only).
    max_steps : int

    Returns
    -------
    particles : Particles
    accept : ndarray, shape (n,)
        Fraction of steps accepted by each particle.
    n_steps : int
    """
    n, d = particles.x.shape
    q = fit_family_out(particles.x)
    x, prior, like = particles.x.copy(), particles.prior_logp.copy(), particles.loglike.copy()
    target = prior + tempered(like)
    if kernel == "imh":
        logq = _family_logq(q, x)
    x0c = x - x.mean(axis=0)
    norm0 = np.sqrt(np.sum(x0c * x0c, axis=0))
    moving = norm0 > 0
    old_corr = np.full(d, 2.0)
    n_accept = np.zeros(n)
    steps = 0
    while steps < max_steps:
        z = _family_draw(q, rng)
        if kernel == "imh":
            prop = q.mean + z
            logq_prop = _family_logq(q, prop)
        else:
            prop = x + scales[:, None] * z
        prior_prop, like_prop = evaluate(prop)
        target_prop = prior_prop + tempered(like_prop)
        log_ratio = target_prop - target
        if kernel == "imh":
            log_ratio = log_ratio + logq - logq_prop
        with np.errstate(invalid="ignore"):
            acc = np.log(rng.random(n)) < log_ratio  # NaN ratios (-inf - -inf) reject
        x[acc], prior[acc], like[acc] = prop[acc], prior_prop[acc], like_prop[acc]
        target[acc] = target_prop[acc]
        if kernel == "imh":
            logq[acc] = logq_prop[acc]
        n_accept += acc
        steps += 1
        corr = _abs_corr(x0c, norm0, x)
        if not moving.any() or np.mean((old_corr - corr)[moving] > correlation_threshold) <= 0.9:
            break
        old_corr = corr
    return Particles(x, prior, like), n_accept / steps, steps
