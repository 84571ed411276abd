"""Data loading on the shipped Kepler and RV files, a synthetic TESS file, CSV, BLS."""

import numpy as np
import pytest
from astropy.io import fits

from credo_exoplanet.data import (
    example_path,
    initial_guess_bls,
    load_lightcurve,
    load_radial_velocities,
)


@pytest.fixture(scope="module")
def hatp7():
    return load_lightcurve(example_path("hatp7_kepler_q0"))


def test_kepler_light_curve(hatp7):
    assert hatp7.t.size == 13_203
    assert hatp7.meta["time_format"] == "BKJD"
    assert hatp7.meta["quality_column"] == "SAP_QUALITY"
    assert hatp7.meta["cadence"] * 86400 == pytest.approx(58.85, abs=0.01)
    # Header TSTART = 120.5286, TSTOP = 130.2553 (BKJD), around the first and last cadence.
    assert 120.5286 < hatp7.t.min() < 120.53 and 130.25 < hatp7.t.max() < 130.2553
    assert np.median(hatp7.flux) == pytest.approx(1.0, abs=1e-12)
    assert 1.3e-4 < np.median(hatp7.flux_err) < 1.8e-4  # ~150 ppm per minute
    # BKJD = BJD_TDB - 2454833; Quarter 0 started on 2009-05-02.
    time = hatp7.time
    assert time.scale == "tdb"
    assert time[0].jd == pytest.approx(2454833.0 + hatp7.t[0], abs=1e-9)
    assert time[0].iso.startswith("2009-05-02")


def test_bls_finds_hatp7b(hatp7):
    guess = initial_guess_bls(hatp7)
    assert guess.period == pytest.approx(2.206, abs=0.003)  # literature: 2.2047 d
    assert guess.t0 == pytest.approx(121.355, abs=0.01)
    assert guess.depth == pytest.approx(6.0e-3, abs=0.5e-3)
    assert 0.1 <= guess.duration <= 0.2  # ~4 h
    with pytest.raises(ValueError, match="need 0 < min_period < max_period"):
        initial_guess_bls(hatp7, min_period=5.0, max_period=3.0)
    with pytest.raises(ValueError, match="durations must lie in"):
        initial_guess_bls(hatp7, durations=(0.1, 0.6))


def test_tess_style_file(tmp_path):
    """TESS files: quality column QUALITY, BTJD times, zero flux at flagged cadences."""
    n = 50
    flux = np.full(n, 200.0)
    flux[[3, 4]] = 0.0  # zero-valued PDCSAP cadences
    flux[7] = np.nan
    quality = np.zeros(n, dtype=np.int32)
    quality[[3, 10, 11]] = 128
    time = 1400.0 + np.arange(n) * (2 / 1440)
    cols = [
        fits.Column(name="TIME", format="D", array=time),
        fits.Column(name="PDCSAP_FLUX", format="E", array=flux),
        fits.Column(name="PDCSAP_FLUX_ERR", format="E", array=np.full(n, 0.3)),
        fits.Column(name="QUALITY", format="J", array=quality),
    ]
    hdu = fits.BinTableHDU.from_columns(cols)
    hdu.header["BJDREFI"] = 2457000
    hdu.header["BJDREFF"] = 0.0
    hdu.header["TELESCOP"] = "TESS"
    path = tmp_path / "tess_lc.fits"
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)

    lc = load_lightcurve(path)
    assert lc.t.size == n - 5  # rows 3, 4, 7, 10, 11
    assert lc.meta["time_format"] == "BTJD" and lc.meta["mission"] == "TESS"
    assert lc.meta["quality_column"] == "QUALITY"
    np.testing.assert_allclose(lc.flux, 1.0)
    np.testing.assert_allclose(lc.flux_err, 0.3 / 200.0, rtol=1e-6)
    assert lc.time[0].jd == pytest.approx(2458400.0, abs=1e-9)
    with pytest.raises(ValueError, match="no column 'SAP_FLUX' in HDU 1; available"):
        load_lightcurve(path, flux_column="SAP_FLUX")


def test_csv_light_curve(tmp_path):
    path = tmp_path / "lc.csv"
    path.write_text("Time,Flux,Flux_Err\n1.0,10.0,0.1\n2.0,,0.1\n3.0,30.0,0.3\n4.0,20.0,0.2\n")
    lc = load_lightcurve(path, bjdref=2457000)
    np.testing.assert_allclose(lc.t, [1.0, 3.0, 4.0])
    np.testing.assert_allclose(lc.flux, [0.5, 1.5, 1.0])
    np.testing.assert_allclose(lc.flux_err, [0.005, 0.015, 0.01])
    assert lc.meta["time_format"] == "BTJD"
    assert load_lightcurve(path).meta["bjdref"] is None
    with pytest.raises(ValueError, match="time reference is unknown"):
        _ = load_lightcurve(path).time
    bad = tmp_path / "bad.csv"
    bad.write_text("t,f\n1,2\n")
    with pytest.raises(ValueError, match=r"none of the columns .* numeric columns are \['t', 'f'\]"):
        load_lightcurve(bad)
    with pytest.raises(FileNotFoundError):
        load_lightcurve(tmp_path / "missing.fits")


def test_k2_24_radial_velocities():
    rv = load_radial_velocities(example_path("k2-24_rv"))
    assert rv.t.size == 32
    assert 2360 < rv.t.min() < rv.t.max() < 2500  # BJD - 2454833
    assert 1.0 < np.median(rv.rv_err) < 3.0  # m/s
    assert np.ptp(rv.rv) > 20.0  # two planets with K of several m/s
    with pytest.raises(ValueError, match="unknown example 'kepler'"):
        example_path("kepler")
