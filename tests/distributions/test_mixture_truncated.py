"""Mixture, Truncated, Censored against scipy.stats compositions."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

import credo as cr
from credo.testing import check_distribution

W = np.array([0.3, 0.7])
NORMAL, GAMMA = stats.norm(-1.0, 0.5), stats.gamma(3.0, scale=0.5)


def test_mixture_of_a_list_of_components():
    def logp(v, w, comp_dists):
        return logsumexp(
            np.stack([np.log(w[0]) + NORMAL.logpdf(v), np.log(w[1]) + GAMMA.logpdf(v)], -1), axis=-1
        )

    def cdf(v, w, comp_dists):
        return w[0] * NORMAL.cdf(v) + w[1] * GAMMA.cdf(v)

    params = {"w": W, "comp_dists": [cr.Normal.dist(-1.0, 0.5), cr.Gamma.dist(3.0, 2.0)]}
    check_distribution(cr.Mixture, params, logp, lambda v, **k: np.log(cdf(v, **k)), cdf, rtol=1e-10)


def test_mixture_of_one_batched_component_discrete():
    mus = np.array([1.0, 6.0])

    def logp(v, w, comp_dists):
        return logsumexp(np.log(w) + stats.poisson(mus).logpmf(v[..., None]), axis=-1)

    def cdf(v, w, comp_dists):
        return (w * stats.poisson(mus).cdf(v[..., None])).sum(-1)

    params = {"w": W, "comp_dists": cr.Poisson.dist(mus)}
    check_distribution(
        cr.Mixture, params, logp, lambda v, **k: np.log(cdf(v, **k)), cdf, outside=[-1], rtol=1e-10
    )


def test_batched_mixture_of_positive_components():
    w = np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])
    scales = 1 / np.array([1.0, 0.1])

    def logp(v, w, comp_dists):
        return logsumexp(np.log(w) + stats.expon(scale=scales).logpdf(v[..., None]), axis=-1)

    def cdf(v, w, comp_dists):
        return (w * stats.expon(scale=scales).cdf(v[..., None])).sum(-1)

    params = {"w": w, "comp_dists": cr.Exponential.dist(np.array([1.0, 0.1]))}
    check_distribution(cr.Mixture, params, logp, reference_cdf_for_random=cdf, outside=[-1.0], rtol=1e-10)
    # positive components share the log transform; mixed supports get none
    assert (
        cr.Mixture.dist(w, cr.Exponential.dist(np.array([1.0, 0.1]))).tag.credo_dist.get_transform().name
        == "log"
    )
    mixed = cr.Mixture.dist(W, [cr.Normal.dist(), cr.HalfNormal.dist()])
    assert mixed.tag.credo_dist.get_transform() is None


def test_mixture_weights_are_checked():
    var = cr.Mixture.dist(np.array([0.5, 0.6]), [cr.Normal.dist(), cr.Normal.dist(1.0)])
    with pytest.raises(cr.ParameterValueError, match="sum"):
        cr.logp(var, 0.0).eval()


GAMMA_T = stats.gamma(2.0, scale=0.5)


def test_truncated_continuous():
    def logp(v, dist, lower, upper):
        inside = (v >= lower) & (v <= upper)
        return np.where(inside, GAMMA_T.logpdf(v) - np.log(GAMMA_T.cdf(upper) - GAMMA_T.cdf(lower)), -np.inf)

    def cdf(v, dist, lower, upper):
        return np.clip(
            (GAMMA_T.cdf(v) - GAMMA_T.cdf(lower)) / (GAMMA_T.cdf(upper) - GAMMA_T.cdf(lower)), 0, 1
        )

    params = {"dist": cr.Gamma.dist(2.0, 2.0), "lower": 0.5, "upper": 3.0}
    check_distribution(
        cr.Truncated, params, logp, lambda v, **k: np.log(cdf(v, **k)), cdf, outside=[0.2, 3.5], rtol=1e-10
    )


def test_truncated_discrete_lower_only():
    pois = stats.poisson(4.0)

    def logp(v, dist, lower, upper):
        return np.where(v >= lower, pois.logpmf(v) - np.log(pois.sf(lower - 1)), -np.inf)

    def cdf(v, dist, lower, upper):
        return np.clip((pois.cdf(v) - pois.cdf(lower - 1)) / pois.sf(lower - 1), 0, 1)

    params = {"dist": cr.Poisson.dist(4.0), "lower": 3, "upper": None}
    check_distribution(
        cr.Truncated, params, logp, lambda v, **k: np.log(cdf(v, **k)), cdf, outside=[2, 0], rtol=1e-10
    )


def test_truncated_rejects_hopeless_rejection_sampling():
    var = cr.Truncated.dist(cr.Normal.dist(0.0, 1.0), lower=8.0)
    np.testing.assert_allclose(
        cr.logp(var, 8.5).eval(), stats.norm.logpdf(8.5) - stats.norm.logsf(8.0), rtol=1e-10
    )
    with pytest.raises(AssertionError, match="acceptance probability"):
        var.eval()


def test_censored_normal():
    norm = stats.norm(0.5, 1.5)

    def logp(v, dist, lower, upper):
        inside = np.where((v > lower) & (v < upper), norm.logpdf(v), -np.inf)
        return np.where(v == lower, norm.logcdf(lower), np.where(v == upper, norm.logsf(upper), inside))

    def domain(rng, size, dist, lower, upper):
        v = rng.uniform(lower, upper, size)
        v[:3], v[3:6] = lower, upper  # the point masses on the bounds
        return v

    params = {"dist": cr.Normal.dist(0.5, 1.5), "lower": -1.0, "upper": 2.0}
    check_distribution(cr.Censored, params, logp, domain=domain, outside=[-1.5, 2.5], rtol=1e-10)
    # forward draws put P(X <= lower) on lower
    draws = cr.Censored.dist(cr.Normal.dist(0.5, 1.5), lower=-1.0, upper=2.0, size=20000).eval()
    np.testing.assert_allclose(np.mean(draws == -1.0), norm.cdf(-1.0), atol=4 * np.sqrt(0.16 / 20000))


def test_censored_poisson_upper():
    pois = stats.poisson(3.0)

    def logp(v, dist, lower, upper):
        return np.where(v == upper, pois.logsf(upper - 1), np.where(v < upper, pois.logpmf(v), -np.inf))

    params = {"dist": cr.Poisson.dist(3.0), "lower": None, "upper": 5}
    check_distribution(cr.Censored, params, logp, domain=(0, 5), outside=[6, -1], rtol=1e-10)
