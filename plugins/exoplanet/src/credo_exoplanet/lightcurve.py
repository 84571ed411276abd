"""Transit (and secondary-eclipse) light curves of planets on Keplerian orbits."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.graph.basic import Variable

from credo.citations import cite
from credo_exoplanet.limbdark import quad_limbdark
from credo_exoplanet.orbit import KeplerianOrbit

__all__ = ["light_curve", "exposure_stencil"]


def exposure_stencil(oversample: int, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (in units of the exposure time) and weights that average over one exposure.

    Parameters
    ----------
    oversample : int, odd, >= 1
        Number of evaluations per exposure (>= 3 for ``order`` 1 or 2).
    order : {0, 1, 2}
        0: centred Riemann sum (Kipping 2010's resampling); 1: trapezoid rule; 2: Simpson's
        rule.

    Returns
    -------
    offsets, weights : ndarray, shape (oversample,)
        Offsets in ``[-1/2, 1/2]`` and weights summing to one.

    Raises
    ------
    ValueError
        If `oversample` is not a positive odd integer, or `order` is not 0, 1 or 2, or
        ``oversample < 3`` with ``order >= 1``.

    References
    ----------
    Kipping, D. M. (2010), MNRAS 408, 1758.
    """
    if int(oversample) != oversample or oversample < 1 or oversample % 2 == 0:
        raise ValueError(f"oversample must be a positive odd integer; got {oversample!r}")
    if order not in (0, 1, 2):
        raise ValueError(f"order must be 0, 1 or 2; got {order!r}")
    oversample = int(oversample)
    if order == 0:
        return np.linspace(-0.5, 0.5, 2 * oversample + 1)[1:-1:2], np.full(oversample, 1.0 / oversample)
    if oversample < 3:
        raise ValueError(f"order={order} needs oversample >= 3; got {oversample}")
    weights = np.ones(oversample)
    if order == 1:
        weights[1:-1] = 2.0
    else:
        weights[1:-1:2] = 4.0
        weights[2:-1:2] = 2.0
    return np.linspace(-0.5, 0.5, oversample), weights / weights.sum()


def light_curve(
    orbit: KeplerianOrbit,
    r,
    t,
    u1,
    u2,
    texp=None,
    oversample: int = 7,
    order: int = 0,
    fp=None,
) -> pt.TensorVariable:
    """Relative flux of a limb-darkened star transited by the planet(s) of `orbit`.

    Parameters
    ----------
    orbit : KeplerianOrbit
        One planet, or several if its parameters have shape ``(n_planets,)``.
    r : tensor_like of float, shape () or (n_planets,), >= 0
        Planet-to-star radius ratio (``ror``).
    t : tensor_like of float, shape (n,)
        Mid-exposure times [day].
    u1, u2 : tensor_like of float, scalars
        Quadratic limb-darkening coefficients of the star (see :func:`kipping_to_quad`).
    texp : tensor_like of float, shape () or (n,), >= 0, optional
        Exposure time [day]. If given, the flux is averaged over each exposure by evaluating
        it at `oversample` times per exposure.
    oversample : int, odd, default 7
        Evaluations per exposure.
    order : {0, 1, 2}, default 0
        Integration rule over the exposure: 0 centred Riemann sum, 1 trapezoid, 2 Simpson.
    fp : tensor_like of float, shape () or (n_planets,), >= 0, optional
        Planet-to-star flux ratio out of eclipse (the planet is a uniform disk). If given,
        the planet's flux is added and hidden during secondary eclipse; the result is still
        normalised to 1 when nothing is eclipsed. No phase curve.

    Returns
    -------
    flux : TensorVariable, shape (n,)
        Relative flux, 1 out of transit. Planets are summed; mutual overlaps are ignored.

    Raises
    ------
    ValueError
        If a non-symbolic `texp` is negative, `oversample` is not a positive odd integer, or
        `order` is not 0, 1 or 2 (see :func:`exposure_stencil`), or a non-symbolic `fp` is
        negative.

    References
    ----------
    Agol, E., Luger, R. & Foreman-Mackey, D. (2020), AJ 159, 123.
    Kipping, D. M. (2010), MNRAS 408, 1758.
    """
    cite("agol2020", "mandel2002")
    t = pt.as_tensor_variable(t)
    if t.ndim != 1:
        raise ValueError(f"t must be a vector of times, shape (n,); got ndim={t.ndim}")
    stencil = None
    if texp is not None:
        if not isinstance(texp, Variable) and np.any(np.asarray(texp) < 0):
            raise ValueError(f"texp must be >= 0 (days); got {texp!r}")
        texp = pt.as_tensor_variable(texp)
        stencil = exposure_stencil(oversample, order)
        cite("kipping2010")
    if fp is not None:
        if not isinstance(fp, Variable) and np.any(np.asarray(fp) < 0):
            raise ValueError(f"fp must be >= 0; got {fp!r}")
        if not isinstance(r, Variable) and np.any(np.asarray(r) <= 0):
            raise ValueError(f"r must be > 0 when fp is given; got {r!r}")
        return _flux(orbit, r, t, u1, u2, texp, stencil, fp)

    # Only times that can be in transit are evaluated; the flux is exactly 1 elsewhere.
    idx = pt.flatnonzero(_transit_window(orbit, r, t, texp))
    if texp is not None and texp.ndim > 0:
        texp = texp[idx]
    flux = _flux(orbit, r, t[idx], u1, u2, texp, stencil, None)
    return pt.set_subtensor(pt.ones_like(t)[idx], flux)


def _mean_anomaly(f, e):
    """Mean anomaly [rad] at true anomaly `f` for eccentricity `e` (inverse Kepler map)."""
    E = 2.0 * pt.arctan2(pt.sqrt(1.0 - e) * pt.sin(0.5 * f), pt.sqrt(1.0 + e) * pt.cos(0.5 * f))
    return E - e * pt.sin(E)


def _transit_window(orbit: KeplerianOrbit, r, t, texp):
    """Mask of the times that may be in transit: a conservative bound, cheap per time.

    The sky separation is at least ``|X| = rho |sin(f - f_transit)|`` with the orbital radius
    ``rho >= a (1 - e)``, so a transit needs ``|f - f_transit| < asin((1 + r) / (a (1-e)/R))``.
    That true-anomaly window maps to a window in time around each mid-transit.
    """
    e = 0.0 if orbit.ecc is None else orbit.ecc
    half_f = pt.arcsin(pt.minimum((1.0 + r) / (orbit.aor * (1.0 - e)), 1.0))
    if orbit.ecc is None:
        before = after = half_f
    else:
        f_transit = 0.5 * np.pi - orbit.omega
        before = pt.mod(orbit.M0 - _mean_anomaly(f_transit - half_f, e), 2.0 * np.pi)
        after = pt.mod(_mean_anomaly(f_transit + half_f, e) - orbit.M0, 2.0 * np.pi)
    pad = 0.0
    if texp is not None:
        pad = 0.5 * (pt.shape_padright(texp) if orbit.batched and texp.ndim > 0 else texp)
    # A small relative margin keeps the bound safe against rounding.
    before = (1.0 + 1e-6) * before / orbit.n + pad
    after = (1.0 + 1e-6) * after / orbit.n + pad
    dt = orbit._times(t) - orbit.t0
    inside = pt.mod(dt + before, orbit.period) <= before + after
    return inside.any(axis=-1) if orbit.batched else inside


def _flux(orbit, r, t, u1, u2, texp, stencil, fp):
    """Light curve at every time of `t` (see :func:`light_curve`)."""
    if texp is None:
        tgrid = t
    else:
        offsets, weights = stencil
        tgrid = pt.shape_padright(t) + pt.shape_padright(texp) * offsets

    b, z = orbit.get_sky_separation(tgrid)
    transit = pt.switch(z > 0, quad_limbdark(b, r, u1, u2), 1.0)
    if orbit.batched:
        flux = 1.0 + (transit - 1.0).sum(axis=-1)
    else:
        flux = transit
    if fp is not None:
        # A uniform planet disk behind the star loses the lens area shared with the stellar
        # disk; the uniform-star transit depth (1 - F) is that area over pi.
        hidden = (1.0 - quad_limbdark(b, r, 0.0, 0.0)) / pt.as_tensor_variable(r) ** 2
        planet = fp * pt.switch(z < 0, 1.0 - hidden, 1.0)
        if orbit.batched:
            planet = planet.sum(axis=-1)
            fp = pt.as_tensor_variable(fp).sum()
        flux = (flux + planet) / (1.0 + fp)
    if texp is not None:
        flux = pt.dot(flux, weights)
    return flux
