"""KeplerianOrbit: geometry against batman, Kepler's third law, RV conventions, arguments."""

import astropy.constants as const
import astropy.units as u
import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from credo_exoplanet.orbit import KeplerianOrbit, radial_velocity

# The orbit is made of standard PyTensor ops; the Numba path of the Kepler Op is tested in
# test_exoplanet_kepler.py, so these tests use the quicker-compiling Python linker.
MODE = "FAST_COMPILE"


def evaluate(*outputs):
    return pytensor.function([], list(outputs), mode=MODE)()


@pytest.mark.parametrize("ecc, omega", [(None, None), (0.3, 0.7), (0.7, -2.5)])
def test_sky_separation_matches_batman(ecc, omega):
    from batman import _rsky

    kw = {} if ecc is None else {"ecc": ecc, "omega": omega}
    orbit = KeplerianOrbit(3.5, 1.2, incl=np.deg2rad(87.0), m_star=1.1, r_star=1.3, **kw)
    t = np.linspace(-3.0, 5.0, 801)
    b, z = evaluate(*orbit.get_sky_separation(t))
    aor = float(orbit.aor.eval(mode=MODE))
    theirs = _rsky._rsky(
        t, 1.2, 3.5, aor, np.deg2rad(87.0), ecc or 0.0, np.pi / 2 if ecc is None else omega, 1, 1
    )
    front = z > 0
    assert 0.1 < front.mean() < 0.9
    # batman stops its Newton iteration for E at |dE| < 1e-7, hence the looser eccentric rtol.
    np.testing.assert_allclose(b[front], theirs[front], rtol=1e-9 if ecc is None else 1e-6)
    assert np.all(theirs[~front] == 100.0)  # batman's flag for "behind the star"
    # Mid-transit: the planet is in front at sky separation b.
    b0, z0 = evaluate(*orbit.get_sky_separation(np.array([1.2])))
    assert z0[0] > 0 and b0[0] == pytest.approx(float(orbit.b.eval(mode=MODE)), rel=1e-12)


def test_keplers_third_law_and_stellar_parameters():
    year = (1 * u.yr).to_value(u.day)
    au = (1 * u.au).to_value(u.R_sun)
    sun = KeplerianOrbit(year, 0.0)  # no stellar parameters: the Sun
    assert float(sun.a.eval(mode=MODE)) == pytest.approx(au, rel=2e-5)  # Julian year vs sidereal year
    rho_sun = (const.M_sun / (4 / 3 * np.pi * const.R_sun**3)).to_value(u.g / u.cm**3)
    assert float(sun.rho_star.eval(mode=MODE)) == pytest.approx(rho_sun, rel=1e-12)
    by_rho = KeplerianOrbit(year, 0.0, rho_star=rho_sun)
    assert float(by_rho.a.eval(mode=MODE)) == pytest.approx(float(sun.a.eval(mode=MODE)), rel=1e-12)
    # rho_star and m_star fix r_star; a/R* depends only on rho_star for a light planet.
    o = KeplerianOrbit(2.0, 0.0, rho_star=0.5, m_star=1.3)
    assert float(o.r_star.eval(mode=MODE)) == pytest.approx((1.3 * rho_sun / 0.5) ** (1 / 3), rel=1e-12)
    expected = (const.G * 0.5 * u.g / u.cm**3 * (2.0 * u.day) ** 2 / (3 * np.pi)) ** (1 / 3)
    assert float(o.aor.eval(mode=MODE)) == pytest.approx(expected.decompose().value, rel=1e-9)


def test_radial_velocity_of_the_sun_from_jupiter():
    jupiter = KeplerianOrbit(
        4332.59 * u.day, 0.0, m_planet=1 * u.M_jup, incl=90 * u.deg, ecc=0.0489, omega=4.8
    )
    # Published reflex semi-amplitude of the Sun due to Jupiter: 12.5 m/s.
    assert float(jupiter.semi_amplitude().eval(mode=MODE)) == pytest.approx(12.47, abs=0.03)


def test_radial_velocity_sign_and_derivative_of_position():
    orbit = KeplerianOrbit(10.0, 2.0, b=0.3, ecc=0.4, omega=1.1, m_star=0.9, r_star=0.8, m_planet=3e-3)
    t = np.linspace(0.0, 20.0, 2001)
    rv, rv_K = evaluate(orbit.get_radial_velocity(t), orbit.get_radial_velocity(t, K=25.0))
    # Positive radial velocity = receding = moving away from the observer (-z direction).
    h = 1e-5
    _, _, z_plus = evaluate(*orbit.get_star_position(t + h))
    _, _, z_minus = evaluate(*orbit.get_star_position(t - h))
    vz = (z_plus - z_minus) / (2 * h) * (u.R_sun / u.day).to(u.m / u.s)
    np.testing.assert_allclose(rv, -vz, rtol=1e-6, atol=1e-6)
    K = float(orbit.semi_amplitude().eval(mode=MODE))
    np.testing.assert_allclose(rv_K, rv * 25.0 / K, rtol=1e-12)
    # The star recedes before mid-transit and approaches after it (circular orbit).
    circ = KeplerianOrbit(10.0, 2.0, b=0.3)
    before, at, after = evaluate(circ.get_radial_velocity(np.array([1.9, 2.0, 2.1]), K=10.0))[0]
    assert before > 0 and after < 0 and at == pytest.approx(0.0, abs=1e-12)


def test_duration_and_b_are_consistent():
    # For a circular orbit Winn (2010) eq. 14 is exact: find the contact times numerically.
    orbit = KeplerianOrbit(2.2, 0.0, duration=0.16, ror=0.08, rho_star=0.3)
    b = float(orbit.b.eval(mode=MODE))
    assert 0 < b < 1
    sep = pytensor.function([tt := pt.dvector("t")], orbit.get_sky_separation(tt)[0], mode=MODE)
    lo, hi = 0.0, 0.2
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if sep(np.array([mid]))[0] < 1.08 else (lo, mid)
    assert 2 * lo == pytest.approx(0.16, rel=1e-10)
    # incl and b describe the same geometry.
    same = KeplerianOrbit(2.2, 0.0, incl=orbit.incl.eval(mode=MODE), rho_star=0.3)
    assert float(same.b.eval(mode=MODE)) == pytest.approx(b, rel=1e-12)
    # Eccentric: Winn's eq. 16 approximation, good to ~1% here.
    ecc = KeplerianOrbit(2.2, 0.0, duration=0.16, ror=0.08, rho_star=0.3, ecc=0.2, omega=0.5)
    sep_e = pytensor.function([tt], ecc.get_sky_separation(tt)[0], mode=MODE)
    t = np.linspace(-0.1, 0.1, 20001)
    inside = t[sep_e(t) < 1.08]
    assert inside[-1] - inside[0] == pytest.approx(0.16, rel=0.01)


def test_secosw_sesinw_basis_equals_ecc_omega():
    t = np.linspace(0, 5, 50)
    a = KeplerianOrbit(3.0, 0.5, b=0.4, ecc=0.36, omega=2.0)
    h, k = np.sqrt(0.36) * np.cos(2.0), np.sqrt(0.36) * np.sin(2.0)
    c = KeplerianOrbit(3.0, 0.5, b=0.4, secosw=h, sesinw=k)
    np.testing.assert_allclose(
        np.array(evaluate(*a.get_relative_position(t))),
        np.array(evaluate(*c.get_relative_position(t))),
        rtol=1e-12,
        atol=1e-12,
    )


def test_several_planets_equal_separate_orbits():
    t = np.linspace(0, 30, 200)
    both = KeplerianOrbit(
        np.array([5.0, 13.0]),
        np.array([1.0, 4.0]),
        b=np.array([0.1, 0.6]),
        ecc=np.array([0.0, 0.3]),
        omega=np.array([0.0, 1.0]),
        m_planet=np.array([1e-5, 2e-5]),
    )
    b_both, rv_both, rv_sum = evaluate(
        both.get_sky_separation(t)[0], both.get_radial_velocity(t), radial_velocity(both, [3.0, 5.0], t)
    )
    assert b_both.shape == (200, 2)
    rv_K = 0.0
    for i, (P, t0, b, e, w, m, K) in enumerate(
        [(5.0, 1.0, 0.1, 0.0, 0.0, 1e-5, 3.0), (13.0, 4.0, 0.6, 0.3, 1.0, 2e-5, 5.0)]
    ):
        one = KeplerianOrbit(P, t0, b=b, ecc=e, omega=w, m_planet=m)
        b_one, rv_one, rv_K_one = evaluate(
            one.get_sky_separation(t)[0], one.get_radial_velocity(t), radial_velocity(one, K, t)
        )
        np.testing.assert_allclose(b_both[:, i], b_one, rtol=1e-12)
        np.testing.assert_allclose(rv_both[:, i], rv_one, rtol=1e-12)
        rv_K = rv_K + rv_K_one
    np.testing.assert_allclose(rv_sum, rv_K, rtol=1e-12)


def test_transit_times_and_units():
    orbit = KeplerianOrbit(24 * u.hour, 0.5 * u.day, r_star=695700 * u.km, m_star=1.0)
    assert float(orbit.period.eval(mode=MODE)) == pytest.approx(1.0)
    assert float(orbit.r_star.eval(mode=MODE)) == pytest.approx(1.0, rel=1e-6)
    np.testing.assert_allclose(orbit.get_transit_times(np.arange(3)).eval(mode=MODE), [0.5, 1.5, 2.5])
    with pytest.raises(ValueError, match="period has unit m"):
        KeplerianOrbit(3 * u.m, 0.0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"b": 0.1, "incl": 1.5}, "only one of b, incl and duration; got b, incl"),
        ({"ecc": 0.1}, "ecc needs its partner"),
        ({"ecc": 0.1, "omega": 0.2, "secosw": 0.1, "sesinw": 0.1}, "either ecc and omega or"),
        ({"r_star": 1.0}, "give two of r_star, m_star and rho_star.*got r_star"),
        ({"r_star": 1.0, "m_star": 1.0, "rho_star": 1.0}, "got r_star, m_star, rho_star"),
        ({"ror": 0.1}, "ror is only used together with duration"),
        ({"ecc": 1.2, "omega": 0.0}, r"ecc must be finite, >= 0.0, < 1.0"),
        ({"m_star": -1.0, "r_star": 1.0}, "m_star must be finite, > 0.0"),
        ({"secosw": 0.9, "sesinw": 0.9}, r"secosw\*\*2 \+ sesinw\*\*2 must be"),
    ],
)
def test_inconsistent_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        KeplerianOrbit(3.0, 0.0, **kwargs)


def test_bad_period():
    with pytest.raises(ValueError, match=r"period must be finite, > 0.0 \(in d\); got \[-1.\]"):
        KeplerianOrbit(-1.0, 0.0)


def test_symbolic_parameters_and_gradient():
    period, ecc, omega = pt.dscalars("period", "ecc", "omega")
    orbit = KeplerianOrbit(period, 0.3, b=0.2, ecc=ecc, omega=omega, rho_star=1.2)
    t = np.linspace(-0.2, 0.4, 7)
    sep = orbit.get_sky_separation(t)[0].sum()
    grads = pytensor.grad(sep, [period, ecc, omega])
    fn = pytensor.function([period, ecc, omega], [sep, *grads], mode=MODE)
    x = np.array([2.5, 0.3, 0.8])
    value, *grad = fn(*x)
    h = 1e-6
    for j in range(3):
        step = np.eye(3)[j] * h
        fd = (fn(*(x + step))[0] - fn(*(x - step))[0]) / (2 * h)
        assert grad[j] == pytest.approx(fd, rel=1e-6, abs=1e-9)
