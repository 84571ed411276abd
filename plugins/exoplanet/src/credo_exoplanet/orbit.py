"""Keplerian orbits as PyTensor graphs, with exoplanet's conventions.

Coordinates follow exoplanet (Foreman-Mackey et al. 2021): ``X, Y`` lie in the sky plane and
``Z`` points *towards* the observer, so a transit happens where ``Z > 0`` and the planet
passes through ``Y = -b R_star`` at ``t0``. Radial velocities are positive for a receding star
(redshift), as in the RV literature. Units are days, solar radii, solar masses, radians and
m/s; astropy Quantities are converted.
"""

from __future__ import annotations

import astropy.constants as const
import astropy.units as u
import numpy as np
import pytensor.tensor as pt
from pytensor.graph.basic import Variable

from credo.citations import cite
from credo_exoplanet.kepler import kepler

__all__ = ["KeplerianOrbit", "radial_velocity"]

G_GRAV = const.G.to_value(u.R_sun**3 / u.M_sun / u.day**2)
GCC_PER_SUN = (u.M_sun / u.R_sun**3).to(u.g / u.cm**3)
MS_PER_RSUN_DAY = (u.R_sun / u.day).to(u.m / u.s)


def _tensor(value, unit: u.UnitBase, name: str, low=None, low_inclusive=True, high=None):
    """Convert `value` (Quantity, number, array or PyTensor variable) to a float64 tensor.

    Non-symbolic values are checked against ``low``/``high``; symbolic ones are taken as given
    in `unit`.
    """
    if isinstance(value, u.Quantity):
        try:
            value = value.to_value(unit)
        except u.UnitConversionError as err:
            raise ValueError(f"{name} has unit {value.unit}, which cannot convert to {unit}") from err
    if isinstance(value, Variable):
        var = value
        return var if var.dtype == "float64" else pt.cast(var, "float64")
    arr = np.asarray(value, dtype=np.float64)
    bad = ~np.isfinite(arr)
    expected = "finite"
    if low is not None:
        bad |= (arr < low) if low_inclusive else (arr <= low)
        expected += f", {'>=' if low_inclusive else '>'} {low}"
    if high is not None:
        bad |= arr >= high
        expected += f", < {high}"
    if np.any(bad):
        raise ValueError(f"{name} must be {expected} (in {unit}); got {arr[bad].ravel()[:5]}")
    return pt.as_tensor_variable(arr)


Vector3 = tuple[pt.TensorVariable, pt.TensorVariable, pt.TensorVariable]


def _given(**kwargs) -> list[str]:
    return [name for name, value in kwargs.items() if value is not None]


class KeplerianOrbit:
    """A planet on a Keplerian orbit around a star, as PyTensor graphs.

    Every argument may be a float, an array of shape ``(n_planets,)``, an astropy Quantity or
    a PyTensor variable. With array arguments every method returns one column per planet
    (shape ``t.shape + (n_planets,)``).

    Parameters
    ----------
    period : tensor_like of float, > 0
        Orbital period [day].
    t0 : tensor_like of float
        Mid-time of a reference transit [day], e.g. BJD - 2454833 for Kepler.
    b : tensor_like of float, optional
        Impact parameter [stellar radii]: sky separation at conjunction (Winn 2010, eq. 7).
    incl : tensor_like of float, optional
        Inclination [rad], in ``[0, pi]``.
    duration : tensor_like of float, > 0, optional
        Transit duration [day], converted to ``b`` with Winn (2010) eqs. 14 and 16: the time
        between first and last contact if `ror` is given, else between the times the
        planet's centre crosses the limb. Exact for circular orbits. A duration longer than
        a central transit allows gives ``b = NaN``.
    ror : tensor_like of float, optional
        Radius ratio used only with `duration`.
    ecc, omega : tensor_like of float, optional
        Eccentricity in ``[0, 1)`` and argument of periastron [rad] of the planet's orbit.
        Give both, or `secosw` and `sesinw`, or none (circular orbit).
    secosw, sesinw : tensor_like of float, optional
        ``sqrt(ecc) cos(omega)`` and ``sqrt(ecc) sin(omega)`` (Eastman et al. 2013).
    r_star, m_star, rho_star : tensor_like of float, optional
        Stellar radius [R_sun], mass [M_sun] and density [g / cm^3]. Give two of them, only
        `rho_star` (then ``r_star = 1``), or none (the Sun).
    m_planet : tensor_like of float, default 0
        Planet mass [M_sun]; adds to the star's mass in Kepler's third law.

    Raises
    ------
    ValueError
        If arguments that exclude each other are combined (e.g. `b` with `incl`, `ecc` without
        `omega`, three stellar parameters), if a Quantity has incompatible units, or if a
        non-symbolic value is out of range (``period <= 0``, ``ecc`` outside ``[0, 1)``...).

    References
    ----------
    Foreman-Mackey, D. et al. (2021), JOSS 6, 3285 (exoplanet).
    Winn, J. N. (2010), in Exoplanets, ed. S. Seager, arXiv:1001.2010.
    """

    def __init__(
        self,
        period,
        t0,
        *,
        b=None,
        incl=None,
        duration=None,
        ror=None,
        ecc=None,
        omega=None,
        secosw=None,
        sesinw=None,
        r_star=None,
        m_star=None,
        rho_star=None,
        m_planet=0.0,
    ) -> None:
        cite("foremanmackey2021", "winn2010")
        self.period = _tensor(period, u.day, "period", low=0.0, low_inclusive=False)
        self.t0 = _tensor(t0, u.day, "t0")
        self.m_planet = _tensor(m_planet, u.M_sun, "m_planet", low=0.0)
        self._set_star(r_star, m_star, rho_star)
        self.m_total = self.m_star + self.m_planet
        self.n = 2.0 * np.pi / self.period
        self.a = (G_GRAV * self.m_total * self.period**2 / (4.0 * np.pi**2)) ** (1.0 / 3.0)
        self.aor = self.a / self.r_star
        self._set_eccentricity(ecc, omega, secosw, sesinw)
        self._set_inclination(b, incl, duration, ror)
        self.t_periastron = self.t0 - self.M0 / self.n
        params = (self.period, self.t0, self.m_planet, self.r_star, self.m_star, self.b)
        extra = () if self.ecc is None else (self.ecc, self.omega)
        self.batched = any(p.ndim > 0 for p in params + extra)

    def _set_star(self, r_star, m_star, rho_star) -> None:
        given = _given(r_star=r_star, m_star=m_star, rho_star=rho_star)
        if given in ([], ["rho_star"]):
            r_star = 1.0 if r_star is None else r_star
            m_star = 1.0 if rho_star is None else None
        elif len(given) != 2:
            raise ValueError(
                "give two of r_star, m_star and rho_star, only rho_star (r_star = 1 R_sun), or "
                f"none (the Sun); got {', '.join(given)}"
            )
        self.r_star = self.m_star = None
        if r_star is not None:
            self.r_star = _tensor(r_star, u.R_sun, "r_star", low=0.0, low_inclusive=False)
        if m_star is not None:
            self.m_star = _tensor(m_star, u.M_sun, "m_star", low=0.0, low_inclusive=False)
        if rho_star is not None:
            unit = u.g / u.cm**3
            rho = _tensor(rho_star, unit, "rho_star", low=0.0, low_inclusive=False)
            rho_sun_units = rho / GCC_PER_SUN
            if self.r_star is None:
                self.r_star = (3.0 * self.m_star / (4.0 * np.pi * rho_sun_units)) ** (1.0 / 3.0)
            else:
                self.m_star = 4.0 * np.pi * self.r_star**3 * rho_sun_units / 3.0
        self.rho_star = GCC_PER_SUN * 3.0 * self.m_star / (4.0 * np.pi * self.r_star**3)

    def _set_eccentricity(self, ecc, omega, secosw, sesinw) -> None:
        polar = _given(ecc=ecc, omega=omega)
        cartesian = _given(secosw=secosw, sesinw=sesinw)
        if polar and cartesian:
            raise ValueError(
                f"give either ecc and omega or secosw and sesinw, not both; got "
                f"{', '.join(polar + cartesian)}"
            )
        if len(polar) == 1 or len(cartesian) == 1:
            raise ValueError(
                f"{(polar or cartesian)[0]} needs its partner: give ecc with omega, or secosw with sesinw"
            )
        if not polar and not cartesian:
            self.ecc = self.omega = None
            self.cos_omega, self.sin_omega = 1.0, 0.0
            self.M0 = 0.5 * np.pi * pt.ones_like(self.period)
            return
        if polar:
            self.ecc = _tensor(ecc, u.one, "ecc", low=0.0, high=1.0)
            self.omega = _tensor(omega, u.rad, "omega")
            self.cos_omega = pt.cos(self.omega)
            self.sin_omega = pt.sin(self.omega)
        else:
            h = _tensor(secosw, u.one, "secosw")
            k = _tensor(sesinw, u.one, "sesinw")
            self.ecc = h**2 + k**2
            if not isinstance(secosw, Variable) and not isinstance(sesinw, Variable):
                _tensor(
                    np.square(secosw) + np.square(sesinw), u.one, "secosw**2 + sesinw**2", low=0.0, high=1.0
                )
            self.omega = pt.arctan2(k, h)
            self.cos_omega = pt.cos(self.omega)
            self.sin_omega = pt.sin(self.omega)
        # Mean anomaly at transit, where the true anomaly is f = pi/2 - omega.
        e = self.ecc
        E0 = 2.0 * pt.arctan2(pt.sqrt(1.0 - e) * self.cos_omega, pt.sqrt(1.0 + e) * (1.0 + self.sin_omega))
        self.M0 = E0 - e * pt.sin(E0)

    def _set_inclination(self, b, incl, duration, ror) -> None:
        given = _given(b=b, incl=incl, duration=duration)
        if len(given) > 1:
            raise ValueError(f"give only one of b, incl and duration; got {', '.join(given)}")
        if ror is not None and duration is None:
            raise ValueError("ror is only used together with duration")
        # b = (a cos i / R_star) * beta with beta = (1 - e^2) / (1 + e sin omega) (Winn 2010).
        beta = 1.0 if self.ecc is None else (1.0 - self.ecc**2) / (1.0 + self.ecc * self.sin_omega)
        if incl is not None:
            self.incl = _tensor(incl, u.rad, "incl", low=0.0, high=np.pi + 1e-15)
            self.cos_incl = pt.cos(self.incl)
            self.b = self.aor * self.cos_incl * beta
        else:
            if duration is not None:
                self.duration = _tensor(duration, u.day, "duration", low=0.0, low_inclusive=False)
                k = 0.0 if ror is None else _tensor(ror, u.one, "ror", low=0.0)
                sqrt_ome2 = 1.0 if self.ecc is None else pt.sqrt(1.0 - self.ecc**2)
                esinw = 0.0 if self.ecc is None else self.ecc * self.sin_omega
                c = pt.sin(np.pi * self.duration * (1.0 + esinw) / (self.period * sqrt_ome2))
                b2 = ((1.0 + k) ** 2 - (c * self.aor) ** 2) / (1.0 - (c / beta) ** 2)
                self.b = pt.sqrt(b2)
            else:
                self.b = _tensor(0.0 if b is None else b, u.one, "b")
            self.cos_incl = self.b / (self.aor * beta)
            self.incl = pt.arccos(self.cos_incl)
        self.sin_incl = pt.sin(self.incl)

    # ------------------------------------------------------------------ time -> position
    def _times(self, t) -> pt.TensorVariable:
        t = _tensor(t, u.day, "t")
        return pt.shape_padright(t) if self.batched else t

    def _true_anomaly(self, t):
        M = self.n * (self._times(t) - self.t0) + self.M0
        if self.ecc is None:
            return pt.sin(M), pt.cos(M)
        return kepler(M, self.ecc)

    def _rotate(self, x, y):
        """Orbital plane -> sky: rotate by omega about z, then by -incl about x (exoplanet)."""
        x1 = self.cos_omega * x - self.sin_omega * y
        y1 = self.sin_omega * x + self.cos_omega * y
        return x1, self.cos_incl * y1, -self.sin_incl * y1

    def _position(self, scale, t):
        sinf, cosf = self._true_anomaly(t)
        if self.ecc is None:
            r = scale
        else:
            r = scale * (1.0 - self.ecc**2) / (1.0 + self.ecc * cosf)
        return self._rotate(r * cosf, r * sinf)

    def get_relative_position(self, t) -> Vector3:
        """Position of the planet relative to the star.

        Parameters
        ----------
        t : tensor_like of float, shape (n,)
            Times [day].

        Returns
        -------
        x, y, z : TensorVariable, shape (n,) or (n, n_planets)
            Sky-plane coordinates and line-of-sight coordinate (towards the observer) [R_sun].
        """
        return self._position(-self.a, t)

    def get_planet_position(self, t) -> Vector3:
        """Position of the planet relative to the barycentre; see `get_relative_position`."""
        return self._position(-self.a * self.m_star / self.m_total, t)

    def get_star_position(self, t) -> Vector3:
        """Position of the star relative to the barycentre; see `get_relative_position`."""
        return self._position(self.a * self.m_planet / self.m_total, t)

    def get_sky_separation(self, t) -> tuple[pt.TensorVariable, pt.TensorVariable]:
        """Sky-projected star-planet separation and line-of-sight position.

        Parameters
        ----------
        t : tensor_like of float, shape (n,)
            Times [day].

        Returns
        -------
        b : TensorVariable, shape (n,) or (n, n_planets)
            Separation of the centres in stellar radii (equals `b` at mid-transit).
        z : TensorVariable, same shape
            Line-of-sight coordinate in stellar radii; the planet is in front where ``z > 0``.
        """
        x, y, z = self.get_relative_position(t)
        return pt.sqrt(x**2 + y**2) / self.r_star, z / self.r_star

    def get_radial_velocity(self, t, K=None) -> pt.TensorVariable:
        """Radial velocity of the star, positive when it recedes.

        Parameters
        ----------
        t : tensor_like of float, shape (n,)
            Times [day].
        K : tensor_like of float, optional
            Semi-amplitude [m/s]. If omitted it follows from the masses and inclination.

        Returns
        -------
        rv : TensorVariable, shape (n,) or (n, n_planets)
            ``K (cos(omega + f) + e cos(omega))`` [m/s] (Lovis & Fischer 2010, eq. 11).
        """
        sinf, cosf = self._true_anomaly(t)
        shape = cosf * self.cos_omega - sinf * self.sin_omega
        if self.ecc is not None:
            shape = shape + self.ecc * self.cos_omega
        if K is None:
            K = self.semi_amplitude()
        else:
            K = _tensor(K, u.m / u.s, "K")
        return K * shape

    def semi_amplitude(self) -> pt.TensorVariable:
        """RV semi-amplitude implied by the masses and inclination [m/s]."""
        ome2 = 1.0 if self.ecc is None else 1.0 - self.ecc**2
        k = self.n * self.a * self.m_planet * self.sin_incl / (self.m_total * pt.sqrt(ome2))
        return MS_PER_RSUN_DAY * k

    def get_transit_times(self, epochs) -> pt.TensorVariable:
        """Mid-transit times ``t0 + period * epochs`` [day] for integer `epochs`."""
        return self.t0 + self.period * pt.as_tensor_variable(epochs)


def radial_velocity(orbit: KeplerianOrbit, K, t) -> pt.TensorVariable:
    """Total stellar radial velocity of all planets in `orbit` [m/s].

    Parameters
    ----------
    orbit : KeplerianOrbit
        One planet, or several if its parameters have shape ``(n_planets,)``.
    K : tensor_like of float, shape () or (n_planets,)
        Semi-amplitudes [m/s].
    t : tensor_like of float, shape (n,)
        Times [day].

    Returns
    -------
    rv : TensorVariable, shape (n,)
        Sum of the planets' Keplerian signals, positive for a receding star.

    References
    ----------
    Lovis, C. & Fischer, D. (2010), in Exoplanets, ed. S. Seager, 27.
    """
    rv = orbit.get_radial_velocity(t, K=K)
    return rv.sum(axis=-1) if orbit.batched else rv
