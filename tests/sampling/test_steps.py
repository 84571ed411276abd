"""Metropolis and slice steps, and a compound NUTS + Metropolis sampler over one flat vector."""

import math

import numba as nb
import numpy as np
import pytest
from scipy import stats

from credo.sampling import LOGP_GRAD_SIGNATURE, LOGP_SIGNATURE, nuts_step
from credo.sampling.logp import eval_logp, eval_logp_grad
from credo.sampling.metropolis import (
    FLIP,
    RANDOM_WALK,
    ROUNDED_WALK,
    UNIFORM_CATEGORY,
    metropolis_step,
    propose,
    tune_scale,
)
from credo.sampling.slice import slice_step
from credo.sampling.targets import normal

RATE = 3.0


@nb.cfunc(LOGP_SIGNATURE, nogil=True)
def poisson_normal_logp(x, n):
    # k = x[0] ~ Poisson(3), y = x[1] | k ~ N(k, 1)
    k = x[0]
    if k < 0.0:
        return -np.inf
    return k * np.log(RATE) - RATE - math.lgamma(k + 1.0) - 0.5 * (x[1] - k) ** 2


@nb.cfunc(LOGP_GRAD_SIGNATURE, nogil=True)
def poisson_normal_logp_grad(x, g, n):
    g[0] = 0.0  # not used: NUTS moves y only
    g[1] = -(x[1] - x[0])
    return poisson_normal_logp(x, n)


@nb.cfunc(LOGP_SIGNATURE, nogil=True)
def exponential_logp(x, n):
    if x[0] < 0.0:
        return -np.inf
    return -2.0 * x[0]


def test_discrete_metropolis_samples_a_poisson():
    rng = np.random.default_rng(0)
    x = np.array([1.0, 1.0])
    lp = eval_logp(poisson_normal_logp, x)
    idx, scale = np.array([0]), np.array([1.5])
    kind, bound, prob = np.array([ROUNDED_WALK]), np.zeros(1), np.empty(1)
    ks = np.empty(20000)
    accepted = 0
    for i in range(ks.size):
        # Gibbs-like alternation: update k (Metropolis), then y exactly from N(k, 1)
        x, lp, acc, _ = metropolis_step(x, lp, poisson_normal_logp, idx, kind, bound, bound, scale,
                                        rng, prob)  # fmt: skip
        x[1] = x[0] + rng.standard_normal()
        lp = eval_logp(poisson_normal_logp, x)
        ks[i] = x[0]
        accepted += acc
    assert np.all(ks == np.round(ks)) and ks.min() >= 0
    counts = np.bincount(ks.astype(int), minlength=12)[:12]
    expected = stats.poisson(RATE).pmf(np.arange(12)) * ks.size
    assert np.abs(counts - expected).max() < 0.02 * ks.size
    assert ks.mean() == pytest.approx(RATE, abs=0.15)
    assert 0.1 < accepted / ks.size < 0.9


def test_proposals_are_symmetric_and_stay_in_their_range():
    rng = np.random.default_rng(4)
    n = 30000
    # another category of {2, ..., 5}, uniformly: each of the 3 others with probability 1/3
    cats = np.array([propose(3.0, UNIFORM_CATEGORY, 2.0, 5.0, 1.0, rng) for _ in range(n)])
    counts = np.array([np.sum(cats == c) for c in (2.0, 4.0, 5.0)])
    assert counts.sum() == n
    assert stats.chisquare(counts).pvalue > 1e-3
    assert [propose(v, FLIP, 0.0, 1.0, 1.0, rng) for v in (0.0, 1.0)] == [1.0, 0.0]
    assert propose(0.0, UNIFORM_CATEGORY, 0.0, 0.0, 1.0, rng) == 0.0  # a single category
    steps = np.array([propose(0.0, ROUNDED_WALK, 0.0, 0.0, 2.0, rng) for _ in range(n)])
    assert np.all(steps == np.round(steps))
    # P(round(2 z) = j) = Phi((j + 0.5) / 2) - Phi((j - 0.5) / 2), the same for j and -j
    for j in (0, 1, -1, 3):
        expected = stats.norm.cdf((j + 0.5) / 2) - stats.norm.cdf((j - 0.5) / 2)
        assert np.mean(steps == j) == pytest.approx(expected, abs=0.01)
    walk = np.array([propose(1.0, RANDOM_WALK, 0.0, 0.0, 0.5, rng) for _ in range(n)])
    assert walk.mean() == pytest.approx(1.0, abs=0.01)
    assert walk.std() == pytest.approx(0.5, rel=0.02)


def test_tune_scale_follows_pymc_table():
    assert [tune_scale(1.0, a) for a in (0.0, 0.01, 0.1, 0.3, 0.6, 0.8, 0.99)] == [
        0.1, 0.5, 0.9, 1.0, 1.1, 2.0, 10.0,
    ]  # fmt: skip


def test_slice_sampling_respects_support_and_moments():
    rng = np.random.default_rng(1)
    x = np.array([1.0])
    lp = eval_logp(exponential_logp, x)
    draws = np.empty(20000)
    n_evals = 0
    for i in range(draws.size):
        x, lp, ne = slice_step(x, lp, exponential_logp, np.array([0]), np.array([1.0]), rng, 100)
        draws[i] = x[0]
        n_evals += ne
    assert draws.min() >= 0
    assert draws.mean() == pytest.approx(0.5, abs=0.02)  # Exponential(rate 2)
    assert draws.var() == pytest.approx(0.25, rel=0.08)
    assert stats.kstest(draws[::10], stats.expon(scale=0.5).cdf).pvalue > 1e-3
    assert 3 < n_evals / draws.size < 10


def test_slice_sampling_several_coordinates():
    fn = normal(np.array([1.0, -2.0, 0.0]), np.array([0.5, 2.0, 1.0]), grad=False)
    rng = np.random.default_rng(2)
    x = np.zeros(3)
    lp = eval_logp(fn, x)
    idx, width = np.array([0, 2]), np.array([1.0, 1.0])
    draws = np.empty((10000, 3))
    for i in range(draws.shape[0]):
        x, lp, _ = slice_step(x, lp, fn, idx, width, rng, 100)
        draws[i] = x
    assert np.all(draws[:, 1] == 0.0)
    np.testing.assert_allclose(draws[:, [0, 2]].mean(axis=0), [1.0, 0.0], atol=0.05)
    np.testing.assert_allclose(draws[:, [0, 2]].std(axis=0), [0.5, 1.0], rtol=0.05)


def test_compound_nuts_and_metropolis_on_one_vector():
    # NUTS moves the continuous y = x[1]; Metropolis the discrete k = x[0]. Marginally
    # E[y] = E[k] = 3 and Var[y] = 1 + Var[k] = 4.
    rng = np.random.default_rng(3)
    x = np.array([2.0, 2.0])
    idx_nuts, idx_disc = np.array([1]), np.array([0])
    ys = np.empty(10000)
    for i in range(ys.size):
        lp, g = eval_logp_grad(poisson_normal_logp_grad, x)
        x, lp, g, _ = nuts_step(x, lp, g, poisson_normal_logp_grad, 1.0, np.ones(1), np.ones(1),
                                rng, idx_nuts, 10, 1000.0)  # fmt: skip
        x, lp, _, _ = metropolis_step(x, lp, poisson_normal_logp, idx_disc, np.array([ROUNDED_WALK]),
                                      np.zeros(1), np.zeros(1), np.array([1.5]), rng,
                                      np.empty(1))  # fmt: skip
        ys[i] = x[1]
    assert ys.mean() == pytest.approx(RATE, abs=0.15)
    assert ys.var() == pytest.approx(1.0 + RATE, rel=0.1)
