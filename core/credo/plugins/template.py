"""``credo plugin new NAME``: write a ready-to-install plugin skeleton from credo/templates/plugin."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

__all__ = ["new_plugin", "plugin_names"]

# template file -> destination, relative to the new plugin's root; {package} and {name} expand
_FILES: dict[str, str] = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "init.py.tmpl": "src/{package}/__init__.py",
    "distributions.py.tmpl": "src/{package}/distributions.py",
    "plugin.py.tmpl": "src/{package}/plugin.py",
    "test_plugin.py.tmpl": "tests/test_{name}.py",
}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def plugin_names(name: str) -> dict[str, str]:
    """Names derived from a plugin name: entry point, import package, distribution.

    Parameters
    ----------
    name : str
        ``exoplanet``, ``credo-exoplanet`` or ``credo_exoplanet``.

    Returns
    -------
    dict
        ``{"name": "exoplanet", "package": "credo_exoplanet", "dist": "credo-exoplanet"}``.

    Raises
    ------
    ValueError
        If the name is not lowercase letters, digits, ``-`` and ``_``, starting with a letter.
    """
    short = re.sub(r"^credo[-_]", "", name).replace("-", "_")
    if not _NAME.match(short):
        raise ValueError(
            f"plugin name {name!r} must be lowercase letters, digits, '-' or '_', starting with a "
            "letter (e.g. 'exoplanet')"
        )
    return {"name": short, "package": f"credo_{short}", "dist": f"credo-{short.replace('_', '-')}"}


def new_plugin(name: str, directory: str | Path = ".") -> Path:
    """Write the skeleton of plugin `name` into ``directory/credo-<name>``.

    The skeleton is an installable distribution: ``pyproject.toml`` with an entry point in group
    ``credo``, a package with one example distribution and its hook module, a conformance test and
    a README.

    Parameters
    ----------
    name : str
        Plugin name (see :func:`plugin_names`).
    directory : str or Path
        Parent directory; created if missing.

    Returns
    -------
    Path
        Root of the new plugin.

    Raises
    ------
    ValueError
        If `name` is invalid.
    FileExistsError
        If the destination exists and is not empty.
    """
    from credo.plugins.manager import core_version

    names = plugin_names(name)
    root = Path(directory) / names["dist"]
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} exists and is not empty; choose another --dir")
    release = ".".join(core_version().split(".")[:2])
    values = {**names, "core_version": release}
    source = files("credo") / "templates" / "plugin"
    for template, dest in _FILES.items():
        text = (source / template).read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        path = root / dest.format(**names)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
