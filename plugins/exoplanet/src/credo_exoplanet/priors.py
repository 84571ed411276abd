"""Priors for transit and radial-velocity fits: impact parameter, limb darkening, eccentricity.

Each class is a credo distribution (``cr.ext.exoplanet.ImpactParameter("b", ror=ror)`` inside a
model) with its citation keys in ``cite``.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor.random import basic as rb

from credo.distributions.base import UnitContinuous, as_param, check_parameters, random_variable
from credo.distributions.bounded import Beta, Uniform
from credo.distributions.dist_math import SQRT_2

__all__ = ["ImpactParameter", "KippingBeta", "VanEylen19", "KippingLimbDark"]


class ImpactParameter(Uniform):
    """Impact parameter uniform on ``[0, 1 + ror]``: every transit, grazing ones included.

    Sampled on the log-odds scale of ``b / (1 + ror)``, so the bound follows `ror` when `ror` is a
    free variable (Espinoza 2018 discusses why a joint ``(ror, b)`` prior of this kind is needed).

    Parameters
    ----------
    ror : tensor_like of float, > 0
        Planet-to-star radius ratio; shape () or (n_planets,).

    Raises
    ------
    ParameterValueError
        When the log-density is evaluated with ``ror <= 0``.

    References
    ----------
    Espinoza, N. (2018), RNAAS 2, 209.
    """

    cite = ("espinoza2018",)

    @classmethod
    def dist(cls, ror, **kwargs):
        ror = as_param(ror)
        return cls._make([pt.zeros_like(ror), 1.0 + ror], **kwargs)

    @staticmethod
    def logp(value, lower, upper):
        res = pt.switch((value >= lower) & (value <= upper), -pt.log(upper - lower), -np.inf)
        return check_parameters(res, upper > 1.0, msg="ror > 0")

    @classmethod
    def support_point(cls, rv, lower, upper):
        return pt.broadcast_to(0.5 * upper, rv.shape)


class KippingBeta(Beta):
    """Eccentricity prior Beta(0.867, 3.03) of Kipping (2013), fitted to RV planets.

    Takes no parameters (``KippingBeta("ecc")``); ``long=True`` gives the fit to planets with
    periods > 382.3 d, Beta(1.12, 3.09), and ``long=False`` the short-period fit Beta(0.697, 3.27).

    References
    ----------
    Kipping, D. M. (2013), MNRAS 434, L51.
    """

    cite = ("kipping2013ecc",)
    PARAMS = {None: (0.867, 3.03), True: (1.12, 3.09), False: (0.697, 3.27)}

    @classmethod
    def dist(cls, long: bool | None = None, **kwargs):
        if long not in cls.PARAMS:
            raise ValueError(f"KippingBeta: long must be None, True or False; got {long!r}")
        alpha, beta = cls.PARAMS[long]
        return super().dist(alpha, beta, **kwargs)


class VanEylen19(UnitContinuous):
    """Eccentricity prior of Van Eylen et al. (2019): half-Gaussian + Rayleigh mixture on [0, 1].

    ``p(e) ∝ (1 - f) HalfNormal(e; sigma_gauss) + f Rayleigh(e; sigma_rayleigh)`` on ``[0, 1]``
    with ``sigma_gauss = 0.049``, ``sigma_rayleigh = 0.26`` and ``f = 0.76`` for planets in
    single-transiting systems, ``f = 0.08`` in multi-transiting ones: the median hyperparameters of
    the mixture fit in Van Eylen et al. (2019), as used by exoplanet's ``vaneylen19(fixed=True)``.
    The truncation at 1 is normalised exactly.

    Parameters
    ----------
    multi : bool, default False
        Use the fit to multi-planet systems.

    Raises
    ------
    ValueError
        If ``multi`` is not a bool.

    References
    ----------
    Van Eylen, V. et al. (2019), AJ 157, 61 (arXiv:1807.00549).
    """

    cite = ("vaneylen2019",)
    SIGMA_GAUSS = 0.049
    SIGMA_RAYLEIGH = 0.26
    PARAMS = {False: (0.76, SIGMA_GAUSS, SIGMA_RAYLEIGH), True: (0.08, SIGMA_GAUSS, SIGMA_RAYLEIGH)}

    @classmethod
    def dist(cls, multi: bool = False, **kwargs):
        if multi not in cls.PARAMS:
            raise ValueError(f"VanEylen19: multi must be True or False; got {multi!r}")
        return cls._make([as_param(v) for v in cls.PARAMS[bool(multi)]], **kwargs)

    @staticmethod
    def _component_masses(sigma_gauss, sigma_rayleigh):
        # Mass of each component below e = 1, for the exact truncation.
        return pt.erf(1.0 / (SQRT_2 * sigma_gauss)), -pt.expm1(-0.5 / sigma_rayleigh**2)

    @classmethod
    def rv_graph(cls, frac, sigma_gauss, sigma_rayleigh, size=None, rng=None, **kwargs):
        c1, c2 = cls._component_masses(sigma_gauss, sigma_rayleigh)
        w2 = frac * c2 / ((1.0 - frac) * c1 + frac * c2)
        rayleigh = random_variable(rb.bernoulli, w2, size=size)
        u = random_variable(rb.uniform, 0.0, 1.0, size=size, rng=rng)
        # Inverse CDFs of the two components truncated at 1.
        gauss_draw = SQRT_2 * sigma_gauss * pt.erfinv(u * c1)
        rayleigh_draw = sigma_rayleigh * pt.sqrt(-2.0 * pt.log1p(-u * c2))
        return pt.switch(rayleigh, rayleigh_draw, gauss_draw)

    @staticmethod
    def logp(value, frac, sigma_gauss, sigma_rayleigh):
        c1, c2 = VanEylen19._component_masses(sigma_gauss, sigma_rayleigh)
        log_gauss = 0.5 * np.log(2.0 / np.pi) - pt.log(sigma_gauss) - 0.5 * (value / sigma_gauss) ** 2
        log_rayleigh = pt.log(value) - 2.0 * pt.log(sigma_rayleigh) - 0.5 * (value / sigma_rayleigh) ** 2
        res = pt.logaddexp(pt.log1p(-frac) + log_gauss, pt.log(frac) + log_rayleigh)
        res = res - pt.log((1.0 - frac) * c1 + frac * c2)
        return pt.switch((value >= 0) & (value <= 1), res, -np.inf)

    @classmethod
    def support_point(cls, rv, frac, sigma_gauss, sigma_rayleigh):
        mean = (1.0 - frac) * sigma_gauss * np.sqrt(2.0 / np.pi) + frac * sigma_rayleigh * np.sqrt(np.pi / 2)
        return pt.full_like(rv, mean, dtype="float64")


def KippingLimbDark(name: str, **kwargs) -> tuple[pt.TensorVariable, pt.TensorVariable]:  # noqa: N802
    """Quadratic limb darkening ``(u1, u2)`` with Kipping's (2013) uninformative prior.

    Creates free variables ``{name}_q`` (shape ``(2,)``, uniform on [0, 1]^2) and the
    deterministic ``{name}`` = ``(u1, u2)``; every physical pair (positive, monotonic intensity)
    is reachable and equally likely. Call inside a ``with cr.Model():`` block.

    Parameters
    ----------
    name : str
        Name of the deterministic ``(u1, u2)``.
    **kwargs
        Passed to ``cr.Uniform`` for the ``q`` variable (e.g. ``initval``).

    Returns
    -------
    u1, u2 : TensorVariable
        Scalars.

    References
    ----------
    Kipping, D. M. (2013), MNRAS 435, 2152.
    """
    import credo as cr
    from credo.citations import cite
    from credo_exoplanet.limbdark import kipping_to_quad

    cite("kipping2013")
    q = Uniform(f"{name}_q", 0.0, 1.0, shape=(2,), **kwargs)
    u1, u2 = kipping_to_quad(q[0], q[1])
    u = cr.Deterministic(name, pt.stack([u1, u2]))
    return u[0], u[1]
