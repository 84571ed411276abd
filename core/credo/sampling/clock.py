"""A wall clock readable from nogil Numba code, for per-draw timing statistics.

Numba has no ``time`` module in nopython mode, and a ctypes function pointer would make every kernel
that reads the clock uncacheable; an external C symbol is resolved by name when the cached kernel is
linked. On POSIX systems the clock is ``clock_gettime(CLOCK_MONOTONIC)``, the clock behind
`time.perf_counter` on Linux, so values compare with ``time.perf_counter()``; elsewhere C11
``timespec_get(TIME_UTC)`` (Windows' UCRT), a wall clock that differences still time correctly.
"""

from __future__ import annotations

import time

import numba as nb
from numba import types

__all__ = ["now"]

if hasattr(time, "CLOCK_MONOTONIC"):
    _clock_gettime = types.ExternalFunction("clock_gettime", types.intc(types.intc, types.voidptr))
    _MONOTONIC = time.CLOCK_MONOTONIC

    @nb.njit(cache=True, nogil=True)
    def now(ts):
        """Seconds on the monotonic clock (``time.perf_counter`` on Linux); ``ts`` is scratch of
        shape (2,) and dtype int64 (a ``struct timespec``), allocated once by the caller."""
        _clock_gettime(_MONOTONIC, ts.ctypes)
        return ts[0] + 1e-9 * ts[1]

else:  # pragma: no cover - Windows
    _timespec_get = types.ExternalFunction("timespec_get", types.intc(types.voidptr, types.intc))
    _TIME_UTC = 1

    @nb.njit(cache=True, nogil=True)
    def now(ts):
        """Seconds on the C11 UTC clock; ``ts`` as on POSIX."""
        _timespec_get(ts.ctypes, _TIME_UTC)
        # tv_nsec is a 32-bit long on Windows, followed by padding
        return ts[0] + 1e-9 * (ts[1] & 0xFFFFFFFF)
