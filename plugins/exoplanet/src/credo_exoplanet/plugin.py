"""Hook implementations of credo-exoplanet: what ``cr.ext.exoplanet`` and ``credo plugins`` show."""

from __future__ import annotations

from credo.plugins import DatasetSpec, DistributionSpec, ExampleSpec, FunctionSpec, hookimpl
from credo_exoplanet.citations import BIBTEX
from credo_exoplanet.data import (
    example_path,
    initial_guess_bls,
    load_lightcurve,
    load_radial_velocities,
)
from credo_exoplanet.kepler import kepler
from credo_exoplanet.lightcurve import light_curve
from credo_exoplanet.limbdark import kipping_to_quad, quad_limbdark
from credo_exoplanet.orbit import KeplerianOrbit, radial_velocity
from credo_exoplanet.priors import ImpactParameter, KippingBeta, KippingLimbDark, VanEylen19

requires_core = ">=0.1"

KEPLER_LICENSE = "NASA Kepler data from MAST: public, no restrictions (US Government work)"
KEPLER_SOURCE = "MAST via astropy/astropy-data @ 1ec3f59 : timeseries/kplr010666592-2009131110544_slc.fits"
RV_SOURCE = "California-Planet-Search/radvel @ 23b05f1 : example_data/epic203771098.csv"


def load_hat_p_7_kepler_q0():
    """HAT-P-7 Kepler Q0 short-cadence PDCSAP light curve (13,203 good cadences, BKJD)."""
    return load_lightcurve(example_path("hatp7_kepler_q0"))


def load_k2_24_rv():
    """K2-24 Keck/HIRES radial velocities (32 rows; BJD - 2454833, m/s)."""
    return load_radial_velocities(example_path("k2-24_rv"))


def _run_kepler_transit(out, seed):
    from credo_exoplanet.examples.kepler_transit import run

    return run(out, seed=seed)


def _run_rv_k2_24(out, seed):
    from credo_exoplanet.examples.rv_k2_24 import run

    return run(out, seed=seed)


@hookimpl
def credo_distributions():
    return [
        DistributionSpec(ImpactParameter),
        DistributionSpec(KippingBeta),
        DistributionSpec(VanEylen19),
    ]


@hookimpl
def credo_functions():
    return [
        FunctionSpec(KeplerianOrbit, cite=["foremanmackey2021", "winn2010"]),
        FunctionSpec(light_curve, cite=["agol2020", "kipping2010"]),
        FunctionSpec(quad_limbdark, cite=["agol2020", "mandel2002"]),
        FunctionSpec(kepler, cite=["raposo2017"]),
        FunctionSpec(radial_velocity, cite=["foremanmackey2021"]),
        FunctionSpec(kipping_to_quad, cite=["kipping2013"]),
        FunctionSpec(KippingLimbDark, cite=["kipping2013"]),
        FunctionSpec(load_lightcurve, cite=["astropy2022"]),
        FunctionSpec(load_radial_velocities),
        FunctionSpec(initial_guess_bls, cite=["kovacs2002", "astropy2022"]),
    ]


@hookimpl
def credo_datasets():
    return [
        DatasetSpec(
            "hat_p_7_kepler_q0",
            load_hat_p_7_kepler_q0,
            "HAT-P-7 (KIC 10666592) Kepler Q0 short-cadence PDCSAP flux, relative, BJD-2454833",
            license=KEPLER_LICENSE,
            source=KEPLER_SOURCE,
            cite=["kepler2010", "pal2008"],
        ),
        DatasetSpec(
            "k2_24_rv",
            load_k2_24_rv,
            "K2-24 (EPIC 203771098) Keck/HIRES radial velocities [m/s], BJD-2454833",
            license="MIT (radvel)",
            source=RV_SOURCE,
            cite=["petigura2016", "fulton2018"],
        ),
    ]


@hookimpl
def credo_examples():
    return [
        ExampleSpec(
            "kepler_transit",
            _run_kepler_transit,
            summary="Fits HAT-P-7 b's transits in Kepler Q0 data with NUTS; checks published values",
        ),
        ExampleSpec(
            "rv_k2_24",
            _run_rv_k2_24,
            summary="Fits K2-24 b and c to Keck/HIRES radial velocities with NUTS; checks published K",
        ),
    ]


@hookimpl
def credo_citations():
    return dict(BIBTEX)
