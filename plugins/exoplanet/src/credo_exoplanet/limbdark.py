"""Closed-form transit of a quadratically limb-darkened star, as a differentiable PyTensor Op.

The occulted flux is ``s . c / (pi (c0 + 2 c1 / 3))`` with the solution vector ``s`` of Agol,
Luger & Foreman-Mackey (2020, "starry") for the quadratic Green's basis ``c`` (their eqs. for
``s_0, s_1, s_2``; the same expressions as exoplanet-core's ``limbdark.h``). Complete elliptic
integrals use Bulirsch's (1969) ``cel`` algorithm. Derivatives in ``b`` and ``r`` are analytic
(Agol et al. 2020, Sec. 4), so value and gradient come from one pass over the data.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType, grad_not_implemented
from pytensor.graph.basic import Apply, Variable
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch import basic as numba_basic
from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key

__all__ = ["quad_limbdark", "quad_limbdark_numpy", "kipping_to_quad"]

_EPS = np.finfo(np.float64).eps
# Inputs this close to a special configuration (b = 0, b = r, r = 1/2, b + r = 1) use its limit:
# the general expressions lose ~eps/|distance| relative precision there (Agol et al. 2020, 4.2).
_TOL = 1e-14
_MAX_ITER = 100

_jit = numba.njit(cache=True, error_model="numpy", fastmath=False)


@_jit
def _cel(k2, kc, p, a, b):
    """Bulirsch's complete elliptic integral ``cel(kc, p, a, b)``, with ``k2 = 1 - kc^2``."""
    if k2 < 0.0:
        k2 = 0.0
    if k2 < 1e-5:
        kc = math.sqrt(1.0 - k2)
    if k2 >= 1.0 or kc == 0.0:
        k2 = 1.0
        kc = _EPS
    ca = math.sqrt(_EPS * max(k2, _EPS))
    if p > 0.0:
        p = math.sqrt(p)
        b = b / p
    else:
        g = 1.0 - p
        f = g - k2
        q = k2 * (b - a * p)
        p = math.sqrt(f / g)
        a = (a - b) / g
        b = -q / (g * g * p) + a * p
    ee = kc
    m = 1.0
    for _ in range(_MAX_ITER):
        f = a
        a = a + b / p
        g = ee / p
        b = 2.0 * (b + f * g)
        p = p + g
        g = m
        m = m + kc
        if abs(g - kc) <= g * ca:
            break
        kc = 2.0 * math.sqrt(ee)
        ee = kc * m
    return 0.5 * math.pi * (a * m + b) / (m * (m + p))


@_jit
def _cel3(k2, kc, p, a1, b1):
    """``(Pi-like, E(k), (E - (1 - k^2) K)/k^2)`` sharing one Bulirsch recursion.

    The first integral is ``cel(kc, p, a1, b1)``; the other two are ``cel(kc, 1, 1, kc^2)`` and
    ``cel(kc, 1, 1, 0)``, which have ``p = 1`` and so the same AGM sequence.
    """
    if k2 > 1.0:
        k2 = 1.0
    elif k2 < _EPS:
        k2 = _EPS
    if k2 == 1.0 or kc == 0.0:
        kc = _EPS * k2
    ca = math.sqrt(_EPS * k2)
    if p > 0.0:
        p = math.sqrt(p)
        b1 = b1 / p
    else:
        g = 1.0 - p
        f = g - k2
        q = k2 * (b1 - a1 * p)
        p = math.sqrt(f / g)
        a1 = (a1 - b1) / g
        b1 = -q / (g * g * p) + a1 * p
    a2, b2 = 1.0, kc * kc
    a3, b3 = 1.0, 0.0
    ee = kc
    m = 1.0
    p1 = 1.0
    for _ in range(_MAX_ITER):
        inv_p = 1.0 / p
        inv_p1 = 1.0 / p1
        f1, f2, f3 = a1, a2, a3
        a1 = a1 + b1 * inv_p
        a2 = a2 + b2 * inv_p1
        a3 = a3 + b3 * inv_p1
        g = ee * inv_p
        g1 = ee * inv_p1
        b1 = 2.0 * (b1 + f1 * g)
        b2 = 2.0 * (b2 + f2 * g1)
        b3 = 2.0 * (b3 + f3 * g1)
        p = p + g
        p1 = p1 + g1
        g = m
        m = m + kc
        if abs(g - kc) <= g * ca:
            break
        kc = 2.0 * math.sqrt(ee)
        ee = kc * m
    scale = 0.5 * math.pi / m
    return (
        scale * (a1 * m + b1) / (m + p),
        scale * (a2 * m + b2) / (m + p1),
        scale * (a3 * m + b3) / (m + p1),
    )


@_jit
def solution_vector(b, r):
    """Agol et al. (2020) ``s_0, s_1, s_2`` for quadratic limb darkening and their derivatives.

    Requires ``b >= 0`` and ``r >= 0``. Returns a 9-tuple
    ``(s0, s1, s2, ds0/db, ds1/db, ds2/db, ds0/dr, ds1/dr, ds2/dr)``.
    """
    pi = math.pi
    if b >= 1.0 + r or r <= _TOL:
        return pi, 2.0 * pi / 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    if b <= r - 1.0:
        return 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    b2 = b * b
    r2 = r * r
    centred = b <= _TOL
    ds0db = ds1db = ds2db = 0.0

    # Twice the area of the kite formed by the two centres and the two intersection points;
    # Heron's formula with sorted sides keeps it accurate for slivers (Agol et al. 2020, eq. 9).
    p0, p1, p2 = 1.0, b, r
    if p0 < p1:
        p0, p1 = p1, p0
    if p1 < p2:
        p1, p2 = p2, p1
    if p0 < p1:
        p0, p1 = p1, p0
    kite2 = math.sqrt(max(0.0, (p0 + (p1 + p2)) * (p2 - (p0 - p1)) * (p2 + (p0 - p1)) * (p0 + (p1 - p2))))

    onembpr2 = (1.0 - b - r) * (1.0 + b + r)
    onembmr2 = (1.0 - b + r) * (1.0 + b - r)
    if centred:
        inside = True
        k2 = np.inf
    else:
        k2 = (1.0 - b + r) * (1.0 + b - r) / (4.0 * b * r)
        inside = k2 > 1.0
    kap0 = kap1 = 0.0

    # s_0: the uniform disk, pi minus the lens-shaped overlap area.
    if inside:
        s0 = pi * (1.0 - r2)
        ds0dr = -2.0 * pi * r
    else:
        kap0 = math.atan2(kite2, (r - 1.0) * (r + 1.0) + b2)
        kap1 = math.atan2(kite2, (1.0 - r) * (1.0 + r) + b2)
        s0 = pi - (kap1 + r2 * kap0 - 0.5 * kite2)
        ds0db = kite2 / b
        ds0dr = -2.0 * r * kap0

    # s_1: the linear term, Agol et al. (2020) eqs. 30-35 and their special cases.
    if centred:
        sq = math.sqrt(1.0 - r2)
        lam = -2.0 * pi * sq * sq * sq
        ds1dr = -2.0 * pi * r * sq
    elif abs(b - r) <= _TOL:
        if abs(r - 0.5) <= _TOL:
            lam = pi - 4.0 / 3.0
            ds1db = 2.0 / 3.0
            ds1dr = -2.0
        elif r < 0.5:
            m = 4.0 * r2
            ek = _cel(m, math.sqrt(1.0 - m), 1.0, 1.0, 1.0 - m)
            em = _cel(m, math.sqrt(1.0 - m), 1.0, 1.0, 0.0)
            lam = pi + 2.0 / 3.0 * ((2.0 * m - 3.0) * ek - m * em)
            ds1db = -4.0 * r / 3.0 * (ek - 2.0 * em)
            ds1dr = -4.0 * r * ek
        else:
            m = 4.0 * r2
            minv = 1.0 / m
            ek = _cel(minv, math.sqrt(1.0 - minv), 1.0, 1.0, 1.0 - minv)
            em = _cel(minv, math.sqrt(1.0 - minv), 1.0, 1.0, 0.0)
            lam = pi + (-m * ek + (2.0 * m - 3.0) * em) / (3.0 * r)
            ds1db = 2.0 / 3.0 * (2.0 * ek - em)
            ds1dr = -2.0 * em
        b = r
    elif abs(k2 - 1.0) <= _TOL:
        # b + r = 1: the elliptic integrals reduce to elementary functions.
        root = math.sqrt(r * (1.0 - r))
        lam = 2.0 * math.acos(1.0 - 2.0 * r) - 4.0 / 3.0 * (3.0 + 2.0 * r - 8.0 * r2) * root
        if r > 0.5:
            lam -= 2.0 * pi
        ds1dr = -8.0 * r * root
        ds1db = -ds1dr / 3.0
    elif k2 < 1.0:
        kc2 = -onembpr2 / (4.0 * b * r)
        sqbr = math.sqrt(b * r)
        pk, ek, em = _cel3(k2, math.sqrt(kc2), (b - r) * (b - r) * kc2, 0.0, 3.0 * kc2 * (b - r) * (b + r))
        lam = onembmr2 * (pk + (-3.0 + 6.0 * r2 + 2.0 * b * r) * em - 4.0 * b * r * ek) / (3.0 * sqbr)
        ds1db = 2.0 * r * onembmr2 * (2.0 * ek - em) / (3.0 * sqbr)
        ds1dr = -2.0 * r * onembmr2 * em / sqbr
    else:
        kc2 = onembpr2 / onembmr2
        bmrdbpr = (b - r) / (b + r)
        mu = 3.0 * bmrdbpr / onembmr2
        p = bmrdbpr * bmrdbpr * kc2
        pk, ek, em = _cel3(1.0 / k2, math.sqrt(kc2), p, 1.0 + mu, p + mu)
        sq = math.sqrt(onembmr2)
        lam = 2.0 * sq * (onembpr2 * pk - (4.0 - 7.0 * r2 - b2) * ek) / 3.0
        ds1db = -4.0 * r / 3.0 * sq * (ek - 2.0 * em)
        ds1dr = -4.0 * r * sq * ek
    s1 = ((0.0 if r > b else 2.0 * pi) - lam) / 3.0

    # s_2: the quadratic term, 2 s_0 + 4 pi eta with eta from Agol et al. (2020) eq. 36.
    eta2 = 0.5 * r2 * (r2 + 2.0 * b2)
    if inside:
        four_pi_eta = 4.0 * pi * (eta2 - 0.5)
        deta_dr = 8.0 * pi * r * (r2 + b2)
        deta_db = 8.0 * pi * b * r2
    else:
        four_pi_eta = 2.0 * (kap1 - pi + 2.0 * eta2 * kap0 - 0.25 * kite2 * (1.0 + 5.0 * r2 + b2))
        deta_dr = 8.0 * r * ((r2 + b2) * kap0 - kite2)
        deta_db = 2.0 / b * (4.0 * b2 * r2 * kap0 - (1.0 + r2 + b2) * kite2)
    s2 = 2.0 * s0 + four_pi_eta
    ds2db = 2.0 * ds0db + deta_db
    ds2dr = 2.0 * ds0dr + deta_dr
    return s0, s1, s2, ds0db, ds1db, ds2db, ds0dr, ds1dr, ds2dr


@_jit
def quad_flux_scalar(b, r, u1, u2):
    """Relative flux and its four partial derivatives for one ``(b, r, u1, u2)``.

    NaN for non-finite input, ``r < 0`` or a non-positive total stellar flux
    (``1 - u1/3 - u2/6 <= 0``).
    """
    norm = math.pi * (1.0 - u1 / 3.0 - u2 / 6.0)
    if not (math.isfinite(b) and r >= 0.0 and math.isfinite(r) and math.isfinite(norm)) or (norm <= 0.0):
        return np.nan, np.nan, np.nan, np.nan, np.nan
    sgn = 1.0
    if b < 0.0:
        sgn = -1.0
        b = -b
    if b >= 1.0 + r:
        return 1.0, 0.0, 0.0, 0.0, 0.0
    s0, s1, s2, ds0db, ds1db, ds2db, ds0dr, ds1dr, ds2dr = solution_vector(b, r)
    c0 = 1.0 - u1 - 1.5 * u2
    c1 = u1 + 2.0 * u2
    c2 = -0.25 * u2
    inv = 1.0 / norm
    flux = (c0 * s0 + c1 * s1 + c2 * s2) * inv
    dfdb = sgn * (c0 * ds0db + c1 * ds1db + c2 * ds2db) * inv
    dfdr = (c0 * ds0dr + c1 * ds1dr + c2 * ds2dr) * inv
    # d norm / du1 = -pi/3 and d norm / du2 = -pi/6.
    dfdu1 = (s1 - s0 + flux * math.pi / 3.0) * inv
    dfdu2 = (2.0 * s1 - 1.5 * s0 - 0.25 * s2 + flux * math.pi / 6.0) * inv
    return flux, dfdb, dfdr, dfdu1, dfdu2


@_jit
def quad_limbdark_numpy(b, r, u1, u2):
    """Elementwise :func:`quad_flux_scalar` over four arrays of one shape.

    Returns
    -------
    flux, dflux_db, dflux_dr, dflux_du1, dflux_du2 : ndarray of float64, shape of `b`
    """
    bf = np.ascontiguousarray(b).ravel()
    rf = np.ascontiguousarray(r).ravel()
    u1f = np.ascontiguousarray(u1).ravel()
    u2f = np.ascontiguousarray(u2).ravel()
    n = bf.size
    out = np.empty((5, n))
    for i in range(n):
        f, db, dr, du1, du2 = quad_flux_scalar(bf[i], rf[i], u1f[i], u2f[i])
        out[0, i] = f
        out[1, i] = db
        out[2, i] = dr
        out[3, i] = du1
        out[4, i] = du2
    shape = b.shape
    return (
        out[0].reshape(shape),
        out[1].reshape(shape),
        out[2].reshape(shape),
        out[3].reshape(shape),
        out[4].reshape(shape),
    )


class QuadLimbDark(Op):
    """PyTensor Op ``(b, r, u1, u2) -> (flux, dflux/db, dflux/dr, dflux/du1, dflux/du2)``.

    Inputs must already share one shape; use :func:`quad_limbdark`. The derivative outputs are
    computed with the flux in the same loop and reused by the gradient.
    """

    __props__ = ()

    def make_node(self, b, r, u1, u2) -> Apply:
        inputs = [pt.as_tensor_variable(x) for x in (b, r, u1, u2)]
        if len({x.type.ndim for x in inputs}) != 1:
            raise ValueError(
                "quad_limbdark: b, r, u1, u2 must be broadcast to one shape first; call "
                "credo_exoplanet.limbdark.quad_limbdark"
            )
        shape = tuple(
            next((s for s in dims if s is not None), None) for dims in zip(*(x.type.shape for x in inputs))
        )
        out_type = pt.TensorType("float64", shape=shape)
        return Apply(self, inputs, [out_type() for _ in range(5)])

    def perform(self, node, inputs, outputs):
        arrays = [np.asarray(x, dtype=np.float64) for x in inputs]
        for storage, value in zip(outputs, quad_limbdark_numpy(*arrays)):
            storage[0] = np.asarray(value)

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]] * 5

    def pullback(self, inputs, outputs, cotangents):
        if any(not isinstance(ct.type, DisconnectedType) for ct in cotangents[1:]):
            return [
                grad_not_implemented(self, i, x, "second derivatives of quad_limbdark")
                for i, x in enumerate(inputs)
            ]
        return [cotangents[0] * d for d in outputs[1:]]


_quad_limbdark_op = QuadLimbDark()


@register_funcify_default_op_cache_key(QuadLimbDark)
def _numba_funcify_quad_limbdark(op, node=None, **kwargs):
    @numba_basic.numba_njit
    def quad_limbdark_numba(b, r, u1, u2):
        return quad_limbdark_numpy(b, r, u1, u2)

    return quad_limbdark_numba


def _as_float64(x) -> pt.TensorVariable:
    x = pt.as_tensor_variable(x)
    return x if x.dtype == "float64" else pt.cast(x, "float64")


def quad_limbdark(b, r, u1, u2) -> pt.TensorVariable:
    """Relative flux of a quadratically limb-darkened star occulted by an opaque disk.

    The stellar intensity is ``I(mu) / I(1) = 1 - u1 (1 - mu) - u2 (1 - mu)^2``.

    Parameters
    ----------
    b : tensor_like of float
        Sky separation of the centres in stellar radii (impact parameter); the sign is
        ignored.
    r : tensor_like of float, >= 0, broadcastable with `b`
        Occultor-to-star radius ratio. Exact for any ``r``; validated against numerical
        integration for ``r <= 1``.
    u1, u2 : tensor_like of float, broadcastable with `b`
        Quadratic limb-darkening coefficients.

    Returns
    -------
    flux : TensorVariable, shape ``broadcast(b, r, u1, u2)``
        Visible stellar flux relative to the unocculted star (1 out of transit). Gradients
        in all four inputs are analytic.

    Raises
    ------
    ValueError
        If a non-symbolic input is non-finite, `r` is negative, or ``1 - u1/3 - u2/6 <= 0``
        (no positive stellar flux). For symbolic inputs these cases give NaN at run time, so a
        sampler rejects the point instead of aborting.

    References
    ----------
    Agol, E., Luger, R. & Foreman-Mackey, D. (2020), AJ 159, 123.
    Mandel, K. & Agol, E. (2002), ApJ 580, L171.
    Bulirsch, R. (1969), Numer. Math. 13, 305.
    """
    for name, value in (("b", b), ("r", r), ("u1", u1), ("u2", u2)):
        if not isinstance(value, Variable) and not np.all(np.isfinite(value)):
            raise ValueError(f"quad_limbdark: {name} must be finite; got {value!r}")
    if not isinstance(r, Variable) and np.any(np.asarray(r) < 0):
        raise ValueError(f"quad_limbdark: r must be >= 0; got {r!r}")
    if not isinstance(u1, Variable) and not isinstance(u2, Variable):
        total = 1.0 - np.asarray(u1) / 3.0 - np.asarray(u2) / 6.0
        if np.any(total <= 0):
            raise ValueError(
                f"quad_limbdark: u1={u1!r}, u2={u2!r} give a non-positive total stellar flux "
                "(need 1 - u1/3 - u2/6 > 0)"
            )
    args = pt.broadcast_arrays(*(_as_float64(x) for x in (b, r, u1, u2)))
    return _quad_limbdark_op(*args)[0]


def kipping_to_quad(q1, q2) -> tuple:
    """Map Kipping's (2013) ``(q1, q2)`` in the unit square to ``(u1, u2)``.

    Uniform ``q1, q2`` in ``[0, 1]`` sample exactly the physical quadratic laws (intensity
    positive and decreasing towards the limb): ``u1 = 2 sqrt(q1) q2`` and
    ``u2 = sqrt(q1) (1 - 2 q2)``.

    Parameters
    ----------
    q1, q2 : tensor_like or array_like of float, in [0, 1]
        Kipping's parameters (any broadcastable shapes).

    Returns
    -------
    u1, u2 : same kind as the inputs
        PyTensor variables if either input is symbolic, else NumPy arrays.

    Raises
    ------
    ValueError
        If a non-symbolic `q1` or `q2` lies outside ``[0, 1]``.

    References
    ----------
    Kipping, D. M. (2013), MNRAS 435, 2152.
    """
    symbolic = isinstance(q1, Variable) or isinstance(q2, Variable)
    for name, q in (("q1", q1), ("q2", q2)):
        if not isinstance(q, Variable):
            arr = np.asarray(q, dtype=np.float64)
            if not np.all((arr >= 0) & (arr <= 1)):
                raise ValueError(f"kipping_to_quad: {name} must be in [0, 1]; got {q!r}")
    sqrt = pt.sqrt if symbolic else np.sqrt
    root = sqrt(q1)
    return 2.0 * root * q2, root * (1.0 - 2.0 * q2)
