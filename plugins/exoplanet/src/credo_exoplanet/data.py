"""Loading Kepler/TESS light curves and radial velocities, and a BLS first guess."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.time import Time
from astropy.timeseries import BoxLeastSquares

__all__ = [
    "LightCurve",
    "RadialVelocities",
    "BLSResult",
    "load_lightcurve",
    "load_radial_velocities",
    "initial_guess_bls",
    "example_path",
]

# Mission time systems: BJD minus these reference dates (Kepler BKJD, TESS BTJD).
_TIME_FORMATS = {2454833.0: "BKJD", 2457000.0: "BTJD"}
_EXAMPLES = {
    "hatp7_kepler_q0": "kplr010666592-2009131110544_slc.fits",
    "k2-24_rv": "rv_k2-24_epic203771098.csv",
}


@dataclass(frozen=True)
class LightCurve:
    """A cleaned, normalised light curve.

    Attributes
    ----------
    t : ndarray, shape (n,)
        Times [day] in the file's system, e.g. BKJD = BJD_TDB - 2454833 (Kepler) or
        BTJD = BJD_TDB - 2457000 (TESS).
    flux, flux_err : ndarray, shape (n,)
        Relative flux and its 1-sigma error (divided by the median flux).
    meta : dict
        ``bjdref`` (float, BJD of ``t = 0``, None if unknown), ``time_format``, ``source``,
        and for mission files ``object``, ``mission`` and ``cadence`` [day].
    """

    t: np.ndarray
    flux: np.ndarray
    flux_err: np.ndarray
    meta: dict = field(default_factory=dict)

    @property
    def time(self) -> Time:
        """The times as an astropy ``Time`` (JD, TDB).

        Raises
        ------
        ValueError
            If the reference date ``meta["bjdref"]`` is unknown (e.g. a CSV loaded without
            ``bjdref``).
        """
        bjdref = self.meta.get("bjdref")
        if bjdref is None:
            raise ValueError("the light curve's time reference is unknown; pass bjdref= when loading")
        return Time(np.full_like(self.t, bjdref), self.t, format="jd", scale="tdb")


@dataclass(frozen=True)
class RadialVelocities:
    """Radial-velocity measurements: times ``t`` [day], ``rv`` and ``rv_err`` [m/s], ``meta``."""

    t: np.ndarray
    rv: np.ndarray
    rv_err: np.ndarray
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class BLSResult:
    """Box least-squares peak: ``period`` [day], ``t0`` [day], ``depth`` (relative),
    ``duration`` [day] and the BLS ``power`` (log-likelihood) at the peak."""

    period: float
    t0: float
    depth: float
    duration: float
    power: float


def example_path(name: str) -> Path:
    """Path of a data file shipped with credo-exoplanet.

    Parameters
    ----------
    name : {"hatp7_kepler_q0", "k2-24_rv"}
        ``"hatp7_kepler_q0"``: Kepler Q0 short-cadence light curve of HAT-P-7 (KIC 10666592);
        ``"k2-24_rv"``: Keck/HIRES radial velocities of K2-24. Sources and licences are in the
        package's ``data/README.md``.

    Raises
    ------
    ValueError
        If `name` is not one of the names above.
    """
    if name not in _EXAMPLES:
        raise ValueError(f"unknown example {name!r}; choose one of {sorted(_EXAMPLES)}")
    return Path(str(resources.files("credo_exoplanet") / "data" / _EXAMPLES[name]))


def load_lightcurve(
    path,
    *,
    time_column: str | None = None,
    flux_column: str | None = None,
    flux_err_column: str | None = None,
    bjdref: float | None = None,
) -> LightCurve:
    """Read a Kepler/TESS light-curve FITS file or a CSV table and normalise it.

    FITS files (``.fits``, ``.fits.gz``, ``.fit``) are read from HDU 1 with columns ``TIME``,
    ``PDCSAP_FLUX`` and ``PDCSAP_FLUX_ERR`` (override with the ``*_column`` arguments); rows
    are kept where time, flux and error are finite, the flux is positive, and the quality
    flag (``SAP_QUALITY`` for Kepler, ``QUALITY`` for TESS) is 0. Any other file is read as
    CSV with a header row; columns default to the first of ``time``/``t``/``bjd``/``bkjd``/
    ``btjd``, ``flux``/``pdcsap_flux``, and ``flux_err``/``pdcsap_flux_err``/``err``/
    ``error`` (case-insensitive). Flux and error are divided by the median flux.

    Parameters
    ----------
    path : str or path-like
        The file.
    time_column, flux_column, flux_err_column : str, optional
        Column names overriding the defaults.
    bjdref : float, optional
        BJD of ``t = 0``; read from the FITS header (``BJDREFI + BJDREFF``) if omitted.

    Returns
    -------
    LightCurve
        Times [day] (BKJD for Kepler, BTJD for TESS), relative flux and error, metadata.

    Raises
    ------
    ValueError
        If a column is missing (the message lists the available ones) or no valid rows
        remain.
    FileNotFoundError
        If `path` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"light-curve file not found: {path}")
    if path.name.lower().endswith((".fits", ".fits.gz", ".fit")):
        t, flux, err, good, meta = _read_fits(path, time_column, flux_column, flux_err_column)
    else:
        table = _read_csv(path)
        t = _column(table, time_column, ("time", "t", "bjd", "bkjd", "btjd"), path)
        flux = _column(table, flux_column, ("flux", "pdcsap_flux"), path)
        err = _column(table, flux_err_column, ("flux_err", "pdcsap_flux_err", "err", "error"), path)
        good = np.ones(t.shape, dtype=bool)
        meta = {"bjdref": None, "time_format": "unknown"}
    if bjdref is not None:
        meta["bjdref"] = float(bjdref)
        meta["time_format"] = _TIME_FORMATS.get(float(bjdref), f"BJD - {bjdref}")
    meta["source"] = str(path)
    good &= np.isfinite(t) & np.isfinite(flux) & np.isfinite(err) & (flux > 0)
    if not np.any(good):
        raise ValueError(f"{path}: no rows with finite time, positive flux and quality 0")
    t, flux, err = t[good], flux[good], err[good]
    norm = np.median(flux)
    return LightCurve(t=t, flux=flux / norm, flux_err=err / norm, meta=meta)


def _read_fits(path: Path, time_column, flux_column, flux_err_column):
    with fits.open(path) as hdul:
        header = hdul[1].header
        data = hdul[1].data
        names = list(data.columns.names)

        def get(name):
            if name not in names:
                raise ValueError(f"{path}: no column {name!r} in HDU 1; available: {names}")
            return np.asarray(data[name], dtype=np.float64)

        t = get(time_column or "TIME")
        flux = get(flux_column or "PDCSAP_FLUX")
        err = get(flux_err_column or "PDCSAP_FLUX_ERR")
        quality = next((q for q in ("QUALITY", "SAP_QUALITY") if q in names), None)
        good = np.ones(t.shape, bool) if quality is None else np.asarray(data[quality]) == 0
        bjdref = header.get("BJDREFI")
        if bjdref is not None:
            bjdref = float(bjdref) + float(header.get("BJDREFF", 0.0))
        meta = {
            "bjdref": bjdref,
            "time_format": _TIME_FORMATS.get(bjdref, "unknown" if bjdref is None else f"BJD - {bjdref}"),
            "object": header.get("OBJECT", hdul[0].header.get("OBJECT")),
            "mission": header.get("TELESCOP", hdul[0].header.get("TELESCOP")),
            "cadence": header.get("TIMEDEL"),
            "quality_column": quality,
        }
    return t, flux, err, good, meta


def _read_csv(path: Path) -> dict[str, np.ndarray]:
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    if len(rows) < 2:
        raise ValueError(f"{path}: expected a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    columns = {}
    for j, name in enumerate(header):
        try:
            columns[name] = np.array([float(row[j]) if row[j].strip() else np.nan for row in rows[1:]])
        except (ValueError, IndexError):
            continue  # non-numeric columns are not needed
    return columns


def _column(table: dict, name: str | None, defaults: tuple[str, ...], path: Path) -> np.ndarray:
    lower = {key.lower(): key for key in table}
    candidates = (name,) if name is not None else defaults
    for candidate in candidates:
        key = candidate if candidate in table else lower.get(candidate.lower())
        if key is not None:
            return table[key]
    raise ValueError(
        f"{path}: none of the columns {list(candidates)} found; numeric columns are "
        f"{list(table)} (name one with the *_column arguments)"
    )


def load_radial_velocities(
    path,
    *,
    time_column: str | None = None,
    rv_column: str | None = None,
    rv_err_column: str | None = None,
) -> RadialVelocities:
    """Read radial velocities from a CSV table with a header row.

    Columns default to the first of ``t``/``time``/``bjd``, ``vel``/``rv``/``mnvel``, and
    ``errvel``/``rv_err``/``e_rv`` (case-insensitive). Rows with non-finite values are dropped.

    Parameters
    ----------
    path : str or path-like
        The CSV file, e.g. ``example_path("k2-24_rv")`` (times in BJD - 2454833).
    time_column, rv_column, rv_err_column : str, optional
        Column names overriding the defaults.

    Returns
    -------
    RadialVelocities
        Times [day], velocities and errors [m/s] as in the file.

    Raises
    ------
    ValueError
        If a column is missing or no valid rows remain.
    FileNotFoundError
        If `path` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"radial-velocity file not found: {path}")
    table = _read_csv(path)
    t = _column(table, time_column, ("t", "time", "bjd"), path)
    rv = _column(table, rv_column, ("vel", "rv", "mnvel"), path)
    err = _column(table, rv_err_column, ("errvel", "rv_err", "e_rv"), path)
    good = np.isfinite(t) & np.isfinite(rv) & np.isfinite(err)
    if not np.any(good):
        raise ValueError(f"{path}: no rows with finite time, velocity and error")
    return RadialVelocities(t=t[good], rv=rv[good], rv_err=err[good], meta={"source": str(path)})


def initial_guess_bls(
    lc: LightCurve,
    *,
    min_period: float = 0.5,
    max_period: float | None = None,
    durations=(0.05, 0.1, 0.15, 0.2),
    frequency_factor: float = 1.0,
) -> BLSResult:
    """Period, mid-transit time, depth and duration of the strongest box-shaped dip.

    Parameters
    ----------
    lc : LightCurve
        A normalised light curve (see :func:`load_lightcurve`); detrend long-term variability
        first if it is strong.
    min_period : float, default 0.5
        Shortest trial period [day].
    max_period : float, optional
        Longest trial period [day]; default a third of the time baseline, so that at least
        three transits are seen.
    durations : sequence of float
        Trial durations [day]; all must be shorter than `min_period`.
    frequency_factor : float, default 1.0
        Spacing of the frequency grid relative to astropy's default (smaller is finer).

    Returns
    -------
    BLSResult
        ``t0`` is the first mid-transit at or after the start of the data.

    Raises
    ------
    ValueError
        If ``min_period >= max_period`` or a duration is not shorter than `min_period`.

    References
    ----------
    Kovacs, G., Zucker, S. & Mazeh, T. (2002), A&A 391, 369.
    """
    baseline = float(np.ptp(lc.t))
    max_period = baseline / 3.0 if max_period is None else float(max_period)
    if not 0 < min_period < max_period:
        raise ValueError(
            f"need 0 < min_period < max_period; got min_period={min_period}, "
            f"max_period={max_period} (the baseline is {baseline:.3f} d)"
        )
    durations = np.atleast_1d(np.asarray(durations, dtype=np.float64))
    if np.any(durations <= 0) or np.any(durations >= min_period):
        raise ValueError(f"durations must lie in (0, min_period={min_period}); got {durations}")
    bls = BoxLeastSquares(lc.t, lc.flux, lc.flux_err)
    res = bls.autopower(
        durations,
        minimum_period=min_period,
        maximum_period=max_period,
        frequency_factor=frequency_factor,
    )
    i = int(np.argmax(res.power))
    period = float(res.period[i])
    t0 = float(res.transit_time[i])
    t0 += period * float(np.ceil((lc.t.min() - t0) / period))
    return BLSResult(
        period=period,
        t0=t0,
        depth=float(res.depth[i]),
        duration=float(res.duration[i]),
        power=float(res.power[i]),
    )
