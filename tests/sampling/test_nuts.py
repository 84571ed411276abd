"""NUTS kernel: leapfrog, agreement with Stan's recursive algorithm, divergences, tree depth."""

import numpy as np
import pytest
from _stan_nuts_reference import StanNUTS

from credo.sampling import nuts_step
from credo.sampling.hamiltonian import leapfrog
from credo.sampling.logp import eval_logp_grad
from credo.sampling.targets import funnel, half_normal_untransformed, mvnormal, normal

COV3 = np.array([[1.0, 0.8, 0.1], [0.8, 1.5, -0.4], [0.1, -0.4, 0.6]])


@pytest.fixture(scope="module")
def gauss3():
    return mvnormal(np.array([0.5, -1.0, 2.0]), COV3)


def _chol(inv_mass):
    return np.linalg.cholesky(inv_mass) if inv_mass.ndim == 2 else np.sqrt(inv_mass)


def _run_kernel(fn, q, inv_mass, step_size, seed, n, max_depth=10):
    rng = np.random.default_rng(seed)
    lp, g = eval_logp_grad(fn, q)
    idx = np.arange(q.size)
    out = []
    for _ in range(n):
        q, lp, g, info = nuts_step(q, lp, g, fn, step_size, inv_mass, _chol(inv_mass), rng, idx,
                                   max_depth, 1000.0)  # fmt: skip
        out.append((q, lp, info))
    return out


def _run_reference(fn, q, inv_mass, step_size, seed, n, extra_checks=True):
    ref = StanNUTS(fn, inv_mass, step_size, np.random.default_rng(seed), extra_checks=extra_checks)
    lp, g = eval_logp_grad(fn, q)
    out = []
    for _ in range(n):
        q, lp, g, depth, n_leapfrog, divergent, accept, energy = ref.transition(q, lp, g)
        out.append((q, lp, depth, n_leapfrog, divergent, accept, energy))
    return out


def test_leapfrog_matches_closed_form_on_quadratic(gauss3):
    # For logp = -(q-mu)' P (q-mu)/2 one leapfrog step is the linear map
    # p1/2 = p - e/2 P(q-mu); q' = q + e M^-1 p1/2; p' = p1/2 - e/2 P(q'-mu).
    mu = np.array([0.5, -1.0, 2.0])
    prec = np.linalg.inv(COV3)
    inv_mass = np.array([0.7, 1.3, 0.4])
    q0, p0, e = np.array([0.1, 0.2, -0.3]), np.array([0.5, -1.0, 0.25]), 0.37
    half = p0 - 0.5 * e * prec @ (q0 - mu)
    q1 = q0 + e * inv_mass * half
    p1 = half - 0.5 * e * prec @ (q1 - mu)
    _, g = eval_logp_grad(gauss3, q0)
    # position, momentum, gradient and velocity are rows of one work array
    W = np.stack((q0, p0, g, inv_mass * p0))
    idx = np.arange(3)
    lp, kinetic = leapfrog(gauss3, W, 0, 1, 2, 3, e, inv_mass, q0.copy(), g.copy(), idx)
    q, p, v = W[0], W[1], W[3]
    np.testing.assert_allclose(q, q1, rtol=1e-13)
    np.testing.assert_allclose(p, p1, rtol=1e-13)
    np.testing.assert_allclose(v, inv_mass * p1, rtol=1e-13)
    assert lp == pytest.approx(-0.5 * (q1 - mu) @ prec @ (q1 - mu), rel=1e-13)
    assert kinetic == pytest.approx(0.5 * p1 @ (inv_mass * p1), rel=1e-13)


def test_leapfrog_energy_error_is_second_order():
    # Harmonic oscillator: the leapfrog energy error over a fixed time scales as step**2.
    fn = normal(np.zeros(1), np.ones(1))
    idx = np.arange(1)
    max_errors = []
    for e in (0.1, 0.05):
        q = np.array([1.0])
        lp, g = eval_logp_grad(fn, q)
        W = np.stack((q, np.zeros(1), g, np.zeros(1)))
        H0 = -lp
        errs = []
        for _ in range(int(round(6.0 / e))):
            lp, kinetic = leapfrog(fn, W, 0, 1, 2, 3, e, np.ones(1), q.copy(), g.copy(), idx)
            errs.append(abs(-lp + kinetic - H0))
        max_errors.append(max(errs))
    assert max_errors[0] < 0.01
    assert max_errors[0] / max_errors[1] == pytest.approx(4.0, rel=0.05)


@pytest.mark.parametrize(
    "inv_mass, step_size",
    [(np.array([1.0, 0.5, 2.0]), 0.35), (np.linalg.inv(np.linalg.inv(COV3) + np.eye(3)), 0.6)],
    ids=["diag", "dense"],
)
def test_kernel_reproduces_stan_recursion(gauss3, inv_mass, step_size):
    q0 = np.array([1.0, 0.0, 1.0])
    ours = _run_kernel(gauss3, q0, inv_mass, step_size, seed=7, n=300)
    ref = _run_reference(gauss3, q0, inv_mass, step_size, seed=7, n=300)
    depths = set()
    for (q, lp, info), (q_r, lp_r, depth, n_lf, div, accept, energy) in zip(ours, ref):
        np.testing.assert_array_equal(q, q_r)
        assert (lp, info.tree_depth, info.n_steps, info.diverging) == (lp_r, depth, n_lf, div)
        assert info.acceptance_rate == pytest.approx(accept, rel=1e-12)
        assert info.energy == pytest.approx(energy, rel=1e-12)
        depths.add(depth)
    assert len(depths) >= 2


def test_kernel_reproduces_stan_with_divergences():
    fn = funnel()
    q0 = np.array([-1.5, 0.3, -0.2, 0.1, 0.4])
    inv_mass = np.ones(5)
    ours = _run_kernel(fn, q0, inv_mass, 0.9, seed=3, n=200)
    ref = _run_reference(fn, q0, inv_mass, 0.9, seed=3, n=200)
    for (q, lp, info), (q_r, lp_r, depth, n_lf, div, *_) in zip(ours, ref):
        np.testing.assert_array_equal(q, q_r)
        assert (lp, info.tree_depth, info.n_steps, info.diverging) == (lp_r, depth, n_lf, div)
    assert 5 < sum(info.diverging for _, _, info in ours) < 195


def test_extra_uturn_checks_change_trajectories(gauss3):
    # Without Stan's checks across subtree joins the recursion differs from the kernel somewhere.
    q0 = np.array([1.0, 0.0, 1.0])
    inv_mass = np.array([1.0, 0.5, 2.0])
    ours = _run_kernel(gauss3, q0, inv_mass, 0.35, seed=7, n=300)
    old = _run_reference(gauss3, q0, inv_mass, 0.35, seed=7, n=300, extra_checks=False)
    assert any(a[2].n_steps != b[3] for a, b in zip(ours, old))


def test_same_seed_same_transitions_other_seed_differs(gauss3):
    q0 = np.zeros(3)
    a = _run_kernel(gauss3, q0, np.ones(3), 0.5, seed=11, n=50)
    b = _run_kernel(gauss3, q0, np.ones(3), 0.5, seed=11, n=50)
    c = _run_kernel(gauss3, q0, np.ones(3), 0.5, seed=12, n=50)
    assert all(np.array_equal(x[0], y[0]) for x, y in zip(a, b))
    assert not np.array_equal(a[-1][0], c[-1][0])


def test_leaving_the_support_is_a_divergence():
    fn = half_normal_untransformed()
    out = _run_kernel(fn, np.array([0.05, 1.0]), np.ones(2), 1.5, seed=5, n=200)
    diverging = np.array([info.diverging for _, _, info in out])
    assert 20 < diverging.sum() < 200
    assert all(np.all(q > 0) and np.isfinite(lp) for q, lp, _ in out)
    for _, _, info in out:
        if info.diverging:
            assert info.max_energy_error > 1000.0


def test_tree_depth_saturates_at_max_depth():
    fn = normal(np.zeros(4), np.ones(4))
    out = _run_kernel(fn, np.ones(4), np.ones(4), 1e-3, seed=2, n=20, max_depth=4)
    for _, _, info in out:
        assert info.tree_depth == 4
        assert info.reached_max_treedepth
        assert info.n_steps == 2**4 - 1
        assert 0.999 < info.acceptance_rate <= 1.0
        assert abs(info.index_in_trajectory) <= 15


def test_subset_of_coordinates_samples_the_conditional():
    # x ~ N(0, [[1, r], [r, 1]]); moving only x0 with x1 = 1 fixed gives x0 ~ N(r, 1 - r^2).
    r = 0.6
    fn = mvnormal(np.zeros(2), np.array([[1.0, r], [r, 1.0]]))
    rng = np.random.default_rng(4)
    q = np.array([0.0, 1.0])
    lp, g = eval_logp_grad(fn, q)
    idx = np.array([0])
    xs = np.empty(4000)
    for i in range(xs.size):
        q, lp, g, _ = nuts_step(q, lp, g, fn, 0.9, np.ones(1), np.ones(1), rng, idx, 10, 1000.0)
        xs[i] = q[0]
        assert q[1] == 1.0
    assert abs(xs.mean() - r) < 0.06
    assert xs.var() == pytest.approx(1 - r**2, rel=0.1)


def test_multinomial_weights_match_log_space_beyond_float_range():
    # weights exp(-error) are summed as floats, falling back to log weights where a float underflows
    # or overflows (energy errors beyond ~700); sums and ratios must match logaddexp in log space
    from credo.sampling.nuts import _log_weight, _sum_weights, _weight_ratio

    def weight(log_w):  # a leaf: its float weight (0 or inf out of range) and its log weight
        with np.errstate(over="ignore"):
            return np.exp(log_w), log_w

    for la, lb in [(0.0, -1.3), (-2.0, 3.0), (-800.0, -801.0), (-800.0, 0.5), (800.0, 1.0),
                   (900.0, 905.0), (-745.5, -0.1), (710.0, -710.0)]:  # fmt: skip
        (wa, lwa), (wb, lwb) = weight(la), weight(lb)
        w, lw = _sum_weights(wa, lwa, wb, lwb)
        log_sum = _log_weight(w, lw)
        assert log_sum == pytest.approx(np.logaddexp(la, lb), rel=1e-14, abs=1e-13)
        ratio = _weight_ratio(wa, lwa, wb, lwb)
        expected, _ = weight(lb - la)
        assert ratio == pytest.approx(expected, rel=1e-12) or (np.isinf(expected) and np.isinf(ratio))
        # a merged weight enters the next merge as well
        w2, lw2 = _sum_weights(w, lw, wb, lwb)
        log_sum2 = _log_weight(w2, lw2)
        assert log_sum2 == pytest.approx(np.logaddexp(np.logaddexp(la, lb), lb), rel=1e-14, abs=1e-13)
