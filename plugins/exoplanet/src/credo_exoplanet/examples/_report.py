"""Shared output of the examples: summary table, NetCDF posterior and a manifest with provenance."""

from __future__ import annotations

import hashlib
import json
import time
from importlib import metadata
from pathlib import Path

import numpy as np

import credo as cr


class _Timer:
    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0


def start_timer() -> _Timer:
    """A wall-clock timer started now."""
    return _Timer()


def sha256(path) -> str:
    """Hex SHA-256 of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def published_rows(draws: dict, published: dict) -> list[dict]:
    """Posterior median and sd of each quantity against its published value.

    Parameters
    ----------
    draws : dict of str to array_like
        Posterior draws by name (all chains, any shape; flattened).
    published : dict of str to float
        Published value by the same names.

    Returns
    -------
    list of dict
        ``name``, ``published``, ``median``, ``sd`` and ``n_sd`` = |median - published| / sd.
    """
    rows = []
    for name, value in published.items():
        x = np.ravel(draws[name])
        med, sd = float(np.median(x)), float(np.std(x))
        rows.append(
            {"name": name, "published": value, "median": med, "sd": sd, "n_sd": abs(med - value) / sd}
        )
    return rows


def print_comparison(rows: list[dict], source: str, digits: int = 6) -> None:
    """Print `published_rows` output under the heading 'posterior vs published (`source`)'."""
    print(f"\nposterior vs published ({source}):")
    for row in rows:
        print(
            f"  {row['name']:7s} {row['median']:.{digits}f} +- {row['sd']:.{digits}f}   "
            f"published {row['published']}   ({row['n_sd']:.1f} sd)"
        )


def finish_run(out, idata, timer: _Timer, *, seed: int, data_path, var_names, extra: dict, plot=None) -> dict:
    """Print the summary and diagnostics; write ``posterior.nc``, ``summary.csv``, ``manifest.json``.

    ``plot``, if given, is called last with the output directory as a `pathlib.Path` (it writes the
    PNG files) and the total time with it is printed.

    Returns
    -------
    dict
        The manifest; ``timings`` holds ``compile``, ``sampling`` and ``total`` [s] (and
        ``total_with_plots`` with ``plot``).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary = cr.summary(idata, var_names=var_names)
    with __import__("pandas").option_context("display.width", 120, "display.max_columns", 20):
        print(summary)
    report = cr.sampling_report(idata, warn=False)
    divergences = int(idata.sample_stats["diverging"].sum())
    max_rhat = float(summary["r_hat"].max())
    print(f"divergences: {divergences}   max r_hat: {max_rhat:.3f}")
    idata.to_netcdf(out / "posterior.nc")
    summary.to_csv(out / "summary.csv")
    attrs = {**idata.attrs, **idata.posterior.attrs}
    keys = sorted(set(cr.citations.citation_keys(idata)))
    manifest = {
        "credo_version": metadata.version("credo"),
        "credo_exoplanet_version": metadata.version("credo-exoplanet"),
        "library_versions": attrs.get("library_versions"),
        "seed": seed,
        "data_file": Path(data_path).name,
        "data_sha256": sha256(data_path),
        "timings": {
            "compile": float(attrs.get("compile_time", float("nan"))),
            "sampling": float(attrs.get("sampling_time", float("nan"))),
            "total": timer.elapsed(),
        },
        "divergences": divergences,
        "max_r_hat": max_rhat,
        "report": str(report),
        "citations": {"keys": keys, "bibtex": cr.citations(idata)},
        **extra,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=float))
    if plot is not None:
        plot(out)
        manifest["timings"]["total_with_plots"] = timer.elapsed()
        print(f"total runtime {manifest['timings']['total_with_plots']:.1f} s")
    return manifest


def posterior_subset(idata, n_draws: int):
    """Pyplot with the file-only backend, the stacked posterior and ``n_draws`` random sample indices.

    Returns
    -------
    plt : module
        ``matplotlib.pyplot`` on the Agg backend (no display needed).
    post : xarray.Dataset
        The posterior with ``(chain, draw)`` stacked into ``sample``.
    pick : ndarray of int, shape (min(n_draws, n_samples),)
        Indices into ``sample``, drawn without replacement with a fixed seed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    post = idata.posterior.stack(sample=("chain", "draw"))
    rng = np.random.default_rng(0)
    pick = rng.choice(post.sizes["sample"], size=min(n_draws, post.sizes["sample"]), replace=False)
    return plt, post, pick
