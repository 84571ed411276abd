"""Quadratic limb-darkened occultation: numerical integration, batman, gradients, the Op."""

import warnings

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from scipy.integrate import quad

from credo_exoplanet.limbdark import kipping_to_quad, quad_flux_scalar, quad_limbdark

# Asking QUADPACK for 1e-13 makes it warn about round-off even where it reaches ~1e-14.
pytestmark = pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")

LAWS = [(0.4, 0.25), (0.0, 0.0), (1.0, -0.3), (0.1, 0.6)]


def intensity(rho, u1, u2):
    mu = np.sqrt(np.clip(1.0 - rho * rho, 0.0, None))
    return 1.0 - u1 * (1.0 - mu) - u2 * (1.0 - mu) ** 2


def radial_integral_flux(b, r, u1, u2):
    """Visible flux from a 1-D integral over stellar radius rho of I(rho) times the length of
    the circle of radius rho covered by the planet; adaptive quadrature to ~1e-14."""
    if b >= 1 + r:
        return 1.0
    blocked = 0.0
    if b < r:  # the disk rho < r - b is covered entirely
        inner = min(1.0, r - b)
        blocked += quad(lambda x: 2 * np.pi * x * intensity(x, u1, u2), 0, inner, epsabs=0, epsrel=1e-13)[0]
    lo, hi = abs(b - r), min(1.0, b + r)
    if b > 0 and hi > lo:

        def covered_arc(x):
            cos_half = (x * x + b * b - r * r) / (2 * b * x)
            return 2 * x * np.arccos(min(1.0, max(-1.0, cos_half)))

        # Geometric breakpoints resolve the square-root behaviour at the inner edge.
        edges = np.unique(np.r_[lo, lo + (hi - lo) * np.logspace(-12, 0, 30)])
        for x0, x1 in zip(edges[:-1], edges[1:]):
            blocked += quad(lambda x: covered_arc(x) * intensity(x, u1, u2), x0, x1, epsabs=0, epsrel=1e-13)[
                0
            ]
    return 1.0 - blocked / (np.pi * (1 - u1 / 3 - u2 / 6))


def grid_flux(b, r, u1, u2, n=2000):
    """Brute force: midpoint sum of the intensity over an (n x n) polar grid of the stellar disk,
    leaving out cells whose centre lies behind the planet."""
    rho = (np.arange(n) + 0.5) / n
    theta = (np.arange(n) + 0.5) * (2 * np.pi / n)
    R, T = np.meshgrid(rho, theta, indexing="ij")
    visible = (R * np.cos(T) - b) ** 2 + (R * np.sin(T)) ** 2 > r * r
    weights = intensity(R, u1, u2) * R * (1.0 / n) * (2 * np.pi / n)
    return np.sum(weights * visible) / np.sum(weights)


def special_configurations():
    """(b, r) at and next to the contact points b = 1 +- r, b = r, b = 0 and r = b = 1/2."""
    pts = []
    for r in [0.01, 0.1, 0.3, 0.5, 0.7, 0.95, 1.0]:
        for centre in [0.0, r, 1.0 - r, 1.0 + r, 0.5]:
            for d in [0.0, 1e-15, 1e-13, 1e-10, 1e-7, 1e-4]:
                for b in (centre - d, centre + d):
                    if 0 <= b <= 1 + r:
                        pts.append((b, r))
    return pts


@pytest.fixture(scope="module")
def compiled():
    """Numba-compiled flux and gradient for b (n,) and scalar r, u1, u2; no object mode."""
    b = pt.dvector("b")
    r, u1, u2 = pt.dscalars("r", "u1", "u2")
    flux = quad_limbdark(b, r, u1, u2)
    grads = pytensor.grad(flux.sum(), [b, r, u1, u2])
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*object mode.*")
        return pytensor.function([b, r, u1, u2], [flux, *grads], mode="NUMBA")


def test_matches_numerical_integration_at_contact_points_and_random_points():
    rng = np.random.default_rng(5)
    r_rand = rng.uniform(0.001, 1.0, 15)
    occultor_larger_than_star = [(0.5, 1.2), (1.2, 1.2), (0.3, 1.5), (2.4, 1.5), (0.1, 1.05)]
    points = special_configurations()[::9] + list(zip(rng.uniform(0, 1 + r_rand), r_rand))
    points += occultor_larger_than_star
    worst = 0.0
    for i, (b, r) in enumerate(points):
        u1, u2 = LAWS[i % len(LAWS)]
        worst = max(worst, abs(quad_flux_scalar(b, r, u1, u2)[0] - radial_integral_flux(b, r, u1, u2)))
    assert worst < 1e-12


def test_matches_brute_force_grid_over_the_disk():
    for b, r, u1, u2 in [(0.3, 0.1, 0.4, 0.25), (0.95, 0.2, 0.6, 0.1), (0.2, 0.6, 0.3, 0.3)]:
        assert quad_flux_scalar(b, r, u1, u2)[0] == pytest.approx(grid_flux(b, r, u1, u2), abs=3e-5)


def test_continuous_across_special_configurations():
    for b, r in special_configurations():
        f0 = quad_flux_scalar(b, r, 0.4, 0.25)[0]
        f1 = quad_flux_scalar(b * (1 + 1e-14) + 1e-14, r, 0.4, 0.25)[0]
        assert np.isfinite(f0) and abs(f0 - f1) < 1e-12, (b, r)


def test_agrees_with_batman(capfd):
    batman = pytest.importorskip("batman")
    from batman import _quadratic_ld

    worst = 0.0
    for r in [0.01, 0.05, 0.1, 0.2, 0.5, 0.9, 1.0]:
        b = np.linspace(0.0, 1.0 + r + 0.05, 1001)
        for u1, u2 in LAWS:
            # batman's quadratic law (Mandel & Agol 2002 formulas, its own elliptic
            # integrals) is analytic: max_err and fac only affect its nonlinear laws.
            theirs = _quadratic_ld._quadratic_ld(b, r, u1, u2, 1)
            ours = np.array([quad_flux_scalar(bi, r, u1, u2)[0] for bi in b])
            worst = max(worst, np.max(np.abs(ours - theirs)))
    capfd.readouterr()  # batman prints "Convergence failure in ellpic_bulirsch" near b = 1 - r
    assert worst < 1e-7
    assert batman.__version__


def test_batman_disagreement_is_batman_error():
    """Where batman and we differ most (1e-8 level), we match the numerical integral."""
    from batman import _quadratic_ld

    for b, r in [(0.99375, 0.01), (0.00103, 1.0), (0.903325, 0.1)]:
        truth = radial_integral_flux(b, r, 1.0, 0.0)
        batman_err = abs(_quadratic_ld._quadratic_ld(np.array([b]), r, 1.0, 0.0, 1)[0] - truth)
        ours_err = abs(quad_flux_scalar(b, r, 1.0, 0.0)[0] - truth)
        assert ours_err < 1e-13 < batman_err


def test_limiting_cases():
    assert quad_flux_scalar(1.2, 0.1, 0.4, 0.3)[0] == 1.0  # no overlap
    assert quad_flux_scalar(0.3, 0.0, 0.4, 0.3)[0] == 1.0  # no planet
    assert quad_flux_scalar(0.0, 1.0, 0.4, 0.3)[0] == 0.0  # star fully covered
    # Uniform star: flux = 1 - overlap area / pi; small centred planet: 1 - r^2.
    assert quad_flux_scalar(0.0, 0.1, 0.0, 0.0)[0] == pytest.approx(0.99, abs=1e-15)
    # Small planet at the centre of a limb-darkened star: depth r^2 I(1) / <I>.
    depth = 1 - quad_flux_scalar(0.0, 1e-3, 0.4, 0.3)[0]
    assert depth == pytest.approx(1e-6 / (1 - 0.4 / 3 - 0.3 / 6), rel=1e-6)
    # The sign of b does not matter.
    assert quad_flux_scalar(-0.4, 0.1, 0.4, 0.3)[0] == quad_flux_scalar(0.4, 0.1, 0.4, 0.3)[0]


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(11)
    r = rng.uniform(0.01, 1.0, 300)
    b = rng.uniform(-1.0, 1.0, 300) * (1.1 + r)
    u1 = rng.uniform(0, 1, 300)
    u2 = rng.uniform(-0.3, 0.6, 300)
    near_kink = np.minimum(np.abs(np.abs(b) - (1 + r)), np.abs(np.abs(b) - np.abs(1 - r))) < 1e-4
    h = 1e-6
    for x in np.c_[b, r, u1, u2][~near_kink]:
        analytic = np.array(quad_flux_scalar(*x)[1:])
        numeric = np.empty(4)
        for j in range(4):
            step = np.zeros(4)
            step[j] = h
            numeric[j] = (quad_flux_scalar(*(x + step))[0] - quad_flux_scalar(*(x - step))[0]) / (2 * h)
        np.testing.assert_allclose(analytic, numeric, atol=2e-8, err_msg=str(x))


def test_gradients_at_special_configurations():
    def fd(b, r, h, wrt):
        db, dr = (h, 0.0) if wrt == "b" else (0.0, h)
        return (
            quad_flux_scalar(b + db, r + dr, 0.4, 0.25)[0] - quad_flux_scalar(b - db, r - dr, 0.4, 0.25)[0]
        ) / (2 * h)

    # b = 0 and b = r: the flux is smooth there.
    for b, r in [(0.0, 0.1), (0.0, 0.5), (0.1, 0.1), (0.3, 0.3), (0.8, 0.8)]:
        gb, gr = quad_flux_scalar(b, r, 0.4, 0.25)[1:3]
        assert gr == pytest.approx(fd(b, r, 1e-6, "r"), abs=1e-8)
        assert gb == (0.0 if b == 0 else pytest.approx(fd(b, r, 1e-6, "b"), abs=1e-8))
    # b + r = 1: the flux has a (1 - b - r)^{3/2} term, so central differences converge like
    # sqrt(h) to the analytic one-sided limits.
    for b, r in [(0.5, 0.5), (0.3, 0.7), (0.9, 0.1)]:
        gb, gr = quad_flux_scalar(b, r, 0.4, 0.25)[1:3]
        for wrt, g in (("b", gb), ("r", gr)):
            errors = [abs(fd(b, r, h, wrt) - g) for h in (1e-4, 1e-6, 1e-8)]
            assert errors[2] < 1e-4 and errors[2] < errors[1] < errors[0]


def test_op_value_and_gradient(compiled):
    b = np.linspace(-1.2, 1.2, 101)
    flux, gb, gr, gu1, gu2 = compiled(b, 0.1, 0.4, 0.25)
    kernel = np.array([quad_flux_scalar(x, 0.1, 0.4, 0.25) for x in b])
    np.testing.assert_allclose(flux, kernel[:, 0], rtol=1e-14)
    np.testing.assert_allclose(gb, kernel[:, 1], rtol=1e-12, atol=1e-15)
    # r, u1, u2 broadcast over b: their gradients sum over it.
    np.testing.assert_allclose([gr, gu1, gu2], kernel[:, 2:].sum(axis=0), rtol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="r must be >= 0"):
        quad_limbdark(0.1, -0.1, 0.4, 0.2)
    with pytest.raises(ValueError, match="non-positive total stellar flux"):
        quad_limbdark(0.1, 0.1, 3.0, 1.0)
    with pytest.raises(ValueError, match="b must be finite"):
        quad_limbdark(np.nan, 0.1, 0.4, 0.2)
    # At run time (symbolic input) the same cases give NaN.
    assert all(np.isnan(quad_flux_scalar(0.1, -0.1, 0.4, 0.2)))
    assert all(np.isnan(quad_flux_scalar(0.1, 0.1, 3.0, 1.0)))


def test_kipping_parametrisation():
    u1, u2 = kipping_to_quad(0.36, 0.25)
    assert (u1, u2) == pytest.approx((0.3, 0.3))
    rng = np.random.default_rng(3)
    q1, q2 = rng.uniform(size=(2, 1000))
    u1, u2 = kipping_to_quad(q1, q2)
    # Inverse map (Kipping 2013, eqs. 17-18) and the physical conditions it guarantees.
    np.testing.assert_allclose((u1 + u2) ** 2, q1, rtol=1e-12)
    np.testing.assert_allclose(u1 / (2 * (u1 + u2)), q2, rtol=1e-12)
    mu = np.linspace(0, 1, 11)[:, None]
    assert np.all(1 - u1 * (1 - mu) - u2 * (1 - mu) ** 2 >= -1e-15)  # intensity >= 0
    assert np.all(u1 + 2 * u2 * (1 - mu) >= -1e-15)  # decreasing towards the limb
    q = pt.dscalar("q")
    sym = kipping_to_quad(q, 0.25)
    assert isinstance(sym[0], pt.TensorVariable)
    assert sym[0].eval({q: 0.36}) == pytest.approx(0.3)
    with pytest.raises(ValueError, match="q1 must be in"):
        kipping_to_quad(1.2, 0.5)
