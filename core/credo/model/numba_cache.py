"""Keep compiled credo graphs in Numba's on-disk cache across processes.

PyTensor's Numba backend caches a compiled graph on disk only when every node of it has a cache key
(`pytensor.link.numba.dispatch.basic.numba_funcify_and_cache_key`); one node without a key makes the
whole graph, and so every elementwise loop of it, compile again in each new process.

PyTensor calls SciPy's special functions (``psi``, ``erfcx``, ``gammainc``, ``betainc``, ``i0``, ...:
every `ScalarOp` whose ``nfunc_spec`` names ``scipy.special``, apart from the few Numba implements
itself) through the function pointers of ``scipy.special.cython_special``. The pointer is a constant
of the machine code, valid only in the process that compiled it, so these Ops have no cache key: the
digamma in the gradient of a Gamma or Student-t likelihood keeps such a model from being cached.

Here each of these functions is called through a named external symbol, ``credo_cython_special_<name>_
<result and argument dtypes>``, that the funcify of the Op binds to the function's address in the
running process (``llvmlite.binding.add_symbol``) before the graph is compiled or loaded from the
cache. The machine code then refers to a name that is bound again in every process, and the Op gets a
cache key. The function called, and so every result, is the same as PyTensor's. Registered on import
(by `credo.compiler`) for every `ScalarOp` without an implementation of its own.

`wrap_logp_dlogp` builds the ``x -> (logp, grad)`` entry points of a compiled graph so that they are
cached with it: Numba compiles a caller together with the code of everything it calls, so an uncached
wrapper costs as much machine-code generation as the graph itself (4 s per wrapper for HAT-P-7).
"""

from __future__ import annotations

from hashlib import sha256

import llvmlite.binding as llvm
import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils
from numba.core.dispatcher import Dispatcher
from numba.extending import intrinsic
from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS, compile_numba_function_src
from pytensor.link.numba.dispatch import basic as numba_basic
from pytensor.link.numba.dispatch.basic import register_funcify_and_cache_key
from pytensor.link.numba.dispatch.cython_support import wrap_cython_function
from pytensor.link.numba.dispatch.scalar import numba_funcify_ScalarOp
from pytensor.scalar.basic import ScalarOp

__all__ = [
    "SCIPY_SPECIAL_PREFIX",
    "cython_special_symbol",
    "graph_cache_key",
    "numba_funcify_scipy_special",
    "wrap_logp",
    "wrap_logp_dlogp",
]

SCIPY_SPECIAL_PREFIX = "scipy.special."
# Bump when the generated code below changes: it is part of PyTensor's on-disk cache key.
_CACHE_VERSION = 1
_LOGP_DLOGP_VERSION = 1
# Real C types only: complex arguments would be passed as structs, whose calling convention this
# module does not lower.
_REAL_KINDS = "biuf"


def cython_special_symbol(name: str, dtypes: list[str]) -> str:
    """Linker symbol under which credo calls one specialisation of ``scipy.special.cython_special.<name>``.

    Parameters
    ----------
    name : str
        Function name in ``scipy.special.cython_special`` (e.g. ``"psi"``).
    dtypes : list of str
        NumPy dtypes of its result and arguments (e.g. ``["float64", "float64"]``), which select
        one fused specialisation.

    Returns
    -------
    str
        E.g. ``"credo_cython_special_psi_float64_float64"``.
    """
    return "_".join(["credo_cython_special", name, *dtypes])


def _external_call(symbol: str, c_arg_types, c_res_type, out_type, skip_dispatch: bool):
    """Numba intrinsic calling the C function ``symbol``; casts arguments in and the result out."""

    @intrinsic
    def call(typingctx, args):
        # One tuple argument: Numba intrinsics cannot take *args.
        sig = out_type(args)

        def codegen(context, builder, signature, llargs):
            (arg_tuple,) = llargs
            ll_arg_types = [context.get_value_type(t) for t in c_arg_types]
            cargs = [
                context.cast(builder, builder.extract_value(arg_tuple, i), t, c)
                for i, (t, c) in enumerate(zip(signature.args[0], c_arg_types))
            ]
            if skip_dispatch:
                # Cython's ``__pyx_skip_dispatch`` flag: 1 = call the C function directly
                ll_arg_types.append(ir.IntType(32))
                cargs.append(ir.Constant(ir.IntType(32), 1))
            fnty = ir.FunctionType(context.get_value_type(c_res_type), ll_arg_types)
            fn = cgutils.get_or_insert_function(builder.module, fnty, symbol)
            res = builder.call(fn, cargs)
            return context.cast(builder, res, c_res_type, signature.return_type)

        return sig, codegen

    return call


def numba_funcify_scipy_special(op, node, **kwargs):
    """Numba implementation and cache key of a `ScalarOp` computed by ``scipy.special``.

    Other Ops go to PyTensor's `numba_funcify_ScalarOp` (which keys those it can cache), and so do
    complex dtypes and functions without a matching ``cython_special`` specialisation (uncached).

    Parameters
    ----------
    op : ScalarOp
        With ``op.nfunc_spec[0]`` naming the function, e.g. ``"scipy.special.psi"``.
    node : Apply
        Its scalar node; input and output dtypes select the C specialisation.

    Returns
    -------
    (callable, str or None)
        The Numba function and its cache key.

    References
    ----------
    PyTensor, ``pytensor/link/numba/dispatch/scalar.py`` and ``cython_support.py`` (the same choice
    of specialisation); llvmlite, ``binding.add_symbol``.
    """
    spec = getattr(op, "nfunc_spec", None)
    dtypes = [np.dtype(v.type.dtype) for v in (*node.inputs, *node.outputs)]
    if (
        not spec
        or not spec[0].startswith(SCIPY_SPECIAL_PREFIX)
        or len(node.outputs) != 1
        or any(d.kind not in _REAL_KINDS for d in dtypes)
    ):
        return numba_funcify_ScalarOp(op, node=node, **kwargs)
    import scipy.special.cython_special

    name = spec[0][len(SCIPY_SPECIAL_PREFIX) :]
    cython_func = getattr(scipy.special.cython_special, name, None)
    if cython_func is None:
        return numba_funcify_ScalarOp(op, node=node, **kwargs)
    try:
        wrapper = wrap_cython_function(cython_func, dtypes[-1], dtypes[:-1])
    except NotImplementedError:
        return numba_funcify_ScalarOp(op, node=node, **kwargs)
    n_args = len(node.inputs)
    c_arg_dtypes = [np.dtype(d) for d in wrapper.numpy_arg_dtypes()[:n_args]]
    c_res_dtype = np.dtype(wrapper.numpy_output_dtype())
    symbol = cython_special_symbol(name, [str(d) for d in (c_res_dtype, *c_arg_dtypes)])
    # Bound in every process before a graph calling it is compiled or loaded from the cache.
    llvm.add_symbol(symbol, wrapper.__wrapper_address__())

    call = _external_call(
        symbol,
        [numba.from_dtype(d) for d in c_arg_dtypes],
        numba.from_dtype(c_res_dtype),
        numba.from_dtype(dtypes[-1]),
        wrapper.has_pyx_skip_dispatch(),
    )
    args = ", ".join(f"x{i}" for i in range(n_args))
    src = f"def {name}({args}):\n    return call(({args},))\n"
    fn = compile_numba_function_src(src, name, {"call": call})
    key = sha256(
        str((type(op), symbol, str(dtypes[-1]), "credo", _CACHE_VERSION)).encode()
    ).hexdigest()
    return numba_basic.numba_njit(fn), key


register_funcify_and_cache_key(ScalarOp)(numba_funcify_scipy_special)


def graph_cache_key(jit_fn) -> str | None:
    """PyTensor's on-disk cache key of a function compiled by its Numba linker, or None if uncached.

    Parameters
    ----------
    jit_fn : numba dispatcher
        ``pytensor.function(..., mode="NUMBA").vm.jit_fn``.
    """
    return CACHED_SRC_FUNCTIONS.get(getattr(jit_fn, "py_func", None))


def _graph_dispatcher(jit_fn):
    # PyTensor's linker returns a second, Python-callable compilation of the graph function it
    # cached (``jitable_func``, see `numba_funcify_ensure_cache`). Calling the graph function itself
    # spares compiling that copy: each Numba caller re-optimises and re-generates the machine code
    # of everything it calls (5 s for the HAT-P-7 light curve).
    inner = getattr(getattr(jit_fn, "py_func", None), "__globals__", {}).get("jitable_func")
    return inner if isinstance(inner, Dispatcher) else jit_fn


_LOGP_DLOGP_SRC = """
def logp_dlogp(x):
    logp, grad = jit_fn(x)
    return logp.item(), grad
"""

_LOGP_DLOGP_C_SRC = """
def logp_dlogp_c(x_ptr, grad_ptr, n):
    x = carray(x_ptr, (n,))
    grad_out = carray(grad_ptr, (n,))
    logp, grad = jit_fn(x)
    for i in range(n):
        grad_out[i] = grad[i]
    return logp.item()
"""


_LOGP_C_SRC = """
def logp_c(x_ptr, n):
    (logp,) = jit_fn(carray(x_ptr, (n,)))
    return logp.item()
"""


def _cached_entry(jit_fn, src: str, name: str):
    """Compile ``src`` (a function named ``name`` calling ``jit_fn``), cached with the graph if it is."""
    key = graph_cache_key(jit_fn)
    # __name__: Numba rebuilds a cached function's environment from the module it names.
    env = {"__name__": __name__, "jit_fn": _graph_dispatcher(jit_fn), "carray": numba.carray}
    cache_key = f"credo_{name}_v{_LOGP_DLOGP_VERSION}_{key}" if key is not None else None
    return compile_numba_function_src(src, name, env, cache_key=cache_key), key is not None


def wrap_logp_dlogp(jit_fn, c_signature):
    """Numba and C entry points ``x -> (logp, grad)`` around a compiled log-density graph.

    Both are stored in Numba's on-disk cache next to the graph when PyTensor cached the graph, so a
    new process loads them instead of compiling them: compiling a caller re-optimises the whole
    linked module of the graph, which for a large graph (a light curve) costs seconds each.

    Parameters
    ----------
    jit_fn : numba dispatcher
        ``x (float64[n]) -> (logp (0-d float64 array), grad (float64[n]))``, from PyTensor's Numba linker.
    c_signature : numba signature
        ``float64(CPointer(float64), CPointer(float64), intp)``.

    Returns
    -------
    logp_dlogp : numba dispatcher
        ``x -> (float, ndarray)``.
    logp_dlogp_c : numba cfunc
        ``double(double *x, double *grad, intp n)``, writing the gradient into ``grad``.
    """
    fn, cache = _cached_entry(jit_fn, _LOGP_DLOGP_SRC, "logp_dlogp")
    c_fn, _ = _cached_entry(jit_fn, _LOGP_DLOGP_C_SRC, "logp_dlogp_c")
    return numba.njit(nogil=True, cache=cache)(fn), numba.cfunc(c_signature, nogil=True, cache=cache)(c_fn)


def wrap_logp(jit_fn, c_signature):
    """C entry point ``double logp(double *x, intp n)`` around a compiled log-density graph
    ``x -> (logp,)``, cached with the graph like `wrap_logp_dlogp`.

    Parameters
    ----------
    jit_fn : numba dispatcher
        ``x (float64[n]) -> (logp (0-d float64 array),)``, from PyTensor's Numba linker.
    c_signature : numba signature
        ``float64(CPointer(float64), intp)``.
    """
    fn, cache = _cached_entry(jit_fn, _LOGP_C_SRC, "logp_c")
    return numba.cfunc(c_signature, nogil=True, cache=cache)(fn)
