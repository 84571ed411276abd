"""Typed records that plugins return from their hooks, and the records credo keeps about plugins.

A plugin never hands credo a bare class or a dict of loose fields: every hook returns a list of
frozen records whose fields are checked once, when the record is made. Defaults are filled from the
component itself (a distribution's ``__name__``, the first line of its docstring, its ``cite``
class attribute) so a plugin module stays short and declarative (STYLE.md §4, after conda's hooks).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DatasetSpec",
    "DistributionSpec",
    "ExampleSpec",
    "FunctionSpec",
    "PluginInfo",
    "SkippedPlugin",
]


def _first_doc_line(obj: object) -> str:
    doc = getattr(obj, "__doc__", None) or ""
    lines = [line.strip() for line in doc.strip().splitlines()]
    return lines[0] if lines else ""


def _keys(record: str, name: str, keys: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(keys, str):
        # cite="agol2020" would otherwise become ("a", "g", "o", ...)
        keys = (keys,)
    keys = tuple(keys)
    bad = [k for k in keys if not isinstance(k, str) or not k.strip()]
    if bad:
        raise TypeError(f"{record} {name!r}: cite must be non-empty strings, got {bad!r}")
    return keys


def _require_text(record: str, label: object, **fields: object) -> None:
    for key, value in fields.items():
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{record} {label!r}: {key} must be a non-empty string, got {value!r}")


def _require_identifier(record: str, name: object) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(
            f"{record}: name must be a Python identifier (it becomes an attribute of "
            f"cr.ext.<plugin>), got {name!r}"
        )


@dataclass(frozen=True)
class DistributionSpec:
    """A distribution contributed by a plugin.

    Parameters
    ----------
    cls : type
        Subclass of ``credo.distributions.base.Distribution``. The class itself is registered, so
        ``cr.ext.<plugin>.<name>`` and a direct import from the plugin package are the same object.
    name : str, optional
        Attribute name under ``cr.ext.<plugin>``; a Python identifier. Default ``cls.__name__``.
    summary : str, optional
        One line shown by ``credo plugins``. Default: first line of the class docstring.
    cite : sequence of str, optional
        Citation keys of the distribution. Default: ``cls.cite``. Keys given here must also be in
        ``cls.cite``: the model collects keys from the class when a variable is created, whichever
        way the class was imported, so a key only on the record would never reach a model.

    Raises
    ------
    TypeError
        If `cls` is not a class or `cite` holds something other than strings.
    ValueError
        If `name` is not an identifier, the summary is empty, or `cite` lists keys the class does
        not declare.
    """

    cls: type
    name: str | None = None
    summary: str | None = None
    cite: tuple[str, ...] | None = None
    plugin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.cls, type):
            raise TypeError(f"DistributionSpec: cls must be a class, got {self.cls!r}")
        name = self.name if self.name is not None else self.cls.__name__
        _require_identifier("DistributionSpec", name)
        summary = self.summary if self.summary is not None else _first_doc_line(self.cls)
        _require_text("DistributionSpec", name, summary=summary)
        declared = _keys("DistributionSpec", name, getattr(self.cls, "cite", ()))
        cite = declared if self.cite is None else _keys("DistributionSpec", name, self.cite)
        missing = [k for k in cite if k not in declared]
        if missing:
            raise ValueError(
                f"DistributionSpec {name!r}: cite keys {missing} are not in "
                f"{self.cls.__name__}.cite = {declared!r}; declare them on the class so every "
                "model using it records them"
            )
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "summary", summary)
        object.__setattr__(self, "cite", cite)

    @property
    def obj(self) -> type:
        """The registered object (the class)."""
        return self.cls


@dataclass(frozen=True)
class FunctionSpec:
    """A deterministic model component contributed by a plugin (a light curve, a travel time...).

    Parameters
    ----------
    func : callable
        The function. It should call ``credo.citations.cite(*keys)`` when it builds graph nodes,
        so models that use it record its references.
    name : str, optional
        Attribute name under ``cr.ext.<plugin>``; a Python identifier. Default ``func.__name__``.
    summary : str, optional
        One line shown by ``credo plugins``. Default: first line of the docstring.
    cite : sequence of str, optional
        Citation keys the function cites, listed for users and checked against the BibTeX
        registry at load time.

    Raises
    ------
    TypeError
        If `func` is not callable.
    ValueError
        If `name` is not an identifier or the summary is empty.
    """

    func: Callable[..., Any]
    name: str | None = None
    summary: str | None = None
    cite: tuple[str, ...] = ()
    plugin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not callable(self.func):
            raise TypeError(f"FunctionSpec: func must be callable, got {self.func!r}")
        name = self.name if self.name is not None else getattr(self.func, "__name__", None)
        _require_identifier("FunctionSpec", name)
        summary = self.summary if self.summary is not None else _first_doc_line(self.func)
        _require_text("FunctionSpec", name, summary=summary)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "summary", summary)
        object.__setattr__(self, "cite", _keys("FunctionSpec", name, self.cite))

    @property
    def obj(self) -> Callable[..., Any]:
        """The registered object (the function)."""
        return self.func


@dataclass(frozen=True)
class DatasetSpec:
    """A data set shipped or fetched by a plugin.

    Parameters
    ----------
    name : str
        Unique name across all plugins, e.g. ``"kepler10_lightcurve"``.
    loader : callable
        ``loader() -> object`` returns the data (a ``pandas.DataFrame``, ``xarray.Dataset``, ...).
        It must work offline for data shipped with the plugin.
    description : str
        One line: what the data are, with units.
    license : str
        Licence of the data, e.g. ``"CC-BY-4.0"`` or ``"public domain (NASA)"``.
    source : str
        Where the data come from (URL or reference), so users can attribute them.
    cite : sequence of str, optional
        Citation keys for the data.

    Raises
    ------
    TypeError
        If `loader` is not callable.
    ValueError
        If `name`, `description`, `license` or `source` is empty.
    """

    name: str
    loader: Callable[[], Any]
    description: str
    license: str
    source: str
    cite: tuple[str, ...] = ()
    plugin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _require_text("DatasetSpec", self.name, name=self.name)
        if not callable(self.loader):
            raise TypeError(f"DatasetSpec {self.name!r}: loader must be callable, got "
                            f"{self.loader!r}")
        _require_text("DatasetSpec", self.name, description=self.description,
                      license=self.license, source=self.source)
        object.__setattr__(self, "cite", _keys("DatasetSpec", self.name, self.cite))


@dataclass(frozen=True)
class ExampleSpec:
    """A runnable example contributed by a plugin, run by ``credo examples run NAME``.

    Parameters
    ----------
    name : str
        Unique name across all plugins.
    target : callable or path
        Either ``target(out: pathlib.Path, seed: int)``, called in-process, or the absolute path of
        a Python script run as ``python SCRIPT --out DIR --seed N`` in a subprocess.
    summary : str
        One line: what the example shows.

    Raises
    ------
    TypeError
        If `target` is neither callable nor a path.
    ValueError
        If `name` or `summary` is empty or a script path is relative.
    """

    name: str
    target: Callable[..., Any] | str | os.PathLike[str]
    summary: str
    plugin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _require_text("ExampleSpec", self.name, name=self.name, summary=self.summary)
        if callable(self.target):
            return
        if not isinstance(self.target, str | os.PathLike):
            raise TypeError(
                f"ExampleSpec {self.name!r}: target must be a callable or a script path, got "
                f"{self.target!r}"
            )
        if not os.path.isabs(self.target):
            # relative to what? the user's working directory is not the plugin's
            raise ValueError(
                f"ExampleSpec {self.name!r}: script path must be absolute, e.g. "
                f"Path(__file__).parent / 'examples' / 'run.py', got {self.target!r}"
            )


@dataclass(frozen=True)
class PluginInfo:
    """What ``credo plugins`` shows about one loaded plugin.

    Attributes
    ----------
    name : str
        Plugin name: the entry-point name, i.e. the ``<plugin>`` in ``cr.ext.<plugin>``.
    version : str
        Version of the distribution that provides it (``"unknown"`` if not installed).
    dist : str
        Name of that distribution (``""`` for a plugin registered in-process).
    module : str
        Module holding the hook implementations.
    hooks : tuple of str
        Names of the hooks it implements.
    components : dict of str to tuple of str
        Registered names by kind: ``distributions``, ``functions``, ``datasets``, ``examples``,
        ``citations``.
    """

    name: str
    version: str
    dist: str
    module: str
    hooks: tuple[str, ...]
    components: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class SkippedPlugin:
    """A plugin that was found but not loaded, and why.

    Attributes
    ----------
    name, version, dist : str
        As in :class:`PluginInfo`.
    reason : str
        One line, e.g. ``"requires credo>=0.3, installed 0.1.0"`` or
        ``"disabled by CREDO_DISABLE_PLUGINS"``.
    """

    name: str
    version: str
    dist: str
    reason: str
