"""Tempered SMC: marginal likelihoods and posteriors against closed forms, building blocks, errors."""

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytensor.tensor as pt
import pytest
from scipy import stats
from scipy.special import betaln, gammaln

import credo as cr
from credo.sampling.executor import SerialExecutor, chunk_slices, map_chunks
from credo.sampling.smc_kernels import (
    Particles,
    Tempering,
    _family_draw,
    _family_logq,
    ess,
    fit_family_out,
    mutate,
    systematic_resampling,
    tune_scales,
)

Y_NORMAL = np.random.default_rng(20240501).normal(1.3, 2.0, size=25)
SIGMA, MU0, TAU0 = 2.0, 0.0, 3.0


def normal_model():
    with cr.Model() as model:
        mu = cr.Normal("mu", MU0, TAU0)
        cr.Normal("y", mu, SIGMA, observed=Y_NORMAL)
    return model


def normal_log_ml() -> float:
    n = Y_NORMAL.size
    cov = SIGMA**2 * np.eye(n) + TAU0**2
    return float(stats.multivariate_normal(np.full(n, MU0), cov).logpdf(Y_NORMAL))


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_log_ml_normal_mean_matches_closed_form(seed):
    idata = cr.sample_smc(2000, chains=2, model=normal_model(), random_seed=seed, progressbar=False)
    lml = idata.sample_stats["log_marginal_likelihood"].values
    np.testing.assert_allclose(lml, normal_log_ml(), atol=0.1)
    # conjugate posterior
    n = Y_NORMAL.size
    var = 1 / (1 / TAU0**2 + n / SIGMA**2)
    mean = var * (MU0 / TAU0**2 + Y_NORMAL.sum() / SIGMA**2)
    post = idata.posterior["mu"].values
    assert abs(post.mean() - mean) < 0.1 * np.sqrt(var)
    assert abs(post.std() / np.sqrt(var) - 1) < 0.1


K_BINOM = np.array([7, 12, 9, 4, 11])
N_BINOM = np.array([20, 25, 20, 15, 22])
A_BETA, B_BETA = 2.0, 3.0


@pytest.mark.parametrize("seed,kernel", [(21, "imh"), (22, "imh"), (23, "mh")])
def test_log_ml_beta_binomial_matches_closed_form(seed, kernel):
    with cr.Model() as model:
        p = cr.Beta("p", A_BETA, B_BETA)
        cr.Binomial("k", N_BINOM, p, observed=K_BINOM)
    idata = cr.sample_smc(1000, kernel=kernel, chains=2, model=model, random_seed=seed, progressbar=False)
    log_binom = gammaln(N_BINOM + 1) - gammaln(K_BINOM + 1) - gammaln(N_BINOM - K_BINOM + 1)
    exact = log_binom.sum() + betaln(A_BETA + K_BINOM.sum(), B_BETA + (N_BINOM - K_BINOM).sum())
    exact -= betaln(A_BETA, B_BETA)
    np.testing.assert_allclose(idata.sample_stats["log_marginal_likelihood"].values, exact, atol=0.1)
    a, b = A_BETA + K_BINOM.sum(), B_BETA + (N_BINOM - K_BINOM).sum()
    post = idata.posterior["p"].values
    assert abs(post.mean() - a / (a + b)) < 0.1 * stats.beta(a, b).std()
    assert np.all((post > 0) & (post < 1))  # constrained values, not logits


@pytest.mark.parametrize("kernel", ["imh", "mh"])
def test_bimodal_mixture_finds_both_modes_with_their_weights(kernel):
    # likelihood 0.3 N(x | -m, s) + 0.7 N(x | m, s) per coordinate pair (modes at -m(1,1), +m(1,1)),
    # prior N(0, 5) iid: the prior is symmetric, so the posterior mode weights are 0.3 and 0.7
    m, s, w = 2.0, 0.5, 0.3
    with cr.Model() as model:
        x = cr.Normal("x", 0, 5, shape=2)
        lo = np.log(w) + pt.sum(-0.5 * ((x + m) / s) ** 2) - 2 * np.log(s * np.sqrt(2 * np.pi))
        hi = np.log(1 - w) + pt.sum(-0.5 * ((x - m) / s) ** 2) - 2 * np.log(s * np.sqrt(2 * np.pi))
        cr.Potential("mix", pt.logaddexp(lo, hi))
    idata = cr.sample_smc(2000, kernel=kernel, chains=2, model=model, random_seed=5, progressbar=False)
    draws = idata.posterior["x"].values.reshape(-1, 2)
    left = np.mean(draws[:, 0] < 0)
    assert abs(left - w) < 0.05
    # within each mode the posterior is N(m * 25 / 25.25, s^2 * 25 / 25.25) per coordinate
    shrink = 25 / (25 + s**2)
    right = draws[draws[:, 0] > 0]
    np.testing.assert_allclose(right.mean(axis=0), m * shrink, atol=0.05)
    np.testing.assert_allclose(right.std(axis=0), s * np.sqrt(shrink), rtol=0.1)
    # each mode's evidence is N(m | 0, 25 + s^2)^2 (the same for both by symmetry), weighted w, 1 - w
    exact = np.log(stats.norm(0, np.sqrt(25 + s**2)).pdf(m) ** 2)
    np.testing.assert_allclose(idata.sample_stats["log_marginal_likelihood"].values, exact, atol=0.15)


def test_inference_data_layout_dims_and_deterministics():
    y = np.array([0.3, -1.2, 0.8, 2.1])
    with cr.Model(coords={"obs": ["a", "b", "c", "d"]}) as model:
        mu = cr.Normal("mu", 0, 2)
        sigma = cr.HalfNormal("sigma", 2)
        cr.Deterministic("z", (cr.Data("yd", y, dims="obs") - mu) / sigma, dims="obs")
        cr.Normal("y", mu, sigma, observed=y, dims="obs")
    idata = cr.sample_smc(300, chains=3, model=model, random_seed=3, progressbar=False)
    post = idata.posterior
    assert dict(post.sizes) == {"chain": 3, "draw": 300, "obs": 4}
    assert list(post["z"].dims) == ["chain", "draw", "obs"]
    assert list(post.coords["obs"].values) == ["a", "b", "c", "d"]
    assert (post["sigma"].values > 0).all()
    mu, sigma = post["mu"].values[..., None], post["sigma"].values[..., None]
    np.testing.assert_allclose(post["z"].values, (y - mu) / sigma)
    np.testing.assert_array_equal(idata.observed_data["y"].values, y)
    np.testing.assert_array_equal(idata.constant_data["yd"].values, y)
    ss = idata.sample_stats
    assert ss["log_marginal_likelihood"].dims == ("chain",)
    for c in range(3):
        beta = ss["beta"].values[c]
        beta = beta[~np.isnan(beta)]
        assert beta[-1] == 1.0 and np.all(np.diff(beta) > 0)
        assert np.all(ss["accept_rate"].values[c][: beta.size] > 0)
        assert np.all(ss["n_steps"].values[c][: beta.size] >= 1)
    assert idata.attrs["sampler"] == "smc_imh" and "ching2007" in idata.attrs["credo_citations"]


def test_same_seed_same_draws_any_executor_and_other_seed_differs():
    model = normal_model()
    kw = dict(draws=300, chains=2, model=model, progressbar=False, kernel="mh")
    base = cr.sample_smc(random_seed=4, executor=SerialExecutor(), **kw).posterior["mu"].values
    with ThreadPoolExecutor(2) as pool:
        threads = cr.sample_smc(random_seed=4, executor=pool, **kw).posterior["mu"].values
    with ProcessPoolExecutor(2) as pool:
        procs = cr.sample_smc(random_seed=4, executor=pool, **kw).posterior["mu"].values
    np.testing.assert_array_equal(threads, base)
    np.testing.assert_array_equal(procs, base)
    other = cr.sample_smc(random_seed=5, **kw).posterior["mu"].values
    assert not np.array_equal(other, base)
    assert not np.array_equal(base[0], base[1])  # chains are independent


def test_seed_sequence_argument_is_not_consumed():
    seq = np.random.SeedSequence(8)
    kw = dict(draws=100, chains=1, model=normal_model(), progressbar=False, threshold=np.float32(0.6))
    first = cr.sample_smc(random_seed=seq, **kw).posterior["mu"].values
    again = cr.sample_smc(random_seed=seq, **kw).posterior["mu"].values
    np.testing.assert_array_equal(first, again)


# -- building blocks -------------------------------------------------------------------------------------
def test_systematic_resampling_counts_are_floor_or_ceil_of_expected():
    rng = np.random.default_rng(0)
    w = rng.dirichlet(np.full(500, 0.3))
    for _ in range(20):
        counts = np.bincount(systematic_resampling(w, rng), minlength=w.size)
        expected = w * w.size
        assert counts.sum() == w.size
        assert np.all((counts >= np.floor(expected) - 1e-9) & (counts <= np.ceil(expected) + 1e-9))


def test_ess_and_next_beta_hit_the_threshold():
    assert ess(np.zeros(40)) == pytest.approx(40)
    assert ess(np.log([1.0, 1.0, 0.0, 0.0])) == pytest.approx(2)
    assert ess(np.full(3, -np.inf)) == 0.0
    loglike = np.random.default_rng(1).normal(-50, 10, size=2000)
    schedule = Tempering(0.5)
    beta = schedule.next(loglike, 0.0)
    assert 0 < beta < 1
    assert ess(beta * loglike) == pytest.approx(1000, rel=1e-6)
    assert schedule.next(np.zeros(10), 0.3) == 1.0  # a flat likelihood ends at once
    # particles with zero likelihood: the prior stage keeps them, the next one drops them
    assert schedule.log_target(np.array([-np.inf, 0.0]), 0.0).tolist() == [0.0, 0.0]


def test_family_out_gaussian_is_the_fit_without_the_particle_and_its_copies():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 3)) @ np.array([[1.0, 0.0, 0.0], [0.5, 2.0, 0.0], [0.1, -0.3, 0.7]])
    x = x[rng.integers(0, 40, 40)]  # resampled: families of identical copies
    q = fit_family_out(x)
    y = rng.normal(size=(40, 3))
    for i in (0, 7, 19):
        others = x[~np.all(x == x[i], axis=1)]
        np.testing.assert_allclose(q.mean[i], others.mean(axis=0), atol=1e-12)
        cov = q.f[i] * q.chol @ (np.eye(3) - q.c[i] * np.outer(q.u[i], q.u[i])) @ q.chol.T
        np.testing.assert_allclose(cov, np.cov(others, rowvar=False, ddof=0), rtol=1e-6, atol=1e-6)
        ref = stats.multivariate_normal(others.mean(axis=0), np.cov(others, rowvar=False, ddof=0))
        np.testing.assert_allclose(
            _family_logq(q, y)[i] - _family_logq(q, x)[i], ref.logpdf(y[i]) - ref.logpdf(x[i]), rtol=1e-5
        )
    # draws have the family-out covariance
    draws = np.stack([_family_draw(q, rng)[7] for _ in range(20000)])
    others = x[~np.all(x == x[7], axis=1)]
    np.testing.assert_allclose(np.cov(draws, rowvar=False), np.cov(others, rowvar=False, ddof=0), atol=0.08)


@pytest.mark.parametrize("kernel,steps,tol", [("imh", 2, 0.35), ("mh", 5, 0.12)])
def test_mutation_leaves_a_target_population_in_place(kernel, steps, tol):
    # exact N(0, I) draws in 30-d, resampled into families: after MH moves the mean squared radius
    # must stay where it is (standard errors 0.08 and 0.03); a proposal fitted with the particle
    # itself shrinks it by 1.05 (imh) and 0.18 (mh)
    d, n = 30, 600
    rng = np.random.default_rng(3)

    def evaluate(x):
        return -0.5 * np.sum(x * x, axis=1), np.zeros(x.shape[0])

    shifts = []
    for _ in range(20):
        x = rng.normal(size=(n, d))[rng.integers(0, n, n)]
        moved, _, _ = mutate(Particles(x, *evaluate(x)), lambda ll: ll, evaluate, rng, kernel, 1e-9,
                             np.full(n, 2.38 / np.sqrt(d)), steps)  # fmt: skip
        shifts.append(np.mean(np.sum(moved.x**2, axis=1)) - np.mean(np.sum(x**2, axis=1)))
    assert abs(np.mean(shifts)) < tol


def test_tune_scales_moves_towards_target_acceptance():
    scales = np.array([1.0, 1.0])
    new = tune_scales(scales, np.array([0.9, 0.0]))
    np.testing.assert_allclose(new, 0.5 * (np.exp([0.666, -0.234]) + np.exp([0.666, -0.234]).mean()))


def test_map_chunks_runs_in_order_with_per_chunk_seeds():
    def draw(n, seed):
        return np.random.default_rng(seed).random(n)

    chunks = [(len(range(*s.indices(300))),) for s in chunk_slices(300)]
    root = np.random.SeedSequence(9)
    serial = map_chunks(SerialExecutor(), draw, chunks, seed=np.random.SeedSequence(9))
    with ThreadPoolExecutor(3) as pool:
        threaded = map_chunks(pool, draw, chunks, seed=root)
    for a, b in zip(serial, threaded):
        np.testing.assert_array_equal(a, b)
    assert [a.size for a in serial] == [128, 128, 44]


# -- errors --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"threshold": 0.0}, "threshold must be in \\(0, 1\\).*got 0.0"),
        ({"threshold": 1.0}, "threshold must be in \\(0, 1\\).*got 1.0"),
        ({"threshold": -0.2}, "threshold.*-0.2"),
        ({"correlation_threshold": 1.5}, "correlation_threshold.*1.5"),
        ({"kernel": "hmc"}, "kernel must be one of.*'hmc'"),
        ({"draws": 1}, "draws must be an integer >= 2, got 1"),
        ({"chains": 0}, "chains must be a positive integer, got 0"),
    ],
)
def test_bad_arguments_are_rejected_up_front(kwargs, match):
    with pytest.raises(ValueError, match=match):
        cr.sample_smc(model=normal_model(), progressbar=False, **kwargs)


def test_bad_seed_and_executor_types():
    with pytest.raises(TypeError, match="random_seed"):
        cr.sample_smc(model=normal_model(), random_seed="abc", progressbar=False)
    with pytest.raises(TypeError, match="executor must be a concurrent.futures.Executor"):
        cr.sample_smc(100, model=normal_model(), executor=object(), progressbar=False)


def test_improper_prior_is_refused():
    with cr.Model() as model:
        mu = cr.Flat("mu")
        cr.Normal("y", mu, 1, observed=[0.1, 0.2])
    with pytest.raises(ValueError, match="prior of 'mu' \\(Flat\\) is improper"):
        cr.sample_smc(model=model, progressbar=False)


def test_nan_likelihood_at_prior_draw_names_the_values():
    with cr.Model() as model:
        mu = cr.Normal("mu", 0, 1)
        cr.Potential("bad", pt.switch(mu > 1.0, np.nan, 0.0))
    with pytest.raises(cr.SamplingError, match="log-likelihood is nan at a prior draw.*mu=1\\.[0-9]"):
        cr.sample_smc(500, model=model, random_seed=1, progressbar=False)


def test_model_without_free_variables_is_refused():
    with cr.Model() as model:
        cr.Normal("y", 0, 1, observed=[0.0])
    with pytest.raises(ValueError, match="no free variables"):
        cr.sample_smc(model=model, progressbar=False)
