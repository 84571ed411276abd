"""Multivariate distributions against scipy.stats and closed forms."""

import numpy as np
import pytest
from scipy import special, stats

import credo as cr
from credo.testing import check_distribution

COV = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]])
MU = np.array([1.0, -1.0, 0.5])


def mvn_logp(v, mu, cov=None, chol=None, tau=None):
    cov = cov if cov is not None else chol @ chol.T if chol is not None else np.linalg.inv(tau)
    return stats.multivariate_normal(mu, cov).logpdf(v)


def mvn_cdf(v, mu, cov=None, chol=None, tau=None):
    cov = cov if cov is not None else chol @ chol.T if chol is not None else np.linalg.inv(tau)
    return stats.norm(mu, np.sqrt(np.diag(cov))).cdf(v)


@pytest.mark.parametrize(
    "params",
    [
        {"mu": MU, "cov": COV},
        {"mu": MU, "chol": np.linalg.cholesky(COV)},
        {"mu": MU, "tau": np.linalg.inv(COV)},
    ],
    ids=["cov", "chol", "tau"],
)
def test_mv_normal(params):
    check_distribution(cr.MvNormal, params, mvn_logp, reference_cdf_for_random=mvn_cdf, rtol=1e-9)


def test_mv_normal_batched():
    mus = np.array([[0.0, 1.0], [2.0, -1.0], [0.5, 0.5]])
    cov = np.array([[1.0, 0.5], [0.5, 2.0]])

    def logp(v, mu, cov):
        return np.stack([stats.multivariate_normal(m, cov).logpdf(v[:, i]) for i, m in enumerate(mu)], -1)

    def cdf(v, mu, cov):
        return stats.norm(mu, np.sqrt(np.diag(cov))).cdf(v)

    check_distribution(cr.MvNormal, {"mu": mus, "cov": cov}, logp, reference_cdf_for_random=cdf, rtol=1e-9)


def test_mv_student_t():
    check_distribution(
        cr.MvStudentT,
        [{"nu": 5.0, "mu": MU, "scale": COV}, {"nu": 1.5, "mu": MU, "scale": COV}],
        lambda v, nu, mu, scale: stats.multivariate_t(mu, scale, df=nu).logpdf(v),
        reference_cdf_for_random=lambda v, nu, mu, scale: stats.t(nu, mu, np.sqrt(np.diag(scale))).cdf(v),
        rtol=1e-9,
    )


def test_dirichlet():
    check_distribution(
        cr.Dirichlet,
        [{"a": np.array([2.0, 0.7, 3.0])}, {"a": np.array([1.0, 1.0, 1.0])}],
        lambda v, a: np.array([stats.dirichlet(a).logpdf(x) for x in v]),
        reference_cdf_for_random=lambda v, a: stats.beta(a, a.sum() - a).cdf(v),
        outside=[np.array([0.5, 0.6, -0.1]), np.array([0.2, 0.2, 0.2])],  # negative; sum 0.6
        rtol=1e-9,
    )


def test_multinomial():
    check_distribution(
        cr.Multinomial,
        [{"n": 10, "p": np.array([0.2, 0.3, 0.5])}, {"n": 3, "p": np.array([0.0, 0.7, 0.3])}],
        lambda v, n, p: stats.multinomial(n, p).logpmf(v),
        reference_cdf_for_random=lambda v, n, p: stats.binom(n, p).cdf(v),
        outside=[np.array([11, -1, 0]), np.array([4, 4, 4])],  # negative count; counts not summing to n
        rtol=1e-9,
    )


def log_lkj_normalizer(eta, n):
    """log of the integral of det(C)^(eta-1): Lewandowski, Kurowicka & Joe (2009), eq. 16."""
    k = np.arange(1, n)
    b = eta + (n - 1 - k) / 2
    return np.sum((2 * eta - 2 + n - k) * (n - k)) * np.log(2) + np.sum((n - k) * special.betaln(b, b))


def _jacobian(fn, x, h=1e-6):
    m = len(x)
    cols = []
    for j in range(m):
        e = np.zeros(m)
        e[j] = h
        cols.append((fn(x + e) - fn(x - e)) / (2 * h))
    return np.stack(cols, axis=-1)


def test_lkj_normalizer_known_values():
    from credo.distributions.multivariate import lkj_log_normalizer

    # volume of 3x3 correlation matrices is pi^2 / 2; for n = 2 the integral of (1 - r^2)^(eta - 1)
    np.testing.assert_allclose(
        lkj_log_normalizer(cr.math.exp(0.0), 3).eval(), np.log(np.pi**2 / 2), rtol=1e-14
    )
    for eta, n in [(0.5, 2), (2.0, 3), (3.5, 5)]:
        np.testing.assert_allclose(
            lkj_log_normalizer(cr.math.exp(np.log(eta)), n).eval(), log_lkj_normalizer(eta, n), rtol=1e-12
        )


def test_lkj_corr_cholesky():
    def logp(v, eta, n):
        # density of C = L L^T over its strictly lower triangle, times |d C / d L| (numerical)
        rows, cols = np.tril_indices(n, -1)

        def corr_free(lfree):
            L = np.zeros((n, n))
            L[rows, cols] = lfree
            L[np.arange(n), np.arange(n)] = np.sqrt(1 - np.sum(L**2, axis=1))
            return (L @ L.T)[rows, cols]

        out = []
        for L in v:
            jac = _jacobian(corr_free, L[rows, cols])
            logdet_c = np.linalg.slogdet(L @ L.T)[1]
            out.append((eta - 1) * logdet_c - log_lkj_normalizer(eta, n) + np.linalg.slogdet(jac)[1])
        return np.array(out)

    def cdf(v, eta, n):
        # the first column of L is the first column of C: (r + 1) / 2 ~ Beta(eta - 1 + n/2, eta - 1 + n/2)
        out = np.full(v.shape, np.nan)
        a = eta - 1 + n / 2
        out[:, 1:, 0] = stats.beta(a, a).cdf((v[:, 1:, 0] + 1) / 2)
        return out

    params = [{"eta": 2.0, "n": 2}, {"eta": 0.7, "n": 3}, {"eta": 1.0, "n": 4}]
    check_distribution(cr.LKJCorrCholesky, params, logp, reference_cdf_for_random=cdf, rtol=1e-6)


def test_lkj_cholesky_cov():
    n = 3

    def packed_to_sd_corr(x):
        L = np.zeros((n, n))
        L[np.tril_indices(n)] = x
        s = np.sqrt((L**2).sum(1))
        return np.r_[s, (L @ L.T / np.outer(s, s))[np.tril_indices(n, -1)]]

    def logp(v, eta, n, sd_dist):
        # p_sd(s) p_LKJ(C) |d (s, C) / d packed|, the Jacobian numerically
        out = []
        for x in v:
            sc = packed_to_sd_corr(x)
            L = np.zeros((n, n))
            L[np.tril_indices(n)] = x
            corr = L @ L.T / np.outer(sc[:n], sc[:n])
            lkj = (eta - 1) * np.linalg.slogdet(corr)[1] - log_lkj_normalizer(eta, n)
            jac = np.linalg.slogdet(_jacobian(packed_to_sd_corr, x))[1]
            out.append(stats.expon(scale=1 / 1.5).logpdf(sc[:n]).sum() + lkj + jac)
        return np.array(out)

    def cdf(v, eta, n, sd_dist):
        out = np.full(v.shape, np.nan)
        out[:, 0] = stats.expon(scale=1 / 1.5).cdf(v[:, 0])  # the first diagonal entry is sd[0]
        return out

    params = {"eta": 2.0, "n": n, "sd_dist": cr.Exponential.dist(1.5, size=n)}
    check_distribution(cr.LKJCholeskyCov, params, logp, reference_cdf_for_random=cdf, rtol=1e-6)


def test_lkj_cholesky_cov_in_model_returns_chol_corr_stds():
    with cr.Model() as model:
        chol, corr, stds = cr.LKJCholeskyCov("c", eta=2.0, n=3, sd_dist=cr.Exponential.dist(1.0, size=3))
        packed = cr.LKJCholeskyCov("p", eta=2.0, n=2, sd_dist=cr.HalfNormal.dist(1.0), compute_corr=False)
    assert [f.transform.name for f in model.free_rvs] == ["cholesky_cov_packed", "cholesky_cov_packed"]
    assert model.named_vars["c_corr"] is corr and model.named_vars["c_stds"] is stds
    assert packed.type.shape == (3,)
    x = np.array([2.0, 0.6, 1.5, -0.3, 0.4, 0.9])
    reps = {model.free_rvs[0].rv: cr.math.stack(list(x))}
    from pytensor.graph.replace import graph_replace

    c_val, r_val, s_val = (v.eval() for v in graph_replace([chol, corr, stds], reps, strict=False))
    L = np.zeros((3, 3))
    L[np.tril_indices(3)] = x
    cov = L @ L.T
    np.testing.assert_allclose(c_val, L, rtol=1e-14)
    np.testing.assert_allclose(s_val, np.sqrt(np.diag(cov)), rtol=1e-14)
    np.testing.assert_allclose(r_val, cov / np.outer(s_val, s_val), rtol=1e-14)
