"""Numba's on-disk cache across processes: credo.model.numba_cache.

The references: ``scipy.special`` itself for the special functions (the compiled code calls the same C
functions, so results are equal bit for bit), the PyTensor-compiled graph for the log-density entry
points, and Numba's own cache-hit counters in a second process for caching.
"""

import json
import os
import subprocess
import sys
import textwrap

import numba
import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.graph.replace import graph_replace
from pytensor.link.numba.dispatch.basic import numba_funcify, numba_funcify_and_cache_key
from pytensor.scalar.math import Erfcx, GammaInc, Psi
from scipy import special

import credo as cr
from credo.model.compile import (
    LOGP_DLOGP_SIGNATURE,
    RavelMap,
    compile_numba,
    flat_replacements,
    freeze_data,
)
from credo.model.numba_cache import cython_special_symbol, graph_cache_key, wrap_logp_dlogp


def _scalar_node(op, *dtypes):
    inputs = [pt.scalar(dtype=d) for d in dtypes]
    return op(*[i.type.to_scalar_type()() for i in inputs]).owner


@pytest.mark.parametrize(
    "op, dtypes",
    [(Psi, ("float64",)), (Psi, ("int64",)), (Erfcx, ("float64",)), (GammaInc, ("float64", "float64"))],
)
def test_scipy_special_ops_have_cache_keys(op, dtypes):
    node = _scalar_node(op(pytensor.scalar.upgrade_to_float), *dtypes)
    _, key = numba_funcify_and_cache_key(node.op, node=node)
    assert isinstance(key, str) and len(key) == 64


def test_cache_key_depends_on_function_and_dtypes():
    keys = {
        numba_funcify_and_cache_key(n.op, node=n)[1]
        for n in (
            _scalar_node(Psi(pytensor.scalar.upgrade_to_float), "float64"),
            _scalar_node(Psi(pytensor.scalar.upgrade_to_float), "float32"),
            _scalar_node(Erfcx(pytensor.scalar.upgrade_to_float), "float64"),
        )
    }
    assert len(keys) == 3


def test_symbol_names_function_and_dtypes():
    assert cython_special_symbol("psi", ["float64", "float64"]) == "credo_cython_special_psi_float64_float64"


_WIDE = np.concatenate([np.linspace(-30.0, 30.0, 241), [0.0, 1e-300, np.inf, -np.inf, np.nan]])
_UNIT = np.concatenate([np.linspace(0.0, 1.0, 101), [-0.5, 1.5, np.nan]])


@pytest.mark.parametrize(
    "build, reference, x",
    [
        (pt.psi, special.psi, _WIDE),
        (pt.erfcx, special.erfcx, _WIDE),
        (pt.i0, special.i0, _WIDE),
        (lambda x: pt.gammainc(2.5, x), lambda x: special.gammainc(2.5, x), _WIDE),
        (lambda x: pt.betainc(2.0, 3.5, x), lambda x: special.betainc(2.0, 3.5, x), _UNIT),
    ],
)
def test_scipy_special_values_equal_scipy(build, reference, x):
    xv = pt.dvector("x")
    fn = pytensor.function([xv], build(xv), mode="NUMBA")
    np.testing.assert_array_equal(fn(x), reference(x))


def test_scipy_special_casts_integer_and_float32_inputs():
    n = pt.lvector("n")
    f = pt.fvector("f")
    fn = pytensor.function([n, f], [pt.psi(n), pt.psi(f)], mode="NUMBA")
    psi_n, psi_f = fn(np.array([1, 2, 7, 50]), np.array([0.5, 3.0, 11.0], dtype=np.float32))
    assert psi_n.dtype == np.float64 and psi_f.dtype == np.float32
    np.testing.assert_array_equal(psi_n, special.psi(np.array([1.0, 2.0, 7.0, 50.0])))
    np.testing.assert_array_equal(psi_f, special.psi(np.array([0.5, 3.0, 11.0])).astype(np.float32))


def _logp_graph():
    x = pt.dvector("x", shape=(3,))
    # the gradient calls scipy.special.psi (of gammaln) and erfcx
    logp = pt.sum(pt.gammaln(pt.exp(x)) - x**2) + pt.log(pt.erfcx(x[0]))
    return x, logp, pt.grad(logp, x)


def test_wrap_logp_dlogp_matches_graph():
    x, logp, grad = _logp_graph()
    jit_fn, fn = compile_numba([x], [logp, grad])
    assert graph_cache_key(jit_fn) is not None
    logp_dlogp, logp_dlogp_c = wrap_logp_dlogp(jit_fn, LOGP_DLOGP_SIGNATURE)
    xv = np.array([0.3, -1.2, 2.0])
    ref_logp, ref_grad = fn(xv)
    lp, g = logp_dlogp(xv)
    np.testing.assert_array_equal(g, ref_grad)
    assert lp == float(ref_logp)
    g_c = np.zeros(3)
    lp_c = logp_dlogp_c.ctypes(xv.ctypes.data_as(logp_dlogp_c.ctypes.argtypes[0]),
                               g_c.ctypes.data_as(logp_dlogp_c.ctypes.argtypes[1]), 3)
    assert lp_c == float(ref_logp)
    np.testing.assert_array_equal(g_c, ref_grad)


class _Twice(Op):
    # An Op whose Numba implementation has no cache key: the graph cannot be cached.
    __props__ = ()

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, outputs):
        outputs[0][0] = 2.0 * inputs[0]

    def pullback(self, inputs, outputs, cotangents):
        return [2.0 * cotangents[0]]


@numba_funcify.register(_Twice)
def _numba_twice(op, node=None, **kwargs):
    @numba.njit
    def twice(x):
        return 2.0 * x

    return twice


def test_wrap_logp_dlogp_without_graph_cache_key():
    x = pt.dvector("x", shape=(2,))
    logp = pt.sum(_Twice()(x) ** 2)
    jit_fn, _ = compile_numba([x], [logp, pt.grad(logp, x)])
    assert graph_cache_key(jit_fn) is None
    logp_dlogp, _ = wrap_logp_dlogp(jit_fn, LOGP_DLOGP_SIGNATURE)
    lp, g = logp_dlogp(np.array([1.0, -3.0]))
    assert lp == 40.0
    np.testing.assert_array_equal(g, [8.0, -24.0])


def _eight_schools():
    with cr.Model() as model:
        mu = cr.Normal("mu", 0.0, 5.0)
        tau = cr.HalfCauchy("tau", 5.0)
        theta = cr.Normal("theta_tilde", 0.0, 1.0, shape=8)
        sigma = np.array([15.0, 10, 16, 11, 9, 11, 10, 18])
        cr.Normal("y", mu + tau * theta, sigma, observed=np.array([28.0, 8, -3, 7, -1, 1, 18, 12]))
    return model


def _special_functions():
    y = np.array([0.3, 1.7, -0.4, 2.2, 0.9])
    with cr.Model() as model:
        loc = cr.Gamma("loc", 2.0, 1.0)
        frac = cr.Beta("frac", 2.0, 3.0)
        nu = cr.Gamma("nu", 2.0, 0.1)
        scale = cr.HalfNormal("scale", 1.0)
        cr.StudentT("y", nu=nu, mu=loc * frac, sigma=scale, observed=y)
    return model


def _transit():
    kepler_transit = pytest.importorskip("credo_exoplanet.examples.kepler_transit")
    from credo_exoplanet.data import LightCurve

    t = np.linspace(0.0, 4.4, 400)
    flux = 1.0 + 1e-4 * np.random.default_rng(3).standard_normal(t.size)
    lc = LightCurve(t=t, flux=flux, flux_err=np.full(t.size, 1e-4))
    return kepler_transit.build_model(lc, 2.2047, 0.3, 0.006)


@pytest.mark.parametrize("build", [_eight_schools, _special_functions, _transit])
def test_model_graphs_are_cacheable(build):
    # Every node needs a cache key for PyTensor to store the compiled graph on disk; building the
    # function funcifies every node without compiling any (Numba compiles on first call).
    model = build()
    x = pt.vector("x", dtype="float64", shape=(RavelMap.from_model(model).size,))
    (logp,) = freeze_data([graph_replace(model.logp(), flat_replacements(model, x), strict=False)])
    jit_fn, fn = compile_numba([x], [logp, pt.grad(logp, x)])
    uncached = {
        str(node.op)
        for node in fn.maker.fgraph.apply_nodes
        if numba_funcify_and_cache_key(node.op, node=node)[1] is None
    }
    assert uncached == set()
    assert graph_cache_key(jit_fn) is not None


_CHILD = textwrap.dedent(
    """
    import json
    import numpy as np
    import pytensor.tensor as pt
    from numba.core import event
    from pytensor.graph.replace import graph_replace
    import credo as cr
    from credo.model.compile import (
        LOGP_DLOGP_SIGNATURE, RavelMap, compile_numba, flat_replacements, freeze_data,
    )
    from credo.model.numba_cache import wrap_logp_dlogp

    compiled = []

    class Listener(event.Listener):
        def on_start(self, ev):
            pass

        def on_end(self, ev):
            compiled.append(ev.data["dispatcher"].py_func.__name__)

    y = np.array([0.7, 1.9, 3.2, 0.4])
    with cr.Model() as model:
        nu = cr.Gamma("nu", 3.0, 0.2)
        cr.StudentT("y", nu=nu, mu=1.0, sigma=1.0, observed=y)
    x = pt.vector("x", dtype="float64", shape=(RavelMap.from_model(model).size,))
    (logp,) = freeze_data([graph_replace(model.logp(), flat_replacements(model, x), strict=False)])
    with event.install_listener("numba:compile", Listener()):
        jit_fn, _ = compile_numba([x], [logp, pt.grad(logp, x)])
        logp_dlogp, logp_dlogp_c = wrap_logp_dlogp(jit_fn, LOGP_DLOGP_SIGNATURE)
        lp, g = logp_dlogp(np.array([0.1]))
    print(json.dumps({
        "logp": lp,
        "grad": g.tolist(),
        "compiled": compiled,
        "hits": [sum(logp_dlogp.stats.cache_hits.values()), logp_dlogp_c.cache_hits],
    }))
    """
)


def _run_child(env):
    out = subprocess.run(
        [sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_second_process_loads_everything_from_disk_cache(tmp_path):
    env = dict(os.environ)
    env["PYTENSOR_FLAGS"] = f"base_compiledir={tmp_path / 'pytensor'}"
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba")
    first = _run_child(env)
    second = _run_child(env)
    # digamma (scipy.special.psi) in the gradient of the Student-t density in nu used to keep the graph
    # out of the cache; now the second process compiles nothing and loads both entry points.
    assert "numba_funcified_fgraph" in first["compiled"] and first["hits"] == [0, 0]
    assert second["compiled"] == [] and second["hits"] == [1, 1]
    assert second["logp"] == first["logp"] and second["grad"] == first["grad"]
