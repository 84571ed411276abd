"""credo's plugin system: pluggy hooks that return typed records.

A plugin is an installable distribution that declares an entry point in group ``credo``::

    [project.entry-points.credo]
    exoplanet = "credo_exoplanet.plugin"

and whose module implements some of the hooks in :mod:`credo.plugins.hookspecs`::

    from credo.plugins import DistributionSpec, hookimpl

    requires_core = ">=0.1"

    @hookimpl
    def credo_distributions():
        return [DistributionSpec(LimbDarkenedTransit, summary="Quadratic limb-darkened transit")]

Its components are then ``cr.ext.exoplanet.LimbDarkenedTransit``. Plugins are discovered on first
use, not at ``import credo``. See docs/plugins.md.
"""

from credo.plugins.hookspecs import HOOKS, hookimpl
from credo.plugins.manager import (
    DISABLE_ENV,
    ENTRY_POINT_GROUP,
    CredoPluginWarning,
    PluginConflictError,
    PluginError,
    Registry,
    check_plugin,
    core_version,
    load_dataset,
    plugin_manager,
    plugin_versions,
    register,
    registry,
    reset,
    unregister,
)
from credo.plugins.records import (
    DatasetSpec,
    DistributionSpec,
    ExampleSpec,
    FunctionSpec,
    PluginInfo,
    SkippedPlugin,
)

__all__ = [
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "HOOKS",
    "CredoPluginWarning",
    "DatasetSpec",
    "DistributionSpec",
    "ExampleSpec",
    "FunctionSpec",
    "PluginConflictError",
    "PluginError",
    "PluginInfo",
    "Registry",
    "SkippedPlugin",
    "check_plugin",
    "core_version",
    "hookimpl",
    "load_dataset",
    "plugin_manager",
    "plugin_versions",
    "register",
    "registry",
    "reset",
    "unregister",
]
