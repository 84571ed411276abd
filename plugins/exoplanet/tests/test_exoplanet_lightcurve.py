"""light_curve: batman, gradients through the compiled graph, exposure time, eclipses."""

import warnings

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from credo_exoplanet.lightcurve import exposure_stencil, light_curve
from credo_exoplanet.limbdark import quad_limbdark
from credo_exoplanet.orbit import KeplerianOrbit

MODE = "FAST_COMPILE"  # for small graphs of standard ops; the fixture below tests Numba
NAMES = ["period", "t0", "b", "ror", "u1", "u2", "rho_star", "ecc", "omega"]
HATP7 = [2.2047, 121.36, 0.5, 0.078, 0.4, 0.2, 0.27, 0.2, 0.7]


@pytest.fixture(scope="module")
def numba_model():
    """Light curve and gradient of a Gaussian log-likelihood, compiled once with Numba."""
    params = pt.dscalars(*NAMES)
    period, t0, b, ror, u1, u2, rho, ecc, omega = params
    t, y = pt.dvectors("t", "y")
    orbit = KeplerianOrbit(period, t0, b=b, rho_star=rho, ecc=ecc, omega=omega)
    flux = light_curve(orbit, ror, t, u1, u2)
    logp = -0.5 * pt.sum(((flux - y) / 1e-3) ** 2)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*object mode.*")
        fn = pytensor.function([*params, t, y], [flux, logp, *pytensor.grad(logp, params)], mode="NUMBA")
    return fn, orbit


def batman_flux(values, t):
    import batman

    period, t0, b, ror, u1, u2, _, ecc, omega = values
    orbit = KeplerianOrbit(period, t0, b=b, rho_star=values[6], ecc=ecc, omega=omega)
    p = batman.TransitParams()
    p.t0, p.per, p.rp = t0, period, ror
    p.a = float(orbit.aor.eval(mode=MODE))
    p.inc = float(np.rad2deg(orbit.incl.eval(mode=MODE)))
    p.ecc, p.w = ecc, np.rad2deg(omega)
    p.u, p.limb_dark = [u1, u2], "quadratic"
    return batman.TransitModel(p, t).light_curve(p)


@pytest.mark.parametrize("ecc, omega", [(0.0, 0.0), (0.2, 0.7), (0.6, -2.0)])
def test_matches_batman(numba_model, ecc, omega):
    fn, _ = numba_model
    values = HATP7[:7] + [ecc, omega]
    t = np.linspace(120.5, 130.3, 5000)
    flux = fn(*values, t, np.ones_like(t))[0]
    assert flux.min() < 0.995  # transits are in the window
    np.testing.assert_allclose(flux, batman_flux(values, t), atol=1e-7)


def test_circular_orbit_matches_batman():
    t = np.linspace(120.5, 130.3, 3000)
    orbit = KeplerianOrbit(2.2047, 121.36, b=0.5, rho_star=0.27)
    flux = light_curve(orbit, 0.078, t, 0.4, 0.2).eval(mode=MODE)
    np.testing.assert_allclose(flux, batman_flux(HATP7[:7] + [0.0, 0.0], t), atol=1e-7)


def test_gradient_of_log_likelihood(numba_model):
    fn, _ = numba_model
    t = np.linspace(121.1, 121.6, 400)
    y = 1 + np.random.default_rng(0).normal(0, 1e-3, t.size)
    x = np.array(HATP7)
    grad = np.array(fn(*x, t, y)[2:])
    h = np.full(x.size, 1e-6)
    for j, name in enumerate(NAMES):
        step = np.eye(len(x))[j] * h[j]
        fd = (fn(*(x + step), t, y)[1] - fn(*(x - step), t, y)[1]) / (2 * h[j])
        assert grad[j] == pytest.approx(fd, rel=1e-5, abs=1e-3), name


def test_transit_window_skips_only_unaffected_times():
    """The windowed light curve equals evaluating every time, for a grazing eccentric pair."""
    orbit = KeplerianOrbit(
        np.array([3.1, 7.7]),
        np.array([0.4, 2.0]),
        b=np.array([0.2, 1.05]),
        ecc=np.array([0.5, 0.3]),
        omega=np.array([1.0, -2.0]),
        rho_star=0.8,
    )
    r = np.array([0.05, 0.1])
    t = np.linspace(0.0, 40.0, 40001)
    windowed = light_curve(orbit, r, t, 0.3, 0.2)
    b, z = orbit.get_sky_separation(t)
    every = 1.0 + pt.sum(pt.switch(z > 0, quad_limbdark(b, r, 0.3, 0.2), 1.0) - 1.0, axis=-1)
    w, e = pytensor.function([], [windowed, every], mode=MODE)()
    assert np.sum(e < 1) > 1000  # both planets transit, the second grazing
    # Equal up to rounding: the elliptic integrals of a point iterate with its block of points.
    np.testing.assert_allclose(w, e, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(w[e == 1.0], 1.0)


def test_exposure_time_integration():
    orbit = KeplerianOrbit(2.2047, 121.36, b=0.5, rho_star=0.27)
    t = np.linspace(121.2, 121.5, 301)
    texp = 0.0204  # Kepler long cadence
    fine_offsets = np.linspace(-0.5, 0.5, 4001)
    fine = light_curve(orbit, 0.078, (t[:, None] + texp * fine_offsets).ravel(), 0.4, 0.2)
    truth = np.trapezoid(fine.eval(mode=MODE).reshape(t.size, -1), fine_offsets, axis=1)
    for order in (0, 1, 2):
        flux = light_curve(orbit, 0.078, t, 0.4, 0.2, texp=texp, oversample=51, order=order)
        np.testing.assert_allclose(flux.eval(mode=MODE), truth, atol=2e-7)
    coarse = light_curve(orbit, 0.078, t, 0.4, 0.2, texp=texp).eval(mode=MODE)
    assert 1e-6 < np.max(np.abs(coarse - truth)) < 2e-4
    per_point = light_curve(orbit, 0.078, t, 0.4, 0.2, texp=np.full(t.size, texp))
    np.testing.assert_allclose(per_point.eval(mode=MODE), coarse, rtol=1e-14)


def test_exposure_stencils():
    offsets, weights = exposure_stencil(3, 0)
    np.testing.assert_allclose(offsets, [-1 / 3, 0, 1 / 3])
    np.testing.assert_allclose(weights, [1 / 3] * 3)
    np.testing.assert_allclose(exposure_stencil(3, 1)[1], [0.25, 0.5, 0.25])
    np.testing.assert_allclose(exposure_stencil(5, 2)[1], np.array([1, 4, 2, 4, 1]) / 12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"texp": -0.01}, "texp must be >= 0"),
        ({"texp": 0.01, "oversample": 4}, "oversample must be a positive odd integer; got 4"),
        ({"texp": 0.01, "order": 3}, "order must be 0, 1 or 2; got 3"),
        ({"texp": 0.01, "oversample": 1, "order": 2}, "order=2 needs oversample >= 3"),
        ({"fp": -1e-3}, "fp must be >= 0"),
    ],
)
def test_bad_arguments(kwargs, message):
    orbit = KeplerianOrbit(2.0, 0.0, b=0.3)
    with pytest.raises(ValueError, match=message):
        light_curve(orbit, 0.1, np.linspace(0, 1, 5), 0.4, 0.2, **kwargs)
    with pytest.raises(ValueError, match="t must be a vector"):
        light_curve(orbit, 0.1, np.zeros((2, 2)), 0.4, 0.2)


def test_secondary_eclipse():
    fp = 2e-3
    orbit = KeplerianOrbit(2.0, 0.0, b=0.1, rho_star=1.0)
    t = np.array([0.0, 0.5, 1.0, 1.5])  # transit, quadrature, eclipse centre, quadrature
    flux = light_curve(orbit, 0.1, t, 0.0, 0.0, fp=fp).eval(mode=MODE)
    plain = light_curve(orbit, 0.1, t, 0.0, 0.0).eval(mode=MODE)
    np.testing.assert_allclose(flux[[1, 3]], 1.0, rtol=1e-15)
    assert flux[2] == pytest.approx(1 / (1 + fp), rel=1e-14)  # planet fully hidden
    assert flux[0] == pytest.approx((plain[0] + fp) / (1 + fp), rel=1e-14)
    # Partial eclipse: the hidden fraction of the planet equals the occulted fraction of a
    # uniform star by the same disk, scaled by the area ratio.
    t_ingress = np.linspace(0.9, 1.1, 201)
    partial = light_curve(orbit, 0.1, t_ingress, 0.0, 0.0, fp=fp).eval(mode=MODE)
    assert np.all(np.diff(partial[:100]) <= 1e-15) and partial.min() == pytest.approx(1 / (1 + fp))


def test_two_planets_add():
    t = np.linspace(0, 20, 4001)
    both = KeplerianOrbit(np.array([3.0, 5.0]), np.array([0.5, 0.55]), b=np.array([0.1, 0.3]))
    flux = light_curve(both, np.array([0.05, 0.08]), t, 0.4, 0.2).eval(mode=MODE)
    single = [
        light_curve(KeplerianOrbit(P, t0, b=b), r, t, 0.4, 0.2).eval(mode=MODE)
        for P, t0, b, r in [(3.0, 0.5, 0.1, 0.05), (5.0, 0.55, 0.3, 0.08)]
    ]
    np.testing.assert_allclose(flux, 1 + (single[0] - 1) + (single[1] - 1), rtol=1e-14)
