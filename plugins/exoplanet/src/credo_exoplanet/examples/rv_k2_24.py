"""Two-planet radial-velocity fit of K2-24 (EPIC 203771098) to Keck/HIRES velocities.

The model follows radvel's example ``example_planets/epic203771098.py`` (Fulton et al. 2018):
circular orbits (radvel fixes e = 0.01, which changes the RV curve by < 1%), period and time of
conjunction with Gaussian priors of width 0.01 d about the K2 transit ephemeris of Petigura et
al. (2016), semi-amplitudes K > 0, an offset ``gamma``, a linear (``dvdt``) and a quadratic
(``curv``) trend about the middle of the time baseline, and a jitter in [0, 15] m/s added in
quadrature to the measurement errors.

Published values checked here: Petigura et al. (2016) report masses of 21.0 +- 5.4 and
27.0 +- 6.9 Earth masses for planets b and c; with their stellar mass of 1.12 M_sun (the value in
radvel's example), a circular orbit and sin i = 1 (both transit) these are K_b = 4.52 +- 1.16 and
K_c = 4.59 +- 1.17 m/s. radvel's K2-24 tutorial (``docs/tutorials/K2-24_Fitting+MCMC.ipynb``)
finds the maximum a posteriori ln K = 1.54834 and 1.37838 for the same circular model with trend
and curvature (K = 4.704 and 3.968 m/s), with P and Tc fixed and weak priors on ln K and jitter.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytensor.tensor as pt

import credo as cr
from credo_exoplanet.data import RadialVelocities, example_path, load_radial_velocities
from credo_exoplanet.orbit import KeplerianOrbit, radial_velocity

DATA = "k2-24_rv"
PLANETS = ("b", "c")
# Transit ephemeris (Petigura et al. 2016, as in radvel's example), BJD - 2454833.
PERIOD = np.array([20.885258, 42.363011])
TC = np.array([2072.79438, 2082.62516])
EPHEMERIS_SD = 0.01  # days: radvel's Gaussian prior width on P and Tc
# Petigura et al. (2016) masses converted to K (see the module docstring); the posterior is checked
# against these within 3 posterior sd.
PUBLISHED = {"K_b": 4.52, "K_c": 4.59}
PUBLISHED_SD = {"K_b": 1.16, "K_c": 1.17}
PUBLISHED_MASS = {"b": (21.0, 5.4), "c": (27.0, 6.9)}  # Earth masses
M_STAR = 1.12  # M_sun (Petigura et al. 2016; radvel's example)
RADVEL_MAP_K = {"K_b": float(np.exp(1.54834)), "K_c": float(np.exp(1.37838))}
MAIN_VARS = ["K", "gamma", "jitter", "dvdt", "curv", "period", "t0"]


def reference_time(rv: RadialVelocities) -> float:
    """Middle of the time baseline [day], the origin of the trend terms (radvel's ``time_base``)."""
    return 0.5 * float(rv.t.min() + rv.t.max())


def systemic(t, gamma, dvdt, curv, t_ref: float):
    """Offset plus linear and quadratic trend ``gamma + dvdt (t - t_ref) + curv (t - t_ref)^2`` [m/s].

    Works on NumPy arrays and on PyTensor variables alike.
    """
    dt = t - t_ref
    return gamma + dvdt * dt + curv * dt**2


def build_model(rv: RadialVelocities) -> cr.Model:
    """Two circular Keplerians, offset, quadratic trend and jitter (radvel's K2-24 setup).

    Parameters
    ----------
    rv : RadialVelocities
        Times [BJD - 2454833], velocities and errors [m/s], e.g. ``load_radial_velocities(
        example_path("k2-24_rv"))``.

    Returns
    -------
    cr.Model
        Coordinate ``planet`` = (b, c). Free: ``period``, ``t0`` [day] (Normal, sd 0.01 d about the
        transit ephemeris), ``K`` [m/s] (Uniform(0, 50), radvel's K > 0), ``gamma`` [m/s]
        (Normal(0, 20)), ``dvdt`` [m/s/day] (Normal(0, 1)), ``curv`` [m/s/day^2] (Normal(0, 0.01)),
        ``jitter`` [m/s] (Uniform(0, 15), radvel's hard bounds). The likelihood is
        ``Normal(rv, sqrt(rv_err^2 + jitter^2))``.
    """
    t_ref = reference_time(rv)
    with cr.Model(coords={"planet": list(PLANETS)}) as model:
        t = cr.Data("t", rv.t)
        period = cr.Normal("period", PERIOD, EPHEMERIS_SD, dims="planet")
        t0 = cr.Normal("t0", TC, EPHEMERIS_SD, dims="planet")
        K = cr.Uniform("K", 0.0, 50.0, dims="planet", initval=np.full(2, 5.0))
        gamma = cr.Normal("gamma", 0.0, 20.0)
        dvdt = cr.Normal("dvdt", 0.0, 1.0)
        curv = cr.Normal("curv", 0.0, 0.01)
        jitter = cr.Uniform("jitter", 0.0, 15.0, initval=3.0)
        orbit = KeplerianOrbit(period, t0)
        mu = radial_velocity(orbit, K, t) + systemic(t, gamma, dvdt, curv, t_ref)
        cr.Normal("rv", mu, pt.sqrt(rv.rv_err**2 + jitter**2), observed=rv.rv)
    return model


def k_draws(idata) -> dict:
    """Posterior draws of ``K_b`` and ``K_c`` [m/s], shape (chains, draws) each."""
    K = idata.posterior["K"]
    return {f"K_{p}": K.sel(planet=p).values for p in PLANETS}


def run(out, seed: int = 42, draws: int = 2000, tune: int = 1000, chains: int = 4) -> dict:
    """Fit K2-24's velocities, print the summary and the published comparison, write results to `out`.

    Writes ``posterior.nc``, ``summary.csv``, ``manifest.json`` and ``rv.png`` (velocities with the
    posterior model and its 90% band, and each planet's phase-folded signal).

    Returns
    -------
    dict
        The manifest (versions, seed, data sha256, timings [s], diagnostics, comparison).
    """
    from credo_exoplanet.examples._report import finish_run, print_comparison, published_rows, start_timer

    timer = start_timer()
    out = Path(out)
    rv = load_radial_velocities(example_path(DATA))
    print(f"K2-24 Keck/HIRES: {rv.t.size} velocities over {np.ptp(rv.t):.1f} d")
    with build_model(rv):
        idata = cr.sample(draws=draws, tune=tune, chains=chains, random_seed=seed, progressbar=False)
    comparison = published_rows(k_draws(idata), PUBLISHED)
    print_comparison(comparison, "Petigura et al. 2016 masses as K, sd 1.16 / 1.17 m/s", digits=3)
    manifest = finish_run(
        out,
        idata,
        timer,
        seed=seed,
        data_path=example_path(DATA),
        var_names=MAIN_VARS,
        extra={"n_points": int(rv.t.size), "t_ref": reference_time(rv), "comparison": comparison},
        plot=lambda path: _plot(path, idata, rv),
    )
    return manifest


def _plot(out, idata, rv: RadialVelocities, n_draws: int = 200) -> None:
    import pytensor

    from credo_exoplanet.examples._report import posterior_subset

    plt, post, pick = posterior_subset(idata, n_draws)
    period, t0, K = pt.dvector("period"), pt.dvector("t0"), pt.dvector("K")
    tt = pt.dvector("t")
    per_planet = pytensor.function([period, t0, K, tt], KeplerianOrbit(period, t0).get_radial_velocity(tt, K))
    t_ref = reference_time(rv)

    def draw(i, t):
        """Per-planet signals, shape (n, 2), and the systemic part of draw `i` at times `t`."""
        p = {n: post[n].values[..., i] for n in ("period", "t0", "K", "gamma", "dvdt", "curv")}
        planets = per_planet(p["period"], p["t0"], p["K"], t)
        return planets, systemic(t, p["gamma"], p["dvdt"], p["curv"], t_ref)

    grid = np.linspace(rv.t.min() - 5.0, rv.t.max() + 5.0, 1000)
    total = np.array([planets.sum(axis=1) + base for planets, base in (draw(i, grid) for i in pick)])
    jitter = float(post["jitter"].median())
    yerr = np.sqrt(rv.rv_err**2 + jitter**2)

    fig = plt.figure(figsize=(9, 7))
    ax = fig.add_subplot(2, 1, 1)
    lo, med, hi = np.percentile(total, [5, 50, 95], axis=0)
    ax.fill_between(grid, lo, hi, color="C1", alpha=0.4, label="90% band")
    ax.plot(grid, med, color="C1", lw=1.2, label="posterior median")
    ax.errorbar(rv.t, rv.rv, yerr=yerr, fmt="o", ms=3, color="k", label="HIRES (err + jitter)")
    ax.set_xlabel("BJD - 2454833")
    ax.set_ylabel("RV [m/s]")
    ax.set_title("K2-24, Keck/HIRES radial velocities")
    ax.legend(fontsize=8)

    # Each planet alone: subtract the other planet and the systemic part (posterior medians of the
    # per-draw predictions) from the data, then fold on the median period.
    at_data = [draw(i, rv.t) for i in pick]
    planets_med = np.median([planets for planets, _ in at_data], axis=0)
    base_med = np.median([base for _, base in at_data], axis=0)
    phase_grid = np.linspace(-0.5, 0.5, 400)
    for j, name in enumerate(PLANETS):
        axp = fig.add_subplot(2, 2, 3 + j)
        p_med = float(post["period"].values[j].mean())
        tc_med = float(post["t0"].values[j].mean())
        signal = rv.rv - base_med - planets_med[:, 1 - j]
        phase = ((rv.t - tc_med) / p_med + 0.5) % 1.0 - 0.5
        curves = []
        for i in pick:
            p, tc, k = (post[n].values[j, i : i + 1] for n in ("period", "t0", "K"))
            curves.append(per_planet(p, tc, k, tc + phase_grid * p)[:, 0])
        lo, med, hi = np.percentile(curves, [5, 50, 95], axis=0)
        axp.fill_between(phase_grid, lo, hi, color="C0", alpha=0.4)
        axp.plot(phase_grid, med, color="C0")
        axp.errorbar(phase, signal, yerr=yerr, fmt="o", ms=3, color="k")
        K_med = float(np.median(post["K"].values[j]))
        axp.set_title(f"K2-24 {name}: P = {p_med:.4f} d, K = {K_med:.2f} m/s", fontsize=10)
        axp.set_xlabel("phase from transit")
        axp.set_ylabel("RV [m/s]")
    fig.tight_layout()
    fig.savefig(out / "rv.png", dpi=120)
    plt.close(fig)
