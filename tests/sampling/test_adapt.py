"""Warm-up pieces: dual averaging, Stan's and PyMC's windows, estimators, and the schemes end to end."""

import numpy as np
import pytest

from credo.sampling import run_chains
from credo.sampling.adapt.mass_matrix import (
    RunningVariance,
    grad_based_inv_mass,
    grad_init_inv_mass,
    running_variance_add,
    stan_inv_mass,
    variance_inv_mass,
)
from credo.sampling.adapt.nutpie import NutpieWindows, nutpie_windows_update
from credo.sampling.adapt.pymc import PymcWindows, pymc_windows_update
from credo.sampling.adapt.stan import stan_window_schedule
from credo.sampling.adapt.step_size import dual_average_init, dual_average_update
from credo.sampling.targets import normal

SCALES = np.logspace(-2, 2, 8)


@pytest.fixture(scope="module")
def wide_gauss():
    return normal(np.zeros(SCALES.size), SCALES)


def test_dual_averaging_finds_step_size_of_target_acceptance():
    # With acceptance exp(-step) the target 0.8 is reached at step = -log(0.8); the averaged
    # iterate approaches it slowly (1% above after 3000 updates).
    state = dual_average_init(1.0)
    for _ in range(3000):
        state = dual_average_update(state, np.exp(-np.exp(state.log_step)), 0.8)
    assert np.exp(state.log_step_bar) == pytest.approx(-np.log(0.8), rel=0.02)
    assert state.mu == pytest.approx(np.log(10.0))


def test_stan_windows_for_default_warmup():
    start, stop, ends = stan_window_schedule(1000)
    assert (start, stop) == (75, 950)
    assert ends.tolist() == [99, 149, 249, 449, 949]  # windows of 25, 50, 100, 200, 500


def test_stan_windows_fall_back_for_short_warmup():
    start, stop, ends = stan_window_schedule(150)  # 75 + 25 + 50 = 150 still fits
    assert (start, stop, ends.tolist()) == (75, 100, [99])
    start, stop, ends = stan_window_schedule(100)  # 15% / 75 / 10%
    assert (start, stop, ends.tolist()) == (15, 90, [89])
    assert stan_window_schedule(19)[2].size == 0


@pytest.mark.parametrize("dense", [False, True])
def test_running_variance_matches_numpy(dense):
    x = np.random.default_rng(0).normal(size=(50, 3)) * [1.0, 10.0, 0.1]
    est = RunningVariance(np.zeros(3), np.zeros((3, 3) if dense else 3), 0)
    for row in x:
        est = running_variance_add(est, row)
    cov = np.cov(x.T) if dense else x.var(axis=0, ddof=1)
    np.testing.assert_allclose(est.m2 / (est.count - 1), cov, rtol=1e-12)
    np.testing.assert_allclose(est.mean, x.mean(axis=0), rtol=1e-12)
    # diagonal (Stan): n/(n+5) s^2 + 1e-3 * 5/(n+5); dense: n/(n+5) S + 5/(n+5) diag(S)
    if dense:
        expected = 50 / 55 * cov + 5 / 55 * np.diag(np.diag(cov))
    else:
        expected = 50 / 55 * cov + 1e-3 * 5 / 55
    np.testing.assert_allclose(stan_inv_mass(est), expected, rtol=1e-12)


def test_dense_metric_keeps_tiny_scales():
    # sds 1e-5 .. 1: Stan's 1e-3 I shrinkage would give the first coordinate a variance 1e4 x too big
    x = np.random.default_rng(1).normal(size=(200, 3)) * [1e-5, 1e-2, 1.0]
    est = RunningVariance(np.zeros(3), np.zeros((3, 3)), 0)
    for row in x:
        est = running_variance_add(est, row)
    np.testing.assert_allclose(np.diag(stan_inv_mass(est)), x.var(axis=0, ddof=1), rtol=1e-12)
    np.linalg.cholesky(stan_inv_mass(est))


def test_grad_based_estimate_is_exact_for_gaussian_draws():
    # For a Gaussian, grad = -x / var, so sqrt(var(x) / var(grad)) = var exactly.
    var = SCALES**2
    x = np.random.default_rng(1).normal(size=(20, SCALES.size)) * SCALES
    draws = RunningVariance(np.zeros(8), np.zeros(8), 0)
    grads = RunningVariance(np.zeros(8), np.zeros(8), 0)
    for row in x:
        draws = running_variance_add(draws, row)
        grads = running_variance_add(grads, -row / var)
    np.testing.assert_allclose(grad_based_inv_mass(draws, grads, np.ones(8)), var, rtol=1e-10)


def test_grad_based_estimate_keeps_scale_of_a_constant_gradient():
    # a coordinate no term depends on has a gradient that never varies: no scale, no ZeroDivisionError
    x = np.random.default_rng(2).normal(size=(10, 2))
    draws = RunningVariance(np.zeros(2), np.zeros(2), 0)
    grads = RunningVariance(np.zeros(2), np.zeros(2), 0)
    for row in x:
        draws = running_variance_add(draws, row)
        grads = running_variance_add(grads, np.array([-row[0], 0.0]))
    out = np.array([3.0, 7.0])
    assert grad_based_inv_mass(draws, grads, out) is out
    np.testing.assert_allclose(out, [1.0, 7.0], rtol=1e-12)


def test_variance_estimate_is_the_sample_variance_unshrunk():
    # scales 1e-6..1e2: no 1e-3 shrinkage term that would swamp the smallest
    scales = np.array([1e-6, 1e-2, 1.0, 1e2])
    x = np.random.default_rng(3).normal(size=(30, 4)) * scales
    x[:, 2] = 5.0  # a coordinate that never moved keeps its previous metric
    draws = RunningVariance(np.zeros(4), np.zeros(4), 0)
    for row in x:
        draws = running_variance_add(draws, row)
    out = np.full(4, 7.0)
    assert variance_inv_mass(draws, out) is out
    expected = x.var(axis=0, ddof=1)
    expected[2] = 7.0
    np.testing.assert_allclose(out, expected, rtol=1e-10)


def _windows(tune: int = 1000) -> NutpieWindows:
    est = [RunningVariance(np.zeros(2), np.zeros(2), 0) for _ in range(4)]
    return NutpieWindows(*est, int(0.3 * tune), tune - int(0.15 * tune), 0, False)


@pytest.mark.parametrize("grow_late", [False, True])
def test_hybrid_windows_grow_after_the_early_phase(grow_late):
    # nutpie swaps in a fresh window every 10 draws early and every 80 later; the hybrid stops
    # swapping at the early phase's end, so its foreground holds every draw from the last early
    # switch (draw 289) to the start of the final window (850)
    windows = _windows()
    x = np.random.default_rng(4).normal(size=(850, 2))
    counts = []
    for draw, row in enumerate(x):
        windows, update, _ = nutpie_windows_update(windows, draw, row, -row, False, 1, grow_late)
        counts.append(windows.draws.count)
        assert update == (windows.draws.count >= 3)
    if grow_late:
        assert counts[-1] == 850 - 290
        assert np.all(np.diff(counts[300:]) == 1)
        np.testing.assert_allclose(windows.draws.m2 / (windows.draws.count - 1),
                                   x[290:].var(axis=0, ddof=1), rtol=1e-10)  # fmt: skip
    else:
        # at most two windows of 80 until switching stops 80 draws before the final window
        assert max(counts[300:770]) <= 160 and counts[-1] <= 240


def test_nutpie_initial_metric_ignores_zero_gradients():
    np.testing.assert_array_equal(
        grad_init_inv_mass(np.array([-4.0, 0.0, np.nan, 1e-30, 0.5])), [0.25, 1.0, 1.0, 1e20, 2.0]
    )


def _pymc_diag_adapt_reference(x):
    """PyMC 5 ``QuadPotentialDiagAdapt(n, mean, ones, 10)`` fed the rows of ``x``, written as PyMC's
    ``update`` and ``_WeightedVariance`` read (prior of weight 10 included); the metric after each."""
    n = x.shape[1]

    def weighted(mean, var, weight):
        return {"n": float(weight), "mean": mean.copy(), "raw": var * weight}

    def add(w, row):
        w["n"] += 1
        old = row - w["mean"]
        w["mean"] += old / w["n"]
        w["raw"] += old * (row - w["mean"])

    var = np.ones(n)
    fg = weighted(x[:20].mean(axis=0), np.ones(n), 10)
    bg = weighted(np.zeros(n), np.zeros(n), 0)
    out = []
    for n_samples, row in enumerate(x):
        if n_samples > 50:
            add(fg, row)
            add(bg, row)
        if n_samples > 101:
            var = np.clip(fg["raw"] / fg["n"], 1e-12, 1e12)
        if n_samples > 0 and n_samples % 101 == 0:
            fg, bg = bg, weighted(np.zeros(n), np.zeros(n), 0)
        out.append(var.copy())
    return np.array(out)


def test_pymc_windows_match_pymc_diag_adapt():
    rng = np.random.default_rng(6)
    # a drifting chain, so that which draws each window holds shows in the variance
    x = np.cumsum(rng.normal(size=(600, 3)), axis=0) * [1e-3, 1.0, 1e3]
    expected = _pymc_diag_adapt_reference(x)
    windows = PymcWindows(*(RunningVariance(np.zeros(3), np.zeros(3), 0) for _ in range(2)))
    inv_mass = np.ones(3)
    for draw, row in enumerate(x):
        windows, update, inv_mass = pymc_windows_update(windows, draw, row, inv_mass)
        assert update == (draw > 101)
        np.testing.assert_allclose(inv_mass, expected[draw], rtol=1e-10)
    # the last metric is the population variance of draws 405..599: the background started after
    # the switch at 404 became the foreground at 505
    np.testing.assert_allclose(inv_mass, x[405:].var(axis=0), rtol=1e-10)


def test_pymc_scheme_adapts_metric_and_step_size(wide_gauss):
    init = np.random.default_rng(2).uniform(-1, 1, (2, SCALES.size))
    res = run_chains(wide_gauss, SCALES.size, init, draws=500, tune=1000, seed=3,
                     adaptation="pymc", progressbar=False)  # fmt: skip
    # each chain's metric is the variance of its last 192 draws (relative sd ~0.1-0.15 per entry)
    log_ratio = np.log(res.inv_mass / SCALES**2)
    assert np.all(np.abs(log_ratio) < np.log(1.5)), log_ratio
    assert np.all(np.abs(log_ratio.mean(axis=0)) < np.log(1.2)), log_ratio
    np.testing.assert_allclose(res.draws.var(axis=(0, 1)) / SCALES**2, 1.0, rtol=0.2)
    np.testing.assert_allclose(res.draws.mean(axis=(0, 1)) / SCALES, 0.0, atol=0.1)
    # PyMC's initial step size 0.25 / n**0.25, no step-size search
    assert np.all(res.warmup_stats["step_size"][:, 0] == 0.25 / SCALES.size**0.25)
    # the unit metric of the first 102 iterations meets scales 1e-2..1e2: PyMC's early depth limit 8
    assert res.warmup_stats["tree_depth"][:, :200].max() == 8
    # warm-up transitions plus draws, nothing else
    n_steps = res.warmup_stats["n_steps"].sum(axis=1) + res.stats["n_steps"].sum(axis=1)
    np.testing.assert_array_equal(res.n_grad_evals, n_steps)
    assert res.stats["acceptance_rate"].mean() == pytest.approx(0.8, abs=0.1)


@pytest.mark.parametrize("adaptation", ["hybrid", "nutpie", "stan", "pymc"])
def test_chains_started_at_the_mode(adaptation):
    # every gradient component is 0 at the initial point
    fn = normal(np.zeros(3), np.array([0.1, 1.0, 10.0]))
    res = run_chains(fn, 3, np.zeros((2, 3)), draws=300, tune=300, seed=8,
                     adaptation=adaptation, progressbar=False)  # fmt: skip
    assert res.draws.std(axis=(0, 1)) == pytest.approx([0.1, 1.0, 10.0], rel=0.3)


@pytest.mark.parametrize("adaptation, tol", [("hybrid", 0.2), ("nutpie", 0.05), ("stan", 0.35)])
def test_schemes_recover_variances_spanning_eight_decades(wide_gauss, adaptation, tol):
    init = np.random.default_rng(2).uniform(-1, 1, (2, SCALES.size))
    res = run_chains(wide_gauss, SCALES.size, init, draws=200, tune=1000, seed=3,
                     adaptation=adaptation, progressbar=False)  # fmt: skip
    ratio = res.inv_mass / SCALES**2
    assert np.all(np.abs(np.log(ratio)) < tol), ratio
    assert res.draws.var(axis=(0, 1)) / SCALES**2 == pytest.approx(np.ones(8), rel=0.35)


@pytest.mark.parametrize("adaptation", ["hybrid", "nutpie", "stan"])
@pytest.mark.parametrize("target", [0.8, 0.95])
def test_step_size_adaptation_reaches_target_acceptance(wide_gauss, adaptation, target):
    init = np.random.default_rng(4).uniform(-1, 1, (2, SCALES.size))
    res = run_chains(wide_gauss, SCALES.size, init, draws=500, tune=1000, seed=5,
                     adaptation=adaptation, target_accept=target, progressbar=False)  # fmt: skip
    # dual averaging drives the mean acceptance of the warm-up iterates to the target ...
    late_warmup = res.warmup_stats["acceptance_rate"][:, -100:]
    assert late_warmup.mean() == pytest.approx(target, abs=0.05)
    # ... and the averaged step size used afterwards is a little smaller, never larger
    accept = res.stats["acceptance_rate"].mean()
    assert target - 0.03 < accept < target + 0.12
    assert np.all(res.stats["step_size"] == res.step_size[:, None])
