"""Registration of credo-exoplanet, `cr.ext` identity, citations and a small transit fit."""

import json
import subprocess
import sys

import numpy as np
import pytest

import credo as cr
import credo_exoplanet.plugin as plugin
from credo_exoplanet.lightcurve import light_curve
from credo_exoplanet.orbit import KeplerianOrbit
from credo_exoplanet.priors import ImpactParameter


def test_credo_plugins_json_lists_components():
    out = subprocess.run([sys.executable, "-m", "credo.cli", "plugins", "--json"],
                         capture_output=True, text=True, check=True).stdout
    info = json.loads(out)
    entry = info["exoplanet"] if isinstance(info, dict) and "exoplanet" in info else next(
        p for p in (info if isinstance(info, list) else info["plugins"]) if p["name"] == "exoplanet")
    text = json.dumps(entry)
    for name in ("ImpactParameter", "VanEylen19", "KeplerianOrbit", "light_curve", "hat_p_7_kepler_q0",
                 "k2_24_rv", "kepler_transit", "agol2020"):
        assert name in text, name


def test_cr_ext_gives_the_same_objects():
    assert cr.ext.exoplanet.KeplerianOrbit is KeplerianOrbit
    assert cr.ext.exoplanet.light_curve is light_curve
    assert cr.ext.exoplanet.ImpactParameter is ImpactParameter


def test_every_cited_key_has_bibtex():
    bib = plugin.credo_citations()
    for spec in plugin.credo_functions() + plugin.credo_datasets():
        for key in spec.cite or ():
            assert key in bib and bib[key].startswith("@") and "{" + key + "," in bib[key]


def test_dataset_loaders_give_the_documented_sizes():
    lc = plugin.load_hat_p_7_kepler_q0()
    rv = plugin.load_k2_24_rv()
    assert lc.t.size == 13203 and rv.t.size == 32


def _synthetic(rng, n=300, ror=0.1, noise=5e-4):
    t = np.linspace(-0.3, 0.3, n)
    orbit = KeplerianOrbit(3.0, 0.0, b=0.3, rho_star=1.4)
    flux = light_curve(orbit, ror, t, 0.4, 0.2).eval()
    return t, flux + noise * rng.standard_normal(n)


# Compiling the light-curve graph takes ~40 s on a loaded 2-core machine.
@pytest.mark.slow
def test_small_fit_recovers_ror_and_cites_agol2020():
    rng = np.random.default_rng(7)
    t, y = _synthetic(rng)
    with cr.Model() as model:
        ror = cr.Uniform("ror", 0.01, 0.3)
        b = ImpactParameter("b", ror=ror)
        orbit = KeplerianOrbit(3.0, 0.0, b=b, rho_star=1.4)
        cr.Normal("y", light_curve(orbit, ror, t, 0.4, 0.2), 5e-4, observed=y)
    assert {"agol2020", "espinoza2018", "foremanmackey2021"} <= set(cr.citations.citation_keys(model))
    assert "@article{agol2020," in cr.citations(model)
    with model:
        idata = cr.sample(draws=300, tune=300, chains=1, random_seed=3, progressbar=False)
    draws = idata.posterior["ror"].values.ravel()
    assert abs(draws.mean() - 0.1) < 3 * draws.std()
    assert draws.std() < 0.01
    assert "agol2020" in cr.citations.citation_keys(idata)
