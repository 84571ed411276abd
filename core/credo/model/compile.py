"""Compile a model's log-density and gradient of one flat float64 vector with PyTensor's Numba backend.

Samplers see the model through `CompiledLogp`: a Numba-callable ``fn(x) -> (logp, grad)`` and a
``cfunc`` with C signature ``double(double *x, double *grad, intp n)`` whose address can be passed to
Numba kernels as a first-class function, so that the kernels compile once for every model and stay
in Numba's on-disk cache.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.replace import graph_replace
from pytensor.graph.traversal import ancestors

from credo.cfunc import LOGP_DLOGP_SIGNATURE, LOGP_ONLY_SIGNATURE
from credo.model.core import Model, modelcontext
from credo.model.numba_cache import wrap_logp, wrap_logp_dlogp

__all__ = [
    "RavelMap",
    "CompiledLogp",
    "LOGP_DLOGP_SIGNATURE",
    "LOGP_ONLY_SIGNATURE",
    "flat_replacements",
    "freeze_data",
    "compile_numba",
    "compile_logp_dlogp",
    "compile_point_fn",
]



@dataclass(frozen=True)
class RavelMap:
    """Where each unconstrained value variable lives in the flat vector.

    Attributes
    ----------
    names : tuple of str
        Value-variable names (e.g. ``"tau_log__"``), in model order.
    shapes : tuple of tuple of int
        Their shapes.
    starts : tuple of int
        Offsets in the flat vector.
    size : int
        Length of the flat vector.
    discrete : ndarray of bool, shape (size,)
        True where the coordinate belongs to an integer-valued variable.
    """

    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    starts: tuple[int, ...]
    size: int
    discrete: np.ndarray

    @classmethod
    def from_model(cls, model: Model) -> RavelMap:
        names, shapes, starts, discrete = [], [], [], []
        offset = 0
        for f in model.free_rvs:
            n = int(np.prod(f.ushape, dtype=int))
            names.append(f.value_name)
            shapes.append(tuple(f.ushape))
            starts.append(offset)
            discrete.extend([f.discrete and f.transform is None] * n)
            offset += n
        return cls(tuple(names), tuple(shapes), tuple(starts), offset, np.array(discrete, bool))

    def ravel(self, point: dict[str, Any]) -> np.ndarray:
        """Flat float64 vector of ``point`` (value name -> array)."""
        missing = [n for n in self.names if n not in point]
        if missing:
            raise KeyError(f"point lacks values for {missing}")
        x = np.empty(self.size)
        for name, shape, start in zip(self.names, self.shapes, self.starts):
            value = np.asarray(point[name], dtype=float)
            if value.shape != shape:
                raise ValueError(f"{name!r} has shape {value.shape}, expected {shape}")
            x[start : start + value.size] = value.ravel()
        return x

    def unravel(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Named arrays (views into ``x``) of a flat vector, or of ``x[..., size]`` batches."""
        x = np.asarray(x)
        out = {}
        for name, shape, start in zip(self.names, self.shapes, self.starts):
            n = int(np.prod(shape, dtype=int))
            out[name] = x[..., start : start + n].reshape((*x.shape[:-1], *shape))
        return out


def flat_replacements(model: Model, x) -> dict:
    """Map each value variable of ``model`` to its slice of the flat vector ``x``."""
    rmap = RavelMap.from_model(model)
    reps = {}
    for f, shape, start in zip(model.free_rvs, rmap.shapes, rmap.starts):
        n = int(np.prod(shape, dtype=int))
        piece = x[start : start + n].reshape(shape)
        if f.value.dtype != "float64":
            piece = pt.round(piece).astype(f.value.dtype)
        reps[f.value] = piece
    return reps


def freeze_data(graphs: list) -> list:
    """Replace data containers (shared variables) by constants of their current values.

    Samplers evaluate the density at fixed data, and constants let PyTensor fold shapes and let Numba
    see array sizes.
    """
    shared = [v for v in ancestors(graphs) if isinstance(v, SharedVariable)]
    if not shared:
        return list(graphs)
    reps = {v: pt.constant(v.get_value(), name=v.name) for v in shared}
    return list(graph_replace(graphs, reps, strict=False))


def compile_numba(inputs: list, outputs: list):
    """Compile ``outputs`` with PyTensor's Numba backend and return the jitted function.

    Raises
    ------
    NotImplementedError
        If an Op of the graph has no Numba implementation (PyTensor would fall back to object mode,
        which holds the GIL and is slow).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn = pytensor.function(
            inputs, outputs, mode="NUMBA", on_unused_input="ignore", accept_inplace=True
        )
    object_mode = [str(w.message) for w in caught if "object mode" in str(w.message)]
    if object_mode:
        raise NotImplementedError(
            "these operations have no Numba implementation: " + "; ".join(object_mode)
        )
    return fn.vm.jit_fn, fn


class CompiledLogp:
    """Numba-compiled log-density and gradient of a model on its flat unconstrained space.

    Attributes
    ----------
    ravel_map : RavelMap
        Flat-vector layout of the value variables.
    ndim : int
        Length of the flat vector.
    fn : numba dispatcher
        ``fn(x) -> (logp, grad)`` callable from Python and from Numba code.
    cfunc : numba cfunc
        ``double logp(double *x, double *grad, intp n)``; ``cfunc.address`` is its C pointer.
    logp_cfunc : numba cfunc
        ``double logp(double *x, intp n)``, the log-density alone for Metropolis and slice steps;
        compiled on first access, so that gradient-only samplers never pay for it.
    """

    def __init__(self, ravel_map: RavelMap, fn, cfunc, x=None, logp=None):
        self.ravel_map = ravel_map
        self.ndim = ravel_map.size
        self.fn = fn
        self.cfunc = cfunc
        self._x, self._logp = x, logp

    @functools.cached_property
    def logp_cfunc(self):
        if self._logp is None:
            raise AttributeError("this CompiledLogp was built without its log-density graph")
        jit_fn, _ = compile_numba([self._x], [self._logp])
        return wrap_logp(jit_fn, LOGP_ONLY_SIGNATURE)

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        x = np.ascontiguousarray(x, dtype=np.float64)
        if x.shape != (self.ndim,):
            raise ValueError(f"expected a flat vector of length {self.ndim}, got shape {x.shape}")
        return self.fn(x)


def compile_logp_dlogp(model: Model | None = None, jacobian: bool = True) -> CompiledLogp:
    """Compile the joint log-density and its gradient on the flat unconstrained space.

    Parameters
    ----------
    model : Model, optional
        Defaults to the model on the context stack.
    jacobian : bool
        Include transform log-Jacobians (True for sampling, False for MAP on the constrained density).

    Returns
    -------
    CompiledLogp
        ``fn(x)`` and ``cfunc`` giving ``(logp, grad)`` for ``x`` of shape ``(ndim,)``.
    """
    model = modelcontext(model)
    rmap = RavelMap.from_model(model)
    x = pt.vector("x", dtype="float64", shape=(rmap.size,))
    logp = model.logp(jacobian=jacobian)
    (logp,) = freeze_data([graph_replace(logp, flat_replacements(model, x), strict=False)])
    grad = pt.grad(logp, x, disconnected_inputs="ignore")
    jit_fn, _ = compile_numba([x], [logp, grad])
    fn, cfunc = wrap_logp_dlogp(jit_fn, LOGP_DLOGP_SIGNATURE)
    return CompiledLogp(rmap, fn, cfunc, x, logp)


def compile_point_fn(model: Model | None = None, var_names: list[str] | None = None):
    """Compile ``x -> {name: value}`` for free variables (constrained) and deterministics.

    Parameters
    ----------
    var_names : list of str, optional
        Names to compute (default: every free variable and deterministic).

    Returns
    -------
    callable
        ``point_fn(x)`` for a flat vector ``x``; returns a dict of NumPy arrays.
    """
    model = modelcontext(model)
    rmap = RavelMap.from_model(model)
    named = {f.name: f.constrained for f in model.free_rvs}
    named.update({d.name: d for d in model.deterministics})
    if var_names is not None:
        unknown = set(var_names) - set(named)
        if unknown:
            raise KeyError(f"not free variables or deterministics: {sorted(unknown)}")
        named = {k: named[k] for k in var_names}
    x = pt.vector("x", dtype="float64", shape=(rmap.size,))
    outputs = model.replace_rvs(list(named.values()))
    outputs = freeze_data(
        list(graph_replace(outputs, flat_replacements(model, x), strict=False)) if outputs else []
    )
    if not outputs:
        return lambda x: {}
    jit_fn, _ = compile_numba([x], outputs)
    names = list(named)

    def point_fn(xv: np.ndarray) -> dict[str, np.ndarray]:
        values = jit_fn(np.ascontiguousarray(xv, dtype=np.float64))
        if len(names) == 1 and not isinstance(values, tuple):
            values = (values,)
        return {n: np.asarray(v) for n, v in zip(names, values)}

    return point_fn
