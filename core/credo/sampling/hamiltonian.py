"""Euclidean Hamiltonian pieces shared by the NUTS kernel and step-size search (Numba, nogil).

The potential energy is ``-logp(q)``, the kinetic energy ``p . M^-1 p / 2`` with the inverse mass
matrix ``M^-1`` given either as its diagonal, shape (m,), or as a dense matrix, shape (m, m). Numba
prunes the branch on ``inv_mass.ndim`` at compile time, so the diagonal and the dense metric are two
specialisations of the same functions.

A kernel may move a subset ``idx`` (sorted, unique) of the coordinates of the flat position vector;
all vectors here then have length ``m = len(idx)`` and the log-density is called on the full vector
with the other coordinates held fixed. ``m == n_dim`` means every coordinate moves.

Position, momentum, gradient and velocity are rows of one work array ``W`` (shape (rows, m)), passed
by row number: an array view of a row would cost two atomic reference-count updates per call.

References
----------
Betancourt (2017), A Conceptual Introduction to Hamiltonian Monte Carlo, arXiv:1701.02434.
Stan's ``expl_leapfrog.hpp`` and ``diag_e_metric.hpp`` / ``dense_e_metric.hpp``.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, overload

__all__ = [
    "eval_logp_grad",
    "velocity",
    "kinetic_energy",
    "draw_momentum",
    "leapfrog",
    "row_pointer",
    "unowned",
    "owner_of",
    "keep_alive",
]


@intrinsic
def row_pointer(typingctx, matrix, row):
    """Pointer to row ``row`` of a C-contiguous 2-d float64 array, without the array view (and its
    reference counting) that ``matrix[row].ctypes`` would make."""
    sig = types.CPointer(types.float64)(matrix, row)

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        n_cols = builder.extract_value(array.shape, 1)
        return builder.gep(array.data, [builder.mul(args[1], n_cols)])

    return sig, codegen


@intrinsic
def unowned(typingctx, array):
    """``array`` without its owner: a view that Numba does not reference-count, so that passing it
    to inlined functions (whose arguments are each counted up and down, atomically, per call) costs
    nothing. It must not leave the function that made it, and ``array`` must be kept alive while it
    is used (`keep_alive`): Numba frees an array after its owner's last use."""
    sig = array(array)

    def codegen(context, builder, signature, args):
        view = context.make_array(signature.args[0])(context, builder, value=args[0])
        view.meminfo = cgutils.get_null_value(view.meminfo.type)
        view.parent = cgutils.get_null_value(view.parent.type)
        return view._getvalue()

    return sig, codegen


@nb.njit(cache=True, nogil=True, inline="always")
def owner_of(view, owner):
    """``owner`` if ``view`` is an `unowned` view of it, else ``view`` (an array of its own, e.g. one
    that replaced the view): what may leave the function that made the view."""
    return owner if view.ctypes.data == owner.ctypes.data else view


@intrinsic
def keep_alive(typingctx, owner):
    """A use of ``owner`` that does nothing: placed after the last use of an `unowned` view, it keeps
    the arrays of ``owner`` (an array or a tuple of them) from being freed before."""
    sig = types.none(owner)

    def codegen(context, builder, signature, args):
        return context.get_dummy_value()

    return sig, codegen


@nb.njit(cache=True, nogil=True, inline="always")
def eval_logp_grad(logp_fn, W, r_q, r_g, q_full, grad_full, idx):
    """Log-density at the moved coordinates in row ``r_q`` of ``W`` (shape (rows, m)); writes their
    gradient to row ``r_g``.

    ``q_full`` and ``grad_full`` (shape (n_dim,)) are scratch holding the fixed coordinates. NaN and
    ``+inf`` are returned as ``-inf`` so that callers see every invalid point the same way.
    """
    m = W.shape[1]
    if m == q_full.shape[0]:
        logp = logp_fn(row_pointer(W, r_q), row_pointer(W, r_g), m)
    else:
        for k in range(m):
            q_full[idx[k]] = W[r_q, k]
        logp = logp_fn(q_full.ctypes, grad_full.ctypes, q_full.shape[0])
        for k in range(m):
            W[r_g, k] = grad_full[idx[k]]
    if not logp < np.inf:
        return -np.inf
    return logp


@nb.njit(cache=True, nogil=True)
def velocity(inv_mass, W, r_p, r_v):
    """Row ``r_v`` of ``W`` becomes ``M^-1 p`` of the momentum in row ``r_p`` (Stan's ``dtau_dp``,
    "p sharp")."""
    m = W.shape[1]
    if inv_mass.ndim == 1:
        for i in range(m):
            W[r_v, i] = inv_mass[i] * W[r_p, i]
    else:
        for i in range(m):
            acc = 0.0
            for j in range(m):
                acc += inv_mass[i, j] * W[r_p, j]
            W[r_v, i] = acc


@nb.njit(cache=True, nogil=True, fastmath={"reassoc"})
def _dot_rows(data, m, r_a, r_b):
    """Dot product of rows ``r_a`` and ``r_b`` of the C-contiguous matrix with ``m`` columns at
    ``data``. A pointer, not the array: it has no reference count to update on every call.

    Reassociation lets LLVM vectorise the sum (about 9x faster at 1000 dimensions); the rounding
    of the last bits then depends on the machine's vector width.
    """
    acc = 0.0
    for i in range(m):
        acc += data[r_a * m + i] * data[r_b * m + i]
    return acc


@nb.njit(cache=True, nogil=True, inline="always")
def kinetic_energy(W, r_p, r_v):
    """``p . v / 2`` for the momentum in row ``r_p`` of ``W`` and its velocity ``v = M^-1 p`` in row
    ``r_v``."""
    return 0.5 * _dot_rows(row_pointer(W, 0), W.shape[1], r_p, r_v)


@nb.njit(cache=True, nogil=True)
def draw_momentum(inv_mass_chol, rng, out):
    """Draw ``p ~ N(0, M)`` into ``out`` given a square root ``L`` of ``M^-1`` (``L L^T = M^-1``).

    ``inv_mass_chol`` is ``sqrt(diag M^-1)``, shape (m,), or the lower Cholesky factor of ``M^-1``,
    shape (m, m); then ``p = L^-T u`` with ``u ~ N(0, I)`` has covariance ``(L L^T)^-1 = M``.
    """
    m = out.shape[0]
    for i in range(m):
        out[i] = rng.standard_normal()
    if inv_mass_chol.ndim == 1:
        for i in range(m):
            out[i] /= inv_mass_chol[i]
    else:
        for i in range(m - 1, -1, -1):
            acc = out[i]
            for j in range(i + 1, m):
                acc -= inv_mass_chol[j, i] * out[j]
            out[i] = acc / inv_mass_chol[i, i]


def _kick_drift(W, r_q, r_p, r_g, r_v, half, step, inv_mass):
    """Half step ``half`` in momentum, then full step ``step`` in position (Numba only)."""
    raise NotImplementedError("_kick_drift runs in Numba code only")


def _kick(W, r_p, r_g, r_v, half, inv_mass):
    """Half step ``half`` in momentum, and the velocity of the new momentum (Numba only)."""
    raise NotImplementedError("_kick runs in Numba code only")


# overloads, specialised on the metric's shape when typed, so that `leapfrog` can be inlined into
# the tree building: as a call, its five array arguments cost ten atomic reference-count updates
# per leapfrog step (~7% of the sampler's own time at 10 dimensions)
@overload(_kick_drift, inline="always", jit_options={"cache": True, "nogil": True})
def _kick_drift_impl(W, r_q, r_p, r_g, r_v, half, step, inv_mass):
    if inv_mass.ndim == 1:

        def diagonal(W, r_q, r_p, r_g, r_v, half, step, inv_mass):
            # one fused pass; the velocity at the half step is not stored (the second half step
            # overwrites it)
            for i in range(W.shape[1]):
                W[r_p, i] += half * W[r_g, i]
                W[r_q, i] += step * (inv_mass[i] * W[r_p, i])

        return diagonal

    def dense(W, r_q, r_p, r_g, r_v, half, step, inv_mass):
        for i in range(W.shape[1]):
            W[r_p, i] += half * W[r_g, i]
        velocity(inv_mass, W, r_p, r_v)
        for i in range(W.shape[1]):
            W[r_q, i] += step * W[r_v, i]

    return dense


@overload(_kick, inline="always", jit_options={"cache": True, "nogil": True})
def _kick_impl(W, r_p, r_g, r_v, half, inv_mass):
    if inv_mass.ndim == 1:

        def diagonal(W, r_p, r_g, r_v, half, inv_mass):
            for i in range(W.shape[1]):
                W[r_p, i] += half * W[r_g, i]
                W[r_v, i] = inv_mass[i] * W[r_p, i]

        return diagonal

    def dense(W, r_p, r_g, r_v, half, inv_mass):
        for i in range(W.shape[1]):
            W[r_p, i] += half * W[r_g, i]
        velocity(inv_mass, W, r_p, r_v)

    return dense


@nb.njit(cache=True, nogil=True, inline="always")
def leapfrog(logp_fn, W, r_q, r_p, r_g, r_v, step, inv_mass, q_full, grad_full, idx):
    """One leapfrog step of signed size ``step`` from the position and momentum in rows ``r_q``,
    ``r_p`` of ``W`` (shape (rows, m)), in place.

    Half step in momentum, full step in position, half step in momentum (velocity Verlet, Stan's
    ``expl_leapfrog``); the gradient (row ``r_g``) and the velocity ``M^-1 p`` (row ``r_v``) are left
    consistent with the new state.

    Returns
    -------
    logp : float
        Log-density at the new position (``-inf`` if invalid).
    kinetic : float
        Kinetic energy at the new momentum.
    """
    half = 0.5 * step
    _kick_drift(W, r_q, r_p, r_g, r_v, half, step, inv_mass)
    logp = eval_logp_grad(logp_fn, W, r_q, r_g, q_full, grad_full, idx)
    _kick(W, r_p, r_g, r_v, half, inv_mass)
    return logp, kinetic_energy(W, r_p, r_v)
