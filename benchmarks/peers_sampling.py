"""Peer samplers for ``sampling_peers.py``: PyMC 5 (``pm.sample``), nutpie, NumPyro on the benchmark models.

Runs in the peers venv (``.venv-peers``, see README.md), never in credo's. The models are those of
/work/shared/benchmarks/models.md, written as in ``models.py`` (same data files, same priors, same
parametrisation of the random walk).

Usage::

    .venv-peers/bin/python benchmarks/peers_sampling.py FRAMEWORK MODEL [--draws 1000] [--tune 1000]
        [--chains 4] [--cores 2] [--seed 1] [--first-draw]

``FRAMEWORK`` is ``pymc``, ``nutpie``, ``numpyro`` (float64, ``jax_enable_x64``) or ``numpyro-f32``
(JAX's default float32). Prints one JSON line with ``setup_s`` (compilation and everything before the
first leapfrog step: ``pm.sample`` wall time minus its ``sampling_time``; ``nutpie.compile_pymc_model``;
for NumPyro the union of JAX's trace/lower/compile time spans), ``sampling_s`` (the rest),
``min_ess_bulk`` (ArviZ bulk ESS, minimum over every scalar free parameter), ``n_grad_evals``
(leapfrog steps of all chains, warm-up included: ``n_steps`` for PyMC and nutpie, ``num_steps`` for
NumPyro) and ``divergences`` (post warm-up). With ``--first-draw`` it instead times, in this fresh
process, one chain from the start of compilation to one draw (``first_draw_s``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"
EIGHT_SCHOOLS_Y = np.array([28.0, 8, -3, 7, -1, 1, 18, 12])
EIGHT_SCHOOLS_SIGMA = np.array([15.0, 10, 16, 11, 9, 11, 10, 18])


def _logistic_data() -> tuple[np.ndarray, np.ndarray]:
    data = np.load(DATA / "logistic_n5000_d25.npz")
    return data["X"], data["y"]


def _returns() -> np.ndarray:
    return np.loadtxt(DATA / "sp500_returns_1000.csv", delimiter=",", skiprows=1, usecols=1)


def pymc_model(name: str):
    """The PyMC model ``name`` (also sampled by nutpie)."""
    import pymc as pm

    with pm.Model() as model:
        if name == "eight_schools_nc":
            mu = pm.Normal("mu", 0.0, 5.0)
            tau = pm.HalfCauchy("tau", 5.0)
            theta_tilde = pm.Normal("theta_tilde", 0.0, 1.0, shape=8)
            pm.Normal("y", mu + tau * theta_tilde, EIGHT_SCHOOLS_SIGMA, observed=EIGHT_SCHOOLS_Y)
        elif name == "logistic_n5000_d25":
            X, y = _logistic_data()
            alpha = pm.Normal("alpha", 0.0, 2.5)
            beta = pm.Normal("beta", 0.0, 2.5, shape=X.shape[1])
            pm.Bernoulli("y", logit_p=alpha + pm.math.dot(X, beta), observed=y)
        else:
            r = _returns()
            sigma = pm.Exponential("sigma", lam=10.0)
            nu = pm.Exponential("nu", lam=0.1)
            s = pm.GaussianRandomWalk("s", mu=0.0, sigma=sigma, init_dist=pm.Normal.dist(0.0, 1.0),
                                      shape=r.size)  # fmt: skip
            pm.StudentT("r", nu=nu, mu=0.0, sigma=pm.math.exp(s), observed=r)
    return model


def numpyro_model(name: str):
    """The NumPyro model function ``name``, with its data as JAX arrays of the default float type."""
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist
    from numpyro.distributions import constraints

    if name == "eight_schools_nc":
        y, sig = jnp.asarray(EIGHT_SCHOOLS_Y), jnp.asarray(EIGHT_SCHOOLS_SIGMA)

        def model():
            mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
            tau = numpyro.sample("tau", dist.HalfCauchy(5.0))
            theta_tilde = numpyro.sample("theta_tilde", dist.Normal(0.0, 1.0).expand([8]))
            numpyro.sample("y", dist.Normal(mu + tau * theta_tilde, sig), obs=y)

    elif name == "logistic_n5000_d25":
        X, y = (jnp.asarray(a) for a in _logistic_data())
        y = y.astype(X.dtype)

        def model():
            alpha = numpyro.sample("alpha", dist.Normal(0.0, 2.5))
            beta = numpyro.sample("beta", dist.Normal(0.0, 2.5).expand([X.shape[1]]))
            numpyro.sample("y", dist.Bernoulli(logits=alpha + X @ beta), obs=y)

    else:
        r = jnp.asarray(_returns())

        def model():
            sigma = numpyro.sample("sigma", dist.Exponential(10.0))
            nu = numpyro.sample("nu", dist.Exponential(0.1))
            # s itself is the sampled vector, as in credo and PyMC (NumPyro's GaussianRandomWalk
            # would sample s - s[0] instead): a flat site plus the walk's density
            s = numpyro.sample("s", dist.ImproperUniform(constraints.real, (), (r.size,)))
            numpyro.factor("s_walk", dist.Normal(0.0, 1.0).log_prob(s[0])
                           + dist.Normal(0.0, sigma).log_prob(jnp.diff(s)).sum())  # fmt: skip
            numpyro.sample("r", dist.StudentT(nu, 0.0, jnp.exp(s)), obs=r)

    return model


def _summary(posterior, sample_stats, warmup_stats, n_grad_evals=None) -> dict:
    import arviz as az

    ess = az.ess(posterior, method="bulk")
    min_ess = min(float(np.min(ess[v].values)) for v in ess.data_vars)
    if n_grad_evals is None:
        n_grad_evals = int(sample_stats["n_steps"].sum()) + int(warmup_stats["n_steps"].sum())
    return {
        "min_ess_bulk": min_ess,
        "n_grad_evals": int(n_grad_evals),
        "divergences": int(np.asarray(sample_stats["diverging"]).sum()),
    }


def run_pymc(name: str, args) -> dict:
    import pymc as pm

    model = pymc_model(name)
    t0 = time.perf_counter()
    idata = pm.sample(draws=args.draws, tune=args.tune, chains=args.chains, cores=args.cores,
                      random_seed=args.seed, progressbar=False, discard_tuned_samples=False,
                      compute_convergence_checks=False, model=model)  # fmt: skip
    wall = time.perf_counter() - t0
    sampling = float(idata.posterior.attrs["sampling_time"])
    out = {"setup_s": wall - sampling, "sampling_s": sampling, "version": pm.__version__}
    return out | _summary(idata.posterior, idata.sample_stats, idata.warmup_sample_stats)


def run_nutpie(name: str, args) -> dict:
    import nutpie

    model = pymc_model(name)
    t0 = time.perf_counter()
    compiled = nutpie.compile_pymc_model(model)
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    idata = nutpie.sample(compiled, draws=args.draws, tune=args.tune, chains=args.chains, cores=args.cores,
                          seed=args.seed, progress_bar=False, save_warmup=True)  # fmt: skip
    sampling = time.perf_counter() - t0
    out = {"setup_s": setup, "sampling_s": sampling, "version": nutpie.__version__}
    return out | _summary(idata.posterior, idata.sample_stats, idata.warmup_sample_stats)


def _union_seconds(spans: list[tuple[float, float]]) -> float:
    """Length of the union of time intervals (nested compilations are counted once)."""
    total, reach = 0.0, -np.inf
    for start, end in sorted(spans):
        total += max(0.0, end - max(start, reach))
        reach = max(reach, end)
    return total


def run_numpyro(name: str, args) -> dict:
    import arviz as az
    import jax
    import numpyro
    from jax import monitoring
    from numpyro.infer import MCMC, NUTS

    # JAX reports each trace, lowering and XLA compilation as a time span: their union is the
    # compile time of this run, the rest is sampling (NumPyro re-traces and re-compiles on every
    # warmup()/run(), so a second, warm, pass is not available)
    spans = []
    monitoring.register_event_time_span_listener(lambda event, t0, t1, **kw: spans.append((t0, t1)))
    kernel = NUTS(numpyro_model(name), target_accept_prob=0.8)
    mcmc = MCMC(kernel, num_warmup=args.tune, num_samples=args.draws, num_chains=args.chains,
                chain_method="parallel", progress_bar=False)  # fmt: skip
    fields = ("num_steps", "diverging")
    t0 = time.time()
    mcmc.warmup(jax.random.PRNGKey(args.seed), extra_fields=fields, collect_warmup=True)
    warm_steps = int(np.asarray(mcmc.get_extra_fields()["num_steps"]).sum())
    mcmc.run(mcmc.post_warmup_state.rng_key, extra_fields=fields)
    samples = jax.block_until_ready(mcmc.get_samples(group_by_chain=True))
    total = time.time() - t0
    setup = _union_seconds([(max(a, t0), b) for a, b in spans if b > t0])
    extra = mcmc.get_extra_fields(group_by_chain=True)
    posterior = az.from_dict(posterior={k: np.asarray(v, np.float64) for k, v in samples.items()}).posterior
    n_grad = warm_steps + int(np.asarray(extra["num_steps"]).sum())
    out = {"setup_s": setup, "sampling_s": total - setup, "version": numpyro.__version__,
           "dtype": str(jax.numpy.zeros(1).dtype)}  # fmt: skip
    return out | _summary(posterior, {"diverging": np.asarray(extra["diverging"])}, None, n_grad)


def first_draw(framework: str, name: str, seed: int) -> dict:
    """Seconds from the start of compilation to one draw of one chain, in this process."""
    if framework == "pymc":
        import pymc as pm

        model = pymc_model(name)
        t0 = time.perf_counter()
        pm.sample(draws=1, tune=1, chains=1, cores=1, random_seed=seed, progressbar=False,
                  compute_convergence_checks=False, model=model)  # fmt: skip
    elif framework == "nutpie":
        import nutpie

        model = pymc_model(name)
        t0 = time.perf_counter()
        nutpie.sample(nutpie.compile_pymc_model(model), draws=1, tune=1, chains=1, cores=1, seed=seed,
                      progress_bar=False)  # fmt: skip
    else:
        import jax
        from numpyro.infer import MCMC, NUTS

        model = numpyro_model(name)
        t0 = time.perf_counter()
        mcmc = MCMC(NUTS(model), num_warmup=1, num_samples=1, num_chains=1, progress_bar=False)
        mcmc.run(jax.random.PRNGKey(seed))
        jax.block_until_ready(mcmc.get_samples())
    return {"first_draw_s": time.perf_counter() - t0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("framework", choices=["pymc", "nutpie", "numpyro", "numpyro-f32"])
    parser.add_argument("model", choices=["eight_schools_nc", "logistic_n5000_d25", "stochastic_volatility"])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--first-draw", action="store_true")
    args = parser.parse_args()

    if args.framework.startswith("numpyro"):
        import numpyro

        # one XLA host device per chain (chain_method="parallel"); set before JAX starts
        numpyro.set_host_device_count(args.chains)
        if args.framework == "numpyro":
            numpyro.enable_x64()
    if args.first_draw:
        out = first_draw(args.framework, args.model, args.seed)
    else:
        run = {"pymc": run_pymc, "nutpie": run_nutpie}.get(args.framework, run_numpyro)
        out = run(args.model, args)
    out["load_avg"] = os.getloadavg()[0]
    sys.stdout.flush()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
