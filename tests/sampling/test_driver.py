"""Chain driver: posterior accuracy, dense metric, reproducibility, interruption, input checks."""

import subprocess
import sys
import textwrap
import threading

import arviz as az
import numba as nb
import numpy as np
import pytest

from credo.exceptions import SamplingError
from credo.sampling import LOGP_GRAD_SIGNATURE, run_chains
from credo.sampling.adapt.warmup import warmup_init
from credo.sampling.chain import RUN_CHUNK, STAT_NAMES
from credo.sampling.logp import eval_logp_grad
from credo.sampling.targets import half_normal_untransformed, mvnormal, normal


@pytest.fixture(scope="module")
def std_normal_10():
    return normal(np.zeros(10), np.ones(10))


def _init(chains, n_dim, seed=0):
    return np.random.default_rng(seed).uniform(-2, 2, (chains, n_dim))


def test_standard_normal_10d_moments(std_normal_10):
    res = run_chains(std_normal_10, 10, _init(4, 10), draws=1000, tune=500, seed=1,
                     progressbar=False)  # fmt: skip
    assert res.draws.shape == (4, 1000, 10)
    assert not res.interrupted
    idata = az.convert_to_dataset(res.draws)
    mcse = az.mcse(idata)["x"].values
    mean = res.draws.mean(axis=(0, 1))
    assert np.all(np.abs(mean) < 4 * mcse), (mean, mcse)
    var = res.draws.var(axis=(0, 1))
    assert np.all(np.abs(var - 1.0) < 0.1), var
    ess = az.ess(idata)["x"].values
    assert np.all(ess > 1000)
    assert res.stats["diverging"].sum() == 0
    assert res.n_grad_evals.min() > res.stats["n_steps"].sum(axis=1).min()


def test_correlated_gaussian_with_dense_metric():
    cov = np.array([[1.0, 0.95 * 2.0], [0.95 * 2.0, 4.0]])
    fn = mvnormal(np.array([1.0, -2.0]), cov)
    res = run_chains(fn, 2, _init(2, 2), draws=1000, tune=1000, seed=2, metric="dense",
                     progressbar=False)  # fmt: skip
    assert res.inv_mass.shape == (2, 2, 2)
    np.testing.assert_allclose(res.inv_mass[0], cov, rtol=0.35, atol=0.1)
    x = res.draws.reshape(-1, 2)
    np.testing.assert_allclose(x.mean(axis=0), [1.0, -2.0], atol=0.15)
    np.testing.assert_allclose(np.cov(x.T), cov, rtol=0.15)
    # a dense metric makes this target isotropic: short trees
    assert res.stats["tree_depth"].mean() < 2.6


def test_same_seed_reproduces_whatever_the_chunking(std_normal_10):
    kw = dict(draws=150, tune=150, seed=42, progressbar=False)
    a = run_chains(std_normal_10, 10, _init(2, 10), **kw)
    b = run_chains(std_normal_10, 10, _init(2, 10), chunk_seconds=1e-6, cores=1, **kw)
    c = run_chains(std_normal_10, 10, _init(2, 10), **{**kw, "seed": 43})
    np.testing.assert_array_equal(a.draws, b.draws)
    np.testing.assert_array_equal(a.stats["step_size"], b.stats["step_size"])
    assert not np.array_equal(a.draws, c.draws)
    assert not np.array_equal(a.draws[0], a.draws[1])


def test_keyboard_interrupt_returns_what_was_drawn(std_normal_10):
    seen = []

    def callback(progress):
        seen.append(progress)
        if min(p.iteration for p in progress) > 120:
            raise KeyboardInterrupt

    res = run_chains(std_normal_10, 10, _init(2, 10), draws=10**6, tune=100, seed=3,
                     progressbar=False, progress_callback=callback)  # fmt: skip
    assert res.interrupted
    assert 20 < res.draws.shape[1] < 10**6
    assert res.draws.shape[0] == 2
    assert res.stats["lp"].shape == res.draws.shape[:2]
    assert np.all(np.isfinite(res.draws))
    assert res.warmup_stats["lp"].shape == (2, 100)
    assert seen[0][0].total == 10**6 + 100


def test_interrupt_before_some_chains_started(std_normal_10):
    # chains start in the thread that first takes them: an interrupt during the first chunk leaves
    # the others unstarted, which must not lose the run (their metric is NaN)
    def callback(progress):
        raise KeyboardInterrupt

    res = run_chains(std_normal_10, 10, _init(6, 10), draws=10**6, tune=10**6, seed=3, cores=1,
                     progressbar=False, progress_callback=callback, chunk_seconds=0.3)  # fmt: skip
    assert res.interrupted
    assert res.draws.shape == (6, 0, 10) and res.warmup_stats["lp"].shape == (6, 0)
    assert res.inv_mass.shape == (6, 10)
    assert np.all(np.isfinite(res.inv_mass[0])) and np.all(np.isnan(res.inv_mass[1:]))


def test_divergences_are_reported():
    fn = half_normal_untransformed()
    res = run_chains(fn, 3, np.full((2, 3), 0.5), draws=300, tune=300, seed=4,
                     progressbar=False)  # fmt: skip
    assert res.stats["diverging"].sum() > 0
    assert np.all(res.draws > 0)


def test_fixed_coordinates_stay_put():
    fn = normal(np.zeros(3), np.ones(3))
    init = _init(2, 3)
    res = run_chains(fn, 3, init, draws=100, tune=100, seed=5, idx=np.array([0, 2]),
                     progressbar=False)  # fmt: skip
    assert np.all(res.draws[:, :, 1] == init[:, 1:2])
    assert res.inv_mass.shape == (2, 2)


@nb.cfunc(LOGP_GRAD_SIGNATURE, nogil=True)
def flat_logp(x, g, n):
    for i in range(n):
        g[i] = 0.0
    return 0.0


def test_improper_posterior_is_refused_like_stan():
    with pytest.raises(SamplingError, match="posterior is improper"):
        run_chains(flat_logp, 2, np.zeros((1, 2)), draws=10, tune=10, seed=0, progressbar=False)


def test_zero_tune_zero_draws_and_kept_warmup(std_normal_10):
    res = run_chains(std_normal_10, 10, _init(2, 10), draws=30, tune=0, seed=6, progressbar=False)
    assert res.draws.shape == (2, 30, 10)
    assert res.warmup_stats["lp"].shape == (2, 0)
    res = run_chains(std_normal_10, 10, _init(2, 10), draws=0, tune=30, seed=6, keep_warmup=True,
                     progressbar=False)  # fmt: skip
    assert res.draws.shape == (2, 0, 10)
    assert res.warmup_draws.shape == (2, 30, 10)
    last = res.warmup_draws[:, -1]
    np.testing.assert_allclose(res.warmup_stats["lp"][:, -1], -0.5 * (last**2).sum(axis=1),
                               rtol=1e-14)  # fmt: skip


def test_bad_inputs_are_named(std_normal_10):
    with pytest.raises(ValueError, match="init_positions has shape"):
        run_chains(std_normal_10, 10, np.zeros((2, 9)), progressbar=False)
    with pytest.raises(ValueError, match="target_accept=1.5"):
        run_chains(std_normal_10, 10, np.zeros((2, 10)), target_accept=1.5, progressbar=False)
    with pytest.raises(ValueError, match="cores=0"):
        run_chains(std_normal_10, 10, np.zeros((2, 10)), cores=0, progressbar=False)
    with pytest.raises(ValueError, match="metric='full'"):
        run_chains(std_normal_10, 10, np.zeros((2, 10)), metric="full", progressbar=False)
    with pytest.raises(ValueError, match="adaptation='pymc' adapts a diagonal"):
        run_chains(std_normal_10, 10, np.zeros((1, 10)), metric="dense", adaptation="pymc",
                   progressbar=False)  # fmt: skip
    with pytest.raises(ValueError, match="adaptation='nutpie' adapts a diagonal"):
        run_chains(std_normal_10, 10, np.zeros((1, 10)), metric="dense", adaptation="nutpie",
                   progressbar=False)  # fmt: skip
    with pytest.raises(ValueError, match="adaptation='hybrid' adapts a diagonal"):
        run_chains(std_normal_10, 10, np.zeros((1, 10)), metric="dense", adaptation="hybrid",
                   progressbar=False)  # fmt: skip
    with pytest.raises(ValueError, match="sorted unique"):
        run_chains(std_normal_10, 10, np.zeros((1, 10)), idx=[3, 1], progressbar=False)
    with pytest.raises(TypeError, match="numba cfunc"):
        run_chains(lambda x: 0.0, 10, np.zeros((1, 10)), progressbar=False)
    with pytest.raises(SamplingError, match="chain 1 has logp=-inf"):
        run_chains(half_normal_untransformed(), 2, np.array([[1.0, 1.0], [1.0, -1.0]]),
                   progressbar=False)  # fmt: skip
    with pytest.raises(SamplingError, match="chain 0 is not finite"):
        run_chains(std_normal_10, 10, np.full((1, 10), np.nan), progressbar=False)


def _chunk_args(fn, scheme, tune):
    """The arguments of ``RUN_CHUNK[scheme]`` before ``max_seconds``: a chain of a 10-d model at 0."""
    x = np.zeros(10)
    lp, g = eval_logp_grad(fn, x)
    idx, rng = np.arange(10), np.random.default_rng(0)
    warmup, step, inv_mass, chol, _ = warmup_init(scheme, tune, 0.8, False, x, lp, g, fn, idx, rng)
    return (fn, idx, x, lp, g, step, inv_mass, chol, rng, warmup, 0, 10, 1000.0)


def test_chunks_release_the_gil(std_normal_10):
    # While one long Numba chunk runs on a worker thread the main thread keeps executing Python;
    # with the GIL held it would be blocked until the chunk returned.
    n = 100_000
    out, stats = np.empty((n, 10)), np.zeros((n, len(STAT_NAMES)))
    worker = threading.Thread(
        target=RUN_CHUNK["stan"], args=(*_chunk_args(std_normal_10, "stan", 0), np.inf, out, stats)
    )
    worker.start()
    spins = 0  # counted only between the first and the last draw, i.e. inside the chunk
    while worker.is_alive():
        if stats[0, 5] > 0 and stats[-1, 5] == 0:
            spins += 1
    worker.join()
    assert spins > 1000
    assert np.isfinite(stats[-1, 0])


def test_chunk_returns_at_its_time_budget(std_normal_10):
    # the clock, not a number of iterations, bounds a chunk: with no time at all it still finishes
    # the iteration under way, with no limit it runs them all
    args = _chunk_args(std_normal_10, "nutpie", 50)
    run_chunk = RUN_CHUNK["nutpie"]
    out, stats = np.zeros((50, 10)), np.zeros((50, len(STAT_NAMES)))
    assert run_chunk(*args, 0.0, out, stats)[-1] == 1
    assert np.all(out[1:] == 0.0) and np.all(stats[1:] == 0.0)
    assert run_chunk(*args, np.inf, out, stats)[-1] == 50
    assert np.all(stats[:, 5] >= 1)  # n_steps of every iteration
    # a chunk without rows for the draws keeps none and still runs every iteration
    assert run_chunk(*args, np.inf, np.empty((0, 10)), stats)[-1] == 50


@pytest.mark.parametrize("scheme", ["hybrid", "nutpie", "pymc", "stan"])
def test_chunk_hands_back_the_warmup_arrays_it_was_given(std_normal_10, scheme):
    # a chunk adapts on unowned views of the warm-up arrays: what it returns must be the caller's
    # arrays (foreground and background swapped), never a view of memory nobody owns
    args = _chunk_args(std_normal_10, scheme, 300)
    warmup, inv_mass = args[9], args[6]
    before = {a.ctypes.data for a in _arrays(warmup)}
    stats = np.zeros((300, len(STAT_NAMES)))
    state = RUN_CHUNK[scheme](*args, np.inf, np.empty((0, 10)), stats)
    after = state[6]
    assert {a.ctypes.data for a in _arrays(after)} == before
    for a in _arrays(after):
        assert a.base is not None or a.flags.owndata
    if scheme != "stan":  # the diagonal metric is adapted in place
        assert state[4] is inv_mass
    assert state[4].min() > 0.1 and state[4].max() < 10.0  # unit variances


def _arrays(warmup):
    """Every array of a warm-up state."""
    estimators = (warmup.stan.estimator, *warmup.nutpie[:4], *warmup.pymc)
    return [warmup.stan.ends] + [a for est in estimators for a in (est.mean, est.m2)]


def test_kernels_load_from_cache_in_a_new_process(std_normal_10):
    # this process compiled (or loaded) the default chain loop for the diagonal metric; a new process with
    # another model must load it from Numba's cache instead of compiling
    run_chains(std_normal_10, 10, _init(1, 10), draws=5, tune=5, seed=0, progressbar=False)
    script = textwrap.dedent(
        """
        import time
        import numpy as np
        from credo.sampling import run_chains
        from credo.sampling.chain import RUN_CHUNK
        run_chunk = RUN_CHUNK["nutpie"]
        from credo.sampling.targets import normal
        fn = normal(np.ones(3), np.full(3, 2.0))
        t0 = time.perf_counter()
        run_chains(fn, 3, np.zeros((1, 3)), draws=1, tune=1, seed=0, progressbar=False)
        print(sum(run_chunk.stats.cache_misses.values()), sum(run_chunk.stats.cache_hits.values()),
              time.perf_counter() - t0)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)  # fmt: skip
    misses, hits, seconds = out.stdout.split()
    assert (int(misses), int(hits)) == (0, 1), out.stdout
    assert float(seconds) < 5.0
    assert len(RUN_CHUNK["nutpie"].signatures) >= 1
