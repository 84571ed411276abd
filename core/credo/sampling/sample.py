"""``cr.sample``: the inference button. Compile the model, start the chains, return `InferenceData`.

Continuous variables are sampled with NUTS; discrete ones with Metropolis steps inside the same Numba
loop (a compound step, as PyMC); ``step=`` assigns NUTS, Metropolis or Slice explicitly.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np

from credo.citations import citation_attrs
from credo.diagnostics import sampling_report
from credo.exceptions import SamplingError
from credo.inference_data import base_attrs, preload, to_inference_data
from credo.model.compile import RavelMap, compile_logp_dlogp, compile_point_fn
from credo.model.core import Model, modelcontext
from credo.sampling.adapt.warmup import resolve_scheme
from credo.sampling.background import (
    COMPILING_MESSAGE,
    compile_chain_loop_calls,
    start_background_compile,
    wait_for_background_compile,
)
from credo.sampling.driver import ChainResults, run_chains
from credo.sampling.forward import compute_log_likelihood
from credo.sampling.seeding import seed_sequence
from credo.sampling.steps import NUTS, Metropolis, Slice, assign_steps

__all__ = ["sample", "initial_points", "draws_to_posterior"]

_INITS = ("jitter+adapt_diag", "adapt_diag", "jitter+adapt_full", "adapt_full")


def _check_args(draws, tune, chains, cores, target_accept, init, idata_kwargs) -> None:
    counts = [("draws", draws, 1), ("tune", tune, 0), ("chains", chains, 1)]
    for name, value, low in counts + ([] if cores is None else [("cores", cores, 1)]):
        if not isinstance(value, int | np.integer) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if not 0.0 < target_accept < 1.0:
        raise ValueError(f"target_accept must lie in (0, 1), got {target_accept!r}")
    if init not in _INITS:
        raise ValueError(f"init must be one of {_INITS}, got {init!r}")
    unknown = set(idata_kwargs or {}) - {"log_likelihood"}
    if unknown:
        raise ValueError(f"idata_kwargs has unknown keys {sorted(unknown)}; expected 'log_likelihood'")


def initial_points(model: Model, compiled, chains: int, seed, jitter: bool) -> np.ndarray:
    """Flat starting points, one per chain: the support point plus Uniform(-1, 1) jitter.

    A jittered point with non-finite log-density or gradient is redrawn up to 20 times (as PyMC);
    without a valid one the chain starts at the support point, which the caller has checked with
    `Model.check_start_vals`.

    Returns
    -------
    ndarray, shape (chains, ndim)
    """
    x0 = compiled.ravel_map.ravel(model.initial_point())
    out = np.empty((chains, compiled.ndim))
    for c, child in enumerate(seed_sequence(seed).spawn(chains)):
        rng = np.random.default_rng(child)
        x = x0
        for _ in range(20 if jitter else 0):
            cand = x0 + rng.uniform(-1.0, 1.0, size=x0.shape) * ~compiled.ravel_map.discrete
            logp, grad = compiled(cand)
            if np.isfinite(logp) and np.all(np.isfinite(grad)):
                x = cand
                break
        out[c] = x
    return out


def draws_to_posterior(point_fn, draws: np.ndarray) -> dict[str, np.ndarray]:
    """Constrained values and deterministics for flat draws of shape ``(chains, n, ndim)``, by
    ``point_fn`` from `credo.model.compile.compile_point_fn`."""
    chains, n = draws.shape[:2]
    if n == 0:
        empty = point_fn(np.zeros(draws.shape[-1]))
        return {k: np.zeros((chains, 0, *np.shape(v))) for k, v in empty.items()}
    values = [point_fn(draws[c, i]) for c in range(chains) for i in range(n)]
    return {
        k: np.stack([v[k] for v in values]).reshape(chains, n, *np.shape(values[0][k]))
        for k in values[0]
    }


def _sample_stats(res: ChainResults) -> dict[str, np.ndarray]:
    stats = {k: np.asarray(v) for k, v in res.stats.items()}
    return stats


def sample(
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    cores: int | None = None,
    random_seed=None,
    target_accept: float = 0.8,
    init: str = "jitter+adapt_diag",
    progressbar: bool = True,
    step: NUTS | Metropolis | Slice | list | None = None,
    discard_tuned_samples: bool = True,
    idata_kwargs: dict | None = None,
    model: Model | None = None,
    max_treedepth: int = 10,
    adaptation: str | None = None,
    compute_convergence_checks: bool = True,
    var_names: list[str] | None = None,
):
    """Draw from the posterior with NUTS, and Metropolis for discrete variables: the inference button.

    Every iteration runs in Numba: a NUTS transition of the continuous coordinates (the discrete
    ones held fixed), then Metropolis updates of the discrete ones, one coordinate at a time, with a
    proposal chosen by the distribution (flip for Bernoulli, another category for Categorical, a
    rounded random walk with tuned scale otherwise; see `credo.sampling.steps`).

    Parameters
    ----------
    draws : int
        Posterior draws per chain, after tuning.
    tune : int
        Warm-up iterations per chain (step size and mass matrix adaptation).
    chains : int
        Independent chains, run in parallel threads over nogil Numba code.
    cores : int, optional
        Threads (default ``min(chains, os.cpu_count())``).
    random_seed : int or SeedSequence, optional
        One seed for everything: initial jitter and one Generator per chain are spawned from it.
    target_accept : float
        Target mean acceptance probability of dual averaging, in (0, 1); raise it (0.9, 0.99)
        when there are divergences.
    init : {"jitter+adapt_diag", "adapt_diag", "jitter+adapt_full", "adapt_full"}
        Start at the support point (with Uniform(-1, 1) jitter on the unconstrained space) and
        adapt a diagonal or dense mass matrix.
    progressbar : bool
        Live progress per chain and a short convergence report.
    step : cr.NUTS, cr.Metropolis, cr.Slice or a list of them, optional
        Explicit step methods for some or all variables; the others get the defaults (NUTS if
        continuous, Metropolis if discrete). ``cr.Metropolis`` and ``cr.Slice`` scales are tuned
        during warm-up.
    discard_tuned_samples : bool
        Drop warm-up draws (else stored in ``warmup_posterior``/``warmup_sample_stats``).
    idata_kwargs : dict, optional
        ``{"log_likelihood": True}`` adds the pointwise log-likelihood (for ``az.loo``).
    max_treedepth : int
        Maximum number of trajectory doublings (Stan's default 10).
    adaptation : {"hybrid", "nutpie", "stan", "pymc"}, optional
        Warm-up scheme; default the gradient-based one of nutpie for a diagonal mass matrix.
        ``"hybrid"``: nutpie's metric in the first 30% of warm-up, then the variance of the draws
        over one growing window (diagonal only; more ESS per gradient where a scale parameter
        mixes slowly, e.g. stochastic volatility, but more divergences in funnels); ``"stan"``:
        Stan's windowed adaptation (diagonal or dense, the default for
        ``init="jitter+adapt_full"``); ``"pymc"``: PyMC 5's ``init="jitter+adapt_diag"``
        (variance of overlapping 101-draw windows, diagonal only).
    compute_convergence_checks : bool
        Compute R-hat/ESS/divergence warnings after sampling.
    var_names : list of str, optional
        Free variables and deterministics to store (default all).

    Returns
    -------
    arviz.InferenceData
        ``posterior`` (model coords/dims, deterministics), ``sample_stats`` (lp, diverging, energy,
        energy_error, tree_depth, n_steps, step_size, step_size_bar, acceptance_rate,
        max_energy_error, reached_max_treedepth when NUTS runs; accept and accepted for Metropolis,
        slice_evals for Slice; perf_counter_start and perf_counter_diff, the clock and the seconds
        of each iteration), ``observed_data``, ``constant_data`` and attrs with versions, seed,
        settings, ``step_methods``, timings (``compile_time``: the model and, on an empty cache,
        the sampler kernels; ``sampling_time``) and citation keys. A KeyboardInterrupt returns the
        draws taken so far with a warning.

    Notes
    -----
    The NUTS kernels do not depend on the model and are compiled once per installation
    (``make install`` does it ahead). Where Numba's disk cache lacks them, they compile in a child
    process while this one compiles the model (`credo.sampling.background`;
    ``CREDO_BACKGROUND_COMPILE=0`` turns that off); with ``progressbar`` a line on stderr says so.

    Raises
    ------
    ValueError
        For invalid arguments (named in the message), e.g. a step given a variable it cannot
        update.
    TypeError
        If ``step`` holds something other than step specs.
    SamplingError
        If the initial point has non-finite log-density (the variables are listed).

    References
    ----------
    Hoffman & Gelman (2014), JMLR 15, 1593; Betancourt (2017), arXiv:1701.02434; Stan Reference
    Manual (NUTS, warm-up); nutpie (Seyboldt et al.) for the gradient-based mass-matrix adaptation;
    Metropolis et al. (1953), Hastings (1970), Neal (2003) and PyMC's step methods for the compound
    step.
    """
    model = modelcontext(model)
    _check_args(draws, tune, chains, cores, target_accept, init, idata_kwargs)
    init_seq, chain_seq = seed_sequence(random_seed).spawn(2)
    if not model.free_rvs:
        raise SamplingError("the model has no free variables to sample")
    # invalid steps and an invalid start are reported before paying for the compilation
    steps = assign_steps(model, RavelMap.from_model(model), step)
    target_accept = steps.target_accept or target_accept
    model.check_start_vals(model.initial_point())
    dense = init.endswith("full")
    scheme = resolve_scheme(adaptation, dense)
    t0 = time.perf_counter()
    # on an empty Numba cache, the NUTS kernels compile in a child while the model compiles here
    compiling = steps.plan is None and start_background_compile(scheme, dense)
    if compiling:
        if progressbar:
            # ~10 s without a progress bar: say once what the wait is for and how to avoid it
            print(COMPILING_MESSAGE, file=sys.stderr)
        # first: the child's compilation reaches these calls a few seconds in
        compile_chain_loop_calls(scheme, dense)
    compiled = compile_logp_dlogp(model)
    logp_only = None if steps.plan is None else compiled.logp_cfunc
    x_init = initial_points(model, compiled, chains, init_seq, jitter=init.startswith("jitter"))
    point_fn = compile_point_fn(model, var_names)
    if compiling:
        # while the child has seconds to go: what the result would cost the first time, the point
        # function's machine code (compiled at its first call) and the libraries of the result
        point_fn(x_init[0])
        preload()
    wait_for_background_compile()
    compile_time = time.perf_counter() - t0
    res = run_chains(
        compiled.cfunc,
        compiled.ndim,
        x_init,
        draws=draws,
        tune=tune,
        seed=chain_seq,
        target_accept=target_accept,
        max_treedepth=max_treedepth,
        metric="dense" if dense else "diag",
        adaptation=adaptation,
        # None when NUTS moves every coordinate, which spares run_chains checking the indices
        idx=steps.nuts_idx if steps.plan is not None else None,
        steps=steps.plan,
        logp_only_cfunc=logp_only,
        cores=cores,
        keep_warmup=not discard_tuned_samples,
        progressbar=progressbar,
    )
    posterior = draws_to_posterior(point_fn, res.draws)
    warmup = None
    if res.warmup_draws is not None:
        warmup = draws_to_posterior(point_fn, res.warmup_draws)
    algorithms = [name.lower() for name in steps.names]
    attrs = base_attrs(
        model,
        random_seed=random_seed if random_seed is None else str(random_seed),
        sampler="+".join(algorithms),
        step_methods="; ".join(f"{k}: {', '.join(v)}" for k, v in steps.names.items()),
        tuning_steps=tune,
        draws=draws,
        chains=chains,
        target_accept=target_accept,
        max_treedepth=max_treedepth,
        adaptation=scheme,
        init=init,
        compile_time=compile_time,
        sampling_time=res.timings.get("total", float("nan")),
        n_grad_evals=int(np.sum(res.n_grad_evals)),
        interrupted=int(res.interrupted),
    )
    attrs.update(citation_attrs(model, algorithms))
    idata = to_inference_data(
        model,
        posterior=posterior,
        sample_stats=_sample_stats(res),
        warmup_posterior=warmup,
        warmup_sample_stats=res.warmup_stats if warmup is not None else None,
        attrs=attrs,
    )
    if res.interrupted:
        warnings.warn(
            f"sampling was interrupted: returning the {res.draws.shape[1]} draws per chain taken so far",
            UserWarning,
            stacklevel=2,
        )
    if (idata_kwargs or {}).get("log_likelihood") and res.draws.shape[1]:
        compute_log_likelihood(idata, model=model)
    if compute_convergence_checks and res.draws.shape[1] > 3:
        report = sampling_report(idata)
        if progressbar:
            print(report, file=sys.stderr)
    return idata
