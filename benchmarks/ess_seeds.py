"""ESS per gradient evaluation over several seeds: credo, nutpie or PyMC on one benchmark model.

One seed of a 4 x (1000 + 1000) run cannot rank samplers: on eight schools credo's minimum bulk ESS
per 1000 gradients ranges 25-50 between seeds. This script repeats the settings of models.md (4
chains, 1000 tune + 1000 draws, two chains at a time) for a list of seeds and prints, per seed, one
JSON line, then the mean and its standard error over seeds:

- ``ess_per_1000``: minimum ArviZ bulk ESS over every scalar free parameter per 1000 gradient
  evaluations (leapfrog steps of all chains, warm-up and step-size searches included);
- ``ess``: the minimum bulk ESS of each free variable (e.g. ``tau`` and ``mu`` of eight schools,
  ``sigma`` and ``nu`` of the stochastic volatility model);
- ``grads_warmup``, ``grads_draws``: gradient evaluations in warm-up and in the kept draws;
- ``step_size`` (the adapted step size of each chain), ``n_steps`` and ``tree_depth`` (means over
  draws), ``accept`` (mean acceptance statistic of the draws), ``divergences``, ``max_rhat``.

credo runs ``cr.sample`` (``models.py``); ``nutpie`` and ``pymc`` run in the peers venv on the PyMC
models of ``peers_sampling.py``::

    .venv/bin/python benchmarks/ess_seeds.py credo eight_schools_nc --seeds 1-6
    .venv-peers/bin/python benchmarks/ess_seeds.py nutpie eight_schools_nc --seeds 1-6

``--adaptation stan`` (or ``pymc``, ``hybrid``; default ``nutpie``) passes ``adaptation=`` to
``cr.sample`` (credo only).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

_ACCEPT = {"credo": "acceptance_rate", "pymc": "acceptance_rate", "nutpie": "mean_tree_accept"}
_DEPTH = {"credo": "tree_depth", "pymc": "tree_depth", "nutpie": "depth"}
# PyMC's ``step_size`` after warm-up is the last warm-up iterate; it samples with ``step_size_bar``
_STEP = {"credo": "step_size", "pymc": "step_size_bar", "nutpie": "step_size"}


def _seeds(text: str) -> list[int]:
    """``"1-6"`` or ``"1,4,9"`` to a list of ints."""
    if "-" in text:
        first, last = text.split("-")
        return list(range(int(first), int(last) + 1))
    return [int(s) for s in text.split(",")]


def _run(framework: str, model_name: str, seed: int, adaptation: str | None = None):
    """Sample with 4 chains x (1000 + 1000); returns the InferenceData and total gradient evaluations."""
    if framework == "credo":
        from models import MODELS

        import credo as cr

        idata = cr.sample(draws=1000, tune=1000, chains=4, cores=2, random_seed=seed, progressbar=False,
                          discard_tuned_samples=False, compute_convergence_checks=False,
                          adaptation=adaptation, model=MODELS[model_name]())  # fmt: skip
        return idata, int(idata.attrs["n_grad_evals"])
    from peers_sampling import pymc_model

    model = pymc_model(model_name)
    if framework == "nutpie":
        import nutpie

        idata = nutpie.sample(nutpie.compile_pymc_model(model), draws=1000, tune=1000, chains=4, cores=2,
                              seed=seed, progress_bar=False, save_warmup=True)  # fmt: skip
    else:
        import pymc as pm

        idata = pm.sample(draws=1000, tune=1000, chains=4, cores=2, random_seed=seed, progressbar=False,
                          discard_tuned_samples=False, compute_convergence_checks=False,
                          model=model)  # fmt: skip
    grads = int(idata.sample_stats["n_steps"].sum()) + int(idata.warmup_sample_stats["n_steps"].sum())
    return idata, grads


def summarise(framework: str, idata, grads: int) -> dict:
    """The per-seed figures listed in the module docstring."""
    import arviz as az

    ess = az.ess(idata.posterior, method="bulk")
    # nutpie also stores the transformed copies (``tau_log__``): same bulk ESS, left out
    per_var = {name: float(np.min(ess[name].values)) for name in ess.data_vars if not name.endswith("__")}
    stats = idata.sample_stats
    grads_draws = int(stats["n_steps"].sum())
    rhat = az.rhat(idata.posterior)
    return {
        "ess_per_1000": 1000.0 * min(per_var.values()) / grads,
        "ess": per_var,
        "grads_warmup": grads - grads_draws,
        "grads_draws": grads_draws,
        "step_size": [float(s) for s in stats[_STEP[framework]].values[:, -1]],
        "n_steps": float(stats["n_steps"].mean()),
        "tree_depth": float(stats[_DEPTH[framework]].mean()),
        "accept": float(stats[_ACCEPT[framework]].mean()),
        "divergences": int(np.asarray(stats["diverging"]).sum()),
        "max_rhat": max(float(np.nanmax(rhat[name].values)) for name in rhat.data_vars),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("framework", choices=["credo", "nutpie", "pymc"])
    parser.add_argument("model", choices=["eight_schools_nc", "logistic_n5000_d25", "stochastic_volatility"])
    parser.add_argument("--seeds", default="1-6", help="'1-6' or '1,4,9'")
    parser.add_argument("--adaptation", choices=["hybrid", "nutpie", "stan", "pymc"],
                        help="credo's warm-up scheme")  # fmt: skip
    args = parser.parse_args()
    if args.adaptation and args.framework != "credo":
        parser.error("--adaptation applies to credo only")
    rows = []
    for seed in _seeds(args.seeds):
        row = {"framework": args.framework, "model": args.model, "seed": seed}
        if args.adaptation:
            row["adaptation"] = args.adaptation
        row |= summarise(args.framework, *_run(args.framework, args.model, seed, args.adaptation))
        rows.append(row)
        print(json.dumps(row), flush=True)
    values = np.array([r["ess_per_1000"] for r in rows])
    se = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
    ess = {name: round(float(np.mean([r["ess"][name] for r in rows]))) for name in rows[0]["ess"]}
    print(
        f"{args.framework} {args.model}: ESS per 1000 gradients {values.mean():.4g} +- {se:.2g} (s.e.) "
        f"over {len(rows)} seeds; mean min ESS per variable {ess}"
    )


if __name__ == "__main__":
    main()
