"""Time from a model to its first gradient: cold (empty caches) and warm (second process).

For each model, two fresh processes share a new, empty PyTensor compile directory and Numba cache
directory (``PYTENSOR_FLAGS=base_compiledir=...``, ``NUMBA_CACHE_DIR=...``): the first compiles
everything (cold), the second finds it on disk (warm). Each prints

- ``compile``: ``cr.compile_logp_dlogp(model)``, split into ``rewrite`` (PyTensor's graph rewrites,
  ``FunctionMaker.prepare_fgraph``) and ``numba`` (top-level Numba compilations, typing to machine
  code, cache loads excluded);
- ``first call``: the first evaluation of ``(logp, grad)``, which may compile credo's entry point;
- ``compiled``: how many Numba functions were compiled (0 when everything came from the cache).

Models: the HAT-P-7 transit light curve of ``make demo`` (credo-exoplanet), non-centred eight
schools, and a model whose gradient needs ``scipy.special`` functions (Gamma, Beta and Student-t:
gammaln, digamma).

Usage: ``python benchmarks/compile_time.py [hatp7 eight_schools special]``
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

MODELS = ("hatp7", "eight_schools", "special")

_CHILD = textwrap.dedent(
    """
    import json, sys, time
    import numpy as np
    from numba.core import event
    from pytensor.compile.maker import FunctionMaker
    import credo as cr

    which, bench_dir = sys.argv[1], sys.argv[2]
    if which == "hatp7":
        from credo_exoplanet.examples.kepler_transit import build_model, prepare_data
        _, bls, lc = prepare_data()
        model = build_model(lc, bls.period, bls.t0, bls.depth)
    elif which == "eight_schools":
        sys.path.insert(0, bench_dir)
        from models import eight_schools_nc
        model = eight_schools_nc()
    else:
        y = np.random.default_rng(0).standard_t(4.0, size=50) + 1.0
        with cr.Model() as model:
            loc = cr.Gamma("loc", 2.0, 1.0)
            frac = cr.Beta("frac", 2.0, 3.0)
            nu = cr.Gamma("nu", 2.0, 0.1)
            scale = cr.HalfNormal("scale", 1.0)
            cr.StudentT("y", nu=nu, mu=loc * frac, sigma=scale, observed=y)

    timing = {"rewrite": 0.0, "numba": 0.0, "compiled": 0}
    prepare = FunctionMaker.prepare_fgraph

    def timed_prepare(*args, **kwargs):
        t = time.perf_counter()
        try:
            return prepare(*args, **kwargs)
        finally:
            timing["rewrite"] += time.perf_counter() - t

    FunctionMaker.prepare_fgraph = staticmethod(timed_prepare)

    class Listener(event.Listener):
        depth, start = 0, 0.0

        def on_start(self, ev):
            if self.depth == 0:
                self.start = time.perf_counter()
            self.depth += 1

        def on_end(self, ev):
            self.depth -= 1
            timing["compiled"] += 1
            if self.depth == 0:
                timing["numba"] += time.perf_counter() - self.start

    with event.install_listener("numba:compile", Listener()):
        t0 = time.perf_counter()
        compiled = cr.compile_logp_dlogp(model)
        t1 = time.perf_counter()
        compiled(np.zeros(compiled.ndim))
        t2 = time.perf_counter()
    print(json.dumps({"compile": t1 - t0, "first_call": t2 - t1, **timing}))
    """
)


def _run(which: str, env: dict) -> dict:
    bench_dir = str(Path(__file__).resolve().parent)
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, which, bench_dir], env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(f"{which}: child process failed\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(models: list[str]) -> None:
    unknown = set(models) - set(MODELS)
    if unknown:
        raise SystemExit(f"unknown models {sorted(unknown)}; choose from {MODELS}")
    header = ("compile", "rewrite", "numba", "1st call", "compiled")
    print(f"{'model':14s} {'run':5s} " + " ".join(f"{h:>8s}" for h in header))
    for which in models:
        with tempfile.TemporaryDirectory(prefix="credo-compile-time-") as tmp:
            env = dict(os.environ)
            env["PYTENSOR_FLAGS"] = f"base_compiledir={tmp}/pytensor"
            env["NUMBA_CACHE_DIR"] = f"{tmp}/numba"
            for run in ("cold", "warm"):
                r = _run(which, env)
                print(
                    f"{which:14s} {run:5s} {r['compile']:7.1f}s {r['rewrite']:7.1f}s {r['numba']:7.1f}s"
                    f" {r['first_call']:7.2f}s {r['compiled']:8d}",
                    flush=True,
                )


if __name__ == "__main__":
    main(sys.argv[1:] or list(MODELS))
