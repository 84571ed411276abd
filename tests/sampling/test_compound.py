"""Compound sampling: NUTS for continuous variables and Metropolis for discrete ones in one Numba loop,
and explicit ``step=`` methods, checked against posteriors known exactly by enumeration or conjugacy."""

import arviz as az
import numpy as np
import pytensor.tensor as pt
import pytest
from scipy import stats
from scipy.special import gammaln, logsumexp

import credo as cr
from credo.sampling import run_chains
from credo.sampling.compound import step_plan
from credo.sampling.metropolis import RANDOM_WALK
from credo.sampling.targets import normal

KW = dict(chains=4, progressbar=False, compute_convergence_checks=False)


def _mcse_mean(values: np.ndarray) -> float:
    """Monte Carlo standard error of the mean of draws shaped (chains, draws)."""
    return float(az.mcse(az.convert_to_dataset(np.asarray(values, dtype=float)))["x"])


def _assert_mean(values, exact, max_mcse):
    """The posterior mean of ``values`` matches ``exact`` within 4 MCSE, and MCSE is small."""
    mean, mcse = float(np.mean(values)), _mcse_mean(values)
    assert mcse < max_mcse, (mean, exact, mcse)
    assert abs(mean - exact) < 4 * mcse, (mean, exact, mcse)


# host's door (columns) given the prize door (rows) when you picked door 0: never yours, never the
# prize, at random when both others are empty
HOST = np.array([[0.0, 0.5, 0.5], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])


def monty_hall() -> cr.Model:
    with cr.Model() as model:
        prize = cr.Categorical("prize", p=np.ones(3) / 3)
        cr.Categorical("host", p=pt.as_tensor(HOST)[prize], observed=1)
    return model


@pytest.fixture(scope="module")
def monty_idata():
    return cr.sample(draws=2000, tune=500, random_seed=11, model=monty_hall(), **KW)


def test_monty_hall_switching_wins_two_thirds(monty_idata):
    prize = monty_idata.posterior["prize"].values
    assert set(np.unique(prize)) == {0, 2}  # the host never opens the prize door
    # P(prize = 2 | host opens 1) = (1/3 * 1) / (1/3 * 1/2 + 1/3 * 1) = 2/3
    _assert_mean(prize == 2, 2.0 / 3.0, 0.0075)
    attrs = monty_idata.attrs
    assert attrs["sampler"] == "metropolis" and attrs["step_methods"] == "Metropolis: prize"
    assert "metropolis1953" in attrs["credo_citations"]
    ss = monty_idata.sample_stats
    assert set(ss.data_vars) == {"lp", "perf_counter_start", "perf_counter_diff", "accept", "accepted"}
    # a uniform proposal to a category of probability ratio 1/2 (from 2 to 0) or 0 (to 1)
    np.testing.assert_allclose(np.unique(ss["accept"].values), [0.0, 0.5, 1.0])


def test_perf_counter_times_each_draw(monty_idata):
    ss = monty_idata.sample_stats
    diff, start = ss["perf_counter_diff"].values, ss["perf_counter_start"].values
    assert np.all(diff > 0) and np.all(diff < 0.1)
    # consecutive draws of a chain start after the previous one ended
    assert np.all(np.diff(start, axis=1) >= diff[:, :-1])
    assert np.sum(diff) <= monty_idata.attrs["sampling_time"] * 4


def test_same_seed_same_draws_whatever_the_threads(monty_idata):
    model = monty_hall()
    again = cr.sample(draws=2000, tune=500, random_seed=11, cores=1, model=model, **KW)
    for group, name in (("posterior", "prize"), ("sample_stats", "accept")):
        np.testing.assert_array_equal(again[group][name].values, monty_idata[group][name].values)
    other = cr.sample(draws=200, tune=100, random_seed=12, model=model, **KW)
    assert not np.array_equal(other.posterior["prize"].values, monty_idata.posterior["prize"].values[:, :200])


def _change_point_exact(counts: np.ndarray):
    """Posterior of the switch point ``s`` (early rate for t < s) and the rates' posterior means.

    With Exponential(1) = Gamma(1, 1) priors the rate of a segment of n counts summing to S
    integrates out to Gamma(S + 1) / (n + 1) ** (S + 1) (over the product of factorials), and given
    s its posterior is Gamma(S + 1, n + 1) with mean (S + 1) / (n + 1).
    """
    n = counts.size
    s = np.arange(n + 1)
    cum = np.concatenate([[0], np.cumsum(counts)])
    s1, n1 = cum, s
    s2, n2 = cum[-1] - cum, n - s
    log_m = gammaln(s1 + 1) - (s1 + 1) * np.log(n1 + 1) + gammaln(s2 + 1) - (s2 + 1) * np.log(n2 + 1)
    post = np.exp(log_m - logsumexp(log_m))
    return post, post @ ((s1 + 1) / (n1 + 1)), post @ ((s2 + 1) / (n2 + 1))


def test_change_point_matches_enumeration():
    rng = np.random.default_rng(2024)
    n, true_switch = 50, 20
    counts = np.concatenate([rng.poisson(3.0, true_switch), rng.poisson(1.0, n - true_switch)])
    t = np.arange(n)
    with cr.Model() as model:
        switch = cr.DiscreteUniform("switch", 0, n)
        early = cr.Exponential("early", 1.0)
        late = cr.Exponential("late", 1.0)
        cr.Poisson("counts", cr.math.switch(t < switch, early, late), observed=counts)
    idata = cr.sample(draws=1500, tune=1000, random_seed=3, model=model, **KW)
    post, early_mean, late_mean = _change_point_exact(counts)
    sw = idata.posterior["switch"].values
    assert idata.attrs["step_methods"] == "NUTS: early, late; Metropolis: switch"
    _assert_mean(sw, post @ np.arange(n + 1), 0.3)
    mode = int(np.argmax(post))
    _assert_mean(sw == mode, post[mode], 0.02)
    _assert_mean(idata.posterior["early"].values, early_mean, 0.02)
    _assert_mean(idata.posterior["late"].values, late_mean, 0.02)
    ss = idata.sample_stats
    assert {"diverging", "tree_depth", "step_size", "accept", "accepted", "perf_counter_diff"} <= set(ss)
    assert ss["diverging"].values.sum() == 0
    # the rounded random walk was tuned to a useful acceptance
    assert 0.1 < ss["accepted"].values.mean() < 0.9
    assert idata.attrs["n_grad_evals"] > ss["n_steps"].values.sum()


def test_bernoulli_and_poisson_latents_match_enumeration():
    # only discrete free variables: every coordinate moves by Metropolis
    y_z = np.array([-0.5, 1.0, 2.5])
    with cr.Model() as model:
        z = cr.Bernoulli("z", 0.3, shape=3)
        cr.Normal("y_z", 2.0 * z, 1.0, observed=y_z)
        k = cr.Poisson("k", 3.0)
        cr.Normal("y_k", k, 1.0, observed=5.0)
    idata = cr.sample(draws=2000, tune=500, random_seed=5, model=model, **KW)
    one = 0.3 * stats.norm.pdf(y_z, 2.0, 1.0)
    p_z = one / (one + 0.7 * stats.norm.pdf(y_z, 0.0, 1.0))
    zs = idata.posterior["z"].values
    for i in range(3):
        _assert_mean(zs[..., i], p_z[i], 0.01)
    ks = np.arange(60)
    p_k = stats.poisson.pmf(ks, 3.0) * stats.norm.pdf(5.0, ks, 1.0)
    p_k /= p_k.sum()
    _assert_mean(idata.posterior["k"].values, p_k @ ks, 0.03)
    _assert_mean(idata.posterior["k"].values == 4, p_k[4], 0.015)


@pytest.mark.parametrize("slice_mu", [False, True], ids=["nuts", "slice"])
def test_a_poisson_latent_with_a_continuous_variable_matches_the_closed_form(slice_mu):
    # k ~ Poisson(3), mu ~ N(0, 1), y ~ N(k + mu, 1): y | k ~ N(k, sqrt 2), E[mu | y, k] = (y - k) / 2
    with cr.Model() as model:
        k = cr.Poisson("k", 3.0)
        mu = cr.Normal("mu", 0.0, 1.0)
        cr.Normal("y", k + mu, 1.0, observed=5.0)
    # a step may name its variables by the random variables themselves
    step = cr.Slice(vars=[mu]) if slice_mu else None
    idata = cr.sample(draws=1500, tune=700, random_seed=8, step=step, model=model, **KW)
    expected = "Metropolis: k; Slice: mu" if slice_mu else "NUTS: mu; Metropolis: k"
    assert idata.attrs["step_methods"] == expected
    ks = np.arange(60)
    p_k = stats.poisson.pmf(ks, 3.0) * stats.norm.pdf(5.0, ks, np.sqrt(2.0))
    p_k /= p_k.sum()
    _assert_mean(idata.posterior["k"].values, p_k @ ks, 0.06)
    _assert_mean(idata.posterior["mu"].values, (5.0 - p_k @ ks) / 2.0, 0.04)
    # Var[mu | y] = E[Var] + Var[E] = 1/2 + Var[k | y] / 4
    var_k = p_k @ ks**2 - (p_k @ ks) ** 2
    assert idata.posterior["mu"].values.var() == pytest.approx(0.5 + var_k / 4, rel=0.08)


def normal_normal() -> tuple[cr.Model, float, float]:
    """mu ~ N(1, 2), y_i ~ N(mu, 1.5): the conjugate posterior mean and sd."""
    y = np.random.default_rng(6).normal(2.0, 1.5, 12)
    with cr.Model() as model:
        mu = cr.Normal("mu", 1.0, 2.0)
        cr.Normal("y", mu, 1.5, observed=y)
    precision = 1 / 2.0**2 + y.size / 1.5**2
    return model, (1.0 / 2.0**2 + y.sum() / 1.5**2) / precision, precision**-0.5


@pytest.mark.parametrize("step", [cr.Slice(w=5.0), cr.Metropolis(vars=["mu"], scale=0.05)],
                         ids=["slice", "metropolis"])  # fmt: skip
def test_explicit_step_on_a_conjugate_normal(step):
    model, mean, sd = normal_normal()
    idata = cr.sample(draws=2000, tune=1000, random_seed=4, step=step, model=model, **KW)
    name = type(step).__name__
    assert idata.attrs["step_methods"] == f"{name}: mu"
    draws = idata.posterior["mu"].values
    _assert_mean(draws, mean, 0.015)
    assert draws.std() == pytest.approx(sd, rel=0.06)
    ss = idata.sample_stats
    assert "diverging" not in ss
    if name == "Slice":
        # widths tuned to ~2 mean jumps: few evaluations per draw
        assert 2 < ss["slice_evals"].values.mean() < 8
        assert "neal2003" in idata.attrs["credo_citations"]
    else:
        # the scale was tuned up from 0.05 to a useful acceptance
        assert 0.15 < ss["accepted"].values.mean() < 0.75


def test_step_assignment_errors_name_the_variable():
    model, _, _ = normal_normal()
    with cr.Model() as discrete:
        cr.Poisson("k", 2.0)
        cr.Normal("x", 0.0, 1.0)
    cases = [
        (cr.NUTS(vars=["k"]), ValueError, "NUTS cannot update the discrete variable 'k'"),
        (cr.Slice(vars=["k"]), ValueError, "Slice cannot update the discrete variable 'k'"),
        (cr.Metropolis(vars=["nope"]), ValueError, "'nope' is not a free variable"),
        ([cr.Metropolis(vars=["x"]), cr.Slice(vars=["x"])], ValueError, "'x' is assigned to both"),
        ([cr.NUTS(), cr.NUTS()], ValueError, "at most one cr.NUTS"),
        ("nuts", TypeError, "expected cr.NUTS"),
    ]
    for step, error, match in cases:
        with pytest.raises(error, match=match):
            cr.sample(draws=10, tune=10, step=step, model=discrete, **KW)
    with pytest.raises(ValueError, match="Metropolis\\(scale=0"):
        cr.Metropolis(scale=0)
    with pytest.raises(ValueError, match="Slice\\(w=-1"):
        cr.Slice(w=-1)
    with pytest.raises(ValueError, match="NUTS\\(target_accept=1.2"):
        cr.NUTS(target_accept=1.2)
    with pytest.raises(TypeError, match="Slice\\(vars='mu'\\)"):
        cr.Slice(vars="mu")


def test_run_chains_with_a_slice_block_and_interruption():
    mean, sd = np.array([1.0, -2.0, 0.5]), np.array([0.5, 2.0, 1.0])
    fn, fn_only = normal(mean, sd), normal(mean, sd, grad=False)
    # NUTS moves coordinates 0 and 2; slice 1
    plan = step_plan(slice_idx=[1], width=[1.0])
    init = np.zeros((2, 3))
    res = run_chains(fn, 3, init, draws=2000, tune=500, seed=9, steps=plan, logp_only_cfunc=fn_only,
                     progressbar=False)  # fmt: skip
    assert res.inv_mass.shape == (2, 2)
    x = res.draws.reshape(-1, 3)
    np.testing.assert_allclose(x.mean(axis=0), mean, atol=0.1)
    np.testing.assert_allclose(x.std(axis=0), sd, rtol=0.07)
    assert set(res.stats) >= {"tree_depth", "slice_evals", "perf_counter_diff"}
    assert "accept" not in res.stats

    def stop(progress):
        if min(p.iteration for p in progress) > 50:
            raise KeyboardInterrupt

    plan = step_plan([0, 1, 2], [RANDOM_WALK] * 3, [0.0] * 3, [0.0] * 3, [1.0] * 3)
    res = run_chains(fn, 3, init, draws=10**6, tune=20, seed=9, idx=np.empty(0, dtype=np.int64),
                     steps=plan, logp_only_cfunc=fn_only, progressbar=False,
                     progress_callback=stop)  # fmt: skip
    assert res.interrupted and 0 < res.draws.shape[1] < 10**6
    assert set(res.stats) == {"lp", "perf_counter_start", "perf_counter_diff", "accept", "accepted"}
    with pytest.raises(ValueError, match=r"coordinates \[1\] are moved both by NUTS"):
        run_chains(fn, 3, init, steps=step_plan(slice_idx=[1], width=[1.0]), idx=np.array([0, 1]),
                   logp_only_cfunc=fn_only, progressbar=False)  # fmt: skip
    with pytest.raises(TypeError, match="logp_only_cfunc"):
        run_chains(fn, 3, init, steps=plan, logp_only_cfunc=fn, progressbar=False)
