"""Discovery, checking and registry of credo plugins.

Plugins are found through entry points in group ``credo`` the first time anything asks for them
(:func:`registry`, ``cr.ext``, ``cr.citations``, the ``credo`` command), never at ``import credo``.
Each plugin is loaded on its own: one that fails to import, declares a ``requires_core`` specifier
the installed credo does not meet, implements an unknown hook or returns malformed records is
skipped with a :class:`CredoPluginWarning` naming it, its version and the reason, and the others
keep working. Two plugins that claim the same name are an error naming both
(:class:`PluginConflictError`): silently picking one would make results depend on install order.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion

from credo.plugins import hookspecs
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
    "CredoPluginWarning",
    "PluginConflictError",
    "PluginError",
    "Registry",
    "check_plugin",
    "core_version",
    "load_dataset",
    "plugin_manager",
    "plugin_versions",
    "register",
    "registry",
    "reset",
    "unregister",
]

ENTRY_POINT_GROUP = "credo"
DISABLE_ENV = "CREDO_DISABLE_PLUGINS"

_RECORD_HOOKS: dict[str, type] = {
    "credo_distributions": DistributionSpec,
    "credo_functions": FunctionSpec,
    "credo_datasets": DatasetSpec,
    "credo_examples": ExampleSpec,
}
_KIND = {hook: hook.removeprefix("credo_") for hook in hookspecs.HOOKS}
_BIBTEX_KEY = re.compile(r"^\s*@\w+\s*\{\s*([^,\s]+)\s*,", re.DOTALL)


class CredoPluginWarning(UserWarning):
    """A plugin was found but skipped; the message names it, its version and the reason."""


class PluginError(Exception):
    """A plugin is malformed: unknown hook, hook raised, wrong record type, unknown citation."""


class PluginConflictError(PluginError):
    """Two plugins (or a plugin and credo itself) claim the same name."""


@dataclass(frozen=True)
class Registry:
    """Everything the loaded plugins registered, by name.

    Attributes
    ----------
    plugins : dict of str to PluginInfo
        Loaded plugins by plugin name.
    skipped : tuple of SkippedPlugin
        Plugins found but not loaded (broken, incompatible, disabled).
    distributions, functions, datasets, examples : dict of str to record
        Records by component name; names are unique across plugins.
    bibtex : dict of str to str
        BibTeX entries contributed by plugins, by citation key.
    """

    plugins: dict[str, PluginInfo]
    skipped: tuple[SkippedPlugin, ...]
    distributions: dict[str, DistributionSpec]
    functions: dict[str, FunctionSpec]
    datasets: dict[str, DatasetSpec]
    examples: dict[str, ExampleSpec]
    bibtex: dict[str, str]

    def components(self, plugin: str) -> dict[str, Any]:
        """Distributions and functions of `plugin` by name: what ``cr.ext.<plugin>`` holds."""
        specs = [*self.distributions.values(), *self.functions.values()]
        return {s.name: s.obj for s in specs if s.plugin == plugin}


@dataclass
class _Loaded:
    pm: pluggy.PluginManager
    origin: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (dist, version)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> hook -> records
    skipped: list[SkippedPlugin] = field(default_factory=list)
    registry: Registry | None = None


_state: _Loaded | None = None


def core_version() -> str:
    """Version of the installed credo, checked against plugins' ``requires_core``."""
    import credo

    version = getattr(credo, "__version__", None)
    if version:
        return version
    try:
        return importlib.metadata.version("credo")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def _disabled() -> set[str] | None:
    """Names in CREDO_DISABLE_PLUGINS; None means 'all'."""
    names = {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}
    return None if "all" in names else names


def _describe(name: str, origin: tuple[str, str]) -> str:
    dist, version = origin
    return f"plugin {name!r} ({dist} {version})" if dist else f"plugin {name!r} (in-process)"


def _skip(state: _Loaded, name: str, origin: tuple[str, str], reason: str, warn: bool) -> None:
    state.skipped.append(SkippedPlugin(name, origin[1], origin[0], reason))
    if warn:
        warnings.warn(f"credo {_describe(name, origin)} skipped: {reason}",
                      CredoPluginWarning, stacklevel=4)


def _check_requires_core(plugin: object) -> str | None:
    """The reason `plugin` cannot run on this credo, or None if it can."""
    spec = getattr(plugin, "requires_core", None)
    if spec is None:
        return None
    try:
        specifier = SpecifierSet(spec)
    except (InvalidSpecifier, TypeError):
        return f"requires_core = {spec!r} is not a PEP 440 specifier"
    installed = core_version()
    try:
        ok = specifier.contains(installed, prereleases=True)
    except InvalidVersion:
        ok = False
    return None if ok else f"requires credo{specifier}, installed credo is {installed}"


def _check_bibtex(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise PluginError(f"credo_citations must return a dict of key -> BibTeX, got {value!r}")
    for key, entry in value.items():
        match = _BIBTEX_KEY.match(entry) if isinstance(entry, str) else None
        if match is None or match.group(1) != key:
            raise PluginError(
                f"credo_citations[{key!r}] must be one BibTeX entry '@type{{{key}, ...}}', "
                f"got {entry!r:.80}"
            )
    return dict(value)


def _check_records(hook: str, value: object) -> list[Any]:
    record = _RECORD_HOOKS[hook]
    if not isinstance(value, list | tuple):
        raise PluginError(f"{hook} must return a list of {record.__name__}, got {value!r:.80}")
    bad = [v for v in value if not isinstance(v, record)]
    if bad:
        raise PluginError(f"{hook} must return {record.__name__} records, got {bad[0]!r:.80}")
    return list(value)


def _check_distribution_classes(specs: list[DistributionSpec]) -> None:
    if not specs:
        return
    # imported here: it pulls in PyTensor, which listing plugins without distributions never needs
    from credo.distributions.base import Distribution

    for spec in specs:
        if not issubclass(spec.cls, Distribution):
            raise PluginError(
                f"DistributionSpec {spec.name!r}: {spec.cls.__qualname__} must subclass "
                "credo.distributions.base.Distribution"
            )


def _collect(pm: pluggy.PluginManager, name: str, plugin: object) -> dict[str, Any]:
    """Call every hook `plugin` implements and check what it returns.

    Raises
    ------
    PluginError
        If the plugin implements an unknown hook, a hook raises or returns malformed records, or a
        component cites a key with no BibTeX entry in credo or the plugin itself.
    """
    from credo.citations import CORE_BIBTEX

    out: dict[str, Any] = {}
    for caller in pm.get_hookcallers(plugin) or []:
        if caller.spec is None:
            raise PluginError(
                f"implements unknown hook {caller.name!r}; credo hooks are {', '.join(hookspecs.HOOKS)}"
            )
        for impl in caller.get_hookimpls():
            if impl.plugin is not plugin:
                continue
            try:
                value = impl.function()
            except Exception as err:
                raise PluginError(f"{caller.name}() raised {type(err).__name__}: {err}") from err
            if caller.name == "credo_citations":
                out[caller.name] = _check_bibtex(value)
            else:
                out[caller.name] = [
                    dataclasses.replace(r, plugin=name) for r in _check_records(caller.name, value)
                ]
    _check_distribution_classes(out.get("credo_distributions", []))
    for hooks in (("credo_distributions", "credo_functions"), ("credo_datasets",),
                  ("credo_examples",)):
        names = [spec.name for hook in hooks for spec in out.get(hook, [])]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise PluginError(f"registers {twice} more than once")
    known = CORE_BIBTEX.keys() | out.get("credo_citations", {}).keys()
    for hook in _RECORD_HOOKS:
        for spec in out.get(hook, []):
            missing = [k for k in getattr(spec, "cite", ()) if k not in known]
            if missing:
                raise PluginError(
                    f"{spec.name!r} cites {missing} but neither credo nor the plugin's "
                    "credo_citations() provides BibTeX for them"
                )
    return out


def _load_one(state: _Loaded, name: str, plugin: object, origin: tuple[str, str]) -> None:
    """Register and collect one plugin, undoing the registration if it is malformed."""
    registered = state.pm.get_plugin(name)
    if registered is not None:
        raise PluginConflictError(
            f"plugin name {name!r} is claimed by both {_describe(name, state.origin[name])} and "
            f"{_describe(name, origin)}"
        )
    state.pm.register(plugin, name=name)
    try:
        state.records[name] = _collect(state.pm, name, plugin)
    except BaseException:
        state.pm.unregister(name=name)
        raise
    state.origin[name] = origin
    state.registry = None


def _load_in_process(state: _Loaded, name: str, plugin: object, version: str | None) -> None:
    """`_load_one` for plugins handed over in code: a malformed plugin raises, naming itself."""
    reason = _check_requires_core(plugin)
    if reason is not None:
        raise PluginError(f"plugin {name!r}: {reason}")
    origin = ("", version or str(getattr(plugin, "__version__", "unknown")))
    try:
        _load_one(state, name, plugin, origin)
    except PluginConflictError:
        raise
    except (PluginError, pluggy.PluginValidationError) as err:
        raise PluginError(f"plugin {name!r}: {err}") from err


def _discover(state: _Loaded) -> None:
    disabled = _disabled()
    seen: dict[str, tuple[str, str]] = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        origin = (ep.dist.name, ep.dist.version) if ep.dist is not None else ("", "unknown")
        if ep.name in seen:
            raise PluginConflictError(
                f"plugin name {ep.name!r} is claimed by both {_describe(ep.name, seen[ep.name])} "
                f"and {_describe(ep.name, origin)}; uninstall one of them"
            )
        seen[ep.name] = origin
        if disabled is None or ep.name in disabled or origin[0] in disabled:
            _skip(state, ep.name, origin, f"disabled by {DISABLE_ENV}", warn=False)
            continue
        if not ep.name.isidentifier():
            _skip(state, ep.name, origin, "entry-point name must be a Python identifier "
                  "(it becomes cr.ext.<name>)", warn=True)
            continue
        try:
            plugin = ep.load()
        except Exception as err:
            _skip(state, ep.name, origin, f"import of {ep.value!r} failed: "
                  f"{type(err).__name__}: {err}", warn=True)
            continue
        reason = _check_requires_core(plugin)
        if reason is not None:
            _skip(state, ep.name, origin, reason, warn=True)
            continue
        try:
            _load_one(state, ep.name, plugin, origin)
        except PluginConflictError:
            raise
        except (PluginError, pluggy.PluginValidationError) as err:
            _skip(state, ep.name, origin, str(err), warn=True)


def _loaded() -> _Loaded:
    global _state
    if _state is None:
        pm = pluggy.PluginManager(hookspecs.PROJECT)
        pm.add_hookspecs(hookspecs)
        state = _Loaded(pm)
        _discover(state)
        _state = state
    return _state


def plugin_manager() -> pluggy.PluginManager:
    """The pluggy ``PluginManager`` of project ``credo``, with entry-point plugins loaded."""
    return _loaded().pm


def _conflict(label: str, key: str, state: _Loaded, first: str, second: str) -> PluginConflictError:
    return PluginConflictError(
        f"{label} {key!r} is registered by both {_describe(first, state.origin[first])} and "
        f"{_describe(second, state.origin[second])}; uninstall one or disable it with "
        f"{DISABLE_ENV}={second}"
    )


def _merge(state: _Loaded) -> Registry:
    from credo.citations import CORE_BIBTEX

    owner: dict[tuple[str, str], str] = {}  # (namespace, name) -> plugin name
    tables: dict[str, dict[str, Any]] = {hook: {} for hook in _RECORD_HOOKS}
    bibtex: dict[str, str] = {}
    plugins: dict[str, PluginInfo] = {}
    for name, records in state.records.items():
        for hook in _RECORD_HOOKS:
            # distributions and functions share cr.ext.<plugin>: one name must mean one thing
            namespace = "component" if hook in ("credo_distributions", "credo_functions") else hook
            for spec in records.get(hook, []):
                other = owner.setdefault((namespace, spec.name), name)
                if other != name:
                    raise _conflict(f"{_KIND[hook][:-1]} name", spec.name, state, other, name)
                tables[hook][spec.name] = spec
        for key, entry in records.get("credo_citations", {}).items():
            if key in CORE_BIBTEX and not _same_entry(CORE_BIBTEX[key], entry):
                raise PluginConflictError(
                    f"citation key {key!r} of {_describe(name, state.origin[name])} redefines "
                    "credo's own entry for that key; use another key"
                )
            other = owner.setdefault(("citation", key), name)
            if not _same_entry(bibtex.get(key, entry), entry):
                raise _conflict("citation key (with different BibTeX)", key, state, other, name)
            bibtex[key] = entry
        components = {_KIND[h]: tuple(r.name for r in records[h])
                      for h in _RECORD_HOOKS if h in records}
        if "credo_citations" in records:
            components["citations"] = tuple(records["credo_citations"])
        plugin = state.pm.get_plugin(name)
        plugins[name] = PluginInfo(
            name=name,
            version=state.origin[name][1],
            dist=state.origin[name][0],
            module=getattr(plugin, "__name__", type(plugin).__qualname__),
            hooks=tuple(h for h in hookspecs.HOOKS if h in records),
            components=components,
        )
    return Registry(
        plugins=plugins,
        skipped=tuple(state.skipped),
        distributions=tables["credo_distributions"],
        functions=tables["credo_functions"],
        datasets=tables["credo_datasets"],
        examples=tables["credo_examples"],
        bibtex=bibtex,
    )


def _same_entry(a: str, b: str) -> bool:
    return a.split() == b.split()


def registry() -> Registry:
    """All loaded plugins and their components, discovering plugins on first call.

    Raises
    ------
    PluginConflictError
        If two plugins claim the same plugin name, component name, dataset or example name, or the
        same citation key with different BibTeX. The message names both plugins.
    """
    state = _loaded()
    if state.registry is None:
        state.registry = _merge(state)
    return state.registry


def register(plugin: object, name: str, *, version: str | None = None) -> PluginInfo | None:
    """Register an in-process plugin (a module or object with ``@hookimpl`` functions).

    For notebooks and tests; installed plugins are found through entry points instead. Unlike an
    entry-point plugin, a malformed in-process plugin is an error, not a warning.

    Parameters
    ----------
    plugin : module or object
        Holds functions decorated with ``credo.plugins.hookimpl``.
    name : str
        Plugin name, a Python identifier: components appear as ``cr.ext.<name>.<Name>``.
    version : str, optional
        Shown by ``credo plugins``. Default: ``plugin.__version__`` or ``"unknown"``.

    Returns
    -------
    PluginInfo or None
        None if `name` is switched off by ``CREDO_DISABLE_PLUGINS``.

    Raises
    ------
    ValueError
        If `name` is not an identifier.
    PluginError
        If the plugin is malformed or needs another credo (``requires_core``).
    PluginConflictError
        If it claims a name already registered; nothing is registered then.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"plugin name must be a Python identifier, got {name!r}")
    state = _loaded()
    disabled = _disabled()
    if disabled is None or name in disabled:
        return None
    _load_in_process(state, name, plugin, version)
    try:
        return registry().plugins[name]
    except PluginConflictError:
        unregister(name)
        raise


def unregister(name: str) -> None:
    """Remove plugin `name` (entry-point or in-process) from this session's registry.

    Raises
    ------
    LookupError
        If no plugin of that name is loaded.
    """
    state = _loaded()
    if state.pm.get_plugin(name) is None:
        raise LookupError(f"no plugin {name!r} is loaded; loaded: {sorted(state.records)}")
    state.pm.unregister(name=name)
    del state.records[name], state.origin[name]
    state.registry = None


def reset() -> None:
    """Forget all plugins; the next use rediscovers entry points and rereads the environment."""
    global _state
    _state = None


def check_plugin(plugin: object, name: str = "plugin") -> PluginInfo:
    """Check a plugin module on its own, as credo will when it loads it; for plugin test suites.

    Parameters
    ----------
    plugin : module or object
        The entry-point target of the plugin (the module holding its ``@hookimpl`` functions).
    name : str
        Name to report it under.

    Returns
    -------
    PluginInfo
        What ``credo plugins`` would list.

    Raises
    ------
    PluginError
        With the same reason for which credo would skip the plugin.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    state = _Loaded(pm)
    _load_in_process(state, name, plugin, None)
    return _merge(state).plugins[name]


def plugin_versions() -> dict[str, str]:
    """Versions of the loaded plugins by name, for result metadata (``idata.attrs``)."""
    return {name: info.version for name, info in registry().plugins.items()}


def load_dataset(name: str) -> Any:
    """Load the plugin data set `name` (see ``credo datasets list``).

    Raises
    ------
    LookupError
        If no loaded plugin provides a data set of that name.
    """
    datasets = registry().datasets
    if name not in datasets:
        raise LookupError(f"no data set {name!r}; available: {', '.join(sorted(datasets)) or 'none'}")
    return datasets[name].loader()
