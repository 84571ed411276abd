"""Simulation-based calibration of NUTS on a small hierarchical model (Talts et al. 2018).

For each replicate, draw parameters from the prior and data from the likelihood, sample the posterior
and take the rank of the true value among L thinned draws: with a correct sampler the ranks are
uniform on {0, ..., L}. A chi-square test on binned ranks checks every parameter.

The replicates share one compiled log-density: the data are a free variable ``y`` held fixed at each
replicate's simulated values by moving only the parameter coordinates (``run_chains(idx=...)``), so
``p(theta | y)`` is what NUTS samples, with its own warm-up per replicate. (``cr.sample`` freezes data
into the compiled function and would recompile, 2-5 s, for every replicate.)

Reference: Talts, Betancourt, Simpson, Vehtari & Gelman (2018), "Validating Bayesian inference
algorithms with simulation-based calibration", arXiv:1804.06788.
"""

import numpy as np
from scipy import stats

import credo as cr
from credo.model.compile import compile_point_fn
from credo.sampling.driver import run_chains

N_GROUPS, N_OBS = 3, 2
N_RANKS = 99  # thinned posterior draws per replicate: ranks 0..99
THIN = 3
N_BINS = 10


def _sbc_ranks(sigma_model: float, replicates: int, seed: int) -> np.ndarray:
    """Ranks, shape (replicates, 2 + N_GROUPS), of (mu, tau, theta) with data simulated at sigma=1."""
    with cr.Model() as model:
        mu = cr.Normal("mu", 0, 1)
        tau = cr.HalfNormal("tau", 1)
        z = cr.Normal("z", 0, 1, shape=N_GROUPS)
        theta = cr.Deterministic("theta", mu + tau * z)
        cr.Normal("y", theta[:, None], sigma_model, shape=(N_GROUPS, N_OBS))
    compiled = cr.compile_logp_dlogp(model)
    point_fn = compile_point_fn(model, ["mu", "tau", "theta"])
    n_par = 2 + N_GROUPS
    assert compiled.ravel_map.names[-1] == "y" and compiled.ndim == n_par + N_GROUPS * N_OBS
    rng = np.random.default_rng(seed)
    chain_seeds = np.random.SeedSequence(seed).spawn(replicates)
    ranks = np.empty((replicates, n_par), dtype=int)
    for r in range(replicates):
        mu_true, tau_true = rng.normal(), abs(rng.normal())
        theta_true = mu_true + tau_true * rng.normal(size=N_GROUPS)
        y = rng.normal(theta_true[:, None], 1.0, size=(N_GROUPS, N_OBS))
        x0 = np.concatenate([rng.uniform(-1, 1, n_par), y.ravel()])
        res = run_chains(compiled.cfunc, compiled.ndim, x0[None], draws=N_RANKS * THIN, tune=300,
                         seed=chain_seeds[r], idx=np.arange(n_par), progressbar=False)  # fmt: skip
        assert np.array_equal(res.draws[0, :, n_par:], np.broadcast_to(y.ravel(), (N_RANKS * THIN, y.size)))
        points = [point_fn(x) for x in res.draws[0, THIN - 1 :: THIN]]
        drawn = np.array([[p["mu"], p["tau"], *p["theta"]] for p in points])
        ranks[r] = (drawn < np.array([mu_true, tau_true, *theta_true])).sum(axis=0)
    return ranks


def _chi_square_pvalues(ranks: np.ndarray) -> np.ndarray:
    """p-value of uniformity per parameter, from counts in N_BINS equal bins of {0, ..., N_RANKS}."""
    width = (N_RANKS + 1) // N_BINS
    counts = [np.bincount(col // width, minlength=N_BINS) for col in ranks.T]
    return np.array([stats.chisquare(c).pvalue for c in counts])


def test_ranks_are_uniform():
    ranks = _sbc_ranks(sigma_model=1.0, replicates=400, seed=2018)
    p = _chi_square_pvalues(ranks)
    print("SBC chi-square p-values (mu, tau, theta):", np.round(p, 4))
    assert np.all(p > 1e-3), p


def test_misspecified_model_is_detected():
    # the check must have power: a likelihood narrower than the simulator's (sigma 0.6 instead of 1)
    # gives overconfident posteriors and U-shaped ranks
    ranks = _sbc_ranks(sigma_model=0.6, replicates=400, seed=2018)
    p = _chi_square_pvalues(ranks)
    print("misspecified SBC p-values:", p)
    assert p.min() < 1e-4, p
