"""ABC with cr.Simulator and SMC: posteriors against exact ones, reproducibility, errors."""

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
from scipy import stats

import credo as cr
from credo.sampling import SerialExecutor, model_has_simulator
from credo.sampling.abc import SimulatorLikelihood, _KullbackLeibler

Y = np.random.default_rng(7).normal(1.2, 1.0, size=50)
PRIOR_SD = 5.0


# simulators live at module level so that process pools can pickle them
def normal_sim(rng, mu, size=None):
    return rng.normal(mu, 1.0, size=size)


def poisson_sim(rng, lam, size=None):
    return rng.poisson(lam, size=size)


def failing_sim(rng, mu, size=None):
    if mu > 2.0:
        raise RuntimeError("solver diverged")
    return rng.normal(mu, 1.0, size=size)


def nan_sim(rng, mu, size=None):
    out = rng.normal(mu, 1.0, size=size)
    if mu < -3.0:
        out[3] = np.nan
    return out


def short_sim(rng, mu, size=None):
    return rng.normal(mu, 1.0, size=10)


def gaussian_kernel(epsilon, obs, sim):
    return -0.5 * ((obs - sim) / epsilon) ** 2


def normal_abc_model(epsilon=0.05, fn=normal_sim):
    with cr.Model() as model:
        mu = cr.Normal("mu", 0, PRIOR_SD)
        cr.Simulator("y", fn, mu, observed=Y, sum_stat="mean", epsilon=epsilon)
    return model


def exact_normal_posterior():
    var = 1 / (1 / PRIOR_SD**2 + Y.size)
    return var * Y.sum(), np.sqrt(var)


def test_abc_normal_mean_close_to_exact_posterior():
    idata = cr.sample_smc(1000, model=normal_abc_model(), random_seed=1, progressbar=False)
    mean, sd = exact_normal_posterior()
    post = idata.posterior["mu"].values
    assert abs(post.mean() - mean) < 0.1 * sd
    # the Gaussian kernel on the mean adds epsilon^2 to its variance: sd * sqrt(1 + eps^2 n) = 1.06 sd
    assert abs(post.std() / sd - 1) < 0.2
    assert np.isfinite(idata.sample_stats["log_marginal_likelihood"].values).all()
    assert "delmoral2012" in idata.attrs["credo_citations"]


def test_abc_poisson_rate_close_to_exact_posterior():
    counts = np.random.default_rng(3).poisson(4.0, size=40)
    alpha, beta = 2.0, 0.5
    with cr.Model() as model:
        lam = cr.Gamma("lam", alpha, beta)
        cr.Simulator("y", poisson_sim, lam, observed=counts, sum_stat="mean", epsilon=0.05)
    idata = cr.sample_smc(1000, kernel="mh", model=model, random_seed=2, progressbar=False)
    exact = stats.gamma(alpha + counts.sum(), scale=1 / (beta + counts.size))
    post = idata.posterior["lam"].values
    assert abs(post.mean() - exact.mean()) < 0.1 * exact.std()
    assert abs(post.std() / exact.std() - 1) < 0.2


def test_adaptive_epsilon_shrinks_and_recovers_posterior():
    model = normal_abc_model(cr.AdaptiveEpsilon(quantile=0.5, floor=0.01, min_acceptance=0.05))
    idata = cr.sample_smc(1000, model=model, random_seed=3, progressbar=False)
    mean, sd = exact_normal_posterior()
    post = idata.posterior["mu"].values
    assert abs(post.mean() - mean) < 0.1 * sd
    assert abs(post.std() / sd - 1) < 0.2
    ss = idata.sample_stats
    assert "beta" not in ss
    for c in range(2):
        eps = ss["epsilon"].values[c]
        acc = ss["accept_rate"].values[c]
        eps, acc = eps[~np.isnan(eps)], acc[~np.isnan(acc)]
        assert np.all(np.diff(eps) < 0)
        # it stops at the floor or once acceptance drops below the minimum, not before
        assert eps[-1] == 0.01 or acc[-1] < 0.05
        assert np.all(acc[:-1] >= 0.05) and np.all(eps[:-1] > 0.01)
        assert eps[-1] < 0.2 * sd  # far below the posterior width


def test_draws_identical_across_serial_thread_and_process_executors():
    model = normal_abc_model(0.1)
    kw = dict(draws=200, chains=2, model=model, random_seed=11, progressbar=False)
    serial = cr.sample_smc(executor=SerialExecutor(), **kw)
    with ThreadPoolExecutor(3) as pool:
        threads = cr.sample_smc(executor=pool, **kw)
    with ProcessPoolExecutor(2) as pool:
        procs = cr.sample_smc(executor=pool, **kw)
    default = cr.sample_smc(**kw)
    for other in (threads, procs, default):
        np.testing.assert_array_equal(other.posterior["mu"].values, serial.posterior["mu"].values)
        np.testing.assert_array_equal(
            other.sample_stats["log_marginal_likelihood"].values,
            serial.sample_stats["log_marginal_likelihood"].values,
        )


def test_vector_parameter_and_matrix_observed():
    rng = np.random.default_rng(5)
    data = rng.normal([1.0, -2.0], 1.0, size=(30, 2))

    def sim(rng, mu, size=None):
        return rng.normal(mu, 1.0, size=size)

    def column_means(x):
        return x.mean(axis=0)

    with cr.Model() as model:
        mu = cr.Normal("mu", 0, 5, shape=2)
        cr.Simulator("y", sim, mu, observed=data, sum_stat=column_means, epsilon=0.05)
    idata = cr.sample_smc(500, model=model, random_seed=4, executor=SerialExecutor(), progressbar=False)
    var = 1 / (1 / 25 + 30)
    post = idata.posterior["mu"].values.reshape(-1, 2)
    # 500 particles and ~6% pseudo-marginal acceptance: Monte Carlo error ~0.1 sd per coordinate
    np.testing.assert_allclose(post.mean(axis=0), var * data.sum(axis=0), atol=0.3 * np.sqrt(var))
    np.testing.assert_allclose(post.std(axis=0), np.sqrt(var + 0.05**2), rtol=0.2)


# -- distances and summary statistics -----------------------------------------------------------------
def test_builtin_and_callable_distances_agree_with_formulas():
    stats_sim = np.random.default_rng(0).normal(size=(6, 3))
    obs = np.array([0.1, -0.4, 0.9])
    eps = np.array([0.5, 1.0, 2.0])

    def spec(distance, epsilon=eps):
        with cr.Model():
            rv = cr.Simulator("y", normal_sim, 0.0, observed=obs, distance=distance, epsilon=epsilon)
        return rv.tag.credo_dist.kwargs[0][1]

    gauss = SimulatorLikelihood._loglike(spec("gaussian"), obs, stats_sim, None)
    np.testing.assert_allclose(gauss, -0.5 * (((stats_sim - obs) / eps) ** 2).sum(axis=1))
    lap = SimulatorLikelihood._loglike(spec("laplace"), obs, stats_sim, None)
    np.testing.assert_allclose(lap, -np.abs((stats_sim - obs) / eps).sum(axis=1))
    custom = SimulatorLikelihood._loglike(spec(gaussian_kernel), obs, stats_sim, None)
    np.testing.assert_allclose(custom, gauss)
    adaptive = SimulatorLikelihood._loglike(spec("gaussian", cr.AdaptiveEpsilon()), obs, stats_sim, None)
    np.testing.assert_allclose(adaptive, -np.linalg.norm(stats_sim - obs, axis=1))


def test_kullback_leibler_estimates_gaussian_kl():
    rng = np.random.default_rng(1)
    obs, sim = rng.normal(0, 1, 5000), rng.normal(1, 1, 5000)
    # KL(N(0,1) || N(1,1)) = 0.5; the log-kernel is -KL / epsilon
    kl = _KullbackLeibler(obs, "y")
    assert -kl(1.0, sim) == pytest.approx(0.5, abs=0.1)
    # halving epsilon doubles the log-kernel, up to the constant log(n / (n - 1))
    assert kl(0.5, sim) == pytest.approx(2 * kl(1.0, sim), rel=0.01)


def test_prior_predictive_runs_the_simulator():
    with cr.Model() as model:
        mu = cr.Normal("mu", 0, 1)
        cr.Simulator("y", normal_sim, mu, observed=np.zeros(20))
    idata = cr.sample_prior_predictive(300, model=model, random_seed=2)
    y = idata.prior_predictive["y"].values
    assert y.shape == (1, 300, 20)
    noise = y - idata.prior["mu"].values[..., None]
    assert abs(noise.mean()) < 0.05 and abs(noise.std() - 1) < 0.05


# -- NUTS refusal and errors ----------------------------------------------------------------------------
def test_simulator_models_are_flagged_and_refuse_gradients():
    model = normal_abc_model()
    assert model_has_simulator(model)
    with cr.Model() as plain:
        cr.Normal("y", cr.Normal("mu", 0, 1), 1, observed=[0.0])
    assert not model_has_simulator(plain)
    with pytest.raises(NotImplementedError, match="Simulator 'y' has no likelihood.*cr.sample_smc"):
        cr.compile_logp_dlogp(model)


@pytest.mark.parametrize(
    "fn,match",
    [
        (failing_sim, "simulator 'y' raised RuntimeError: solver diverged at mu=[2-9]"),
        (nan_sim, "simulator 'y' returned NaN at mu=-[3-9]"),
        (short_sim, "simulator 'y' returned shape \\(10,\\), expected the observed shape \\(50,\\), at mu="),
    ],
)
def test_bad_simulator_output_names_the_parameters(fn, match):
    with pytest.raises(cr.SamplingError, match=match):
        cr.sample_smc(500, model=normal_abc_model(fn=fn), random_seed=1, progressbar=False)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"epsilon": 0.0}, "epsilon must be > 0, got 0.0"),
        ({"epsilon": -1}, "epsilon must be > 0, got -1"),
        ({"epsilon": np.array([1.0, 0.0])}, "epsilon must be a number or have one value per summary"),
        ({"epsilon": np.full(50, -0.5)}, "epsilon must be > 0"),
        ({"distance": "euclid"}, "distance 'euclid' unknown"),
        ({"sum_stat": "mode"}, "sum_stat 'mode' unknown"),
        ({"distance": "kullback_leibler", "sum_stat": "mean"}, "needs sum_stat='identity'"),
        ({"distance": "kullback_leibler", "epsilon": cr.AdaptiveEpsilon()}, "AdaptiveEpsilon needs"),
    ],
)
def test_bad_simulator_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        with cr.Model():
            mu = cr.Normal("mu", 0, 1)
            cr.Simulator("y", normal_sim, mu, observed=Y, **kwargs)


def picky_stat(x):
    if x.mean() > 1.5:
        raise ValueError("no statistic here")
    return x.mean(keepdims=True)


def ragged_stat(x):
    return x[: 2 if x.mean() > 0 else 3]


@pytest.mark.parametrize(
    "sum_stat,match",
    [
        (picky_stat, "sum_stat of simulator 'y' raised ValueError: no statistic here at mu=[0-9.]+$"),
        (ragged_stat, "sum_stat of simulator 'y' returned [23] values at mu=.* but [23] at other parameters"),
    ],
)
def test_bad_summary_statistic_names_the_parameters(sum_stat, match):
    with cr.Model() as model:
        mu = cr.Normal("mu", 0, 2)
        cr.Simulator("y", normal_sim, mu, observed=Y, sum_stat=sum_stat)
    with pytest.raises(cr.SamplingError, match=match):
        cr.sample_smc(300, model=model, random_seed=1, progressbar=False, executor=SerialExecutor())


def test_unpicklable_simulator_on_a_process_pool_is_refused_up_front():
    with cr.Model() as model:
        mu = cr.Normal("mu", 0, 2)
        cr.Simulator("y", lambda rng, mu, size=None: rng.normal(mu, 1.0, size=size), mu, observed=Y)
    with ProcessPoolExecutor(1) as pool:
        with pytest.raises(TypeError, match="Simulator 'y': its fn or sum_stat cannot be pickled"):
            cr.sample_smc(100, model=model, executor=pool, progressbar=False)


def test_missing_observed_and_uncallable_fn():
    with cr.Model():
        mu = cr.Normal("mu", 0, 1)
        with pytest.raises(ValueError, match="Simulator 'y' needs observed="):
            cr.Simulator("y", normal_sim, mu)
        with pytest.raises(TypeError, match="fn must be callable"):
            cr.Simulator("z", 3.0, mu, observed=Y)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"quantile": 1.0}, "quantile must be in \\(0, 1\\), got 1.0"),
        ({"floor": -0.1}, "floor must be >= 0, got -0.1"),
        ({"min_acceptance": 1.0}, "min_acceptance must be in \\[0, 1\\), got 1.0"),
    ],
)
def test_bad_adaptive_epsilon(kwargs, match):
    with pytest.raises(ValueError, match=match):
        cr.AdaptiveEpsilon(**kwargs)


def test_adaptive_epsilon_refuses_other_likelihood_terms():
    with cr.Model() as model:
        mu = cr.Normal("mu", 0, 1)
        cr.Simulator("y", normal_sim, mu, observed=Y, epsilon=cr.AdaptiveEpsilon())
        cr.Normal("z", mu, 1, observed=[0.5])
    with pytest.raises(ValueError, match="AdaptiveEpsilon: the model must have no other observed"):
        cr.sample_smc(model=model, progressbar=False)
