"""Plugin components as attributes: ``cr.ext.<plugin>.<Name>``.

Touching ``cr.ext.<plugin>`` discovers plugins (once per session); ``import credo`` does not.
The attribute is the registered object itself, so ``cr.ext.exoplanet.LimbDarkenedTransit is
credo_exoplanet.LimbDarkenedTransit``.
"""

from __future__ import annotations

from typing import Any


class PluginNamespace:
    """The distributions and functions of one plugin, as attributes.

    Parameters
    ----------
    plugin : str
        Plugin name.
    components : dict of str to object
        Registered objects by name.
    """

    def __init__(self, plugin: str, components: dict[str, Any]) -> None:
        self._plugin = plugin
        self._components = components

    def __getattr__(self, name: str) -> Any:
        try:
            return self._components[name]
        except KeyError:
            available = ", ".join(sorted(self._components)) or "nothing"
            raise AttributeError(
                f"plugin {self._plugin!r} has no component {name!r}; it provides {available}"
            ) from None

    def __dir__(self) -> list[str]:
        return sorted(self._components)

    def __repr__(self) -> str:
        return f"<credo plugin {self._plugin!r}: {', '.join(sorted(self._components))}>"


def __getattr__(plugin: str) -> PluginNamespace:
    if plugin.startswith("_"):
        # introspection (copy, pickle, doctest, pytest) probes dunders: don't load plugins for it
        raise AttributeError(plugin)
    from credo.plugins import registry

    reg = registry()
    if plugin not in reg.plugins:
        skipped = {s.name: s.reason for s in reg.skipped}
        if plugin in skipped:
            raise AttributeError(f"credo plugin {plugin!r} was skipped: {skipped[plugin]}")
        loaded = ", ".join(sorted(reg.plugins)) or "none"
        raise AttributeError(
            f"no credo plugin {plugin!r} is installed (loaded plugins: {loaded}); "
            "`credo plugins` lists them"
        )
    return PluginNamespace(plugin, reg.components(plugin))


def __dir__() -> list[str]:
    from credo.plugins import registry

    return sorted(registry().plugins)
