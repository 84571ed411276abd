"""Kepler solver: accuracy against an extended-precision Newton solve, gradients, the Op."""

import warnings

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from credo_exoplanet.kepler import kepler, solve_kepler

LONG = np.longdouble
TWO_PI_LONG = 2 * LONG("3.14159265358979323846264338327950288")


def true_anomaly_reference(M, e):
    """f(M, e) by Newton's method in 80-bit extended precision (start E = pi: always converges)."""
    M = np.asarray(M, dtype=LONG)
    e = np.asarray(e, dtype=LONG)
    Mr = np.mod(M, TWO_PI_LONG)
    E = np.full_like(Mr, TWO_PI_LONG / 2)
    for _ in range(100):
        step = (E - e * np.sin(E) - Mr) / (1 - e * np.cos(E))
        E = E - step
        if np.max(np.abs(step)) < 1e-19:
            break
    assert np.max(np.abs(E - e * np.sin(E) - Mr)) < 1e-17
    return 2 * np.arctan2(np.sqrt(1 + e) * np.sin(E / 2), np.sqrt(1 - e) * np.cos(E / 2))


def angle_difference(a, b):
    return np.abs(np.mod(np.asarray(a - b, dtype=LONG) + np.pi, TWO_PI_LONG) - np.pi).astype(float)


@pytest.fixture(scope="module")
def compiled():
    """Numba-compiled ``M (k, n), e (n,) -> sin f, cos f, df/dM, df/de``.

    `e` broadcasts against the rows of `M`, so its gradient sums over them. An object-mode
    fallback (no Numba implementation) raises.
    """
    M = pt.dmatrix("M")
    e = pt.dvector("e")
    sinf, cosf = kepler(M, e)
    gM, ge = pytensor.grad(pt.arctan2(sinf, cosf).sum(), [M, e])
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*object mode.*")
        return pytensor.function([M, e], [sinf, cosf, gM, ge], mode="NUMBA")


@pytest.mark.skipif(np.finfo(LONG).eps > 1e-18, reason="needs 80-bit long double")
def test_true_anomaly_accurate_to_1e12_over_full_range():
    rng = np.random.default_rng(20240601)
    n = 20_000
    e = np.concatenate(
        [
            rng.uniform(0.0, 0.999, n),
            0.999 - rng.uniform(0, 0.03, n) ** 2,  # near-parabolic corner
            np.zeros(1000),
            np.full(1000, 0.999),
        ]
    )
    M = np.concatenate(
        [
            rng.uniform(-2 * np.pi, 4 * np.pi, n),
            np.exp(rng.uniform(-25, np.log(np.pi), n)) * rng.choice([-1.0, 1.0], n),
            rng.uniform(0, 2 * np.pi, 1000),
            np.linspace(-np.pi, np.pi, 1000),
        ]
    )
    sinf, cosf = solve_kepler(M, e)
    err = angle_difference(np.arctan2(sinf, cosf), true_anomaly_reference(M, e))
    assert err.max() < 1e-12
    np.testing.assert_allclose(sinf**2 + cosf**2, 1.0, atol=2e-15)


def test_circular_orbit_is_identity_and_special_points():
    M = np.linspace(-np.pi, np.pi, 101)
    sinf, cosf = solve_kepler(M, np.zeros_like(M))
    np.testing.assert_allclose(np.arctan2(sinf, cosf), M, atol=1e-15)
    # Periapsis and apoapsis are fixed points for every e.
    e = np.array([0.1, 0.5, 0.9, 0.999])
    s0, c0 = solve_kepler(np.zeros(4), e)
    sp, cp = solve_kepler(np.full(4, np.pi), e)
    np.testing.assert_allclose(np.c_[s0, c0, sp, cp], [[0, 1, 0, -1]] * 4, atol=1e-15)


def test_op_matches_kernel_and_broadcasts(compiled):
    rng = np.random.default_rng(1)
    M = rng.uniform(-10, 10, (3, 40))
    e = rng.uniform(0, 0.95, 40)
    sinf, cosf, _, ge = compiled(M, e)
    expected = solve_kepler(M, np.broadcast_to(e, M.shape))
    np.testing.assert_array_equal(sinf, expected[0])
    np.testing.assert_array_equal(cosf, expected[1])
    single = compiled(M[:1], e)[3]
    assert ge.shape == (40,)
    np.testing.assert_allclose(ge, sum(compiled(M[i : i + 1], e)[3] for i in range(3)))
    assert not np.allclose(ge, single)


def test_gradients_match_closed_form_and_finite_differences(compiled):
    rng = np.random.default_rng(2)
    M = rng.uniform(-np.pi, np.pi, 200)
    e = rng.uniform(0, 0.95, 200)
    sinf, cosf, gM, ge = compiled(M[None, :], e)
    gM = gM[0]
    np.testing.assert_allclose(gM, (1 + e * cosf[0]) ** 2 / (1 - e**2) ** 1.5, rtol=1e-12)
    np.testing.assert_allclose(ge, sinf[0] * (2 + e * cosf[0]) / (1 - e**2), rtol=1e-12, atol=1e-15)

    def f(M, e):
        s, c = solve_kepler(M, e)
        return np.arctan2(s, c)

    h = 1e-6
    fd_M = (f(M + h, e) - f(M - h, e)) / (2 * h)
    fd_e = (f(M, e + h) - f(M, e - h)) / (2 * h)
    np.testing.assert_allclose(gM, fd_M, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ge, fd_e, rtol=1e-6, atol=1e-8)


def test_bad_eccentricity():
    with pytest.raises(ValueError, match=r"e must be finite and in \[0.0, 1.0\)"):
        kepler(np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="e must be"):
        kepler(0.5, -0.1)
    with pytest.raises(ValueError, match="M must be finite"):
        kepler(np.nan, 0.1)
    # Symbolic values are only known at run time: NaN, so that a sampler rejects the point.
    sinf, cosf = solve_kepler(np.array([1.0, 1.0]), np.array([1.0, -0.2]))
    assert np.all(np.isnan(sinf)) and np.all(np.isnan(cosf))
