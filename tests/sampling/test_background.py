"""`credo.sampling.background`: on an empty Numba cache the NUTS chain loop compiles in a child
process, and the parent loads it from the cache and samples exactly as it would have."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import credo as cr
import credo.sampling.sample as cr_sample
from credo.sampling import background

Y = [0.3, -0.8, 1.1, 0.4, 2.0]
SAMPLE = {"draws": 20, "tune": 30, "chains": 2, "cores": 1, "random_seed": 7, "progressbar": False,
          "compute_convergence_checks": False}  # fmt: skip

# a fresh process on an empty cache: a cr.sample whose kernels come from the child
_COLD_RUN = f"""
import json, sys
import credo as cr
from credo.sampling import background
from credo.sampling.chain import RUN_CHUNK
before = background.nuts_kernel_cached()
with cr.Model():
    mu = cr.Normal("mu", 0.0, 1.0)
    sigma = cr.HalfNormal("sigma", 1.0)
    cr.Normal("y", mu, sigma, observed={Y})
    idata = cr.sample(**{SAMPLE})
print(json.dumps({{
    "cached_before": before,
    "cached_after": background.nuts_kernel_cached(),
    "hits": sum(RUN_CHUNK["nutpie"]._cache_hits.values()),
    "misses": sum(RUN_CHUNK["nutpie"]._cache_misses.values()),
    "mu": idata.posterior["mu"].values.tolist(),
}}))
"""


# the chain loop compiled after `compile_chain_loop_calls` filled the cache: which calls it loaded
_CALLS_THEN_LOOP = """
import json, sys
from credo.sampling import background
from credo.sampling.adapt.mass_matrix import (
    grad_based_inv_mass, inv_mass_sqrt, stan_inv_mass, variance_inv_mass,
)
from credo.sampling.adapt.pymc import pymc_windows_update
from credo.sampling.adapt.step_size import dual_average_init, init_step_size
from credo.sampling.clock import now
from credo.sampling.hamiltonian import _dot_rows, draw_momentum
from credo.sampling.nuts import _join_is_no_u_turn, nuts_workspace
scheme, dense = sys.argv[2], sys.argv[3] == "dense"
if sys.argv[1] == "calls":
    background.compile_chain_loop_calls(scheme, dense)
else:
    background.compile_nuts_kernel(scheme, dense)
calls = (grad_based_inv_mass, stan_inv_mass, variance_inv_mass, pymc_windows_update, init_step_size,
         draw_momentum, nuts_workspace, now, inv_mass_sqrt, dual_average_init, _join_is_no_u_turn,
         _dot_rows)
print(json.dumps({f.py_func.__name__: [sum(f._cache_hits.values()), sum(f._cache_misses.values())]
                  for f in calls}))
"""


def _model() -> cr.Model:
    with cr.Model() as model:
        mu = cr.Normal("mu", 0.0, 1.0)
        sigma = cr.HalfNormal("sigma", 1.0)
        cr.Normal("y", mu, sigma, observed=Y)
    return model


def test_cached_kernel_starts_no_child():
    background.compile_nuts_kernel()  # a cache hit in a test session, else compiled here
    assert background.nuts_kernel_cached() is True
    assert background.start_background_compile() is False
    assert background._child is None


def test_the_child_compiles_without_importing_pytensor():
    # the child's start is on the path to a cold first draw: it imports Numba and the kernels only
    # printed before the child's exit, which skips the interpreter's teardown
    report = "print([m for m in sys.modules if 'pytensor' in m], flush=True)"
    code = background._child_code("nutpie", False).replace("os._exit(0)", f"{report}; os._exit(0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["[]"]
    assert background.nuts_kernel_cached() is True


def test_environment_turns_the_child_off(monkeypatch):
    monkeypatch.setenv(background.BACKGROUND_COMPILE_ENV, "0")
    monkeypatch.setattr(background, "nuts_kernel_cached", lambda *args: False)
    assert background.start_background_compile() is False
    assert background._child is None


@pytest.mark.parametrize("progressbar", [True, False])
def test_a_compiling_child_is_announced_with_the_progress_bar(monkeypatch, capsys, progressbar):
    monkeypatch.setattr(cr_sample, "start_background_compile", lambda *args: True)
    cr.sample(model=_model(), **{**SAMPLE, "progressbar": progressbar})
    assert (background.COMPILING_MESSAGE in capsys.readouterr().err) is progressbar


def test_interrupted_wait_kills_the_child(monkeypatch):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    wait = child.wait

    def interrupted(*args, **kwargs):
        child.wait = wait
        raise KeyboardInterrupt

    child.wait = interrupted
    monkeypatch.setattr(background, "_child", child)
    with pytest.raises(KeyboardInterrupt):
        background.wait_for_background_compile()
    assert child.poll() == -9  # killed, and reaped
    assert background._child is None
    background.wait_for_background_compile()  # nothing left to wait for


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scheme", "metric", "scheme_calls"),
    [
        ("nutpie", "diag", {"grad_based_inv_mass"}),
        ("stan", "dense", {"stan_inv_mass"}),
    ],
)
def test_the_chain_loop_loads_the_calls_the_parent_compiled(tmp_path, scheme, metric, scheme_calls):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    env.pop(background.BACKGROUND_COMPILE_ENV, None)
    counts = {}
    for step in ("calls", "loop"):
        out = subprocess.run([sys.executable, "-c", _CALLS_THEN_LOOP, step, scheme, metric], env=env,
                             capture_output=True, text=True, timeout=600)  # fmt: skip
        assert out.returncode == 0, out.stderr[-3000:]
        counts[step] = json.loads(out.stdout.strip().splitlines()[-1])
    used = scheme_calls | {"init_step_size", "draw_momentum", "nuts_workspace", "now", "inv_mass_sqrt",
                           "dual_average_init", "_join_is_no_u_turn", "_dot_rows"}  # fmt: skip
    # the parent compiled each call of the scheme (some in two specialisations); the chain loop then
    # found every one in the cache, with its types, and never looked up the other schemes' calls:
    # their branches were pruned
    for name in counts["calls"]:
        hits, misses = counts["loop"][name]
        assert (counts["calls"][name][1] > 0) == (name in used), counts["calls"]
        assert misses == 0 and (hits > 0) == (name in used), counts["loop"]


@pytest.mark.slow
def test_cold_sample_loads_the_childs_kernel_and_draws_the_same(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    env["PYTENSOR_FLAGS"] = f"base_compiledir={tmp_path / 'pytensor'}"
    env.pop(background.BACKGROUND_COMPILE_ENV, None)
    out = subprocess.run([sys.executable, "-c", _COLD_RUN], env=env, capture_output=True, text=True,
                         timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    cold = json.loads(out.stdout.strip().splitlines()[-1])
    assert cold["cached_before"] is False
    assert cold["cached_after"] is True
    # the parent loaded the chain loop from the cache: it compiled none
    assert (cold["hits"], cold["misses"]) == (1, 0)
    warm = cr.sample(model=_model(), **SAMPLE)
    np.testing.assert_array_equal(np.array(cold["mu"]), warm.posterior["mu"].values)
