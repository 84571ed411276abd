"""Graph rewrites that let LLVM vectorise credo's elementwise loops.

PyTensor's Numba implementations of three scalar Ops keep LLVM's loop vectoriser from turning a fused
elementwise loop into SIMD code with vector ``exp``/``log`` calls (from glibc's libmvec, see
`credo.compiler`):

- ``softplus(x) = log(1 + exp(x))`` branches four ways and calls ``log1p``;
- ``sigmoid(x)`` divides with Python's ``/``, which Numba guards with a ZeroDivisionError exit
  (``error_model="python"``): a loop with an early exit is never vectorised;
- ``log1p`` has no vector variant in LLVM's libmvec table (only exp, log, pow, sin, cos have).

A node rewrite, registered in PyTensor's ``optdb`` for Numba-mode compilation (tag ``"numba"``) just
before elementwise fusion, replaces these Ops on float64 inputs by subclasses whose Numba
implementations are branch-free, written with ``exp`` and ``log`` only, and compiled with
``error_model="numpy"`` and without fast-math (so that LLVM cannot re-associate away the rounding
corrections below). The subclasses inherit gradient, C code and Python ``impl`` of their parent, so
every other backend and every other rewrite sees the same Op. Exclude the rewrite with
``mode.excluding("credo_vectorizable")``.

A second rewrite feeds elementwise loops and reductions C-contiguous arrays. PyTensor's Numba backend
builds squeezes and expand-dims (around every matrix-vector ``Dot``) and slices (``x[2:]`` of the flat
parameter vector) with ``as_strided`` or basic indexing, which Numba types as layout ``"A"``: the loop
then addresses elements through run-time strides and LLVM does not vectorise it. `AsContiguous`
(``np.ascontiguousarray``: a view when the array is contiguous, which these are) gives the loop a
``"C"`` array.

A third rewrite stores each large constant matrix of a ``Dot`` (a design matrix ``X`` and its folded
transpose ``X.T``) with its long axis contiguous: BLAS then runs ``X @ beta`` as a few long axpys and
``X.T @ r`` as a few long dot products, instead of thousands of short ones (for a 5000 x 25 ``X``,
15 + 15 us instead of 19 + 22 us here).

The branch-free forms agree with the originals to a few units in the last place over the whole real
line, including +-inf and NaN (see ``tests/model/test_vectorize.py``).
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.compile import optdb
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.graph.rewriting.basic import dfs_rewriter, node_rewriter
from pytensor.link.numba.dispatch import basic as numba_basic
from pytensor.link.numba.dispatch.basic import (
    register_funcify_and_cache_key,
    register_funcify_default_op_cache_key,
)
from pytensor.link.numba.dispatch.scalar import scalar_op_cache_key
from pytensor.scalar.basic import Log1p, upgrade_to_float
from pytensor.scalar.math import Sigmoid, Softplus
from pytensor.tensor.elemwise import CAReduce, DimShuffle, Elemwise
from pytensor.tensor.math import Dot
from pytensor.tensor.subtensor import Subtensor
from pytensor.tensor.variable import TensorConstant

__all__ = [
    "BranchlessLog1p",
    "BranchlessSigmoid",
    "BranchlessSoftplus",
    "log1p_branchless",
    "sigmoid_branchless",
    "softplus_branchless",
    "local_vectorizable_scalar_ops",
    "AsContiguous",
    "as_contiguous",
    "local_contiguous_loop_inputs",
    "local_dot_constant_layout",
]

# Bump when a Numba implementation below changes: it is part of PyTensor's on-disk cache key.
_CACHE_VERSION = 1


def _njit(fn):
    # No fast-math: "reassoc" would simplify ((1 + x) - 1) - x to 0 and drop the correction terms.
    # error_model="numpy": IEEE division (x / 0 -> inf or nan) without a ZeroDivisionError branch.
    return numba_basic.numba_njit(fn, fastmath=False, error_model="numpy")


def log1p_branchless(x: float) -> float:
    """``log(1 + x)`` accurate for small ``|x|``, written with ``log`` and a division only.

    Parameters
    ----------
    x : float
        Any double; ``x < -1`` gives NaN, ``x = -1`` gives -inf, ``x = inf`` gives inf.

    Returns
    -------
    float
        ``log1p(x)`` to a few ulp (libmvec's ``log`` is accurate to 4 ulp).

    Notes
    -----
    With ``w = fl(1 + x) = (1 + x)(1 + d)``, ``log(w) = log1p(x) + d + O(d^2)`` and
    ``((w - 1) - x) / w = d + O(d^2)`` (``w - 1`` is exact for ``w`` in [1/2, 2], Sterbenz), so their
    difference is ``log1p(x)`` up to ``O(eps^2)`` plus the rounding of ``log``. At ``w`` = 0 or inf
    the correction is 0/0 or inf - inf and is dropped, giving -inf and inf.

    References
    ----------
    Goldberg, D. (1991). What every computer scientist should know about floating-point arithmetic.
    ACM Computing Surveys 23(1), 5-48: Theorem 4 (``log(1 + x)`` from the rounded ``1 + x``), here in
    its first-order compensated form.
    """
    w = 1.0 + x
    correction = ((w - 1.0) - x) / w
    return np.log(w) - (correction if np.isfinite(correction) else 0.0)


def softplus_branchless(x: float) -> float:
    """``log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))``, branch-free.

    ``exp(-|x|)`` is in (0, 1], so nothing overflows, and ``w = 1 + exp(-|x|)`` lies in (1, 2] where
    the compensation of `log1p_branchless` needs no special cases.

    Parameters
    ----------
    x : float
        Any double; -inf gives 0, inf gives inf, NaN gives NaN.

    Returns
    -------
    float
        ``softplus(x)`` to a few ulp.

    References
    ----------
    Maechler, M. (2012). Accurately computing log(1 - exp(-|a|)), assessed by the Rmpfr package.
    CRAN vignette of Rmpfr (the ``log1pexp`` forms).
    """
    e = np.exp(-np.abs(x))
    w = 1.0 + e
    return np.maximum(x, 0.0) + (np.log(w) - ((w - 1.0) - e) / w)


def sigmoid_branchless(x: float) -> float:
    """``1 / (1 + exp(-x))`` as ``(1 or e) / (1 + e)`` with ``e = exp(-|x|)`` in (0, 1].

    Shares ``exp(-|x|)`` with `softplus_branchless`: LLVM merges the two calls when both appear in
    one fused loop, as in a logistic log-likelihood and its gradient.

    Parameters
    ----------
    x : float
        Any double; -inf gives 0, inf gives 1, NaN gives NaN.

    Returns
    -------
    float
        ``sigmoid(x)`` to a few ulp, never overflowing.
    """
    e = np.exp(-np.abs(x))
    return (1.0 if x >= 0.0 else e) / (1.0 + e)


class BranchlessLog1p(Log1p):
    """`pytensor.scalar.Log1p` whose Numba implementation is `log1p_branchless`."""


class BranchlessSoftplus(Softplus):
    """`pytensor.scalar.math.Softplus` whose Numba implementation is `softplus_branchless`."""


class BranchlessSigmoid(Sigmoid):
    """`pytensor.scalar.math.Sigmoid` whose Numba implementation is `sigmoid_branchless`."""


_REPLACEMENTS = {
    Log1p: BranchlessLog1p(upgrade_to_float, name="log1p_branchless"),
    Softplus: BranchlessSoftplus(upgrade_to_float, name="softplus_branchless"),
    Sigmoid: BranchlessSigmoid(upgrade_to_float, name="sigmoid_branchless"),
}
_IMPLEMENTATIONS = {
    BranchlessLog1p: log1p_branchless,
    BranchlessSoftplus: softplus_branchless,
    BranchlessSigmoid: sigmoid_branchless,
}


def _numba_funcify_branchless(op, node=None, **kwargs):
    return _njit(_IMPLEMENTATIONS[type(op)]), scalar_op_cache_key(op, cache_version=_CACHE_VERSION)


for _op_type in _IMPLEMENTATIONS:
    register_funcify_and_cache_key(_op_type)(_numba_funcify_branchless)


@node_rewriter([Elemwise])
def local_vectorizable_scalar_ops(fgraph, node):
    """Replace elementwise float64 ``log1p``, ``softplus``, ``sigmoid`` by their branch-free forms."""
    scalar_op = node.op.scalar_op
    replacement = _REPLACEMENTS.get(type(scalar_op))
    # float64 only: the forms above are written (and tested) in double precision
    if replacement is None or node.inputs[0].type.dtype != "float64":
        return None
    (out,) = Elemwise(replacement)(*node.inputs, return_list=True)
    if out.type != node.outputs[0].type:
        return None
    return [out]


class AsContiguous(Op):
    """Identity whose Numba output is typed C-contiguous (``np.ascontiguousarray``).

    The output is a view of the input when the input is C-contiguous (checked at run time) and a
    C-ordered copy otherwise. Gradient: identity.
    """

    __props__ = ()
    view_map = {0: [0]}

    def make_node(self, x):
        x = pt.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.ascontiguousarray(inputs[0])

    def infer_shape(self, fgraph, node, input_shapes):
        return input_shapes

    def pullback(self, inputs, outputs, cotangents):
        return list(cotangents)

    def pushforward(self, inputs, outputs, tangents):
        return list(tangents)


as_contiguous = AsContiguous()


@register_funcify_default_op_cache_key(AsContiguous)
def _numba_funcify_as_contiguous(op, node=None, **kwargs):
    @numba_basic.numba_njit
    def as_contiguous(x):
        return np.ascontiguousarray(x)

    return as_contiguous


# Loops shorter than a few SIMD iterations gain nothing and would pay the run-time check.
_MIN_CONTIGUOUS_SIZE = 32


def _is_contiguous_view(var) -> bool:
    """True if ``var`` is a view, typed ``"A"`` by Numba, that is C-contiguous when its input is."""
    node = var.owner
    if node is None or var.type.ndim == 0:
        return False
    if None not in var.type.shape and np.prod(var.type.shape) < _MIN_CONTIGUOUS_SIZE:
        return False
    if isinstance(node.op, DimShuffle):
        return bool(node.op.is_squeeze or node.op.is_expand_dims)
    if isinstance(node.op, Subtensor):
        # integer indices into leading axes (a row of a matrix), then x[a:b] or nothing
        *leading, last = node.op.idx_list
        if any(isinstance(i, slice) for i in leading):
            return False
        return not isinstance(last, slice) or (last.step is None and var.type.ndim == 1)
    return False


@node_rewriter([Elemwise, CAReduce])
def local_contiguous_loop_inputs(fgraph, node):
    """Give elementwise loops and reductions C-contiguous views instead of ``"A"``-typed ones."""
    inputs = [as_contiguous(i) if _is_contiguous_view(i) else i for i in node.inputs]
    if all(new is old for new, old in zip(inputs, node.inputs)):
        return None
    return node.op.make_node(*inputs).outputs


# Below this many elements the layout of a constant matrix does not matter.
_MIN_LAYOUT_SIZE = 4096


@node_rewriter([Dot])
def local_dot_constant_layout(fgraph, node):
    """Store large constant ``Dot`` operands with their longer axis contiguous in memory."""
    inputs = []
    for x in node.inputs:
        if isinstance(x, TensorConstant) and x.type.ndim == 2 and x.data.size >= _MIN_LAYOUT_SIZE:
            rows, cols = x.data.shape
            if rows > cols and not x.data.flags.f_contiguous:
                x = pt.constant(np.asfortranarray(x.data), name=x.name)
            elif rows < cols and not x.data.flags.c_contiguous:
                x = pt.constant(np.ascontiguousarray(x.data), name=x.name)
        inputs.append(x)
    if all(new is old for new, old in zip(inputs, node.inputs)):
        return None
    return node.op.make_node(*inputs).outputs


# Position 48.5: after canonicalize/stabilize/specialize (which know only the original Ops) and just
# before elementwise fusion (49), so that the new Ops are fused into the surrounding loops.
optdb.register(
    "credo_vectorizable",
    dfs_rewriter(local_vectorizable_scalar_ops),
    "numba",
    position=48.5,
)
optdb.register(
    "credo_dot_constant_layout",
    dfs_rewriter(local_dot_constant_layout),
    "numba",
    position=48.55,
)
optdb.register(
    "credo_contiguous_loop_inputs",
    dfs_rewriter(local_contiguous_loop_inputs),
    "numba",
    position=48.6,
)
