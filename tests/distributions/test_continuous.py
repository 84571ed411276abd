"""Continuous distributions against scipy.stats: logp, logcdf, -inf outside, gradients, draws, transforms."""

import numpy as np
import pytest
from scipy import stats

import credo as cr
from credo.testing import check_distribution


def scipy_ref(make):
    """(logp, logcdf, cdf) references from ``make(**params) -> frozen scipy distribution``."""
    return (
        lambda v, **p: make(**p).logpdf(v),
        lambda v, **p: make(**p).logcdf(v),
    )


def _kappa(mu, sigma):
    return mu * (1 - mu) / sigma**2 - 1


CASES = [
    # (class, parameter sets, scipy factory, outside-support values)
    (cr.Normal, [{"mu": 1.0, "sigma": 2.0}, {"mu": np.array([-3.0, 0.0, 40.0]), "sigma": 0.1}],
     lambda mu, sigma: stats.norm(mu, sigma), []),
    (cr.HalfNormal, [{"sigma": 1.5}, {"sigma": np.array([0.2, 3.0])}],
     lambda sigma: stats.halfnorm(scale=sigma), [-0.1]),
    (cr.StudentT, [{"nu": 3.0, "mu": 1.0, "sigma": 2.0}, {"nu": 0.7, "mu": 0.0, "sigma": 1.0},
                   {"nu": 200.0, "mu": -1.0, "sigma": 0.5}],
     lambda nu, mu, sigma: stats.t(nu, mu, sigma), []),
    (cr.Cauchy, [{"alpha": 1.0, "beta": 2.0}, {"alpha": -3.0, "beta": 0.1}],
     lambda alpha, beta: stats.cauchy(alpha, beta), []),
    (cr.HalfCauchy, [{"beta": 2.0}, {"beta": 0.05}],
     lambda beta: stats.halfcauchy(scale=beta), [-1.0]),
    (cr.Laplace, [{"mu": 1.0, "b": 2.0}, {"mu": -2.0, "b": 0.3}],
     lambda mu, b: stats.laplace(mu, b), []),
    (cr.Logistic, [{"mu": 1.0, "s": 2.0}, {"mu": -2.0, "s": 0.3}],
     lambda mu, s: stats.logistic(mu, s), []),
    (cr.LogNormal, [{"mu": 0.5, "sigma": 0.8}, {"mu": -3.0, "sigma": 2.0}],
     lambda mu, sigma: stats.lognorm(sigma, scale=np.exp(mu)), [-1.0, 0.0]),
    (cr.Exponential, [{"lam": 2.0}, {"lam": np.array([0.01, 1.0, 30.0])}],
     lambda lam: stats.expon(scale=1 / lam), [-0.5]),
    (cr.Gamma, [{"alpha": 2.0, "beta": 3.0}, {"alpha": 0.5, "beta": 1.0}, {"alpha": 50.0, "beta": 0.2}],
     lambda alpha, beta: stats.gamma(alpha, scale=1 / beta), [-1.0]),
    (cr.Gamma, [{"mu": 2.0, "sigma": 1.0}],
     lambda mu, sigma: stats.gamma(mu**2 / sigma**2, scale=sigma**2 / mu), [-1.0]),
    (cr.InverseGamma, [{"alpha": 3.0, "beta": 2.0}, {"alpha": 0.8, "beta": 0.5}],
     lambda alpha, beta: stats.invgamma(alpha, scale=beta), [-1.0, 0.0]),
    (cr.InverseGamma, [{"mu": 2.0, "sigma": 1.0}],
     lambda mu, sigma: stats.invgamma(mu**2 / sigma**2 + 2, scale=mu * (mu**2 / sigma**2 + 1)), [-1.0]),
    (cr.Weibull, [{"alpha": 1.5, "beta": 2.0}, {"alpha": 0.6, "beta": 0.5}],
     lambda alpha, beta: stats.weibull_min(alpha, scale=beta), [-1.0]),
    (cr.Pareto, [{"alpha": 3.0, "m": 2.0}, {"alpha": 0.8, "m": 0.1}],
     lambda alpha, m: stats.pareto(alpha, scale=m), [0.05, -1.0]),
    (cr.ChiSquared, [{"nu": 3.0}, {"nu": 1.0}],
     lambda nu: stats.chi2(nu), [-1.0]),
    (cr.Uniform, [{"lower": -1.0, "upper": 3.0}, {"lower": np.array([0.0, 10.0]), "upper": 10.5}],
     lambda lower, upper: stats.uniform(lower, upper - lower), [-2.0, 11.0]),
    (cr.Beta, [{"alpha": 2.0, "beta": 5.0}, {"alpha": 0.5, "beta": 0.5}, {"alpha": 1.0, "beta": 3.0}],
     lambda alpha, beta: stats.beta(alpha, beta), [-0.1, 1.1]),
    (cr.Beta, [{"mu": 0.3, "sigma": 0.1}],
     lambda mu, sigma: stats.beta(mu * _kappa(mu, sigma), (1 - mu) * _kappa(mu, sigma)), [-0.1, 1.1]),
    (cr.TruncatedNormal, [{"mu": 0.5, "sigma": 2.0, "lower": -1.0, "upper": 3.0},
                          {"mu": 0.0, "sigma": 1.0, "lower": 5.0, "upper": 6.0},
                          {"mu": 0.0, "sigma": 1.0, "lower": -9.0, "upper": -8.0}],
     lambda mu, sigma, lower, upper: stats.truncnorm((lower - mu) / sigma, (upper - mu) / sigma, mu, sigma),
     [-20.0, 20.0]),
]  # fmt: skip


@pytest.mark.parametrize(
    "cls, params, make, outside", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]
)
def test_against_scipy(cls, params, make, outside):
    logp, logcdf = scipy_ref(make)
    check_distribution(cls, params, logp, logcdf, outside=outside, rtol=1e-8, atol=1e-10)


def test_truncated_normal_one_sided():
    def make(mu, sigma, lower=None, upper=None):
        a = -np.inf if lower is None else (lower - mu) / sigma
        b = np.inf if upper is None else (upper - mu) / sigma
        return stats.truncnorm(a, b, mu, sigma)

    logp, logcdf = scipy_ref(make)
    lower_only = [{"mu": 1.0, "sigma": 2.0, "lower": 0.0}]
    check_distribution(cr.TruncatedNormal, lower_only, logp, logcdf, outside=[-1.0])
    upper_only = [{"mu": 1.0, "sigma": 2.0, "upper": 0.5}]
    check_distribution(cr.TruncatedNormal, upper_only, logp, logcdf, outside=[1.0])


def test_half_student_t():
    # |X| for X ~ t(nu, 0, sigma): twice the t density on [0, inf)
    def logp(v, nu, sigma):
        return np.where(v >= 0, np.log(2) + stats.t(nu, 0, sigma).logpdf(v), -np.inf)

    def logcdf(v, nu, sigma):
        return np.log(2 * stats.t(nu, 0, sigma).cdf(v) - 1)

    check_distribution(
        cr.HalfStudentT, [{"nu": 3.0, "sigma": 2.0}, {"nu": 30.0, "sigma": 0.5}], logp, logcdf, outside=[-0.5]
    )


def test_skew_normal():
    check_distribution(
        cr.SkewNormal,
        [{"mu": 1.0, "sigma": 2.0, "alpha": 3.0}, {"mu": 0.0, "sigma": 0.5, "alpha": -10.0}],
        lambda v, mu, sigma, alpha: stats.skewnorm(alpha, mu, sigma).logpdf(v),
        reference_cdf_for_random=lambda v, mu, sigma, alpha: stats.skewnorm(alpha, mu, sigma).cdf(v),
        rtol=1e-8,
        atol=1e-10,
    )


def test_von_mises():
    # the density on [-pi, pi]: scipy's vonmises density is periodic, so its pdf is the same there
    def cdf(v, mu, kappa):
        d = stats.vonmises(kappa, loc=mu)
        return d.cdf(v) - d.cdf(-np.pi)

    check_distribution(
        cr.VonMises,
        [{"mu": 1.0, "kappa": 2.0}, {"mu": -2.5, "kappa": 40.0}, {"mu": 0.0, "kappa": 1e-3}],
        lambda v, mu, kappa: stats.vonmises(kappa, loc=mu).logpdf(v),
        reference_cdf_for_random=cdf,
        outside=[-4.0, 3.5],
        rtol=1e-8,
        atol=1e-10,
    )


def test_flat_and_half_flat():
    check_distribution(cr.Flat, {}, lambda v: np.zeros_like(v), domain=(-50.0, 50.0))
    check_distribution(
        cr.HalfFlat, {}, lambda v: np.where(v > 0, 0.0, -np.inf), domain=(0.0, 50.0), outside=[-1.0, 0.0]
    )


def test_logcdf_tails_are_finite():
    # far tails where naive log(cdf) underflows to -inf or rounds to 0
    checks = [
        (cr.Normal.dist(0.0, 1.0), -40.0, stats.norm.logcdf(-40.0)),
        (cr.Normal.dist(0.0, 1.0), 9.0, stats.norm.logcdf(9.0)),
        (cr.Exponential.dist(1.0), 1e-20, np.log(1e-20)),
        (cr.Logistic.dist(0.0, 1.0), -800.0, -800.0),
    ]
    for var, value, want in checks:
        got = float(cr.logcdf(var, value).eval())
        np.testing.assert_allclose(got, want, rtol=1e-10)
