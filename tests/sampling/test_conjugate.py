"""cr.sample on conjugate models against their closed-form posteriors.

Mean, sd and the 5 % / 95 % quantiles of every coordinate must lie within 4 Monte-Carlo standard errors
(ArviZ's ESS-based MCSE of the draws) of the exact values from scipy.stats.
"""

import arviz as az
import numpy as np
import pytest
from scipy import stats

import credo as cr


def _mcse_checks(draws: np.ndarray, exact) -> list[str]:
    """Failed checks of (chain, draw, *shape) ``draws`` against a frozen scipy distribution."""
    x = draws.reshape(draws.shape[0], draws.shape[1], -1)
    ds = az.convert_to_dataset(x)
    mean, sd = x.mean(axis=(0, 1)), x.std(axis=(0, 1), ddof=1)
    # ArviZ 0.23's method="sd" fails on NumPy 2.4; the delta method on the second central moment is
    # what it computes: mcse(sd) = mcse(mean of (x - m)^2) / (2 sd)
    mcse_var = az.mcse(az.convert_to_dataset((x - mean) ** 2))["x"].values
    want_mean = np.broadcast_to(exact.mean(), mean.shape)
    want_sd = np.broadcast_to(exact.std(), sd.shape)
    rows = [("mean", mean, want_mean, az.mcse(ds)["x"].values),
            ("sd", sd, want_sd, mcse_var / (2 * sd))]  # fmt: skip
    for q in (0.05, 0.95):
        got = np.quantile(x, q, axis=(0, 1))
        want = np.broadcast_to(exact.ppf(q), got.shape)
        rows.append((f"q{q:.2f}", got, want, az.mcse(ds, method="quantile", prob=q)["x"].values))
    failed = []
    for label, got, want, mcse in rows:
        z = (got - want) / mcse
        if np.any(np.abs(z) >= 4):
            failed.append(f"{label}: got {got}, exact {want}, z {z}")
    return failed


def _sample(model, seed):
    return cr.sample(draws=1000, tune=500, chains=4, random_seed=seed, model=model, progressbar=False,
                     compute_convergence_checks=False)  # fmt: skip


def test_normal_normal_known_sigma():
    rng = np.random.default_rng(11)
    sigma, mu0, tau0 = 2.0, 1.0, 3.0
    y = rng.normal(4.0, sigma, size=(3, 15))  # three independent groups
    with cr.Model() as model:
        mu = cr.Normal("mu", mu0, tau0, shape=(3, 1))
        cr.Normal("y", mu, sigma, observed=y)
    idata = _sample(model, 1)
    precision = 1 / tau0**2 + y.shape[1] / sigma**2
    post_mean = (mu0 / tau0**2 + y.sum(axis=1) / sigma**2) / precision
    exact = stats.norm(post_mean, np.sqrt(1 / precision))
    draws = idata.posterior["mu"].values[..., 0]
    assert not _mcse_checks(draws, exact), _mcse_checks(draws, exact)
    assert int(idata.sample_stats["diverging"].sum()) == 0


def test_beta_binomial():
    n = np.array([10, 50, 200])
    k = np.array([1, 31, 150])
    a, b = 2.0, 3.0
    with cr.Model() as model:
        p = cr.Beta("p", a, b, shape=3)
        cr.Binomial("k", n, p, observed=k)
    idata = _sample(model, 2)
    exact = stats.beta(a + k, b + n - k)
    draws = idata.posterior["p"].values
    assert not _mcse_checks(draws, exact), _mcse_checks(draws, exact)
    assert np.all((draws > 0) & (draws < 1))


@pytest.mark.parametrize("alpha, beta", [(2.0, 0.5), (0.5, 1.0)])
def test_gamma_poisson(alpha, beta):
    counts = np.random.default_rng(12).poisson(3.5, size=8)
    with cr.Model() as model:
        lam = cr.Gamma("lam", alpha, beta)
        cr.Poisson("counts", lam, observed=counts)
    idata = _sample(model, 3)
    exact = stats.gamma(alpha + counts.sum(), scale=1 / (beta + counts.size))
    draws = idata.posterior["lam"].values
    assert not _mcse_checks(draws, exact), _mcse_checks(draws, exact)
