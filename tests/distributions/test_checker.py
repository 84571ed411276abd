"""credo.testing.check_distribution detects each kind of error it is meant to detect."""

import numpy as np
import pytensor.tensor as pt
import pytest
from pytensor.gradient import zero_grad
from scipy import stats

import credo as cr
from credo.testing import check_distribution, finite_difference


def gamma_logp(v, alpha, beta):
    return stats.gamma(alpha, scale=1 / beta).logpdf(v)


def test_passes_a_correct_distribution():
    check_distribution(cr.Gamma, {"alpha": 2.0, "beta": 3.0}, gamma_logp, outside=[-1.0])


def test_wrong_reference_names_distribution_point_and_values():
    wrong = lambda v, alpha, beta: stats.gamma(alpha, scale=beta).logpdf(v)  # noqa: E731
    with pytest.raises(AssertionError, match=r"Gamma\(alpha=2\., beta=3\.\): logp at value=.* reference"):
        check_distribution(cr.Gamma, {"alpha": 2.0, "beta": 3.0}, wrong)


def test_wrong_sampler_fails_the_ks_test():
    cdf = lambda v, alpha, beta: stats.gamma(1.15 * alpha, scale=1 / beta).cdf(v)  # noqa: E731
    with pytest.raises(AssertionError, match="Kolmogorov-Smirnov"):
        check_distribution(cr.Gamma, {"alpha": 2.0, "beta": 3.0}, gamma_logp, reference_cdf_for_random=cdf)


def test_wrong_discrete_sampler_fails_the_chi_square_test():
    with pytest.raises(AssertionError, match="chi-square"):
        check_distribution(
            cr.Poisson, {"mu": 3.0}, reference_cdf_for_random=lambda v, mu: stats.poisson(1.1 * mu).cdf(v)
        )


def test_finite_value_outside_the_support_fails():
    with pytest.raises(AssertionError, match="outside the support .* expected -inf"):
        check_distribution(cr.Normal, {"mu": 0.0, "sigma": 1.0}, outside=[5.0])


class ShiftedGradient(cr.Normal):
    @staticmethod
    def logp(value, mu, sigma):
        # right value, wrong gradient: zero_grad hides a term from differentiation
        return cr.Normal.logp(value, mu, sigma) + 0.01 * (value - zero_grad(value))


class LeakyHalfNormal(cr.HalfNormal):
    @staticmethod
    def logp(value, loc, sigma):
        return pt.switch(value >= 0, cr.Normal.logp(value, loc, sigma), np.nan)  # NaN instead of -inf


def test_wrong_gradient_fails():
    with pytest.raises(AssertionError, match=r"d logp / d value\[0\]"):
        check_distribution(ShiftedGradient, {"mu": 0.0, "sigma": 1.0}, check_random=False, domain=(-3, 3))


def test_nan_outside_the_support_fails():
    with pytest.raises(AssertionError, match="outside the support is \\[nan\\]"):
        check_distribution(LeakyHalfNormal, {"sigma": 1.0}, outside=[-1.0])


def test_support_point_with_minus_inf_logp_fails():
    class BadStart(cr.Gamma):
        @classmethod
        def support_point(cls, rv, alpha, beta):
            return pt.zeros_like(rv) - 1.0

    with pytest.raises(AssertionError, match="support point"):
        check_distribution(BadStart, {"alpha": 2.0, "beta": 3.0}, gamma_logp)


def test_finite_difference_is_fourth_order():
    f = np.sin
    x = np.array([0.3, 1.2])
    d = finite_difference(f, x, np.array([1e-2, 1e-2])) / 1e-2
    np.testing.assert_allclose(d, np.cos(x), rtol=1e-9)


def test_numba_mode_checks_the_compiled_path():
    check_distribution(
        cr.StudentT,
        {"nu": 3.0, "mu": 1.0, "sigma": 2.0},
        lambda v, nu, mu, sigma: stats.t(nu, mu, sigma).logpdf(v),
        lambda v, nu, mu, sigma: stats.t(nu, mu, sigma).logcdf(v),
        domain=(-10.0, 10.0),
        check_random=False,
        mode="NUMBA",
    )
