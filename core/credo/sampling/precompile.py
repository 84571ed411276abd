"""Compile credo's model-independent sampler kernels into Numba's disk cache ahead of first use.

The NUTS, warm-up and compound-step kernels take the model's log-density as a function pointer,
so one compilation serves every model; on an empty cache it costs ~10 s, which would otherwise fall on
the user's first `cr.sample`. ``make install`` runs ``python -m credo.sampling.precompile``. Where
that was not done, the first `cr.sample` compiles the NUTS kernels in a child process, beside the
model (`credo.sampling.background`).
"""

from __future__ import annotations

import functools
import time

import numpy as np

__all__ = ["precompile"]


def precompile(verbose: bool = False) -> dict[str, float]:
    """Run every sampler configuration once on tiny models, filling Numba's disk cache.

    Covers NUTS with a diagonal metric under each warm-up scheme (each has its own chain loop,
    `credo.sampling.chain.RUN_CHUNK`), the dense metric, the compound NUTS + Metropolis step
    (Bernoulli, Categorical and integer random-walk proposals) and the slice step. (SMC mutates particles with
    NumPy and a per-model closure: nothing to precompile.)

    Parameters
    ----------
    verbose : bool
        Print each configuration and its time.

    Returns
    -------
    dict of str to float
        Wall-clock seconds per configuration.
    """
    import credo as cr

    y = np.array([0.3, -0.8, 1.1, 0.4])
    with cr.Model() as continuous:
        mu = cr.Normal("mu", 0.0, 1.0)
        sigma = cr.HalfNormal("sigma", 1.0)
        cr.Normal("y", mu, sigma, observed=y)
    with cr.Model() as discrete:
        rate = cr.Exponential("rate", 1.0)
        flag = cr.Bernoulli("flag", 0.5)
        door = cr.Categorical("door", np.ones(3) / 3)
        count = cr.Poisson("count", 2.0)
        cr.Normal("z", rate + flag + door + count, 1.0, observed=y)

    small = {
        "draws": 5,
        "tune": 5,
        "chains": 1,
        "random_seed": 0,
        "progressbar": False,
        "compute_convergence_checks": False,
    }
    runs = {
        "nuts, diagonal metric, nutpie warm-up": lambda: cr.sample(model=continuous, **small),
        **{
            f"nuts, diagonal metric, {label} warm-up": functools.partial(
                cr.sample, model=continuous, adaptation=scheme, **small
            )
            for scheme, label in (("stan", "Stan"), ("pymc", "PyMC"), ("hybrid", "hybrid"))
        },
        "nuts, dense metric": lambda: cr.sample(model=continuous, init="jitter+adapt_full", **small),
        "nuts + metropolis": lambda: cr.sample(model=discrete, **small),
        "slice": lambda: cr.sample(model=continuous, step=cr.Slice(), **small),
    }
    seconds = {}
    for name, run in runs.items():
        start = time.perf_counter()
        run()
        seconds[name] = time.perf_counter() - start
        if verbose:
            print(f"{name}: {seconds[name]:.1f} s", flush=True)
    return seconds


if __name__ == "__main__":
    precompile(verbose=True)
