"""Discrete distributions against scipy.stats: logp, logcdf, -inf outside, parameter gradients, draws."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit, log_softmax

import credo as cr
from credo.testing import check_distribution


def refs(make):
    return (lambda v, **p: make(**p).logpmf(v), lambda v, **p: make(**p).logcdf(v))


CASES = [
    (cr.Bernoulli, [{"p": 0.3}, {"p": np.array([0.0, 0.5, 1.0])}], lambda p: stats.bernoulli(p), [-1, 2]),
    (cr.Bernoulli, [{"logit_p": -1.2}, {"logit_p": 40.0}],
     lambda logit_p: stats.bernoulli(expit(logit_p)), [2]),
    (cr.Binomial, [{"n": 10, "p": 0.3}, {"n": np.array([1, 50]), "p": 0.9}],
     lambda n, p: stats.binom(n, p), [-1, 51]),
    (cr.Binomial, [{"n": 20, "logit_p": 0.7}], lambda n, logit_p: stats.binom(n, expit(logit_p)), [-1, 21]),
    (cr.Poisson, [{"mu": 3.0}, {"mu": np.array([0.2, 40.0])}], lambda mu: stats.poisson(mu), [-1]),
    (cr.NegativeBinomial, [{"mu": 4.0, "alpha": 2.0}, {"mu": 0.5, "alpha": 30.0}],
     lambda mu, alpha: stats.nbinom(alpha, alpha / (mu + alpha)), [-1]),
    (cr.NegativeBinomial, [{"n": 3.5, "p": 0.4}], lambda n, p: stats.nbinom(n, p), [-1]),
    (cr.Geometric, [{"p": 0.3}, {"p": 0.95}], lambda p: stats.geom(p), [0, -2]),
    (cr.DiscreteUniform, [{"lower": -2, "upper": 5}, {"lower": 3, "upper": 3}],
     lambda lower, upper: stats.randint(lower, upper + 1), [-3, 6]),
]  # fmt: skip


IDS = [f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]


@pytest.mark.parametrize("cls, params, make, outside", CASES, ids=IDS)
def test_against_scipy(cls, params, make, outside):
    logp, logcdf = refs(make)
    check_distribution(cls, params, logp, logcdf, outside=outside, rtol=1e-8, atol=1e-10)


def test_beta_binomial():
    def make(alpha, beta, n):
        return stats.betabinom(n, alpha, beta)

    check_distribution(
        cr.BetaBinomial,
        [{"alpha": 2.0, "beta": 3.0, "n": 10}, {"alpha": 0.5, "beta": 0.7, "n": 30}],
        lambda v, **p: make(**p).logpmf(v),
        reference_cdf_for_random=lambda v, **p: make(**p).cdf(v),
        outside=[-1, 31],
        rtol=1e-8,
        atol=1e-10,
    )


def test_categorical():
    p = np.array([0.1, 0.6, 0.3])

    def logp(v, p=None, logit_p=None):
        lp = np.log(p / p.sum()) if logit_p is None else log_softmax(logit_p)
        return lp[v]

    def cdf(v, p=None, logit_p=None):
        probs = p / p.sum() if logit_p is None else np.exp(log_softmax(logit_p))
        return np.where(v < 0, 0.0, np.cumsum(probs)[np.clip(v, 0, len(probs) - 1)])

    check_distribution(
        cr.Categorical, [{"p": p}], logp, lambda v, **k: np.log(cdf(v, **k)), cdf, outside=[-1, 3], rtol=1e-10
    )
    check_distribution(
        cr.Categorical, [{"logit_p": np.array([2.0, -1.0, 0.5, 0.0])}], logp, reference_cdf_for_random=cdf,
        outside=[-1, 4], rtol=1e-10,
    )  # fmt: skip


def test_categorical_batched():
    p = np.array([[0.2, 0.8], [0.9, 0.1], [0.5, 0.5]])
    var = cr.Categorical.dist(p)
    assert var.type.shape == (3,)
    got = cr.logp(var, np.array([1, 0, 1])).eval()
    np.testing.assert_allclose(got, np.log([0.8, 0.9, 0.5]), rtol=1e-14)


def test_discrete_values_are_int64_without_transform():
    for var in [cr.Poisson.dist(2.0), cr.Bernoulli.dist(0.5), cr.Categorical.dist([0.5, 0.5])]:
        assert var.dtype == "int64"
    with cr.Model() as model:
        cr.Poisson("k", 3.0)
        cr.Binomial("b", 10, 0.4)
    assert [f.transform for f in model.free_rvs] == [None, None]
    assert model.initial_point() == {"k": 3, "b": 4}


def test_logit_p_is_exact_for_large_logits():
    # log(sigmoid(-40)) = -40 - log1p(exp(-40)); through p it would round to log(4.2e-18) badly
    got = cr.logp(cr.Bernoulli.dist(logit_p=-40.0), 1).eval()
    np.testing.assert_allclose(got, -40.0 - np.log1p(np.exp(-40.0)), rtol=1e-15)
    got = cr.logp(cr.Binomial.dist(5, logit_p=800.0), 5).eval()
    np.testing.assert_allclose(got, 0.0, atol=1e-300)
