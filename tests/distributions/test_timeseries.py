"""GaussianRandomWalk and AR against closed forms (normal recursions) built with scipy."""

import numpy as np
import pytest
from scipy import stats

import credo as cr
from credo.testing import check_distribution


def grw_logp(v, mu, sigma, init_dist, steps):
    return stats.norm(1.0, 2.0).logpdf(v[..., 0]) + stats.norm(mu, sigma).logpdf(np.diff(v, axis=-1)).sum(-1)


def grw_cdf(v, mu, sigma, init_dist, steps):
    t = np.arange(v.shape[-1])  # x_t ~ Normal(1 + mu t, sqrt(2^2 + t sigma^2))
    return stats.norm(1.0 + mu * t, np.sqrt(4.0 + t * sigma**2)).cdf(v)


def test_gaussian_random_walk():
    params = [
        {"mu": 0.5, "sigma": 1.5, "init_dist": cr.Normal.dist(1.0, 2.0), "steps": 5},
        {"mu": -0.2, "sigma": 0.1, "init_dist": cr.Normal.dist(1.0, 2.0), "steps": 5},
    ]
    check_distribution(cr.GaussianRandomWalk, params, grw_logp, reference_cdf_for_random=grw_cdf, rtol=1e-10)


def test_gaussian_random_walk_shape_and_default_init():
    with cr.Model(coords={"t": range(7)}) as model:
        x = cr.GaussianRandomWalk("x", 0.0, 1.0, dims="t")
        y = cr.GaussianRandomWalk("y", 0.0, 1.0, shape=(3, 4))
    assert x.type.shape == (7,) and y.type.shape == (3, 4)
    value = np.linspace(-1.0, 2.0, 7)
    want = stats.norm(0, 100).logpdf(value[0]) + stats.norm(0, 1).logpdf(np.diff(value)).sum()
    np.testing.assert_allclose(cr.logp(x, value).eval(), want, rtol=1e-12)
    assert model.initial_point()["y"].shape == (3, 4)
    with pytest.raises(ValueError, match="steps"):
        cr.GaussianRandomWalk.dist(0.0, 1.0)


def ar_logp(v, rho, sigma, init_dist, constant, steps):
    c, coefs = (rho[0], rho[1:]) if constant else (0.0, rho)
    p = len(coefs)
    lp = stats.norm(0, 2.0).logpdf(v[..., :p]).sum(-1)
    for t in range(p, v.shape[-1]):
        mean = c + sum(coefs[k] * v[..., t - 1 - k] for k in range(p))
        lp = lp + stats.norm(mean, sigma).logpdf(v[..., t])
    return lp


def ar_cdf(v, rho, sigma, init_dist, constant, steps):
    # x = mean + M (x_init, eps) is linear in independent normals: marginal normal per time
    c, coefs = (rho[0], rho[1:]) if constant else (0.0, rho)
    p, n = len(coefs), v.shape[-1]
    m, mean = np.zeros((n, n)), np.zeros(n)
    m[:p, :p] = np.eye(p)
    for t in range(p, n):
        mean[t] = c + sum(coefs[k] * mean[t - 1 - k] for k in range(p))
        m[t] = sum(coefs[k] * m[t - 1 - k] for k in range(p))
        m[t, t] += 1.0
    var = (m**2) @ np.r_[np.full(p, 4.0), np.full(n - p, sigma**2)]
    return stats.norm(mean, np.sqrt(var)).cdf(v)


def test_ar():
    init = cr.Normal.dist(0.0, 2.0)
    params = [
        {"rho": np.array([0.9]), "sigma": 0.5, "init_dist": init, "constant": False, "steps": 6},
        {"rho": np.array([0.5, -0.3]), "sigma": 0.7, "init_dist": init, "constant": False, "steps": 6},
        {"rho": np.array([1.0, 0.8, -0.3]), "sigma": 0.7, "init_dist": init, "constant": True, "steps": 6},
    ]
    check_distribution(cr.AR, params, ar_logp, reference_cdf_for_random=ar_cdf, rtol=1e-10)


def test_ar_shape_from_shape_argument():
    var = cr.AR.dist(np.array([0.5, 0.2]), 1.0, shape=(4, 10))
    assert var.type.shape == (4, 10)
    assert var.eval().shape == (4, 10)
    with pytest.raises(ValueError, match="order"):
        cr.AR.dist(np.array([1.0]), 1.0, constant=True, steps=3)


def test_observed_series_take_their_length_from_the_data():
    y = np.cumsum(np.random.default_rng(0).normal(size=10))
    with cr.Model() as model:
        cr.GaussianRandomWalk("y", 0.0, 1.0, init_dist=cr.Normal.dist(0.0, 10.0), observed=y)
        cr.AR("z", np.array([0.5]), 1.0, init_dist=cr.Normal.dist(0.0, 10.0), observed=y)
    logps = model.point_logps({})
    np.testing.assert_allclose(
        logps["y"], stats.norm(0, 10).logpdf(y[0]) + stats.norm(0, 1).logpdf(np.diff(y)).sum(), rtol=1e-12
    )
    ar_want = stats.norm(0, 10).logpdf(y[0]) + stats.norm(0.5 * y[:-1], 1).logpdf(y[1:]).sum()
    np.testing.assert_allclose(logps["z"], ar_want, rtol=1e-12)
