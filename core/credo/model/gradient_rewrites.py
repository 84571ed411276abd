"""Rewrites of the shapes PyTensor's gradients take that Numba is slow to compile.

Numba compiles a separate function for each distinct node signature the first time it meets it,
and some shapes that gradients produce cost seconds for what they compute. Two are rewritten here,
into graphs with equal values:

1. The gradient with respect to credo's flat parameter vector ``x`` is, as PyTensor differentiates
``x[a:b].reshape(shape)`` for each variable, a chain of ``IncSubtensor`` nodes writing each
variable's gradient into its slice of ``zeros(n)``:
``inc(inc(inc(zeros(n), g0, :1), g1, 1:2), g2, 2:10)``. Numba compiles a separate function for each
``IncSubtensor`` signature (slice with or without start or stop, ``"C"`` or ``"A"`` layout of the
piece), and these dominate the first compilation of a small model: non-centred eight schools
compiles cold in about half the time with one ``Join`` (concatenate) of the pieces instead
(``benchmarks/compile_time.py``).

When the slices are disjoint, have constant bounds and exactly the length of the piece written
into them, and the base is a zero vector of known length, the chain equals the concatenation of the
pieces and of zero fillers for any gaps. ``inc`` and ``set`` then give the same values: ``0 + g = g``
(up to the sign of a zero).

2. The gradient of a parameter check ``switch(all(conditions), logp, -inf)`` summed over ``n``
observations contains ``sum(alloc(switch(c, 1, 0), n))``. PyTensor folds such a sum only for a
constant value; the ``Alloc`` (with its broadcasting checks) takes seconds to compile cold for a
Student-t likelihood. When the broadcast value is a ``switch`` between constants with integer values
and ``|value| * n <= 2**53``, every partial sum is an exactly representable integer, so the sum equals
``value * n`` exactly.

Registered in PyTensor's ``optdb`` for Numba-mode compilation (tag ``"numba"``) after the
canonicalising and specialising passes, before elementwise fusion. Exclude them with
``mode.excluding("credo_join_disjoint_slices")`` and ``mode.excluding("credo_sum_of_broadcast_indicator")``.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.compile import optdb
from pytensor.graph.basic import Constant
from pytensor.graph.rewriting.basic import dfs_rewriter, node_rewriter
from pytensor.scalar.basic import Switch
from pytensor.tensor.basic import Alloc
from pytensor.tensor.elemwise import DimShuffle, Elemwise
from pytensor.tensor.math import Sum
from pytensor.tensor.subtensor import IncSubtensor, indices_from_subtensor

__all__ = ["local_join_disjoint_slices", "local_sum_of_broadcast_indicator"]

# Integers up to 2**53 are exact in float64: sums of integer-valued terms below it do not round.
_EXACT_INTEGER_LIMIT = 2.0**53


def _constant_int(v) -> int | None:
    if v is None:
        return None
    if isinstance(v, Constant) and np.ndim(v.data) == 0:
        return int(v.data)
    raise ValueError("symbolic bound")


def _slice_write(node, n: int):
    """``(start, stop, piece)`` of a 1-d ``x[start:stop] (+)= piece`` with constant bounds, else None."""
    x, y, *index_inputs = node.inputs
    if x.type.ndim != 1 or y.type.ndim != 1 or len(node.op.idx_list) != 1:
        return None
    (idx,) = indices_from_subtensor(index_inputs, node.op.idx_list)
    if not isinstance(idx, slice):
        return None
    try:
        start, stop, step = (_constant_int(v) for v in (idx.start, idx.stop, idx.step))
    except ValueError:
        return None
    start = 0 if start is None else start
    stop = n if stop is None else stop
    if step not in (None, 1) or not 0 <= start < stop <= n or y.type.shape[0] != stop - start:
        return None
    return start, stop, y


def _is_zeros(var, n: int) -> bool:
    node = var.owner
    if node is None or not isinstance(node.op, Alloc) or var.type.shape != (n,):
        return False
    value = node.inputs[0]
    return isinstance(value, Constant) and not np.any(value.data)


def _extends_chain(fgraph, var) -> bool:
    """True if ``var`` is the vector written into by a single further ``IncSubtensor``."""
    clients = fgraph.clients[var]
    return len(clients) == 1 and isinstance(clients[0][0].op, IncSubtensor) and clients[0][1] == 0


@node_rewriter([IncSubtensor])
def local_join_disjoint_slices(fgraph, node):
    """Replace writes of disjoint constant slices into a zero vector by a ``Join`` of the pieces."""
    out = node.outputs[0]
    if out.type.ndim != 1 or out.type.shape[0] is None or _extends_chain(fgraph, out):
        return None
    n = out.type.shape[0]
    writes, current = [], node
    while isinstance(current.op, IncSubtensor):
        if current is not node and not _extends_chain(fgraph, current.outputs[0]):
            return None
        write = _slice_write(current, n)
        if write is None:
            return None
        writes.append(write)
        base = current.inputs[0]
        if base.owner is None:
            return None
        current = base.owner
    if len(writes) < 2 or not _is_zeros(base, n):
        return None
    writes.sort(key=lambda w: w[0])
    pieces, end = [], 0
    for start, stop, piece in writes:
        if start < end:
            return None  # overlapping writes: the order of the chain matters
        if start > end:
            pieces.append(pt.constant(np.zeros(start - end, dtype=out.dtype)))
        pieces.append(piece if piece.dtype == out.dtype else pt.cast(piece, out.dtype))
        end = stop
    if end < n:
        pieces.append(pt.constant(np.zeros(n - end, dtype=out.dtype)))
    joined = pt.join(0, *pieces)
    if joined.type != out.type:
        joined = pt.specify_shape(joined, (n,))
    return [joined] if joined.type == out.type else None


def _integer_switch_bound(var) -> float | None:
    """Largest ``|value|`` of ``var`` if it is a switch between integer-valued constants, else None."""
    node = var.owner
    while node is not None and isinstance(node.op, DimShuffle):
        node = node.inputs[0].owner
    if node is None or not isinstance(node.op, Elemwise) or not isinstance(node.op.scalar_op, Switch):
        return None
    branches = node.inputs[1:]
    if not all(isinstance(b, Constant) for b in branches):
        return None
    values = np.concatenate([np.ravel(b.data).astype(np.float64) for b in branches])
    if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
        return None
    return float(np.max(np.abs(values)))


@node_rewriter([Sum])
def local_sum_of_broadcast_indicator(fgraph, node):
    """``sum(alloc(v, *shape)) -> sum(v) * prod(shape)`` for a one-element, integer-valued switch ``v``."""
    (alloc,) = node.inputs
    out = node.outputs[0]
    if alloc.owner is None or not isinstance(alloc.owner.op, Alloc) or out.type.ndim != 0:
        return None
    value, *shape = alloc.owner.inputs
    if not all(value.type.broadcastable) or not all(isinstance(s, Constant) for s in shape):
        return None
    bound = _integer_switch_bound(value)
    n = int(np.prod([int(s.data) for s in shape]))
    if bound is None or bound * n > _EXACT_INTEGER_LIMIT:
        return None
    total = pt.sum(value, dtype=out.dtype) * np.asarray(n, dtype=out.dtype)
    return [total] if total.type == out.type else None


# Position 48.45: after canonicalize/stabilize/specialize (48 and below), before the credo
# vectorising rewrites and elementwise fusion (48.5 and 49).
optdb.register(
    "credo_join_disjoint_slices",
    dfs_rewriter(local_join_disjoint_slices),
    "numba",
    position=48.45,
)
optdb.register(
    "credo_sum_of_broadcast_indicator",
    dfs_rewriter(local_sum_of_broadcast_indicator),
    "numba",
    position=48.44,
)
