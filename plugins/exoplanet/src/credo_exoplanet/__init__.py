"""credo-exoplanet: transit light curves, Keplerian orbits and radial velocities for credo."""

from credo_exoplanet.data import (
    BLSResult,
    LightCurve,
    RadialVelocities,
    example_path,
    initial_guess_bls,
    load_lightcurve,
    load_radial_velocities,
)
from credo_exoplanet.kepler import kepler
from credo_exoplanet.lightcurve import light_curve
from credo_exoplanet.limbdark import kipping_to_quad, quad_limbdark
from credo_exoplanet.orbit import KeplerianOrbit, radial_velocity

__all__ = [
    "BLSResult",
    "KeplerianOrbit",
    "LightCurve",
    "RadialVelocities",
    "example_path",
    "initial_guess_bls",
    "kepler",
    "kipping_to_quad",
    "light_curve",
    "load_lightcurve",
    "load_radial_velocities",
    "quad_limbdark",
    "radial_velocity",
]
