"""``cr.sample``: reproducibility, InferenceData layout, sampler statistics, attrs, argument checks,
failing initial points, interruption and prediction with new data."""

import warnings

import arviz as az
import numpy as np
import pytest
from scipy import stats

import credo as cr
import credo.sampling.sample as sample_module
from credo.exceptions import SamplingError

N_OBS = 20
X = np.linspace(-1.0, 1.0, N_OBS)
Y = 1.0 + 2.0 * X + np.random.default_rng(0).normal(0.0, 0.5, N_OBS)
SAMPLE_KW = dict(draws=300, tune=200, chains=2, progressbar=False, compute_convergence_checks=False)
STATS = ("lp", "diverging", "energy", "energy_error", "tree_depth", "n_steps", "step_size",
         "step_size_bar", "acceptance_rate", "max_energy_error")  # fmt: skip


def regression() -> cr.Model:
    with cr.Model(coords={"obs": range(N_OBS)}) as model:
        x = cr.Data("x", X, dims="obs")
        alpha = cr.Normal("alpha", 0, 5)
        beta = cr.Normal("beta", 0, 5)
        sigma = cr.HalfNormal("sigma", 1)
        mu = cr.Deterministic("mu", alpha + beta * x, dims="obs")
        # no dims on y: its length follows x, so set_data can change it for prediction
        cr.Normal("y", mu, sigma, observed=Y)
    return model


@pytest.fixture(scope="module")
def fitted():
    model = regression()
    idata = cr.sample(random_seed=7, model=model, discard_tuned_samples=False,
                      idata_kwargs={"log_likelihood": True}, **SAMPLE_KW)  # fmt: skip
    return model, idata


def test_same_seed_same_draws_whatever_the_threads(fitted):
    model, idata = fitted
    again = cr.sample(random_seed=7, model=model, cores=1, **SAMPLE_KW)
    for name in ("alpha", "beta", "sigma", "mu"):
        np.testing.assert_array_equal(again.posterior[name].values, idata.posterior[name].values)
    for name in STATS:
        np.testing.assert_array_equal(again.sample_stats[name].values, idata.sample_stats[name].values)
    other = cr.sample(random_seed=8, model=model, **SAMPLE_KW)
    assert not np.array_equal(other.posterior["alpha"].values, idata.posterior["alpha"].values)
    # chains differ from each other
    assert not np.array_equal(idata.posterior["alpha"].values[0], idata.posterior["alpha"].values[1])


def test_groups_coords_and_dims(fitted):
    _, idata = fitted
    for group in ("posterior", "sample_stats", "log_likelihood", "observed_data", "constant_data",
                  "warmup_posterior", "warmup_sample_stats"):  # fmt: skip
        assert group in idata.groups(), (group, idata.groups())
    post = idata.posterior
    assert post["alpha"].dims == ("chain", "draw")
    assert post["mu"].dims == ("chain", "draw", "obs")
    assert post["mu"].shape == (2, 300, N_OBS)
    assert post.coords["obs"].values.tolist() == list(range(N_OBS))
    np.testing.assert_array_equal(idata.observed_data["y"].values, Y)
    np.testing.assert_array_equal(idata.constant_data["x"].values, X)
    # the deterministic is its graph evaluated at each draw
    np.testing.assert_allclose(post["mu"].values,
                               post["alpha"].values[..., None] + post["beta"].values[..., None] * X)
    assert np.all(post["sigma"].values > 0)


def test_warmup_groups_hold_the_tuning_iterations(fitted):
    _, idata = fitted
    assert idata.warmup_posterior["alpha"].shape == (2, 200)
    assert idata.warmup_sample_stats["step_size"].shape == (2, 200)
    # the step size moves during warm-up and is fixed afterwards
    assert np.ptp(idata.warmup_sample_stats["step_size"].values[0]) > 0
    assert np.ptp(idata.sample_stats["step_size"].values, axis=1).max() == 0


def test_sample_stats(fitted):
    _, idata = fitted
    ss = idata.sample_stats
    assert set(STATS) <= set(ss.data_vars), sorted(ss.data_vars)
    for name in STATS:
        assert ss[name].dims == ("chain", "draw"), name
        assert np.all(np.isfinite(ss[name].values)), name
    assert ss["diverging"].dtype == bool
    assert ss["tree_depth"].dtype.kind == "i" and ss["n_steps"].dtype.kind == "i"
    acc = ss["acceptance_rate"].values
    assert np.all((acc >= 0) & (acc <= 1))
    assert 0.6 < acc.mean() < 0.95  # dual averaging aims at target_accept = 0.8
    assert np.all(ss["step_size"].values > 0)
    # Stan's counts: a tree of depth d took 2^d - 1 leapfrog steps, plus at most the 2^d of a
    # rejected last subtree
    depth, n = ss["tree_depth"].values, ss["n_steps"].values
    assert np.all((n >= 2**depth - 1) & (n <= 2 ** (depth + 1) - 1))
    assert np.all(np.abs(ss["energy_error"].values) <= np.abs(ss["max_energy_error"].values) + 1e-12)
    # lp is the log-density on the unconstrained space (log sigma), Jacobian included
    post = idata.posterior
    alpha, beta, sigma = (post[k].values for k in ("alpha", "beta", "sigma"))
    lp = (stats.norm.logpdf(alpha, 0, 5) + stats.norm.logpdf(beta, 0, 5)
          + stats.halfnorm.logpdf(sigma, scale=1) + np.log(sigma)
          + stats.norm.logpdf(Y, post["mu"].values, sigma[..., None]).sum(axis=-1))  # fmt: skip
    np.testing.assert_allclose(ss["lp"].values, lp, rtol=1e-9)


def test_attrs(fitted):
    _, idata = fitted
    attrs = idata.attrs
    assert attrs["random_seed"] == "7"
    assert attrs["inference_library"] == "credo"
    assert attrs["inference_library_version"] == cr.__version__
    assert (attrs["draws"], attrs["tuning_steps"], attrs["chains"]) == (300, 200, 2)
    assert attrs["sampling_time"] > 0 and attrs["compile_time"] > 0
    assert attrs["n_grad_evals"] >= int(idata.sample_stats["n_steps"].sum())
    assert attrs["interrupted"] == 0
    assert "hoffman2014" in attrs["credo_citations"].split(",")
    assert attrs["adaptation"] == "nutpie"


def test_attrs_name_the_warmup_a_dense_metric_gets():
    kw = dict(SAMPLE_KW, draws=20, tune=20)
    idata = cr.sample(random_seed=1, model=regression(), init="jitter+adapt_full", **kw)
    assert idata.attrs["adaptation"] == "stan"


def test_log_likelihood_group_feeds_loo(fitted):
    _, idata = fitted
    ll = idata.log_likelihood["y"]
    assert ll.shape == (2, 300, N_OBS)
    post = idata.posterior
    want = stats.norm.logpdf(Y, post["mu"].values, post["sigma"].values[..., None])
    np.testing.assert_allclose(ll.values, want, rtol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Pareto-k warnings on 600 draws
        loo = az.loo(idata)
    assert loo["n_data_points"] == N_OBS
    # elpd_loo is below the in-sample lppd by p_loo, close to the 3 parameters here
    lppd = np.sum(np.log(np.mean(np.exp(ll.values), axis=(0, 1))))
    assert np.isclose(loo["elpd_loo"] + loo["p_loo"], lppd, rtol=1e-6)
    assert 1.5 < loo["p_loo"] < 5


def test_posterior_predictive_follows_set_data(fitted):
    model, idata = fitted
    x_new = np.array([-2.0, 0.0, 0.5, 3.0, 10.0])
    try:
        with model:
            cr.set_data({"x": x_new})
            pred = cr.sample_posterior_predictive(idata, predictions=True, random_seed=3)
    finally:
        cr.set_data({"x": X}, model=model)
    y_pred = pred.predictions["y"]
    assert y_pred.shape == (2, 300, 5)
    post = idata.posterior
    line = post["alpha"].values[..., None] + post["beta"].values[..., None] * x_new
    resid = (y_pred.values - line) / post["sigma"].values[..., None]
    # the new draws are the regression line at x_new plus N(0, sigma) noise
    assert np.all(np.abs(resid.mean(axis=(0, 1))) < 4 / np.sqrt(600))
    assert np.all(np.abs(resid.std(axis=(0, 1)) - 1) < 0.15)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(draws=0), "draws"),
        (dict(draws=10.5), "draws"),
        (dict(tune=-1), "tune"),
        (dict(chains=0), "chains"),
        (dict(target_accept=1.5), "target_accept"),
        (dict(target_accept=0.0), "target_accept"),
        (dict(init="advi"), "init"),
        (dict(cores=0), "cores"),
        (dict(cores=-1), "cores"),
        (dict(random_seed=-1), "random_seed"),
        (dict(idata_kwargs={"log_likelihod": True}), "idata_kwargs"),
    ],
)
def test_bad_arguments_raise_naming_them(kwargs, name):
    with pytest.raises(ValueError, match=name):
        cr.sample(model=regression(), progressbar=False, **kwargs)


def test_initial_point_with_infinite_logp_names_the_variable():
    with cr.Model() as model:
        s = cr.Normal("s", 0, 1)  # support point 0: an invalid scale for y
        cr.Normal("y", 0, s, observed=np.array([1.0, 2.0]))
    with pytest.raises(SamplingError, match=r"(?s)\by: logp = -inf.*sigma > 0"):
        cr.sample(model=model, random_seed=1, progressbar=False)
    with cr.Model() as model:
        cr.Uniform("u", 0, 1, initval=2.0)
    with pytest.raises(SamplingError, match="u_interval__"):
        cr.sample(model=model, random_seed=1, progressbar=False)


def test_keyboard_interrupt_returns_partial_draws(monkeypatch):
    tune = 100
    real_run_chains = sample_module.run_chains

    def interrupted_run_chains(*args, **kwargs):
        def press_ctrl_c(progress):
            if min(p.iteration for p in progress) > tune + 10:
                raise KeyboardInterrupt

        return real_run_chains(*args, progress_callback=press_ctrl_c, **kwargs)

    monkeypatch.setattr(sample_module, "run_chains", interrupted_run_chains)
    draws = 200_000
    with pytest.warns(UserWarning, match="interrupted"):
        idata = cr.sample(draws=draws, tune=tune, chains=2, random_seed=5, model=regression(),
                          progressbar=False)  # fmt: skip
    n = idata.posterior.sizes["draw"]
    assert 10 < n < draws
    assert idata.attrs["interrupted"] == 1
    assert idata.sample_stats["lp"].shape == (2, n)
    assert np.all(np.isfinite(idata.posterior["alpha"].values))
