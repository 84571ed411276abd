"""Numba disk cache for credo's own kernels that notices changes in the modules they call.

Numba keys a cached function by the modification time and size of the one file that defines it. A
credo kernel inlines kernels from other modules (the NUTS loop in ``sampling/chain.py`` calls the
tree builder in ``sampling/nuts.py`` and the mass-matrix estimators in ``sampling/adapt/``), so
after an edit or an upgrade that touches only a callee, Numba would go on loading the caller's
stale machine code. For functions defined inside the credo package, `install` replaces that stamp
by a digest of the names, modification times and sizes of every module in the same top-level
subpackage (``credo/sampling/**``, ``credo/model/**``, ...): a change anywhere in it recompiles its
kernels, once.

Uses Numba's cache-locator classes (``numba.core.caching``), which Numba documents for extension
through ``NUMBA_CACHE_LOCATOR_CLASSES``; the locators go in front of Numba's own and accept only
files of the credo package, so every other package (PyTensor's generated code included) keeps its
behaviour.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from numba.core import caching

__all__ = ["install", "subpackage_stamp", "CREDO_ROOT"]

CREDO_ROOT = Path(__file__).resolve().parent


def _subpackage_dir(py_file: str) -> Path | None:
    """``credo/<subpackage>`` (or the credo root for top-level modules) holding ``py_file``."""
    try:
        rel = Path(py_file).resolve().relative_to(CREDO_ROOT)
    except ValueError:
        return None
    return CREDO_ROOT / rel.parts[0] if len(rel.parts) > 1 else CREDO_ROOT


@functools.cache
def subpackage_stamp(directory: Path) -> str:
    """Digest of (relative path, mtime in ns, size) of every ``.py`` file below ``directory``.

    Computed once per process: modules do not change under a running interpreter's feet.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(directory).rglob("*.py")):
        st = os.stat(path)
        digest.update(f"{path.relative_to(directory)}:{st.st_mtime_ns}:{st.st_size};".encode())
    return digest.hexdigest()


class _SubpackageStamp:
    """Locator mixin: credo files only, stamped by their whole subpackage."""

    @classmethod
    def from_function(cls, py_func, py_file):
        if _subpackage_dir(py_file) is None:
            return None
        return super().from_function(py_func, py_file)

    def get_source_stamp(self):
        return subpackage_stamp(_subpackage_dir(self._py_file))


class _UserProvided(_SubpackageStamp, caching.UserProvidedCacheLocator):
    pass


class _InTree(_SubpackageStamp, caching.InTreeCacheLocator):
    pass


class _UserWide(_SubpackageStamp, caching.UserWideCacheLocator):
    pass


_LOCATORS = (_UserProvided, _InTree, _UserWide)


def install() -> None:
    """Put credo's locators in front of Numba's (idempotent); before credo's kernels are defined."""
    classes = caching.CacheImpl._locator_classes
    if _InTree not in classes:
        classes[:0] = _LOCATORS
