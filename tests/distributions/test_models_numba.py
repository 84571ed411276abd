"""Models mixing many distributions compile through Numba (no object mode) and match scipy."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit, logsumexp

import credo as cr
from credo.testing import finite_difference

RNG = np.random.default_rng(3)
Y_B = RNG.integers(0, 2, 15)
Y_P = RNG.poisson(3.0, 10)
Y_C = RNG.integers(0, 3, 12)
Y_M = RNG.normal(size=8)
Y_CENS = np.clip(RNG.normal(size=10), -1.0, 1.0)
Y_MV = RNG.normal(size=(5, 2))
CHOL = np.array([[1.0, 0.0], [0.4, 0.8]])


def mixed_model():
    with cr.Model() as model:
        mu = cr.Normal("mu", 0.0, 2.0)
        sigma = cr.HalfNormal("sigma", 1.5)
        p = cr.Beta("p", 2.0, 3.0)
        cr.Bernoulli("y_b", logit_p=cr.math.logit(p), observed=Y_B)
        lam = cr.Gamma("lam", mu=3.0, sigma=1.0)
        cr.Poisson("y_p", lam, observed=Y_P)
        w = cr.Dirichlet("w", np.ones(3))
        cr.Categorical("y_c", w, observed=Y_C)
        cr.Mixture(
            "y_m", w[:2] / w[:2].sum(), [cr.Normal.dist(mu, 1.0), cr.Normal.dist(3.0, sigma)], observed=Y_M
        )
        cr.TruncatedNormal("tn", mu, 1.0, lower=-1.0, upper=2.0)
        cr.Censored("y_cens", cr.Normal.dist(mu, sigma), lower=-1.0, upper=1.0, observed=Y_CENS)
        cr.MvNormal("y_mv", cr.math.stack([mu, mu]), chol=CHOL, observed=Y_MV)
        cr.GaussianRandomWalk("grw", 0.0, sigma, init_dist=cr.Normal.dist(0.0, 1.0), steps=3)
    return model


def scipy_logp(point):
    mu = point["mu"]
    sigma, lam = np.exp(point["sigma_log__"]), np.exp(point["lam_log__"])
    p = expit(point["p_logodds__"])
    w = cr.transforms.simplex.backward(point["w_simplex__"]).eval()
    tn = -1.0 + 3.0 * expit(point["tn_interval__"])
    grw = point["grw"]
    norm = stats.norm(mu, sigma)
    cens = np.where(
        Y_CENS == -1.0, norm.logcdf(-1.0), np.where(Y_CENS == 1.0, norm.logsf(1.0), norm.logpdf(Y_CENS))
    )
    simplex_jac = cr.transforms.simplex.log_jac_det(point["w_simplex__"]).eval()
    interval_jac = np.log(3 * expit(point["tn_interval__"]) * expit(-point["tn_interval__"]))
    w2 = w[:2] / w[:2].sum()
    mix = logsumexp(
        np.log(w2) + np.stack([stats.norm(mu, 1).logpdf(Y_M), stats.norm(3, sigma).logpdf(Y_M)], -1), -1
    )
    terms = [
        stats.norm(0, 2).logpdf(mu),
        stats.halfnorm(scale=1.5).logpdf(sigma) + point["sigma_log__"],
        stats.beta(2, 3).logpdf(p) + np.log(p * (1 - p)),
        stats.bernoulli(p).logpmf(Y_B).sum(),
        stats.gamma(9.0, scale=1 / 3.0).logpdf(lam) + point["lam_log__"],
        stats.poisson(lam).logpmf(Y_P).sum(),
        stats.dirichlet(np.ones(3)).logpdf(w) + simplex_jac,
        np.log(w[Y_C]).sum(),
        mix.sum(),
        stats.truncnorm(-1 - mu, 2 - mu, mu, 1).logpdf(tn) + interval_jac,
        cens.sum(),
        stats.multivariate_normal([mu, mu], CHOL @ CHOL.T).logpdf(Y_MV).sum(),
        stats.norm(0, 1).logpdf(grw[0]) + stats.norm(0, sigma).logpdf(np.diff(grw)).sum(),
    ]  # fmt: skip
    return float(np.sum(terms))


def test_mixed_model_compiles_with_numba_and_matches_scipy():
    model = mixed_model()
    compiled = cr.compile_logp_dlogp(model)  # raises NotImplementedError on any object-mode Op
    rmap = compiled.ravel_map
    for seed in range(3):
        x = rmap.ravel(model.initial_point()) + np.random.default_rng(seed).normal(scale=0.5, size=rmap.size)
        logp, grad = compiled(x)
        np.testing.assert_allclose(logp, scipy_logp(rmap.unravel(x)), rtol=1e-10)
        fd = [
            finite_difference(lambda z: compiled(z)[0], x, 1e-5 * np.eye(rmap.size)[j]) / 1e-5
            for j in range(rmap.size)
        ]
        np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-6)


@pytest.mark.slow
def test_every_distribution_compiles_with_numba():
    # the rest of the families (long Numba compile: scan, linear algebra, special functions)
    rng = np.random.default_rng(0)
    with cr.Model() as model:
        nu = cr.Gamma("nu", 2.0, 0.1)
        s = cr.InverseGamma("s", 3.0, 2.0)
        cr.StudentT("y_t", nu, 0.0, s, observed=rng.standard_t(4, size=5))
        cr.HalfStudentT("hst", 3.0, 1.0)
        cr.Cauchy("c", 0.0, 1.0)
        cr.HalfCauchy("hc", 1.0)
        cr.Laplace("la", 0.0, 1.0)
        cr.Logistic("lo", 0.0, 1.0)
        lam = cr.LogNormal("lam", 1.0, 0.5)
        cr.NegativeBinomial("y_nb", mu=lam, alpha=nu, observed=rng.poisson(3, 5))
        cr.Binomial("y_bin", 10, logit_p=cr.Normal("lp", 0.0, 1.0), observed=rng.integers(0, 10, 5))
        cr.BetaBinomial("y_bb", cr.Exponential("a", 1.0), 2.0, 10, observed=rng.integers(0, 10, 5))
        cr.Geometric("y_g", cr.Uniform("pg", 0.1, 0.9), observed=rng.integers(1, 5, 5))
        cr.DiscreteUniform("y_du", 0, 6, observed=rng.integers(0, 6, 5))
        cr.Multinomial("y_mn", 10, cr.Dirichlet("pm", np.ones(3)), observed=np.array([[2, 3, 5], [1, 1, 8]]))
        cr.Weibull("wb", 1.5, 2.0)
        cr.Pareto("pa", 2.0, 1.0)
        cr.ChiSquared("chi", 3.0)
        cr.SkewNormal("sn", 0.0, 1.0, alpha=2.0)
        cr.VonMises("vm", 0.5, 2.0)
        cr.Exponential("ex", 1.0)
        chol, _, _ = cr.LKJCholeskyCov("L", eta=2.0, n=3, sd_dist=cr.Exponential.dist(1.0, size=3))
        cr.MvStudentT("y_mvt", 5.0, np.zeros(3), chol=chol, observed=rng.normal(size=(4, 3)))
        cr.LKJCorrCholesky("corr", 2.0, 3)
        cr.AR("ar", rho=np.array([0.5, -0.2]), sigma=s, init_dist=cr.Normal.dist(0, 1), steps=4)
        cr.Truncated("tr", cr.Gamma.dist(2.0, 1.0), lower=0.5, upper=4.0)
    compiled = cr.compile_logp_dlogp(model)
    x = compiled.ravel_map.ravel(model.initial_point()) + rng.normal(scale=0.2, size=compiled.ndim)
    logp, grad = compiled(x)
    want = sum(model.point_logps(compiled.ravel_map.unravel(x)).values())
    np.testing.assert_allclose(logp, want, rtol=1e-10)
    j = int(np.argmax(np.abs(grad)))
    fd = finite_difference(lambda z: compiled(z)[0], x, 1e-5 * np.eye(compiled.ndim)[j]) / 1e-5
    np.testing.assert_allclose(grad[j], fd, rtol=1e-6)
