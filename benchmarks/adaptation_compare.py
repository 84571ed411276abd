"""ESS per gradient evaluation of credo's NUTS under its warm-up adaptations (Stan,
nutpie and the hybrid).

Targets with known posteriors, written as cfuncs (`credo.sampling.targets`):

- ``diag_scales_20``: independent normals, scales log-spaced over 1e-2 .. 1e2 (20 dims);
- ``std_normal_100``: standard normal in 100 dims;
- ``corr_gauss_10``: Gaussian with AR(1) correlations ``0.9**|i-j|`` and scales 0.1 .. 10;
- ``funnel_10``: Neal's funnel, ``v`` plus 9 local coordinates (centred, hard; divergences shown).

Each configuration runs 4 chains of 1000 warm-up + 1000 draws for two seeds and prints the minimum
bulk ESS over coordinates (ArviZ), gradient evaluations (warm-up included) and ESS per 1000
gradients, overall and for the draws alone.

Usage: ``python benchmarks/adaptation_compare.py [--quick]``
"""

from __future__ import annotations

import sys
import time

import arviz as az
import numpy as np

from credo.sampling import run_chains
from credo.sampling.targets import funnel, mvnormal, normal


def _ar1_cov(n_dim: int, rho: float = 0.9) -> np.ndarray:
    i = np.arange(n_dim)
    scales = np.logspace(-1, 1, n_dim)
    return rho ** np.abs(i[:, None] - i[None, :]) * np.outer(scales, scales)


def targets():
    scales = np.logspace(-2, 2, 20)
    cov = _ar1_cov(10)
    return {
        "diag_scales_20": (normal(np.zeros(20), scales), 20),
        "std_normal_100": (normal(np.zeros(100), np.ones(100)), 100),
        "corr_gauss_10": (mvnormal(np.zeros(10), cov), 10),
        "funnel_10": (funnel(), 10),
    }


CONFIGS = [("stan", "diag"), ("nutpie", "diag"), ("hybrid", "diag"), ("stan", "dense")]


def run(name, fn, n_dim, adaptation, metric, seed, draws, tune):
    init = np.random.default_rng(seed).uniform(-2, 2, (4, n_dim))
    if name.startswith("funnel"):
        init[:, 0] = np.random.default_rng(seed).uniform(-1, 1, 4)
    t0 = time.perf_counter()
    res = run_chains(fn, n_dim, init, draws=draws, tune=tune, seed=seed, adaptation=adaptation,
                     metric=metric, progressbar=False)  # fmt: skip
    seconds = time.perf_counter() - t0
    ess = az.ess(az.convert_to_dataset(res.draws), method="bulk")["x"].values
    n_grad = int(res.n_grad_evals.sum())
    draw_grads = int(res.stats["n_steps"].sum())
    return {
        "ess": ess.min(),
        "n_grad": n_grad,
        "per_1k": 1000 * ess.min() / n_grad,
        "per_1k_draws": 1000 * ess.min() / draw_grads,
        "div": int(res.stats["diverging"].sum()),
        "seconds": seconds,
        "accept": res.stats["acceptance_rate"].mean(),
        "depth": res.stats["tree_depth"].mean(),
    }


def main(quick: bool = False) -> None:
    draws, tune = (300, 300) if quick else (1000, 1000)
    seeds = (1,) if quick else (1, 2)
    print(f"4 chains x ({tune} warm-up + {draws} draws); min bulk ESS over coordinates")
    header = (f"{'target':16s} {'adapt':7s} {'metric':6s} {'seed':>4s} {'minESS':>8s} "
              f"{'grads':>9s} {'ESS/1k grad':>11s} {'(draws only)':>12s} {'div':>5s} "
              f"{'accept':>6s} {'depth':>5s} {'sec':>6s}")  # fmt: skip
    print(header)
    for name, (fn, n_dim) in targets().items():
        for adaptation, metric in CONFIGS:
            for seed in seeds:
                r = run(name, fn, n_dim, adaptation, metric, seed, draws, tune)
                print(f"{name:16s} {adaptation:7s} {metric:6s} {seed:4d} {r['ess']:8.0f} "
                      f"{r['n_grad']:9d} {r['per_1k']:11.2f} {r['per_1k_draws']:12.2f} "
                      f"{r['div']:5d} {r['accept']:6.3f} {r['depth']:5.2f} "
                      f"{r['seconds']:6.2f}")  # fmt: skip
                sys.stdout.flush()


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
