"""Build ArviZ `InferenceData` from sampler output with the model's coords, dims, data and attrs."""

from __future__ import annotations

import platform
import time
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

import numpy as np
from pytensor.compile.sharedvalue import SharedVariable

import credo
from credo.model.core import PYTHON_MODE, Model

if TYPE_CHECKING:
    from arviz import InferenceData

__all__ = ["to_inference_data", "observed_data", "constant_data", "base_attrs", "preload"]

# the libraries whose versions decide the numbers in a result (recorded for reproducibility)
_RECORDED_LIBRARIES = ("numpy", "scipy", "pytensor", "numba", "llvmlite", "arviz", "xarray")


def library_versions() -> str:
    """``"python==3.11.9, numpy==2.4.0, ..."``: the interpreter and the numerical stack in use."""
    parts = [f"python=={platform.python_version()}"]
    for name in _RECORDED_LIBRARIES:
        try:
            parts.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            continue
    return ", ".join(parts)


def _value(var) -> np.ndarray:
    if isinstance(var, SharedVariable):
        return np.asarray(var.get_value())
    return np.asarray(var.eval(mode=PYTHON_MODE))


def observed_data(model: Model) -> dict[str, np.ndarray]:
    """Observed values by variable name; imputed entries are NaN."""
    out = {}
    for o in model.observed_rvs:
        if o.imputed is not None:
            data = np.asarray(o.data.owner.inputs[0].eval(mode=PYTHON_MODE), dtype=float)
            idx = o.data.owner.inputs[2:]
            mask = tuple(np.asarray(i.data) for i in idx)
            data[mask] = np.nan
            out[o.name] = data
        else:
            out[o.name] = _value(o.data)
    return out


def constant_data(model: Model) -> dict[str, np.ndarray]:
    """Values of the model's data containers by name."""
    return {name: np.asarray(var.get_value()) for name, var in model.data_vars.items()}


def _plugin_versions() -> dict[str, str]:
    """Versions of the loaded plugins (loading the registry on first use), or none when the plugin
    machinery is unavailable: the core result still stands."""
    try:
        from credo.plugins import plugin_versions
    except ImportError:
        return {}
    return plugin_versions()


def base_attrs(model: Model | None = None, **extra) -> dict:
    """Attributes every credo result carries: versions (credo, plugins, Python and the numerical
    libraries), creation time, citations, and ``extra``.

    ``extra`` values that are not str/int/float are stored as their ``str`` (netCDF attrs are scalar).
    """
    attrs = {
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "inference_library": "credo",
        "inference_library_version": credo.__version__,
        "library_versions": library_versions(),
    }
    versions = _plugin_versions()
    if versions:
        attrs["credo_plugins"] = ", ".join(f"{k}=={v}" for k, v in sorted(versions.items()))
    for key, value in extra.items():
        if value is None:
            continue
        attrs[key] = value if isinstance(value, str | int | float) else str(value)
    return attrs


def preload() -> None:
    """Import ArviZ and load the plugin registry, which the first result built in a process
    otherwise waits for (~2 s)."""
    import arviz  # noqa: F401

    _plugin_versions()


def _dims_for(model: Model, group: Mapping) -> dict[str, list]:
    return {k: list(v) for k, v in model.named_vars_to_dims.items() if k in group}


def to_inference_data(
    model: Model,
    *,
    posterior: Mapping | None = None,
    sample_stats: Mapping | None = None,
    prior: Mapping | None = None,
    prior_predictive: Mapping | None = None,
    posterior_predictive: Mapping | None = None,
    predictions: Mapping | None = None,
    log_likelihood: Mapping | None = None,
    warmup_posterior: Mapping | None = None,
    warmup_sample_stats: Mapping | None = None,
    attrs: Mapping | None = None,
    include_data: bool = True,
) -> InferenceData:
    """Assemble an `InferenceData` whose arrays are shaped ``(chain, draw, *var_shape)``.

    Parameters
    ----------
    model : Model
        Supplies coords, dims, observed and constant data.
    posterior, sample_stats, prior, ... : mapping of str to ndarray, optional
        Groups by variable name; every array has leading (chain, draw) axes.
    attrs : mapping, optional
        Extra attributes merged into `base_attrs`.
    include_data : bool
        Add ``observed_data`` and ``constant_data`` groups.
    """
    groups = {
        "posterior": posterior,
        "sample_stats": sample_stats,
        "prior": prior,
        "prior_predictive": prior_predictive,
        "posterior_predictive": posterior_predictive,
        "predictions": predictions,
        "log_likelihood": log_likelihood,
        "warmup_posterior": warmup_posterior,
        "warmup_sample_stats": warmup_sample_stats,
    }
    groups = {k: dict(v) for k, v in groups.items() if v}
    dims: dict[str, list] = {}
    for group in groups.values():
        dims.update(_dims_for(model, group))
    kwargs = {}
    if include_data:
        obs = observed_data(model)
        const = constant_data(model)
        if predictions is not None:
            # the observed data belong to the fitted rows, not to the new ones (as in PyMC)
            kwargs["predictions_constant_data"] = const or None
        else:
            kwargs["constant_data"] = const or None
            kwargs["observed_data"] = obs or None
            dims.update(_dims_for(model, obs))
        dims.update(_dims_for(model, const))
    import arviz as az  # imported on use: arviz's plotting stack makes `import credo` slow

    return az.from_dict(
        **groups,
        **{k: v for k, v in kwargs.items() if v is not None},
        coords={k: list(v) for k, v in model.coords.items()},
        dims=dims,
        save_warmup=bool(warmup_posterior),
        attrs=dict(attrs or {}),
    )
