"""credo.model.gradient_rewrites: gradient shapes that Numba compiles faster.

The reference is the same graph compiled with the rewrite excluded (PyTensor's IncSubtensor chain);
values must be equal bit for bit.
"""

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.compile.mode import get_mode
from pytensor.graph.replace import graph_replace
from pytensor.tensor.basic import Alloc, Join
from pytensor.tensor.subtensor import IncSubtensor

import credo as cr
from credo.model.compile import RavelMap, flat_replacements, freeze_data

WITHOUT = get_mode("NUMBA").excluding("credo_join_disjoint_slices", "credo_sum_of_broadcast_indicator")


def _ops(fn):
    return {type(node.op) for node in fn.maker.fgraph.apply_nodes}


def _compare(inputs, output, values):
    outputs = output if isinstance(output, list) else [output]
    with_rewrite = pytensor.function(inputs, outputs, mode="NUMBA")
    without = pytensor.function(inputs, outputs, mode=WITHOUT)
    for got, expected in zip(with_rewrite(*values), without(*values)):
        np.testing.assert_array_equal(got, expected)
    return _ops(with_rewrite)


def test_disjoint_slices_with_gaps_become_join():
    a, b = pt.dvector("a", shape=(2,)), pt.dvector("b", shape=(3,))
    z = pt.zeros((9,))
    out = pt.inc_subtensor(pt.set_subtensor(z[1:3], a)[5:8], b)
    ops = _compare([a, b], out, [np.array([1.5, -2.0]), np.array([3.0, 4.0, -0.25])])
    assert Join in ops and IncSubtensor not in ops and Alloc not in ops
    fn = pytensor.function([a, b], out, mode="NUMBA")
    expected = [0.0, 1.5, -2.0, 0.0, 0.0, 3.0, 4.0, -0.25, 0.0]
    np.testing.assert_array_equal(fn([1.5, -2.0], [3.0, 4.0, -0.25]), expected)


def test_overlapping_slices_are_kept():
    a, b = pt.dvector("a", shape=(3,)), pt.dvector("b", shape=(3,))
    out = pt.inc_subtensor(pt.inc_subtensor(pt.zeros((5,))[0:3], a)[2:5], b)
    ops = _compare([a, b], out, [np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0, 30.0])])
    assert IncSubtensor in ops and Join not in ops


def test_symbolic_bounds_are_kept():
    a, b = pt.dvector("a", shape=(2,)), pt.dvector("b", shape=(2,))
    k = pt.lscalar("k")
    out = pt.inc_subtensor(pt.inc_subtensor(pt.zeros((6,))[0:2], a)[k : k + 2], b)
    ops = _compare([a, b, k], out, [np.array([1.0, 2.0]), np.array([5.0, 6.0]), np.int64(3)])
    assert IncSubtensor in ops


def test_nonzero_base_is_kept():
    a, b = pt.dvector("a", shape=(2,)), pt.dvector("b", shape=(2,))
    out = pt.inc_subtensor(pt.inc_subtensor(pt.ones((4,))[0:2], a)[2:4], b)
    ops = _compare([a, b], out, [np.array([1.0, 2.0]), np.array([5.0, 6.0])])
    assert IncSubtensor in ops and Join not in ops


def test_sum_of_broadcast_indicator_becomes_product():
    c = pt.dscalar("c")
    out = pt.alloc(pt.switch(c > 0, 1.0, 0.0), 50, 3).sum()
    for value in (2.0, -1.0):
        ops = _compare([c], out, [np.float64(value)])
    assert Alloc not in ops
    assert pytensor.function([c], out, mode="NUMBA")(2.0) == 150.0


def test_sum_of_broadcast_non_integer_is_kept():
    c = pt.dscalar("c")
    out = pt.alloc(pt.switch(c > 0, 0.1, 0.0), 50).sum()
    ops = _compare([c], out, [np.float64(1.0)])
    assert Alloc in ops


def test_model_gradient_is_one_join():
    y = np.array([0.7, -1.9, 3.2, 0.4, 1.1])
    with cr.Model() as model:
        mu = cr.Normal("mu", 0.0, 5.0)
        tau = cr.HalfCauchy("tau", 5.0)
        theta = cr.Normal("theta", mu, tau, shape=5)
        nu = cr.Gamma("nu", 2.0, 0.1)
        cr.StudentT("y", nu=nu, mu=theta, sigma=1.0, observed=y)
    rmap = RavelMap.from_model(model)
    x = pt.vector("x", dtype="float64", shape=(rmap.size,))
    (logp,) = freeze_data([graph_replace(model.logp(), flat_replacements(model, x), strict=False)])
    xv = np.random.default_rng(4).normal(size=rmap.size) * 0.5
    ops = _compare([x], [logp, pt.grad(logp, x)], [xv])
    assert Join in ops and IncSubtensor not in ops and Alloc not in ops
