"""Transit fit of HAT-P-7 b to Kepler Quarter 0 short-cadence photometry (``make demo``).

Welsh et al. (2010) analysed exactly these data; the published values checked here are
P = 2.2047299 d (Pal et al. 2008), Rp/R* = 0.0777 and b = 0.50 (a/R* = 4.15, i = 83.1 deg).
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt

import credo as cr
from credo_exoplanet.data import LightCurve, example_path, initial_guess_bls, load_lightcurve
from credo_exoplanet.lightcurve import light_curve
from credo_exoplanet.orbit import KeplerianOrbit
from credo_exoplanet.priors import ImpactParameter, KippingLimbDark

DATA = "hatp7_kepler_q0"
# Published values and the tolerance (in posterior sd) checked by the example and the slow test.
PUBLISHED = {"period": 2.2047299, "ror": 0.0777, "b": 0.50}
MAIN_VARS = ["period", "t0", "ror", "b", "rho_star", "u"]
WINDOW = 0.35  # days kept on each side of a predicted mid-transit time


def transit_windows(lc: LightCurve, period: float, t0: float, half_width: float = WINDOW) -> LightCurve:
    """Keep only points within `half_width` days of a mid-transit time ``t0 + n period``."""
    phase = (lc.t - t0 + 0.5 * period) % period - 0.5 * period
    keep = np.abs(phase) < half_width
    return LightCurve(t=lc.t[keep], flux=lc.flux[keep], flux_err=lc.flux_err[keep], meta=dict(lc.meta))


def prepare_data():
    """The HAT-P-7 light curve, its BLS first guess and the points in transit windows.

    Returns
    -------
    full : LightCurve
        All 13,203 good cadences.
    bls : BLSResult
        Box-least-squares period, first mid-transit time, depth and duration.
    lc : LightCurve
        Points within 0.35 d of each of the 5 transits.
    """
    full = load_lightcurve(example_path(DATA))
    bls = initial_guess_bls(full, min_period=1.0, max_period=4.0, durations=(0.1, 0.15, 0.2))
    return full, bls, transit_windows(full, bls.period, bls.t0)


def build_model(lc: LightCurve, period0: float, t0_0: float, depth0: float) -> cr.Model:
    """Circular-orbit transit model with white-noise jitter.

    Parameters
    ----------
    lc : LightCurve
        Normalised flux; times [day].
    period0, t0_0 : float
        First guesses of the period [day] and of a mid-transit time [day] (BLS); the priors are
        uniform within 0.01 d and 0.03 d of them. The reference transit is moved to the middle
        of the data so that `period` and `t0` are uncorrelated.
    depth0 : float
        First guess of the transit depth (relative flux).

    Returns
    -------
    cr.Model
        Free parameters ``period``, ``t0``, ``ror``, ``b`` (`ImpactParameter`), ``rho_star``
        [g/cm^3], ``u_q`` (Kipping's q1, q2), ``mean`` (flux offset), ``log_jitter``; deterministic
        ``u`` = (u1, u2) and ``aor`` = a/R*.
    """
    n_mid = np.round((np.median(lc.t) - t0_0) / period0)
    t0_mid = t0_0 + n_mid * period0
    ror0 = float(np.sqrt(max(depth0, 1e-5)))
    with cr.Model() as model:
        t = cr.Data("t", lc.t)
        # Bounded so that the initial jitter cannot move a chain off the transits.
        period = cr.Uniform("period", period0 - 0.01, period0 + 0.01, initval=period0)
        t0 = cr.Uniform("t0", t0_mid - 0.03, t0_mid + 0.03, initval=t0_mid)
        ror = cr.Uniform("ror", 0.01, 0.3, initval=ror0)
        b = ImpactParameter("b", ror=ror, initval=0.4)
        rho_star = cr.LogNormal("rho_star", np.log(0.5), 1.5, initval=0.5)
        u1, u2 = KippingLimbDark("u")
        mean = cr.Normal("mean", 0.0, 1e-3)
        log_jitter = cr.Normal("log_jitter", np.log(1e-4), 2.0)
        orbit = KeplerianOrbit(period, t0, b=b, rho_star=rho_star)
        cr.Deterministic("aor", orbit.aor)
        model_flux = light_curve(orbit, ror, t, u1, u2) + mean
        sigma = pt.sqrt(lc.flux_err**2 + pt.exp(2.0 * log_jitter))
        cr.Normal("flux", model_flux, sigma, observed=lc.flux)
    return model


def compare_published(idata) -> list[dict]:
    """Posterior median and sd of ``period``, ``ror``, ``b`` against `PUBLISHED`.

    Returns
    -------
    list of dict
        ``name``, ``published``, ``median``, ``sd`` and ``n_sd`` = |median - published| / sd.
    """
    from credo_exoplanet.examples._report import published_rows

    return published_rows({name: idata.posterior[name].values for name in PUBLISHED}, PUBLISHED)


def run(out, seed: int = 42, draws: int = 3000, tune: int = 1000, chains: int = 4) -> dict:
    """Fit HAT-P-7 b, print the summary and the published comparison, write results to `out`.

    Writes ``posterior.nc``, ``summary.csv``, ``manifest.json``, ``lightcurve.png`` (phase-folded
    data, posterior median model, 90% band, residuals) and ``corner.png``.

    Returns
    -------
    dict
        The manifest (versions, seed, data sha256, timings [s], diagnostics, comparison).
    """
    from credo_exoplanet.examples._report import finish_run, print_comparison, start_timer

    timer = start_timer()
    full, bls, lc = prepare_data()
    print(f"HAT-P-7 Kepler Q0: {full.t.size} good cadences, {lc.t.size} within {WINDOW} d of a transit")
    print(f"BLS: P = {bls.period:.5f} d, t0 = {bls.t0:.4f} BKJD, depth = {bls.depth * 1e3:.2f} ppt")
    model = build_model(lc, bls.period, bls.t0, bls.depth)
    with model:
        idata = cr.sample(draws=draws, tune=tune, chains=chains, random_seed=seed, progressbar=False)
    comparison = compare_published(idata)
    print_comparison(comparison, "Pal et al. 2008; Welsh et al. 2010")
    manifest = finish_run(
        out,
        idata,
        timer,
        seed=seed,
        data_path=example_path(DATA),
        var_names=MAIN_VARS + ["aor"],
        extra={
            "n_points": int(lc.t.size),
            "comparison": comparison,
            "bls": {"period": bls.period, "t0": bls.t0, "depth": bls.depth},
        },
        plot=lambda path: _plot(path, idata, lc),
    )
    return manifest


def _plot(out, idata, lc: LightCurve, n_draws: int = 100) -> None:
    import corner
    import pytensor

    from credo_exoplanet.examples._report import posterior_subset
    from credo_exoplanet.limbdark import kipping_to_quad

    plt, post, pick = posterior_subset(idata, n_draws)
    names = ["period", "t0", "ror", "b", "rho_star", "mean"]
    sym = {n: pt.dscalar(n) for n in names}
    q = pt.dvector("q")
    tt = pt.dvector("t")
    u1, u2 = kipping_to_quad(q[0], q[1])
    orbit = KeplerianOrbit(sym["period"], sym["t0"], b=sym["b"], rho_star=sym["rho_star"])
    f = pytensor.function([*sym.values(), q, tt], light_curve(orbit, sym["ror"], tt, u1, u2) + sym["mean"])
    period, t0 = float(post["period"].median()), float(post["t0"].median())
    phase = (lc.t - t0 + 0.5 * period) % period - 0.5 * period
    order = np.argsort(phase)
    grid = np.linspace(-WINDOW, WINDOW, 600)
    models, at_data = [], []
    for i in pick:
        vals = [float(post[n].values[i]) for n in names]
        qv = post["u_q"].values[:, i]
        models.append(f(*vals, qv, grid + vals[1]))
        phase_i = (lc.t - vals[1] + 0.5 * vals[0]) % vals[0] - 0.5 * vals[0]
        at_data.append(f(*vals, qv, phase_i + vals[1]))
    models = np.array(models)
    resid = lc.flux - np.median(np.array(at_data), axis=0)

    fig, (ax, axr) = plt.subplots(2, 1, figsize=(7, 6), sharex=True, height_ratios=(3, 1))
    hours = 24.0
    ax.plot(phase[order] * hours, lc.flux[order], ".", ms=1.5, color="0.6", label="Kepler Q0 (1 min)")
    lo, med, hi = np.percentile(models, [5, 50, 95], axis=0)
    ax.fill_between(grid * hours, lo, hi, color="C1", alpha=0.4, label="90% band")
    ax.plot(grid * hours, med, color="C1", lw=1.5, label="posterior median")
    ax.set_ylabel("relative flux")
    ax.set_title("HAT-P-7 b, Kepler Q0 short cadence")
    ax.legend(loc="lower left", fontsize=8)
    axr.plot(phase * hours, resid * 1e6, ".", ms=1.5, color="0.6")
    axr.axhline(0, color="C1")
    axr.set_xlabel("hours from mid-transit")
    axr.set_ylabel("residual [ppm]")
    fig.tight_layout()
    fig.savefig(out / "lightcurve.png", dpi=120)
    plt.close(fig)

    cols = {
        "period": post["period"].values,
        "t0": post["t0"].values,
        "ror": post["ror"].values,
        "b": post["b"].values,
        "rho_star": post["rho_star"].values,
        "u1": post["u"].values[0],
        "u2": post["u"].values[1],
    }
    fig = corner.corner(
        np.column_stack(list(cols.values())),
        labels=list(cols),
        truths=[PUBLISHED["period"], None, PUBLISHED["ror"], PUBLISHED["b"], None, None, None],
    )
    fig.savefig(out / "corner.png", dpi=90)
    plt.close(fig)
