"""Numba's IR inliner without its quadratic copies of the callee's scope.

``inline="always"`` splices a callee's Numba IR into its caller
(``numba.core.inline_closurecall.InlineWorker.inline_ir``). That method deep-copies the callee block
by block, twice, and each block's copy deep-copies the callee's whole `numba.core.ir.Scope` again
(every ``Var`` copies its scope): the cost grows with blocks x variables of the callee. credo's chain
loop inlines the NUTS transition, the tree building and the warm-up into one function: on an empty
cache Numba spent 12.6 s inlining it, 2.5 s with this module, and the first draw of a small model
came 27 instead of 36 s after the start (numba/numba#8989 and NVIDIA/numba-cuda#688 report the same
copies).

`install` replaces ``InlineWorker.inline_function``, the path of ``inline="always"`` functions: the
callee IR it inlines is made afresh for each call site (``run_untyped_passes``) and used once, so
its scope may be shared by the copies instead of copied. Its variables are renamed into the
caller's scope right after, and no copy of it outlives the splice. The machine code does not change
(the tests compile kernels both ways and compare their instructions); only the time to get it does.

Applied only to the Numba versions whose ``inline_function`` is the one this was written against
(`inline_patch_status` says otherwise); then Numba's own path runs unchanged.
"""

from __future__ import annotations

import hashlib
import inspect

from numba.core import ir
from numba.core.inline_closurecall import InlineWorker

__all__ = ["NUMBA_INLINE_FUNCTION", "install", "inline_patch_status", "source_digest"]

NUMBA_INLINE_FUNCTION = InlineWorker.inline_function  # Numba's own, which `install` replaces

# digest of the source of the ``InlineWorker.inline_function`` this replaces (Numba 0.65): a Numba
# whose version differs keeps its own
_EXPECTED = "1b53f183258e"
_status = "not installed"


class _SharedScope(ir.Scope):
    """A scope that a deep copy of its IR shares instead of copying."""

    def __deepcopy__(self, memo):
        memo[id(self)] = self
        return self


def _inline_function(self, caller_ir, block, i, function, arg_typs=None):
    callee_ir = self.run_untyped_passes(function)
    for callee_block in callee_ir.blocks.values():
        if type(callee_block.scope) is ir.Scope:
            callee_block.scope.__class__ = _SharedScope
    return self.inline_ir(caller_ir, block, i, callee_ir, function.__code__.co_freevars,
                          arg_typs=arg_typs)  # fmt: skip


_inline_function.__doc__ = InlineWorker.inline_function.__doc__


def source_digest(func) -> str:
    """First 12 hex digits of the SHA-256 of ``func``'s source: which version of a Numba function a
    patch finds in place."""
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        return "no source"
    return hashlib.sha256(source.encode()).hexdigest()[:12]


def install() -> bool:
    """Replace ``InlineWorker.inline_function`` by the scope-sharing one; idempotent.

    Returns
    -------
    bool
        Whether it is in place; `inline_patch_status` says why not.
    """
    global _status
    current = InlineWorker.inline_function
    if current is _inline_function:
        return True
    found = source_digest(current)
    if found != _EXPECTED:
        _status = f"not installed: this Numba's InlineWorker.inline_function ({found}) is not {_EXPECTED}"
        return False
    InlineWorker.inline_function = _inline_function
    _status = "installed"
    return True


def inline_patch_status() -> str:
    """Whether Numba's inliner shares callee scopes in this process, and why not if not."""
    return _status
