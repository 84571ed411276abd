"""`credo.numba_gc`: the heap is frozen for the collector while a Numba compilation runs, and only
then, also when the compilation fails."""

import gc

import numba as nb
import pytest
from numba.core import errors, event

import credo  # noqa: F401  (installs the listener)


class _Record(event.Listener):
    """Registered after credo's listener, so it sees the heap as credo's left it."""

    def __init__(self):
        self.frozen_at_start = []

    def on_start(self, event):
        self.frozen_at_start.append(gc.get_freeze_count())

    def on_end(self, event):
        pass


@pytest.fixture
def record():
    listener = _Record()
    with event.install_listener("numba:compile", listener):
        yield listener


def test_heap_frozen_during_nested_compilations_only(record):
    assert gc.get_freeze_count() == 0

    @nb.njit
    def inner(x):
        return x + 1.0

    @nb.njit
    def outer(x):
        return inner(x) * 2.0

    assert outer(1.0) == 4.0
    # outer, then inner while typing outer: both under the outer compilation's freeze
    assert len(record.frozen_at_start) == 2
    assert all(count > 0 for count in record.frozen_at_start)
    assert gc.get_freeze_count() == 0


def test_failed_compilation_unfreezes(record):
    @nb.njit
    def bad(x):
        return x + "a"

    with pytest.raises(errors.TypingError):
        bad(1.0)
    assert record.frozen_at_start and record.frozen_at_start[0] > 0
    assert gc.get_freeze_count() == 0
