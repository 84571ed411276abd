"""Convergence report after sampling, and ``cr.summary``.

Thresholds follow Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021), "Rank-normalization, folding,
and localization: an improved R-hat", Bayesian Analysis 16, 667: R-hat below 1.01 and a bulk and tail
ESS of at least 100 per chain; any divergent transition is worth a warning (Betancourt 2017).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

__all__ = ["SamplingReport", "sampling_report", "summary", "ConvergenceWarning"]


class ConvergenceWarning(UserWarning):
    """The sampler's output shows signs that the posterior is not well explored."""


@dataclass
class SamplingReport:
    """Figures that say whether a posterior can be trusted.

    Attributes
    ----------
    n_divergent : int
        Divergent transitions after tuning.
    max_r_hat : float
        Largest rank-normalised split R-hat over all scalar parameters (NaN with one chain).
    min_ess_bulk, min_ess_tail : float
        Smallest bulk and tail effective sample sizes.
    n_max_treedepth : int
        Draws whose trajectory stopped at the maximum tree depth.
    chains, draws : int
    problems : list of str
        The warnings, in the field's words.
    """

    n_divergent: int
    max_r_hat: float
    min_ess_bulk: float
    min_ess_tail: float
    n_max_treedepth: int
    chains: int
    draws: int
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [
            f"{self.chains} chains x {self.draws} draws: {self.n_divergent} divergences, "
            f"max r_hat {self.max_r_hat:.3f}, min ess_bulk {self.min_ess_bulk:.0f}, "
            f"min ess_tail {self.min_ess_tail:.0f}, {self.n_max_treedepth} at max tree_depth"
        ]
        lines += [f"  warning: {p}" for p in self.problems]
        return "\n".join(lines)


def sampling_report(idata, var_names=None, warn: bool = True) -> SamplingReport:
    """Compute divergences, R-hat, ESS and tree-depth saturation for a posterior.

    Parameters
    ----------
    idata : arviz.InferenceData
        With ``posterior`` and, for gradient samplers, ``sample_stats`` (``diverging``,
        ``reached_max_treedepth``).
    var_names : list of str, optional
        Variables to check (default: all in the posterior).
    warn : bool
        Emit each problem as a `ConvergenceWarning`.
    """
    import arviz as az  # imported on use: arviz's plotting stack makes `import credo` slow

    post = idata.posterior if var_names is None else idata.posterior[var_names]
    chains, draws = post.sizes["chain"], post.sizes["draw"]
    stats = getattr(idata, "sample_stats", None)
    n_div = int(stats["diverging"].sum()) if stats is not None and "diverging" in stats else 0
    n_depth = 0
    if stats is not None and "reached_max_treedepth" in stats:
        n_depth = int(stats["reached_max_treedepth"].sum())

    def _extreme(ds, fn):
        values = [np.asarray(v.values).ravel() for v in ds.data_vars.values()]
        values = np.concatenate(values) if values else np.array([np.nan])
        finite = values[np.isfinite(values)]
        return float(fn(finite)) if finite.size else float("nan")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # arviz warns about NaN R-hat for constant draws
        r_hat = _extreme(az.rhat(post), np.max) if chains > 1 else float("nan")
        ess_bulk = _extreme(az.ess(post, method="bulk"), np.min)
        ess_tail = _extreme(az.ess(post, method="tail"), np.min)

    problems = []
    if n_div:
        problems.append(
            f"{n_div} divergent transitions after tuning: the posterior has regions the sampler "
            "cannot explore; increase target_accept or reparameterise (e.g. non-centred)"
        )
    if np.isfinite(r_hat) and r_hat > 1.01:
        problems.append(f"max r_hat is {r_hat:.3f} > 1.01: chains have not converged")
    min_ess = 100 * chains
    if ess_bulk < min_ess or ess_tail < min_ess:
        problems.append(
            f"min ess_bulk {ess_bulk:.0f} / ess_tail {ess_tail:.0f} < {min_ess} (100 per chain): "
            "estimates of posterior means and quantiles are unreliable; draw more"
        )
    if n_depth:
        problems.append(
            f"{n_depth} draws reached the maximum tree_depth: the sampler is inefficient; "
            "consider max_treedepth or a reparameterisation"
        )
    report = SamplingReport(n_div, r_hat, ess_bulk, ess_tail, n_depth, chains, draws, problems)
    if warn:
        for p in problems:
            warnings.warn(p, ConvergenceWarning, stacklevel=2)
    return report


def summary(idata, var_names=None, **kwargs):
    """ArviZ summary table (mean, sd, hdi, mcse, ess_bulk, ess_tail, r_hat) of a posterior."""
    import arviz as az

    return az.summary(idata, var_names=var_names, **kwargs)
