"""The benchmark models of ``/work/shared/benchmarks/models.md`` written in credo, with their data.

Each builder returns a `credo.Model`. The flat unconstrained vector has the variables in the order
they are declared, positive ones log-transformed, exactly as in ``peers_jax.py``, so the two
frameworks evaluate the same function of the same vector.

Data (``benchmarks/data/``, see README.md there for sources and licences):

- ``logistic_n5000_d25.npz``: with ``rng = numpy.random.default_rng(0)``, in this order,
  ``X = rng.normal(size=(5000, 25))``, ``beta_true = rng.normal(size=25)``, ``alpha_true = 0.5``,
  ``p = 1 / (1 + exp(-(alpha_true + X @ beta_true)))``,
  ``y = (rng.uniform(0, 1, size=5000) < p).astype(int64)``.
- ``sp500_returns_1000.csv``: the last 1000 daily percent log returns of the S&P 500 index shipped in
  the ``arch`` package (NCSA licence).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import credo as cr

DATA = Path(__file__).parent / "data"

EIGHT_SCHOOLS_Y = np.array([28.0, 8, -3, 7, -1, 1, 18, 12])
EIGHT_SCHOOLS_SIGMA = np.array([15.0, 10, 16, 11, 9, 11, 10, 18])


def eight_schools_nc() -> cr.Model:
    """Non-centred eight schools (Rubin 1981; 10 parameters)."""
    with cr.Model() as model:
        mu = cr.Normal("mu", 0.0, 5.0)
        tau = cr.HalfCauchy("tau", 5.0)
        theta_tilde = cr.Normal("theta_tilde", 0.0, 1.0, shape=8)
        cr.Normal("y", mu + tau * theta_tilde, EIGHT_SCHOOLS_SIGMA, observed=EIGHT_SCHOOLS_Y)
    return model


def load_logistic() -> tuple[np.ndarray, np.ndarray]:
    """``X`` (5000, 25) and ``y`` (5000,) of ``logistic_n5000_d25``, checked against their checksums."""
    data = np.load(DATA / "logistic_n5000_d25.npz")
    X, y = data["X"], data["y"]
    if not (np.isclose(X.sum(), -55.689257593463154, rtol=0, atol=1e-9) and y.sum() == 2727):
        raise ValueError(f"{DATA / 'logistic_n5000_d25.npz'} does not match its checksums")
    return X, y


def logistic_n5000_d25() -> cr.Model:
    """Bayesian logistic regression, 5000 rows, 25 covariates and an intercept (26 parameters)."""
    X, y = load_logistic()
    with cr.Model() as model:
        alpha = cr.Normal("alpha", 0.0, 2.5)
        beta = cr.Normal("beta", 0.0, 2.5, shape=X.shape[1])
        cr.Bernoulli("y", logit_p=alpha + cr.math.dot(X, beta), observed=y)
    return model


def load_returns() -> np.ndarray:
    """The 1000 S&P 500 daily percent log returns, shape (1000,)."""
    return np.loadtxt(DATA / "sp500_returns_1000.csv", delimiter=",", skiprows=1, usecols=1)


def stochastic_volatility() -> cr.Model:
    """Stochastic volatility with Student-t returns (1002 parameters).

    ``s`` is a centred Gaussian random walk: ``s[0] ~ Normal(0, 1)`` and increments
    ``s[t] - s[t-1] ~ Normal(0, sigma)``, as in models.md.
    """
    returns = load_returns()
    with cr.Model() as model:
        sigma = cr.Exponential("sigma", lam=10.0)
        nu = cr.Exponential("nu", lam=0.1)
        s = cr.GaussianRandomWalk(
            "s", mu=0.0, sigma=sigma, init_dist=cr.Normal.dist(0.0, 1.0), shape=returns.size
        )
        cr.StudentT("r", nu=nu, mu=0.0, sigma=cr.math.exp(s), observed=returns)
    return model


MODELS = {f.__name__: f for f in (eight_schools_nc, logistic_n5000_d25, stochastic_volatility)}
