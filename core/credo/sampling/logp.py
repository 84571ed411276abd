"""The interface between a model and the Numba sampling kernels: a log-density as a C function.

A model hands the samplers its joint log-density on the flat unconstrained space as a Numba
``cfunc``. The kernels take it as a first-class function argument whose Numba type depends only on
the C signature, never on the model, so each kernel compiles once and is loaded from Numba's on-disk
cache in every later process, whatever the model.

Two signatures are used:

``LOGP_GRAD_SIGNATURE``  ``double logp(const double *x, double *grad, intp n)``
    Writes the gradient into ``grad`` and returns the log-density (gradient-based samplers).
``LOGP_SIGNATURE``  ``double logp(const double *x, intp n)``
    Returns the log-density only (Metropolis and slice steps).

Either may return ``-inf`` or NaN at invalid points; the kernels treat both as zero density.
"""

from __future__ import annotations

import ctypes

import numba as nb
import numpy as np
from numba import types
from numba.core.ccallback import CFunc

from credo.cfunc import LOGP_DLOGP_SIGNATURE, LOGP_ONLY_SIGNATURE
from credo.exceptions import SamplingError

__all__ = [
    "LOGP_GRAD_SIGNATURE",
    "LOGP_SIGNATURE",
    "LOGP_GRAD_TYPE",
    "LOGP_TYPE",
    "check_cfunc",
    "eval_logp_grad",
    "eval_logp",
    "check_initial_points",
]

# the model side compiles its cfuncs with these signatures; one definition keeps the two in step
LOGP_GRAD_SIGNATURE = LOGP_DLOGP_SIGNATURE
LOGP_SIGNATURE = LOGP_ONLY_SIGNATURE
LOGP_GRAD_TYPE = types.FunctionType(LOGP_GRAD_SIGNATURE)
LOGP_TYPE = types.FunctionType(LOGP_SIGNATURE)

_DOUBLE_P = ctypes.POINTER(ctypes.c_double)


def check_cfunc(fn, signature, name: str = "logp_cfunc") -> CFunc:
    """Return ``fn`` if it is a Numba cfunc of ``signature``, else raise TypeError naming it.

    Parameters
    ----------
    fn : numba.core.ccallback.CFunc
        Object made by ``@numba.cfunc(signature)``.
    signature : numba signature
        ``LOGP_GRAD_SIGNATURE`` or ``LOGP_SIGNATURE``.
    name : str
        Argument name used in the error message.

    Raises
    ------
    TypeError
        If ``fn`` is not a cfunc or has another signature.
    """
    if not isinstance(fn, CFunc):
        raise TypeError(
            f"{name} must be a numba cfunc of signature {signature}, got {type(fn).__name__}"
        )
    if fn._sig != signature:
        raise TypeError(f"{name} has signature {fn._sig}, expected {signature}")
    return fn


def eval_logp_grad(fn: CFunc, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Evaluate a ``LOGP_GRAD_SIGNATURE`` cfunc from Python.

    Parameters
    ----------
    fn : CFunc
        Log-density and gradient.
    x : array_like of float, shape (n_dim,)
        Unconstrained position.

    Returns
    -------
    logp : float
    grad : ndarray, shape (n_dim,)
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    grad = np.zeros_like(x)
    logp = fn.ctypes(x.ctypes.data_as(_DOUBLE_P), grad.ctypes.data_as(_DOUBLE_P), x.shape[0])
    return float(logp), grad


def eval_logp(fn: CFunc, x: np.ndarray) -> float:
    """Evaluate a ``LOGP_SIGNATURE`` cfunc at ``x`` (shape (n_dim,)) from Python."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    return float(fn.ctypes(x.ctypes.data_as(_DOUBLE_P), x.shape[0]))


@nb.njit(cache=True, nogil=True)
def _eval_points(fn, points, logps, grads):
    """``logps[c] = fn(points[c], grads[c])`` for every row ``c`` of ``points`` (shape (chains, n))."""
    for c in range(points.shape[0]):
        logps[c] = fn(points[c].ctypes, grads[c].ctypes, points.shape[1])


def check_initial_points(fn: CFunc, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate log-density and gradient at each chain's initial point, refusing unusable ones.

    Parameters
    ----------
    fn : CFunc
        ``LOGP_GRAD_SIGNATURE`` log-density.
    points : ndarray, shape (chains, n_dim)
        Initial unconstrained positions.

    Returns
    -------
    logp : ndarray, shape (chains,)
    grad : ndarray, shape (chains, n_dim)

    Raises
    ------
    SamplingError
        If a position, its log-density or its gradient is not finite, naming the chain and the
        offending coordinates.
    """
    points = np.ascontiguousarray(points, dtype=np.float64)
    logps = np.empty(points.shape[0])
    grads = np.zeros_like(points)
    # one Numba call for every chain (a call through ctypes costs ~10 us each); the checks only
    # read the results
    _eval_points(fn, points, logps, grads)
    if np.isfinite(points).all() and np.isfinite(logps).all() and np.isfinite(grads).all():
        return logps, grads
    for chain, x in enumerate(points):
        bad = np.flatnonzero(~np.isfinite(x))
        if bad.size:
            raise SamplingError(
                f"initial point of chain {chain} is not finite at coordinates {bad[:10].tolist()}"
            )
        if not np.isfinite(logps[chain]):
            raise SamplingError(
                f"initial point of chain {chain} has logp={logps[chain]}; expected a finite "
                "log-density (check the initial values and the model's support)"
            )
        bad = np.flatnonzero(~np.isfinite(grads[chain]))
        if bad.size:
            raise SamplingError(
                f"gradient at the initial point of chain {chain} is not finite at coordinates "
                f"{bad[:10].tolist()}"
            )
    return logps, grads
