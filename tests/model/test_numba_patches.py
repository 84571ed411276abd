"""credo's patches of Numba's compiler change its speed, not its output: the inliner with shared
callee scopes (`credo.numba_inline`) makes the same machine code, and the live-variable analysis on
bit sets (`credo.numba_liveness`) the same maps."""

import re

import numba as nb
import numpy as np
import pytest
from numba.core import analysis, ir_utils
from numba.core.inline_closurecall import InlineWorker

import credo.numba_inline as ni
import credo.numba_liveness as nl
from credo.sampling.nuts import nuts_step
from credo.sampling.targets import normal


@nb.njit(inline="always")
def _scale(x, a):
    for i in range(x.shape[0]):
        x[i] *= a
    return x.sum()


@nb.njit(inline="always")
def _step(x, a):
    total = 0.0
    for k in range(3):
        if k % 2 == 0:
            total += _scale(x, a)
        else:
            total -= _scale(x, 1.0 / a)
    return total


def _kernel_with_limit(limit):
    def kernel(x, a):
        acc = 0.0
        while acc < limit:
            acc += abs(_step(x, a)) + 1.0
        return acc

    return kernel


_kernel = _kernel_with_limit(100.0)


def _instructions(dispatcher) -> str:
    """The machine instructions, branch labels and 8-byte constants (the constant pool's doubles) of
    a compiled function, without what differs between two compilations of it: the unique ids in
    symbol names and object addresses. (LLVM's block names and the lengths of the strings that hold
    those ids differ too, but not the code.)"""
    asm = dispatcher.inspect_asm(dispatcher.signatures[0])
    keep = r"\t[a-z]|\.LBB|\.LCPI|\t\.quad\t0x[0-9a-f]{16}$"
    code = "\n".join(line for line in asm.splitlines() if re.match(keep, line))
    code = re.sub(r"B\d+v\d+B", "B_v_B", code)
    code = re.sub(r"_v\d{12,}_", "_v_", code)
    code = re.sub(r"\.\d{8,}", ".ADDR", code)
    return re.sub(r"0x[0-9a-f]{9,14}\b", "0xADDR", code)


def _compile_both_ways(monkeypatch, py_func, args):
    """`_instructions` and dispatcher of ``py_func`` compiled for ``args`` with credo's inliner and
    with Numba's own."""
    out = {}
    for name, inline_function in (("credo", ni._inline_function), ("numba", ni.NUMBA_INLINE_FUNCTION)):
        monkeypatch.setattr(InlineWorker, "inline_function", inline_function)
        kernel = nb.njit(py_func)
        kernel(*args)
        out[name] = (_instructions(kernel), kernel)
    return out


def test_installed_on_import_and_idempotent():
    assert ni.inline_patch_status() == "installed"
    assert InlineWorker.inline_function is ni._inline_function
    assert ni.install()
    assert InlineWorker.inline_function is ni._inline_function


@pytest.mark.parametrize(
    "owner, name, patch, status",
    [
        (InlineWorker, "inline_function", ni, ni.inline_patch_status),
        (analysis, "compute_live_map", nl, nl.liveness_patch_status),
    ],
)
def test_other_numba_versions_keep_their_own(monkeypatch, owner, name, patch, status):
    def changed(*args):
        return None

    monkeypatch.setattr(owner, name, changed)
    monkeypatch.setattr(patch, "_status", "not installed")
    assert not patch.install()
    assert getattr(owner, name) is changed
    assert "is not" in status()


def test_nested_inlining_gives_the_same_code_and_result(monkeypatch):
    compiled = _compile_both_ways(monkeypatch, _kernel, (np.linspace(0.5, 1.5, 7), 1.3))
    assert compiled["credo"][0] == compiled["numba"][0]
    x1, x2 = np.linspace(0.5, 1.5, 7), np.linspace(0.5, 1.5, 7)
    assert compiled["credo"][1](x1, 1.3) == compiled["numba"][1](x2, 1.3)
    np.testing.assert_array_equal(x1, x2)
    # the normalisation keeps a real difference: one constant, 101 instead of 100
    variant = nb.njit(_kernel_with_limit(101.0))
    variant(np.linspace(0.5, 1.5, 7), 1.3)
    assert _instructions(variant) != compiled["credo"][0]


def _nuts_step_args():
    fn = normal(np.zeros(3), np.ones(3))
    return (np.zeros(3), 0.0, np.zeros(3), fn, 0.1, np.ones(3), np.ones(3), np.random.default_rng(0),
            np.arange(3))  # fmt: skip


@pytest.mark.slow
def test_the_nuts_transition_compiles_to_the_same_code(monkeypatch):
    compiled = _compile_both_ways(monkeypatch, nuts_step.py_func, _nuts_step_args())
    assert compiled["credo"][0] == compiled["numba"][0]


def _branchy(x, n):
    total = 0.0
    for i in range(n):
        if x[i % x.shape[0]] > 0.5:
            total += x[i % x.shape[0]]
            continue
        j = 0
        while j < i and total < 100.0:
            total -= 0.5 * j
            j += 1
        if total < -50.0:
            break
    return total


def _live_maps_compared(monkeypatch, py_func, args):
    """Compile ``py_func`` for ``args`` afresh with both live-variable analyses run on every call,
    asserting equal maps; the number of blocks of each call."""
    calls = []

    def both(cfg, blocks, var_use_map, var_def_map):
        expected = nl.NUMBA_COMPUTE_LIVE_MAP(cfg, blocks, var_use_map, var_def_map)
        assert nl.compute_live_map(cfg, blocks, var_use_map, var_def_map) == expected
        calls.append(len(blocks))
        return expected

    monkeypatch.setattr(analysis, "compute_live_map", both)
    monkeypatch.setattr(ir_utils, "compute_live_map", both)
    nb.njit(py_func)(*args)
    return calls


def test_live_maps_installed_on_import_and_idempotent():
    assert nl.liveness_patch_status() == "installed"
    assert analysis.compute_live_map is nl.compute_live_map
    assert ir_utils.compute_live_map is nl.compute_live_map
    assert nl.install()


def test_loops_and_branches_give_numbas_live_maps(monkeypatch):
    calls = _live_maps_compared(monkeypatch, _branchy, (np.linspace(0.0, 1.0, 5), 40))
    assert len(calls) > 5 and max(calls) > 10


@pytest.mark.slow
def test_the_nuts_transition_gives_numbas_live_maps(monkeypatch):
    calls = _live_maps_compared(monkeypatch, nuts_step.py_func, _nuts_step_args())
    assert len(calls) > 50 and max(calls) > 100
