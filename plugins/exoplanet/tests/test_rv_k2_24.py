"""K2-24 two-planet RV fit (the `rv_k2_24` example) against an independent likelihood and published K."""

import json

import arviz as az
import astropy.units as u
import numpy as np
import pytest
from scipy import stats

import credo as cr
from credo_exoplanet.data import example_path, load_radial_velocities
from credo_exoplanet.examples._report import sha256
from credo_exoplanet.examples.rv_k2_24 import (
    M_STAR,
    PERIOD,
    PUBLISHED,
    PUBLISHED_MASS,
    PUBLISHED_SD,
    RADVEL_MAP_K,
    TC,
    build_model,
    reference_time,
    run,
)
from credo_exoplanet.orbit import KeplerianOrbit


@pytest.fixture(scope="module")
def rv():
    return load_radial_velocities(example_path("k2-24_rv"))


def test_published_k_follows_from_the_published_masses():
    for planet, period in zip("bc", PERIOD):
        mass, mass_sd = PUBLISHED_MASS[planet]
        m_planet = (mass * u.M_earth).to_value(u.M_sun)
        orbit = KeplerianOrbit(period, 0.0, b=0.0, r_star=1.0, m_star=M_STAR, m_planet=m_planet)
        K = float(orbit.semi_amplitude().eval())
        assert K == pytest.approx(PUBLISHED[f"K_{planet}"], abs=0.01)
        assert K * mass_sd / mass == pytest.approx(PUBLISHED_SD[f"K_{planet}"], abs=0.01)


def test_likelihood_matches_a_circular_keplerian_written_out(rv):
    # Circular orbit: the star recedes before each transit and approaches after it.
    model = build_model(rv)
    point = model.initial_point()
    point.update(period=PERIOD + [0.004, -0.003], t0=TC + [0.002, 0.001], gamma=-3.0, dvdt=-0.05, curv=0.002)
    logps = model.point_logps(point)
    assert all(np.isfinite(v) for v in logps.values())
    K, jitter = np.array([5.0, 5.0]), 3.0  # the model's initial values
    dt = rv.t - reference_time(rv)
    mu = -3.0 - 0.05 * dt + 0.002 * dt**2
    for k, p, tc in zip(K, point["period"], point["t0"]):
        mu = mu - k * np.sin(2.0 * np.pi * (rv.t - tc) / p)
    expected = stats.norm.logpdf(rv.rv, mu, np.sqrt(rv.rv_err**2 + jitter**2)).sum()
    assert logps["rv"] == pytest.approx(expected, rel=1e-12)


def test_map_semi_amplitudes_match_radvel_and_petigura(rv):
    with build_model(rv):
        mode = cr.find_MAP()
    for i, planet in enumerate("bc"):
        name = f"K_{planet}"
        # radvel's tutorial fixes P and Tc and puts weak priors on ln K and jitter: within 0.15 m/s.
        assert abs(mode["K"][i] - RADVEL_MAP_K[name]) < 0.15, (name, mode["K"][i])
        assert abs(mode["K"][i] - PUBLISHED[name]) < PUBLISHED_SD[name], (name, mode["K"][i])
    assert 1.5 < mode["jitter"] < 4.0


def test_example_run_matches_published_k_and_writes_its_files(tmp_path, rv):
    manifest = run(tmp_path, seed=1, draws=1000, tune=1000, chains=4)
    for name in ("posterior.nc", "summary.csv", "manifest.json", "rv.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    written = json.loads((tmp_path / "manifest.json").read_text())
    assert written["data_sha256"] == sha256(example_path("k2-24_rv"))
    assert written["n_points"] == rv.t.size == 32
    assert f"numpy=={np.__version__}" in written["library_versions"].split(", ")
    idata = az.from_netcdf(tmp_path / "posterior.nc")
    assert idata.posterior.sizes["chain"] == 4 and idata.posterior.sizes["draw"] == 1000
    K = idata.posterior["K"]
    for row in manifest["comparison"]:
        draws = K.sel(planet=row["name"][-1]).values
        assert row["median"] == pytest.approx(np.median(draws))
        assert row["n_sd"] < 3.0, row
        # The data constrain K to about 1 m/s, as the published fit does.
        assert 0.6 < row["sd"] < 1.5, row
    assert int(idata.sample_stats["diverging"].sum()) == 0
    rhat = cr.summary(idata, var_names=["K", "gamma", "jitter", "dvdt", "curv", "period", "t0"])["r_hat"]
    assert np.all(rhat < 1.01 + 1e-9)
