"""Numba's live-variable analysis on bit sets instead of sets of names.

After most of its passes Numba recomputes which variables are live at the entry of every block of
the function's IR (``numba.core.analysis.compute_live_map``, through its IR post-processor and
dead-code elimination). It iterates unions and differences of Python sets of variable names to a
fixed point. credo's chain loop, with the NUTS transition and the warm-up inlined, has ~360 blocks
and thousands of variables: on an empty cache its compilation, with the functions it calls, made
~1040 such calls that took 2.8-3.9 s (session 10, `benchmarks/README.md`).

`compute_live_map` here computes the same map, the least fixed point of the same two equations,
with each set held as a Python integer (bit ``i`` for the ``i``-th variable name): a union is one
``|`` on machine words. Worklists replace the sweeps over all blocks. It returns sets of names, as
Numba's does; the tests compare both on every call of a kernel's compilation.

`install` puts it in place of Numba's, where Numba's is the version it was written against (0.65;
`liveness_patch_status` says otherwise).
"""

from __future__ import annotations

import numpy as np
from numba.core import analysis, ir_utils

from credo.numba_inline import source_digest

__all__ = ["NUMBA_COMPUTE_LIVE_MAP", "compute_live_map", "install", "liveness_patch_status"]

NUMBA_COMPUTE_LIVE_MAP = analysis.compute_live_map  # Numba's own, which `install` replaces

# digest of the source of the ``compute_live_map`` this replaces (Numba 0.65)
_EXPECTED = "069454bdcd5f"
_status = "not installed"


def compute_live_map(cfg, blocks, var_use_map, var_def_map):
    """Variables live at the entry of each block: ``numba.core.analysis.compute_live_map``.

    Parameters
    ----------
    cfg : numba.core.controlflow.CFGraph
        Control-flow graph of ``blocks``.
    blocks : dict of int to numba.core.ir.Block
        The function's IR blocks by label.
    var_use_map, var_def_map : dict of int to set of str
        Variables used before any definition in each block, and defined in each block.

    Returns
    -------
    dict of int to set of str
        For each label of ``blocks``, the variables live at its entry.

    Notes
    -----
    Numba's equations, solved here by worklists: the definitions reaching a block ``b`` (its own
    uses and definitions included) are ``R[b] = use[b] | def[b] | union of R[p]`` over its
    predecessors ``p``; the live variables are the least ``L`` with ``L[b] >= use[b]`` and
    ``L[p] >= (L[b] & R[p]) - def[p]`` for every edge ``p -> b``.
    """
    names = list(set().union(*var_use_map.values(), *var_def_map.values()))
    bit = {name: 1 << i for i, name in enumerate(names)}

    def bits(group):
        x = 0
        for name in group:
            x |= bit[name]
        return x

    use = {b: bits(group) for b, group in var_use_map.items()}
    defined = {b: bits(group) for b, group in var_def_map.items()}

    reach = {b: defined[b] | use[b] for b in var_def_map}
    work = list(reach)
    while work:
        b = work.pop()
        x = reach[b]
        for s, _ in cfg.successors(b):
            old = reach.get(s, 0)
            if old | x != old:
                reach[s] = old | x
                if s in defined:  # as in Numba, only blocks of ``var_def_map`` pass theirs on
                    work.append(s)

    live = {b: use[b] for b in blocks}
    work = list(live)
    while work:
        b = work.pop()
        x = live[b]
        for p, _ in cfg.predecessors(b):
            old = live[p]
            new = old | (x & reach.get(p, 0) & ~defined[p])
            if new != old:
                live[p] = new
                work.append(p)

    n_bytes = (len(names) + 7) // 8
    out = {}
    for b, x in live.items():
        flags = np.unpackbits(np.frombuffer(x.to_bytes(n_bytes, "little"), np.uint8), bitorder="little")
        out[b] = {names[i] for i in np.flatnonzero(flags)}
    return out


def install() -> bool:
    """Replace Numba's ``compute_live_map`` (in ``analysis`` and where ``ir_utils`` imported it) by
    `compute_live_map`; idempotent.

    Returns
    -------
    bool
        Whether it is in place; `liveness_patch_status` says why not.
    """
    global _status
    if analysis.compute_live_map is compute_live_map:
        return True
    found = source_digest(analysis.compute_live_map)
    if found != _EXPECTED:
        _status = f"not installed: this Numba's compute_live_map ({found}) is not {_EXPECTED}"
        return False
    analysis.compute_live_map = ir_utils.compute_live_map = compute_live_map
    _status = "installed"
    return True


def liveness_patch_status() -> str:
    """Whether Numba's live-variable analysis runs on bit sets in this process, and why not if not."""
    return _status
