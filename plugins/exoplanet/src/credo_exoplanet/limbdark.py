"""Closed-form transit of a quadratically limb-darkened star, as a differentiable PyTensor Op.

The occulted flux is ``s . c / (pi (c0 + 2 c1 / 3))`` with the solution vector ``s`` of Agol,
Luger & Foreman-Mackey (2020, "starry") for the quadratic Green's basis ``c`` (their eqs. for
``s_0, s_1, s_2``; the same expressions as exoplanet-core's ``limbdark.h``). Complete elliptic
integrals use Bulirsch's (1969) ``cel`` algorithm, run for blocks of points in lock step so that
it vectorises. Derivatives in ``b`` and ``r`` are analytic (Agol et al. 2020, Sec. 4), so value
and gradient come from one pass over the data.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

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
_MAX_ITER = 100

# Inputs this close to a special configuration (b = 0, b = r, r = 1/2, b + r = 1) use its limit;
# the general expressions stay accurate to ~1e-15 up to that distance (tested).
_TOL = 1e-14
_THIRD = 1.0 / 3.0
_SIXTH = 1.0 / 6.0

# PyTensor caches compiled graphs on disk keyed by Op type and props only; adding a hash of this
# file to the key makes an edited kernel invalidate them.
_SOURCE_KEY = int(hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:15], 16)

_jit = numba.njit(cache=True, error_model="numpy", fastmath=False)
# Scalar helpers are inlined into the array loops: ~15% faster than calls returning tuples.
_jit_inline = numba.njit(cache=True, error_model="numpy", fastmath=False, inline="always")

# ---------------------------------------------------------------- complete elliptic integrals
# Bulirsch's cel(kc, p, a, b) = int_0^{pi/2} (a cos^2 t + b sin^2 t) /
# ((cos^2 t + p sin^2 t) sqrt(cos^2 t + kc^2 sin^2 t)) dt covers K, E and Pi in one AGM-like,
# quadratically convergent recursion (Bulirsch 1969). They live in this module, not their own,
# because Numba's on-disk cache does not notice edits to jitted callees in other files.
# Points are processed in blocks whose recursions run in lock step, so the loop over a block
# has no branches and compiles to SIMD instructions (~2.5x faster than one point at a time).
_BLOCK = 64


@_jit_inline
def _cel(k2, kc, p, a, b):
    """``cel(kc, p, a, b)`` for one point, given ``k2 = 1 - kc^2`` in ``[0, 1)`` and ``p > 0``.

    References
    ----------
    Bulirsch, R. (1969), Numer. Math. 13, 305.
    """
    ca = math.sqrt(_EPS * max(k2, _EPS))
    p = math.sqrt(p)
    b = b / p
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
def _cel3_batch(k2, kc, p, a1, b1):
    """Three integrals per point sharing one recursion, for arrays of points.

    Parameters
    ----------
    k2, kc : ndarray, shape (n,)
        ``k^2`` in ``(0, 1)`` and ``kc = sqrt(1 - k^2) > 0``.
    p, a1, b1 : ndarray, shape (n,)
        Parameters of the first integral, ``p > 0``.

    Returns
    -------
    pk, ek, em : ndarray, shape (n,)
        ``cel(kc, p, a1, b1)``, ``E(k) = cel(kc, 1, 1, kc^2)`` and
        ``(E(k) - kc^2 K(k)) / k^2 = cel(kc, 1, 1, 0)``; the last two have ``p = 1`` and so
        share the first one's AGM sequence.

    References
    ----------
    Bulirsch, R. (1969), Numer. Math. 13, 305.
    """
    n = k2.size
    pk = np.empty(n)
    ek = np.empty(n)
    em = np.empty(n)
    # Separate contiguous arrays (not rows of one 2-D array) so that Numba vectorises.
    A1, A2, A3 = np.empty(_BLOCK), np.empty(_BLOCK), np.empty(_BLOCK)
    B1, B2, B3 = np.empty(_BLOCK), np.empty(_BLOCK), np.empty(_BLOCK)
    P, P1, M = np.empty(_BLOCK), np.empty(_BLOCK), np.empty(_BLOCK)
    KC, EE, CA = np.empty(_BLOCK), np.empty(_BLOCK), np.empty(_BLOCK)
    for start in range(0, n, _BLOCK):
        size = min(_BLOCK, n - start)
        for j in range(size):
            i = start + j
            root_p = math.sqrt(p[i])
            A1[j] = a1[i]
            B1[j] = b1[i] / root_p
            P[j] = root_p
            A2[j] = 1.0
            B2[j] = kc[i] * kc[i]
            A3[j] = 1.0
            B3[j] = 0.0
            P1[j] = 1.0
            KC[j] = kc[i]
            EE[j] = kc[i]
            M[j] = 1.0
            CA[j] = math.sqrt(_EPS * max(k2[i], _EPS))
        # Converged points keep iterating until the whole block has converged: the recursion
        # is scale-invariant there, so the extra steps only rescale a, b and m.
        for _ in range(_MAX_ITER):
            n_open = 0
            for j in range(size):
                inv_p = 1.0 / P[j]
                inv_p1 = 1.0 / P1[j]
                f1, f2, f3 = A1[j], A2[j], A3[j]
                A1[j] = f1 + B1[j] * inv_p
                A2[j] = f2 + B2[j] * inv_p1
                A3[j] = f3 + B3[j] * inv_p1
                ee = EE[j]
                g = ee * inv_p
                g1 = ee * inv_p1
                B1[j] = 2.0 * (B1[j] + f1 * g)
                B2[j] = 2.0 * (B2[j] + f2 * g1)
                B3[j] = 2.0 * (B3[j] + f3 * g1)
                P[j] += g
                P1[j] += g1
                m_old = M[j]
                kcj = KC[j]
                m_new = m_old + kcj
                M[j] = m_new
                n_open += abs(m_old - kcj) > m_old * CA[j]
                kcj = 2.0 * math.sqrt(ee)
                KC[j] = kcj
                EE[j] = kcj * m_new
            if n_open == 0:
                break
        for j in range(size):
            m = M[j]
            scale = 0.5 * math.pi / m
            pk[start + j] = scale * (A1[j] * m + B1[j]) / (m + P[j])
            ek[start + j] = scale * (A2[j] * m + B2[j]) / (m + P1[j])
            em[start + j] = scale * (A3[j] * m + B3[j]) / (m + P1[j])
    return pk, ek, em


# Geometry of the occultation, for b >= 0 and r >= 0.
_INVALID, _NONE, _FULL, _CENTRED, _EQUAL, _TANGENT, _PARTIAL, _INSIDE = range(8)


@_jit_inline
def _geometry(b, r):
    """Case code, ``k^2 = (1 - (b - r)^2) / (4 b r)`` and, for the general cases, the inputs
    ``(k2, kc, p, a1, b1)`` of the Bulirsch integrals in ``s_1`` (Agol et al. 2020, eqs. 31-34).
    """
    if b >= 1.0 + r or r <= _TOL:
        return _NONE, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    if b <= r - 1.0:
        return _FULL, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    if b <= _TOL:
        return _CENTRED, np.inf, 0.0, 0.0, 0.0, 0.0, 0.0
    onembmr2 = (1.0 - b + r) * (1.0 + b - r)
    k2 = onembmr2 / (4.0 * b * r)
    if abs(b - r) <= _TOL:
        return _EQUAL, k2, 0.0, 0.0, 0.0, 0.0, 0.0
    if abs(k2 - 1.0) <= _TOL:
        return _TANGENT, k2, 0.0, 0.0, 0.0, 0.0, 0.0
    onembpr2 = (1.0 - b - r) * (1.0 + b + r)
    if k2 < 1.0:
        kc2 = -onembpr2 / (4.0 * b * r)
        return _PARTIAL, k2, k2, math.sqrt(kc2), (b - r) ** 2 * kc2, 0.0, 3.0 * kc2 * (b - r) * (b + r)
    inv = 1.0 / onembmr2
    kc2 = onembpr2 * inv
    bmrdbpr = (b - r) / (b + r)
    mu = 3.0 * bmrdbpr * inv
    p = bmrdbpr * bmrdbpr * kc2
    return _INSIDE, k2, 4.0 * b * r * inv, math.sqrt(kc2), p, 1.0 + mu, p + mu


@_jit_inline
def _solution_vector(b, r, case, k2, pk, ek, em):
    """Agol et al. (2020) ``s_0, s_1, s_2`` for quadratic limb darkening and their derivatives.

    `case` and `k2` come from :func:`_geometry`; ``pk, ek, em`` are its Bulirsch integrals
    (used by the general cases only). Returns
    ``(s0, s1, s2, ds0/db, ds1/db, ds2/db, ds0/dr, ds1/dr, ds2/dr)``.
    """
    pi = math.pi
    if case == _NONE:
        return pi, 2.0 * pi / 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    if case == _FULL:
        return 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    b2 = b * b
    r2 = r * r
    ds0db = ds1db = ds2db = 0.0
    onembpr2 = (1.0 - b - r) * (1.0 + b + r)
    onembmr2 = (1.0 - b + r) * (1.0 + b - r)
    inside = k2 > 1.0
    kap0 = kap1 = kite2 = 0.0

    # s_0: the uniform disk, pi minus the lens-shaped overlap area.
    if inside:
        s0 = pi * (1.0 - r2)
        ds0dr = -2.0 * pi * r
    else:
        # Twice the area of the kite formed by the two centres and the two intersection points;
        # Heron's formula with sorted sides keeps it accurate for slivers (Agol et al. 2020).
        p0, p1, p2 = 1.0, b, r
        if p0 < p1:
            p0, p1 = p1, p0
        if p1 < p2:
            p1, p2 = p2, p1
        if p0 < p1:
            p0, p1 = p1, p0
        kite2 = math.sqrt(max(0.0, (p0 + (p1 + p2)) * (p2 - (p0 - p1)) * (p2 + (p0 - p1)) * (p0 + (p1 - p2))))
        kap0 = math.atan2(kite2, (r - 1.0) * (r + 1.0) + b2)
        kap1 = math.atan2(kite2, (1.0 - r) * (1.0 + r) + b2)
        s0 = pi - (kap1 + r2 * kap0 - 0.5 * kite2)
        ds0db = kite2 / b
        ds0dr = -2.0 * r * kap0

    # s_1: the linear term, Agol et al. (2020) eqs. 30-35 and their special cases.
    if case == _CENTRED:
        sq = math.sqrt(1.0 - r2)
        lam = -2.0 * pi * sq * sq * sq
        ds1dr = -2.0 * pi * r * sq
    elif case == _EQUAL:
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
        b = r  # so that the step function below takes its value at b = r
    elif case == _TANGENT:
        # b + r = 1: the elliptic integrals reduce to elementary functions.
        root = math.sqrt(r * (1.0 - r))
        lam = 2.0 * math.acos(1.0 - 2.0 * r) - 4.0 / 3.0 * (3.0 + 2.0 * r - 8.0 * r2) * root
        if r > 0.5:
            lam -= 2.0 * pi
        ds1dr = -8.0 * r * root
        ds1db = -ds1dr / 3.0
    elif case == _PARTIAL:
        sqbr = math.sqrt(b * r)
        inv_sqbr = 1.0 / sqbr
        lam = _THIRD * onembmr2 * (pk + (-3.0 + 6.0 * r2 + 2.0 * b * r) * em - 4.0 * b * r * ek) * inv_sqbr
        ds1db = 2.0 * _THIRD * r * onembmr2 * (2.0 * ek - em) * inv_sqbr
        ds1dr = -2.0 * r * onembmr2 * em * inv_sqbr
    else:
        sq = math.sqrt(onembmr2)
        lam = 2.0 * _THIRD * sq * (onembpr2 * pk - (4.0 - 7.0 * r2 - b2) * ek)
        ds1db = -4.0 * _THIRD * r * sq * (ek - 2.0 * em)
        ds1dr = -4.0 * r * sq * ek
    s1 = ((0.0 if r > b else 2.0 * pi) - lam) * _THIRD

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
def quad_limbdark_numpy(b, r, u1, u2):
    """Flux and its partial derivatives, elementwise over four arrays of one shape.

    Three passes: classify each point, evaluate the elliptic integrals of all general points
    together (:func:`_cel3_batch`), then assemble ``s`` and the flux. NaN where an input is not
    finite, ``r < 0``, or the total stellar flux ``1 - u1/3 - u2/6`` is not positive.

    Returns
    -------
    flux, dflux_db, dflux_dr, dflux_du1, dflux_du2 : ndarray of float64, shape of `b`
    """
    bf = np.abs(np.ascontiguousarray(b).ravel())
    rf = np.ascontiguousarray(r).ravel()
    u1f = np.ascontiguousarray(u1).ravel()
    u2f = np.ascontiguousarray(u2).ravel()
    n = bf.size
    case = np.empty(n, dtype=np.int8)
    k2 = np.empty(n)
    slot = np.empty(n, dtype=np.int64)
    cel_in = np.empty((5, n))
    n_cel = 0
    for i in range(n):
        norm = 1.0 - u1f[i] * _THIRD - u2f[i] * _SIXTH
        if not (math.isfinite(bf[i]) and math.isfinite(rf[i]) and rf[i] >= 0.0 and norm > 0.0):
            case[i] = _INVALID
            continue
        c, k2[i], kk2, kc, p, a1, b1 = _geometry(bf[i], rf[i])
        case[i] = c
        if c == _PARTIAL or c == _INSIDE:
            slot[i] = n_cel
            cel_in[0, n_cel] = kk2
            cel_in[1, n_cel] = kc
            cel_in[2, n_cel] = p
            cel_in[3, n_cel] = a1
            cel_in[4, n_cel] = b1
            n_cel += 1
    pk, ek, em = _cel3_batch(
        cel_in[0, :n_cel], cel_in[1, :n_cel], cel_in[2, :n_cel], cel_in[3, :n_cel], cel_in[4, :n_cel]
    )

    out = np.empty((5, n))
    for i in range(n):
        c = case[i]
        if c == _INVALID:
            out[:, i] = np.nan
            continue
        if c == _NONE:
            out[0, i] = 1.0
            out[1:, i] = 0.0
            continue
        j = slot[i] if (c == _PARTIAL or c == _INSIDE) else 0
        u1i, u2i = u1f[i], u2f[i]
        s0, s1, s2, ds0db, ds1db, ds2db, ds0dr, ds1dr, ds2dr = _solution_vector(
            bf[i], rf[i], c, k2[i], pk[j] if n_cel else 0.0, ek[j] if n_cel else 0.0, em[j] if n_cel else 0.0
        )
        c0 = 1.0 - u1i - 1.5 * u2i
        c1 = u1i + 2.0 * u2i
        c2 = -0.25 * u2i
        inv = 1.0 / (math.pi * (1.0 - u1i * _THIRD - u2i * _SIXTH))
        flux = (c0 * s0 + c1 * s1 + c2 * s2) * inv
        out[0, i] = flux
        out[1, i] = (c0 * ds0db + c1 * ds1db + c2 * ds2db) * inv
        out[2, i] = (c0 * ds0dr + c1 * ds1dr + c2 * ds2dr) * inv
        # The normalisation pi (1 - u1/3 - u2/6) depends on u1 and u2 too.
        out[3, i] = (s1 - s0 + flux * (math.pi * _THIRD)) * inv
        out[4, i] = (2.0 * s1 - 1.5 * s0 - 0.25 * s2 + flux * (math.pi * _SIXTH)) * inv
    # d|b|/db = sign(b) (zero at b = 0, where the derivative vanishes anyway).
    out[1] *= np.sign(np.ascontiguousarray(b).ravel())
    shape = b.shape
    return (
        out[0].reshape(shape),
        out[1].reshape(shape),
        out[2].reshape(shape),
        out[3].reshape(shape),
        out[4].reshape(shape),
    )


def quad_flux_scalar(b: float, r: float, u1: float, u2: float) -> tuple[float, ...]:
    """``(flux, dflux/db, dflux/dr, dflux/du1, dflux/du2)`` at one point (see
    :func:`quad_limbdark_numpy`); a convenience for checks and tests."""
    args = (np.array([x], dtype=np.float64) for x in (b, r, u1, u2))
    return tuple(float(x[0]) for x in quad_limbdark_numpy(*args))


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

    return quad_limbdark_numba, _SOURCE_KEY


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
        Occultor-to-star radius ratio; any value (checked against numerical integration up to
        ``r = 1.5``, to ~1e-15).
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
