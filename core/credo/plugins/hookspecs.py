"""The hooks a credo plugin may implement.

Every hook takes no arguments and returns typed records (:mod:`credo.plugins.records`). A plugin
implements only the hooks it needs, decorating each with ``credo.plugins.hookimpl``. Hooks are
called once per plugin, when plugins are first used, and their records are checked then.
"""

from __future__ import annotations

import pluggy

from credo.plugins.records import DatasetSpec, DistributionSpec, ExampleSpec, FunctionSpec

PROJECT = "credo"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def credo_distributions() -> list[DistributionSpec]:
    """Distributions the plugin provides, reachable as ``cr.ext.<plugin>.<name>``."""


@hookspec
def credo_functions() -> list[FunctionSpec]:
    """Deterministic model components (light curves, travel times, ...) the plugin provides."""


@hookspec
def credo_datasets() -> list[DatasetSpec]:
    """Data sets the plugin ships or fetches, with licence and source."""


@hookspec
def credo_examples() -> list[ExampleSpec]:
    """Runnable examples, listed by ``credo examples list``."""


@hookspec
def credo_citations() -> dict[str, str]:
    """BibTeX entries by key for every key the plugin's components cite.

    Each value is one BibTeX entry whose key equals the dict key, e.g.
    ``{"agol2020": "@article{agol2020, author = {Agol, E. and ...}, ...}"}``.
    """


HOOKS: tuple[str, ...] = (
    "credo_distributions",
    "credo_functions",
    "credo_datasets",
    "credo_examples",
    "credo_citations",
)
