"""Forward sampling: prior predictive, posterior predictive and pointwise log-likelihood.

All three evaluate graphs of the model's random variables draw by draw. Each PyTensor
``RandomVariable`` in the graph gets its own `numpy.random.Generator`, spawned from one
`numpy.random.SeedSequence`, so results are reproducible from ``random_seed`` alone.
"""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.graph.replace import graph_replace
from pytensor.graph.traversal import ancestors
from pytensor.tensor.random.op import RandomVariable

from credo.inference_data import base_attrs, to_inference_data
from credo.model.core import PYTHON_MODE, Model, modelcontext, replace_parameter_checks
from credo.sampling.seeding import seed_sequence

__all__ = [
    "compile_forward",
    "sample_prior_predictive",
    "sample_posterior_predictive",
    "compute_log_likelihood",
]


def _rv_nodes(graphs):
    return [
        v.owner
        for v in ancestors(graphs)
        if v.owner is not None and isinstance(v.owner.op, RandomVariable)
    ]


def compile_forward(inputs: list, outputs: list, random_seed=None):
    """Compile ``outputs`` with a fresh seeded generator for every random variable they depend on.

    Parameters
    ----------
    inputs : list of TensorVariable
        Inputs of the compiled function (e.g. placeholders for posterior values).
    outputs : list of TensorVariable
        Graphs to draw.
    random_seed : int, SeedSequence or None
        Root of the generators; each call of the function advances them.
    """
    rngs = list(dict.fromkeys(node.inputs[0] for node in _rv_nodes(outputs)))
    seeds = seed_sequence(random_seed).spawn(len(rngs))
    shared = {r: pytensor.shared(np.random.default_rng(s)) for r, s in zip(rngs, seeds)}
    outputs = list(graph_replace(outputs, shared, strict=False)) if shared else list(outputs)
    new_rngs = set(shared.values())
    updates = {}
    for node in _rv_nodes(outputs):
        if node.inputs[0] in new_rngs:
            updates[node.inputs[0]] = node.outputs[0]
    return pytensor.function(
        inputs, outputs, updates=updates, mode=PYTHON_MODE, on_unused_input="ignore"
    )


def _stack_draws(names, draws_list, chains: int, draws: int) -> dict[str, np.ndarray]:
    out = {}
    for i, name in enumerate(names):
        arr = np.stack([np.asarray(d[i]) for d in draws_list])
        out[name] = arr.reshape(chains, draws, *arr.shape[1:])
    return out


def _check_proper(model: Model, outputs) -> None:
    deps = set(ancestors(outputs))
    for f in model.free_rvs:
        if f.info is not None and f.info.cls.improper and f.rv in deps:
            raise ValueError(
                f"cannot draw from the prior of {f.name!r}: {f.info.cls.__name__} is improper;"
                " give it a proper prior or leave it out with var_names="
            )


def sample_prior_predictive(
    draws: int = 500,
    model: Model | None = None,
    var_names: list[str] | None = None,
    random_seed=None,
):
    """Draw from the prior and prior predictive distribution by forward sampling the graph.

    Parameters
    ----------
    draws : int
        Number of draws (one chain).
    var_names : list of str, optional
        Variables to draw (default: every free, deterministic and observed variable).
    random_seed : int or SeedSequence, optional
        Seed for reproducible draws.

    Returns
    -------
    arviz.InferenceData
        Groups ``prior`` (free variables and deterministics), ``prior_predictive`` (observed
        variables), ``observed_data`` and ``constant_data``.

    Raises
    ------
    ValueError
        If a requested variable depends on an improper prior (``Flat``, ``HalfFlat``).
    """
    model = modelcontext(model)
    if draws < 1:
        raise ValueError(f"draws must be a positive integer, got {draws}")
    observed = [o.name for o in model.observed_rvs]
    names = [f.name for f in model.free_rvs if f.info is not None]
    names += [d.name for d in model.deterministics] + observed
    if var_names is not None:
        unknown = set(var_names) - set(names)
        if unknown:
            raise KeyError(f"cannot draw {sorted(unknown)}: not variables of the model")
        names = [n for n in names if n in var_names]
    outputs = [model.named_vars[n] for n in names]
    _check_proper(model, outputs)
    fn = compile_forward([], outputs, random_seed)
    samples = _stack_draws(names, [fn() for _ in range(draws)], 1, draws)
    prior = {k: v for k, v in samples.items() if k not in observed}
    prior_pred = {k: v for k, v in samples.items() if k in observed}
    return to_inference_data(
        model,
        prior=prior,
        prior_predictive=prior_pred,
        attrs=base_attrs(model, random_seed=random_seed, sampler="forward"),
    )


def _posterior_inputs(model: Model, idata, names):
    """Placeholders for the posterior's free variables, and the graphs rewritten in terms of them."""
    post = idata.posterior
    missing = [f.name for f in model.free_rvs if f.name not in post]
    if missing:
        raise KeyError(f"the posterior has no draws of {missing}")
    inputs = [pt.tensor(dtype=f.rv.dtype, shape=f.shape, name=f.name) for f in model.free_rvs]
    reps = {f.rv: i for f, i in zip(model.free_rvs, inputs) if f.info is not None}
    return inputs, reps, post


def _loop_over_draws(fn, model: Model, post, names) -> dict[str, np.ndarray]:
    chains, draws = post.sizes["chain"], post.sizes["draw"]
    values = [np.asarray(post[f.name].values) for f in model.free_rvs]
    results = []
    for c in range(chains):
        for d in range(draws):
            results.append(fn(*[v[c, d] for v in values]))
    return _stack_draws(names, results, chains, draws)


def sample_posterior_predictive(
    idata,
    model: Model | None = None,
    var_names: list[str] | None = None,
    predictions: bool = False,
    random_seed=None,
    extend_inferencedata: bool = False,
):
    """Draw observed variables given each posterior draw (with current `cr.Data` values).

    Parameters
    ----------
    idata : arviz.InferenceData
        Result of `cr.sample` (needs a ``posterior`` group with every free variable).
    var_names : list of str, optional
        Variables to draw; default every observed variable.
    predictions : bool
        Store in ``predictions`` (out-of-sample, after `cr.set_data`) instead of
        ``posterior_predictive``.
    random_seed : int or SeedSequence, optional
    extend_inferencedata : bool
        Add the group to ``idata`` and return it.

    Returns
    -------
    arviz.InferenceData
    """
    model = modelcontext(model)
    names = var_names or [o.name for o in model.observed_rvs]
    unknown = set(names) - set(model.named_vars)
    if unknown:
        raise KeyError(f"not variables of the model: {sorted(unknown)}")
    inputs, reps, post = _posterior_inputs(model, idata, names)
    outputs = list(graph_replace([model.named_vars[n] for n in names], reps, strict=False))
    fn = compile_forward(inputs, outputs, random_seed)
    samples = _loop_over_draws(fn, model, post, names)
    group = "predictions" if predictions else "posterior_predictive"
    new = to_inference_data(
        model,
        **{group: samples},
        attrs=base_attrs(model, random_seed=random_seed),
        include_data=predictions,
    )
    if extend_inferencedata:
        idata.extend(new)
        return idata
    return new


def compute_log_likelihood(
    idata, model: Model | None = None, var_names: list[str] | None = None,
    extend_inferencedata: bool = True,
):
    """Pointwise log-likelihood of observed variables at every posterior draw (for LOO/WAIC).

    Parameters
    ----------
    idata : arviz.InferenceData
        Has a ``posterior`` group with every free variable.
    var_names : list of str, optional
        Observed variables (default all).
    extend_inferencedata : bool
        Add a ``log_likelihood`` group to ``idata`` and return it; else return a new object.
    """
    model = modelcontext(model)
    observed = {o.name: o for o in model.observed_rvs}
    names = var_names or list(observed)
    unknown = set(names) - set(observed)
    if unknown:
        raise KeyError(f"not observed variables: {sorted(unknown)}")
    inputs, reps, post = _posterior_inputs(model, idata, names)
    graphs = [observed[n].info.logp(observed[n].data) for n in names]
    imputed = {f.rv: i for f, i in zip(model.free_rvs, inputs) if f.info is None}
    graphs = replace_parameter_checks(graph_replace(graphs, {**reps, **imputed}, strict=False))
    shapes = graph_replace([observed[n].rv.shape for n in names], reps, strict=False)
    outputs = [pt.broadcast_to(g, s) for g, s in zip(graphs, shapes)]
    fn = pytensor.function(inputs, outputs, mode=PYTHON_MODE, on_unused_input="ignore")
    values = _loop_over_draws(fn, model, post, names)
    new = to_inference_data(model, log_likelihood=values, include_data=False)
    if extend_inferencedata:
        idata.extend(new)
        return idata
    return new
