"""The NUTS kernels compiled in a child process while the parent compiles the model.

On an empty Numba cache (no ``make install``, `credo.sampling.precompile`) the NUTS chain loop of a
warm-up scheme takes ~8-10 s to compile, longer than most models. `cr.sample` calls
`start_background_compile` before it compiles the model: a child process (``python -c``, this copy
of credo, the parent's environment and so its ``NUMBA_CACHE_DIR``) compiles the chain loop for the
argument types of `credo.sampling.run_chains` into the disk cache, on the other core, and exits.
Meanwhile the parent compiles the functions that the chain loop calls rather than inlines
(`compile_chain_loop_calls`), which the child then loads from the cache, and the model;
`wait_for_background_compile` then lets it load the chain loop from the cache instead of compiling
it. If the child fails, the parent compiles it as before; a parent that stops before waiting (an
error in the model) leaves the child to finish filling the cache.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import threading

import numpy as np

from credo.kernel_cache import CREDO_ROOT

__all__ = [
    "BACKGROUND_COMPILE_ENV",
    "COMPILING_MESSAGE",
    "compile_nuts_kernel",
    "compile_chain_loop_calls",
    "nuts_kernel_cached",
    "start_background_compile",
    "wait_for_background_compile",
]

BACKGROUND_COMPILE_ENV = "CREDO_BACKGROUND_COMPILE"
# what `cr.sample` prints (with its progress bar on) while a child compiles
COMPILING_MESSAGE = (
    "credo: compiling the NUTS sampler into Numba's disk cache, once per installation (~10 s, beside "
    "the model); `python -m credo.sampling.precompile` does it ahead of time"
)
# The child's ``python -c``. ``import credo`` would import PyTensor and every distribution, ~0.8 s
# of the child's start, on the path to the first draw; the chain loop needs only Numba, credo's
# Numba set-up (`credo.compiler`) and the sampling kernels (~0.35 s). So the packages ``credo`` and
# ``credo.sampling`` stand in as bare namespaces whose ``__init__`` never runs; their modules are
# the same files, so the cache entries are those of a full import. The parent waits for the child
# to exit, and the interpreter's teardown after a compilation takes ~0.7 s: once the cache files
# are written (and closed) the child exits at once. An error exits normally, with status 1.
_CHILD_CODE = """
import sys, types
for name, path in {packages!r}:
    package = types.ModuleType(name)
    package.__path__ = [path]
    sys.modules[name] = package
import credo.compiler
from {module} import compile_nuts_kernel
compile_nuts_kernel({scheme!r}, {dense!r})
import os
os._exit(0)
"""
_child: subprocess.Popen | None = None
_child_lock = threading.Lock()


def _toy_target():
    from credo.sampling.targets import normal

    return normal(np.zeros(2), np.ones(2))


def compile_nuts_kernel(scheme: str = "nutpie", dense: bool = False) -> None:
    """Compile and cache the chain loop of warm-up scheme ``scheme`` (`credo.sampling.chain.RUN_CHUNK`)
    for the argument types (and so the Numba specialisation) that `credo.sampling.run_chains` passes
    on a model of continuous variables.

    The loop is compiled for its signature rather than called: the log-density is a function type
    (`credo.sampling.logp.LOGP_GRAD_TYPE`), so no cfunc has to be compiled for it. The warm-up state
    comes from PyMC's initialisation, which has no step-size search and so needs no log-density,
    with no warm-up iterations: every scheme's state has the same types, and the parent compiles
    that search, with the chain loop's other calls, in `compile_chain_loop_calls`. A dense metric
    (Stan's scheme only) needs Stan's initialisation, search included, on a toy target.

    Parameters
    ----------
    scheme : {"nutpie", "stan", "pymc", "hybrid"}
    dense : bool
        Dense rather than diagonal metric.
    """
    from numba import typeof

    from credo.sampling.adapt.warmup import warmup_init
    from credo.sampling.chain import RUN_CHUNK, STAT_NAMES
    from credo.sampling.logp import LOGP_GRAD_TYPE, eval_logp_grad

    x, idx = np.ones(2), np.arange(2)
    if dense:  # Stan's initialisation searches a step size on the toy target
        fn = _toy_target()
        logp, grad = eval_logp_grad(fn, x)
    else:
        fn, logp, grad = None, 0.0, np.ones(2)
    rng = np.random.default_rng(0)
    state, step_size, inv_mass, chol, _ = warmup_init("stan" if dense else "pymc", 0, 0.8, dense, x, logp,
                                                      grad, fn, idx, rng)  # fmt: skip
    args = (idx, x, logp, grad, step_size, inv_mass, chol, rng, state, 0, 10, 1000.0, np.inf,
            np.empty((1, 2)), np.zeros((1, len(STAT_NAMES))))  # fmt: skip
    RUN_CHUNK[scheme].compile((LOGP_GRAD_TYPE, *map(typeof, args)))


def compile_chain_loop_calls(scheme: str = "nutpie", dense: bool = False) -> None:
    """Compile, with the chain loop's argument types, the functions of warm-up scheme ``scheme``,
    the momentum draw, the scratch arrays, the clock, the U-turn checks and the kinetic energy that
    its chain loop (`credo.sampling.chain.RUN_CHUNK`) calls rather than inlines, and the scheme's
    initialisation (`warmup_init`, with its step-size search).

    Run before the model compiles, they are in Numba's disk cache by the time the child's
    compilation of the chain loop reaches them (~3 s in), and the child loads them instead of
    compiling them (~2 s of its ~10). Calls whose types differ from the chain loop's (a literal
    argument, say) are only compiled twice, as before.

    Parameters
    ----------
    scheme : {"nutpie", "stan", "pymc", "hybrid"}
    dense : bool
        Dense rather than diagonal metric.
    """
    from numba import types

    from credo.sampling.adapt.mass_matrix import (
        RunningVariance,
        grad_based_inv_mass,
        inv_mass_sqrt,
        stan_inv_mass,
        variance_inv_mass,
    )
    from credo.sampling.adapt.pymc import PymcWindows, pymc_windows_update
    from credo.sampling.adapt.step_size import dual_average_init
    from credo.sampling.adapt.warmup import warmup_init
    from credo.sampling.clock import now
    from credo.sampling.hamiltonian import _dot_rows, draw_momentum
    from credo.sampling.logp import eval_logp_grad
    from credo.sampling.nuts import _join_is_no_u_turn, nuts_workspace

    m = 2
    rng = np.random.default_rng(0)
    unit = np.eye(m) if dense else np.ones(m)
    # first what the child's `compile_nuts_kernel` runs, then the calls of the NUTS transition,
    # which the child's compilation of the chain loop reaches next (~2 s in)
    inv_mass_sqrt(unit)
    dual_average_init(0.1)
    draw_momentum(unit, rng, np.empty(m))
    nuts_workspace(m, m, 10)
    now(np.empty(2, dtype=np.int64))
    # the U-turn checks and the kinetic energy of the tree building, on rows of the work array
    row, i64 = types.CPointer(types.float64), types.int64
    _join_is_no_u_turn.compile((row, *[i64] * 10))
    _dot_rows.compile((row, i64, i64, i64))
    fn, x = _toy_target(), np.ones(m)
    logp, grad = eval_logp_grad(fn, x)
    _, _, inv_mass, _, _ = warmup_init(scheme, 1, 0.8, dense, x, logp, grad, fn, np.arange(m), rng)
    # the estimators as `warmup_init` builds them: the Stan one holds a covariance for a dense metric
    diag = RunningVariance(np.ones(m), np.ones(m), 2)
    if scheme == "pymc":
        pymc_windows_update(PymcWindows(diag, diag), 0, x, inv_mass.copy())
    elif scheme == "stan":
        stan_inv_mass(RunningVariance(np.ones(m), np.eye(m) if dense else np.ones(m), 2))
    else:
        grad_based_inv_mass(diag, diag, inv_mass.copy())
        if scheme == "hybrid":
            variance_inv_mass(diag, inv_mass.copy())


def nuts_kernel_cached(scheme: str = "nutpie", dense: bool = False) -> bool | None:
    """Whether Numba's disk cache holds this source's NUTS chain loop of warm-up scheme ``scheme``
    (`credo.sampling.chain.RUN_CHUNK`) for a diagonal or dense metric, on this machine.

    Reads the function's cache index through Numba's ``numba.core.caching`` internals: its keys
    are ``(argument types, codegen magic tuple, hashes of the bytecode and of the closure's
    variables)``: the scheme is a closure variable.

    Returns
    -------
    bool or None
        None when it cannot tell: caching disabled, or an index of another layout.
    """
    from credo.sampling.chain import RUN_CHUNK

    run_chunk = RUN_CHUNK[scheme]
    inv_mass = list(inspect.signature(run_chunk.py_func).parameters).index("inv_mass")
    try:
        cache = run_chunk._cache
        _, magic, code_hash = cache._index_key((), run_chunk.targetctx.codegen())
        keys = cache._cache_file._load_index()
        ndim = 2 if dense else 1
        return any(k[1] == magic and k[2] == code_hash and k[0][inv_mass].ndim == ndim for k in keys)
    # another Numba's internals: not knowing only loses the child's head start
    except (AttributeError, IndexError, TypeError, ValueError):
        return None


def start_background_compile(scheme: str = "nutpie", dense: bool = False) -> bool:
    """Compile the NUTS chain loop of warm-up scheme ``scheme`` in a child process if Numba's disk
    cache lacks it.

    Nothing is started when the kernels are cached or that cannot be told (`nuts_kernel_cached`),
    when a child is already running, on a machine with one core, when the interpreter cannot be
    started again (``sys.executable``), or when the environment sets ``CREDO_BACKGROUND_COMPILE=0``.

    Parameters
    ----------
    scheme : {"nutpie", "stan", "pymc", "hybrid"}
    dense : bool
        Dense rather than diagonal metric.

    Returns
    -------
    bool
        Whether a child is compiling.
    """
    global _child
    if os.environ.get(BACKGROUND_COMPILE_ENV, "1") == "0" or (os.cpu_count() or 1) < 2:
        return False
    with _child_lock:
        if _child is None:
            if nuts_kernel_cached(scheme, dense) is not False:
                return False
            env = dict(os.environ, **{BACKGROUND_COMPILE_ENV: "0"})
            # this copy of credo, also where it is a checkout put on sys.path rather than installed
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CREDO_ROOT.parent), env.get("PYTHONPATH")]))
            code = _child_code(scheme, dense)
            try:
                _child = subprocess.Popen([sys.executable, "-c", code], env=env, stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            except OSError:  # no interpreter to start (embedded Python): compile here, as without a child
                return False
    return True


def _child_code(scheme: str, dense: bool) -> str:
    packages = [("credo", str(CREDO_ROOT)), ("credo.sampling", str(CREDO_ROOT / "sampling"))]
    return _CHILD_CODE.format(packages=packages, module=__name__, scheme=scheme, dense=dense)


def wait_for_background_compile() -> None:
    """Block until the child of `start_background_compile` has exited (at once if there is none).

    Raises
    ------
    KeyboardInterrupt
        Re-raised after killing the child, if the wait is interrupted.
    """
    global _child
    with _child_lock:
        if _child is None:
            return
        try:
            _child.wait()
        except BaseException:
            _child.kill()
            _child.wait()
            raise
        finally:
            _child = None
