"""How credo's graphs become machine code: LLVM's vector math library, then graph rewrites.

Imported first by ``import credo``, before any Numba compilation in the process. This module sets up
Numba and LLVM (1 and 5-8 below) and needs neither PyTensor nor the rest of credo, so that a process
that only compiles credo's sampler kernels can import it alone (`credo.sampling.background`);
``import credo`` registers the graph rewrites (2-4) right after it.

1. glibc's vector math library. Numba compiles loops that call ``exp``/``log``/``pow``/``sin``/``cos``
   one element at a time through libm. PyPI's llvmlite has no Intel SVML, but LLVM knows glibc's
   ``libmvec`` (x86-64 ``_ZGVdN4v_exp``, ...): with ``libmvec.so.1`` loaded into the process
   (``RTLD_GLOBAL``, so that JIT-compiled code resolves its symbols) and the LLVM option
   ``-vector-library=LIBMVEC-X86``, the loop vectoriser calls 4 (AVX2) or 8 (AVX-512) lanes at a
   time: a PyTensor ``exp`` over 5000 doubles takes 5.5 instead of 22 us (AMD EPYC, AVX2 variants).
   The x86-64 libmvec functions are tested to a maximum error of 4 ulp on their domains
   (https://sourceware.org/glibc/wiki/libmvec); special values go through the scalar libm routine.

   Numba's on-disk cache keys machine code by signature, bytecode and ``codegen.magic_tuple()``
   (target triple, CPU name, CPU features), not by LLVM options. Code compiled with libmvec refers to
   its symbols, and loading it in a process without libmvec crashes (segmentation fault). So once
   libmvec is enabled, the magic tuple gains a ``"libmvec"`` tag: processes with and without libmvec
   (``CREDO_NO_LIBMVEC=1``, or PyTensor used without credo) never load each other's cache entries.

   Disabled, with the reason kept in `libmvec_status`, when ``CREDO_NO_LIBMVEC=1``, when not on
   x86-64 Linux, when ``libmvec.so.1`` cannot be loaded, when Numba already uses Intel SVML, or when
   Numba's codegen has no ``magic_tuple`` to tag (the cache could not be kept apart).

2. Graph rewrites (`credo.model.rewrites`, registered for PyTensor's Numba mode) that make credo's
   elementwise loops vectorisable: branch-free ``softplus``/``sigmoid``/``log1p``, C-contiguous
   loop inputs, and constant design matrices laid out for BLAS.

3. Cache keys for the ``scipy.special`` ScalarOps (`credo.model.numba_cache`), without which PyTensor
   compiles a whole graph again in every process.

4. Gradient graphs reshaped to compile faster (`credo.model.gradient_rewrites`): the gradient on the
   flat parameter vector as one ``Join`` instead of a chain of ``IncSubtensor`` nodes, and sums of a
   broadcast indicator (gradients of parameter checks) as products, without the ``Alloc``.

5. A disk-cache stamp for credo's own kernels that covers the modules they call
   (`credo.kernel_cache`), so an edit or upgrade of a callee never loads a stale caller.

6. Numba's ``inline="always"`` without its quadratic copies of the callee's scope
   (`credo.numba_inline`): the same machine code, ~10 s sooner on an empty cache for the chain loop.

7. Numba's live-variable analysis on bit sets (`credo.numba_liveness`): the same maps, the chain
   loop ~2-4 s sooner on an empty cache.

8. Python's garbage collector kept off the objects that predate a Numba compilation
   (`credo.numba_gc`): a process holding a compiled model compiles the chain loop 1-2 s sooner.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys

__all__ = ["LIBMVEC", "VECTOR_LIBRARY_OPTION", "enable_libmvec", "libmvec_enabled", "libmvec_status"]

LIBMVEC = "libmvec.so.1"
VECTOR_LIBRARY_OPTION = "-vector-library=LIBMVEC-X86"
_CACHE_TAG = "libmvec"
_status: str | None = None
_enabled = False


def _reason_not_to_enable() -> str | None:
    if os.environ.get("CREDO_NO_LIBMVEC", "") not in ("", "0"):
        return "disabled by CREDO_NO_LIBMVEC"
    if not sys.platform.startswith("linux") or platform.machine() != "x86_64":
        return f"not available on {sys.platform}/{platform.machine()} (x86-64 Linux only)"
    import numba
    from numba.core.codegen import CPUCodegen

    if numba.config.USING_SVML:
        return "not needed: Numba already vectorises with Intel SVML"
    if not callable(getattr(CPUCodegen, "magic_tuple", None)):
        return "disabled: this Numba has no CPUCodegen.magic_tuple to keep its cache apart"
    try:
        ctypes.CDLL(LIBMVEC, mode=ctypes.RTLD_GLOBAL)
    except OSError as err:
        return f"not available: cannot load {LIBMVEC} ({err})"
    return None


def _tag_cache_key() -> None:
    from numba.core.codegen import CPUCodegen

    untagged = CPUCodegen.magic_tuple

    def magic_tuple(self):
        return (*untagged(self), _CACHE_TAG)

    magic_tuple.__doc__ = untagged.__doc__
    CPUCodegen.magic_tuple = magic_tuple


def enable_libmvec() -> bool:
    """Load glibc's libmvec and let LLVM vectorise math calls with it; idempotent.

    Called on ``import credo``. Effective for every Numba compilation after it in the process;
    compile credo models after importing credo.

    Returns
    -------
    bool
        Whether libmvec is in use; `libmvec_status` says why not.
    """
    global _status, _enabled
    if _status is not None:
        return _enabled
    reason = _reason_not_to_enable()
    if reason is not None:
        _status = reason
        return False
    import llvmlite.binding as llvm

    _tag_cache_key()
    llvm.set_option("credo", VECTOR_LIBRARY_OPTION)
    _status = f"enabled: {LIBMVEC} with LLVM {VECTOR_LIBRARY_OPTION}"
    _enabled = True
    return True


def libmvec_enabled() -> bool:
    """Whether Numba code compiled in this process may call libmvec's vector functions."""
    return _enabled


def libmvec_status() -> str:
    """Human-readable state of the libmvec set-up, with the reason when it is disabled."""
    return _status if _status is not None else "not set up (credo.compiler.enable_libmvec not called)"


enable_libmvec()

from credo.kernel_cache import install as _install_kernel_cache  # noqa: E402

_install_kernel_cache()  # before any module defining a cached credo kernel is imported

from credo.numba_inline import install as _install_inline_patch  # noqa: E402

_install_inline_patch()

from credo.numba_liveness import install as _install_liveness_patch  # noqa: E402

_install_liveness_patch()

from credo.numba_gc import install as _install_gc_listener  # noqa: E402

_install_gc_listener()
