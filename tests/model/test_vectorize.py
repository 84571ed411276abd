"""Vectorised compilation: libmvec set-up (credo.compiler) and the rewrites of credo.model.rewrites.

The references are independent of both: NumPy/SciPy for the scalar functions, PyTensor's Python
implementations (mode FAST_COMPILE, no Numba, no rewrites) for whole models, and a process with
``CREDO_NO_LIBMVEC=1`` for libmvec itself.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numba
import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from numba.core.registry import cpu_target
from pytensor.graph.replace import graph_replace
from pytensor.scalar.basic import Composite, Log1p
from pytensor.scalar.math import Sigmoid, Softplus
from pytensor.tensor.elemwise import Elemwise
from pytensor.tensor.math import Dot
from scipy import special

import credo as cr
from credo import compiler
from credo.model.compile import RavelMap, flat_replacements, freeze_data
from credo.model.rewrites import (
    AsContiguous,
    BranchlessLog1p,
    BranchlessSigmoid,
    BranchlessSoftplus,
    as_contiguous,
)

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
_spec = importlib.util.spec_from_file_location("benchmark_models", BENCHMARKS / "models.py")
benchmark_models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(benchmark_models)
MODEL_NAMES = list(benchmark_models.MODELS)


def _scalar_ops(fgraph):
    """Types of the scalar ops in the Elemwise nodes of ``fgraph``, looking inside Composites."""
    found = set()
    for node in fgraph.apply_nodes:
        if isinstance(node.op, Elemwise):
            op = node.op.scalar_op
            inner = op.fgraph.apply_nodes if isinstance(op, Composite) else []
            found |= {type(n.op) for n in inner} | {type(op)}
    return found


def _elementwise(fn_of_x, x):
    x_var = pt.vector("x", shape=x.shape)
    fn = pytensor.function([x_var], fn_of_x(x_var), mode="NUMBA")
    return fn(x), _scalar_ops(fn.maker.fgraph)


def _grid() -> np.ndarray:
    mags = np.geomspace(1e-300, 1e3, 1501)
    return np.concatenate([-mags, [0.0], mags, np.linspace(-40, 40, 1601)])


@pytest.mark.parametrize(
    "fn_of_x, reference, branchless, original",
    [
        (pt.softplus, lambda x: np.logaddexp(0.0, x), BranchlessSoftplus, Softplus),
        (pt.sigmoid, special.expit, BranchlessSigmoid, Sigmoid),
        (pt.log1p, np.log1p, BranchlessLog1p, Log1p),
    ],
    ids=["softplus", "sigmoid", "log1p"],
)
def test_branchless_forms_match_reference_to_a_few_ulp(fn_of_x, reference, branchless, original):
    x = _grid()
    if original is Log1p:
        x = x[x > -1.0]
    got, ops = _elementwise(fn_of_x, x)
    assert branchless in ops and original not in ops
    ref = reference(x)
    # 4 ulp from libmvec's log/exp plus the rounding of the formula
    np.testing.assert_allclose(got, ref, rtol=2e-15, atol=0)


def test_branchless_forms_special_values():
    special_x = np.array([-np.inf, -800.0, -740.0, 0.0, 740.0, 800.0, np.inf, np.nan])
    softplus, _ = _elementwise(pt.softplus, special_x)
    np.testing.assert_array_equal(softplus[[0, 3, 5, 6]], [0.0, np.log(2.0), 800.0, np.inf])
    assert softplus[1] == 0.0 and softplus[2] == np.exp(-740.0) and np.isnan(softplus[7])
    sigmoid, _ = _elementwise(pt.sigmoid, special_x)
    np.testing.assert_array_equal(sigmoid[[0, 3, 5, 6]], [0.0, 0.5, 1.0, 1.0])
    assert np.isnan(sigmoid[7])
    log1p, _ = _elementwise(pt.log1p, np.array([-1.0, -2.0, np.inf, np.nan, 1e-300, -0.0]))
    assert log1p[0] == -np.inf and np.isnan(log1p[1]) and log1p[2] == np.inf and np.isnan(log1p[3])
    assert log1p[4] == 1e-300 and log1p[5] == 0.0


def test_as_contiguous_is_an_identity_with_identity_gradient():
    x = pt.vector("x", shape=(64,))
    value = np.arange(64.0) ** 2
    for view in (x[::2], x[1:]):  # a copy, then a contiguous view
        weights = np.linspace(1.0, 2.0, view.type.shape[0])
        expected = value[::2] if view.type.shape[0] == 32 else value[1:]
        expected_grad = pytensor.function([x], pt.grad((view * weights).sum(), x))(value)
        out = as_contiguous(view)
        for mode in ("NUMBA", "FAST_COMPILE"):
            fn = pytensor.function([x], [out, pt.grad((out * weights).sum(), x)], mode=mode)
            got, grad = fn(value)
            np.testing.assert_array_equal(got, expected)
            np.testing.assert_array_equal(grad, expected_grad)


def _logp_dlogp_graph(model):
    rmap = RavelMap.from_model(model)
    x = pt.vector("x", dtype="float64", shape=(rmap.size,))
    (logp,) = freeze_data([graph_replace(model.logp(), flat_replacements(model, x), strict=False)])
    return x, logp, pt.grad(logp, x)


def _point(ndim: int) -> np.ndarray:
    # away from the mode, so that the gradient is not a cancellation of large terms
    return np.random.default_rng(20251121).normal(scale=0.3, size=ndim)


@pytest.fixture(scope="module", params=MODEL_NAMES)
def compiled(request):
    model = benchmark_models.MODELS[request.param]()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        logp_dlogp = cr.compile_logp_dlogp(model)
    assert not [w for w in caught if "object mode" in str(w.message)]
    return request.param, model, logp_dlogp


def test_compiled_benchmark_models_match_pytensor_python_implementation(compiled):
    name, model, logp_dlogp = compiled
    x = _point(logp_dlogp.ndim)
    logp, grad = logp_dlogp(x)
    x_var, logp_ref, grad_ref = _logp_dlogp_graph(model)
    reference = pytensor.function([x_var], [logp_ref, grad_ref], mode="FAST_COMPILE")
    lp_ref, g_ref = reference(x)
    np.testing.assert_allclose(logp, lp_ref, rtol=1e-12)
    np.testing.assert_allclose(grad, g_ref, rtol=1e-12, atol=1e-12 * np.abs(g_ref).max())


def test_benchmark_graphs_are_rewritten(compiled):
    name, model, _ = compiled
    x_var, logp, grad = _logp_dlogp_graph(model)
    fgraph = pytensor.function([x_var], [logp, grad], mode="NUMBA").maker.fgraph
    ops = _scalar_ops(fgraph)
    assert not ops & {Softplus, Sigmoid, Log1p}
    if name == "logistic_n5000_d25":
        assert {BranchlessSoftplus, BranchlessSigmoid} <= ops
        constants = [i.data for n in fgraph.apply_nodes if isinstance(n.op, Dot) for i in n.inputs
                     if isinstance(i, pt.TensorConstant)]
        layouts = sorted((c.shape, c.flags.c_contiguous, c.flags.f_contiguous) for c in constants)
        assert layouts == [((25, 5000), True, False), ((5000, 25), False, True)]
        assert any(isinstance(n.op, AsContiguous) for n in fgraph.apply_nodes)
    if name == "stochastic_volatility":
        assert BranchlessLog1p in ops


def test_libmvec_vectorises_exp_loops():
    if not compiler.libmvec_enabled():
        pytest.skip(compiler.libmvec_status())

    @numba.njit
    def exp_loop(x, out):
        for i in range(x.shape[0]):
            out[i] = np.exp(x[i])

    x = np.linspace(-5, 5, 1000)
    out = np.empty_like(x)
    exp_loop(x, out)
    np.testing.assert_allclose(out, np.exp(x), rtol=4 * np.finfo(float).eps)
    assert re.search(r"_ZGV\w+_exp", "".join(exp_loop.inspect_asm().values()))


def test_cache_key_is_tagged_once_and_only_with_libmvec():
    assert compiler.enable_libmvec() == compiler.libmvec_enabled()  # a second call changes nothing
    magic = cpu_target.target_context.codegen().magic_tuple()
    assert magic.count("libmvec") == int(compiler.libmvec_enabled())


_SUBPROCESS_SCRIPT = textwrap.dedent(
    """
    import ctypes, importlib.util, json, sys
    import numpy as np
    if sys.argv[2] == "no-libmvec-file":
        cdll = ctypes.CDLL
        def refuse_libmvec(name, *args, **kwargs):
            if "libmvec" in str(name):
                raise OSError(f"{name}: cannot open shared object file")
            return cdll(name, *args, **kwargs)
        ctypes.CDLL = refuse_libmvec
    elif sys.argv[2] == "svml":
        import numba
        numba.config.USING_SVML = True
    import credo as cr
    from credo import compiler
    from numba.core.registry import cpu_target
    spec = importlib.util.spec_from_file_location("m", sys.argv[1])
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    out = {"status": compiler.libmvec_status(), "enabled": compiler.libmvec_enabled(),
           "magic": list(cpu_target.target_context.codegen().magic_tuple())}
    for name in sys.argv[3:]:
        c = cr.compile_logp_dlogp(m.MODELS[name]())
        x = np.random.default_rng(20251121).normal(scale=0.3, size=c.ndim)
        lp, g = c(x)
        out[name] = [lp, g.tolist()]
    print(json.dumps(out))
    """
)


def _run_without_libmvec(how: str, names: list[str], env: dict | None = None) -> dict:
    run = subprocess.run(
        [sys.executable, "-c", _SUBPROCESS_SCRIPT, str(BENCHMARKS / "models.py"), how, *names],
        env=dict(os.environ, **(env or {})), capture_output=True, text=True, timeout=600, check=True,
    )
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert not out["enabled"] and "libmvec" not in out["magic"]
    return out


def test_results_without_libmvec_agree_to_1e_12():
    names = ["eight_schools_nc", "logistic_n5000_d25"]
    out = _run_without_libmvec("env", names, env={"CREDO_NO_LIBMVEC": "1"})
    assert out["status"] == "disabled by CREDO_NO_LIBMVEC"
    for name in names:
        c = cr.compile_logp_dlogp(benchmark_models.MODELS[name]())
        logp, grad = c(_point(c.ndim))
        lp_plain, g_plain = out[name][0], np.array(out[name][1])
        np.testing.assert_allclose(logp, lp_plain, rtol=1e-12)
        np.testing.assert_allclose(grad, g_plain, rtol=1e-12, atol=1e-12 * np.abs(g_plain).max())


@pytest.mark.parametrize(
    "how, status",
    [("no-libmvec-file", "not available: cannot load libmvec.so.1"), ("svml", "not needed")],
)
def test_falls_back_cleanly_when_libmvec_cannot_be_used(how, status):
    out = _run_without_libmvec(how, ["eight_schools_nc"], env={"CREDO_NO_LIBMVEC": ""})
    assert out["status"].startswith(status)
    c = cr.compile_logp_dlogp(benchmark_models.eight_schools_nc())
    np.testing.assert_allclose(out["eight_schools_nc"][0], c(_point(c.ndim))[0], rtol=1e-12)
