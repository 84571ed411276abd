"""Fixtures: a clean plugin registry per test, and fake installed distributions on sys.path."""

import sys
from pathlib import Path

import pytest

from credo.plugins import manager

TEST_GROUP = "credo-tests"


@pytest.fixture(autouse=True)
def fresh_plugins(monkeypatch):
    """Each test starts with no plugins and looks for entry points in a test-only group.

    Plugins installed in the environment (group ``credo``) must not change what these tests see.
    """
    monkeypatch.delenv(manager.DISABLE_ENV, raising=False)
    monkeypatch.setattr(manager, "ENTRY_POINT_GROUP", TEST_GROUP)
    manager.reset()
    yield
    manager.reset()


@pytest.fixture
def site(tmp_path, monkeypatch):
    """``install(dist, version, entry_points, modules)``: a fake installed distribution.

    Writes the modules and a ``.dist-info`` with ``entry_points.txt`` into a directory on
    ``sys.path``, which is what importlib.metadata (and pip-installed plugins) rely on.
    Modules imported from it are removed from ``sys.modules`` afterwards.
    """
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    before = set(sys.modules)

    def install(dist: str, version: str, entry_points: dict[str, str],
                modules: dict[str, str], group: str = TEST_GROUP) -> Path:
        for relpath, source in modules.items():
            path = root / relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(source)
        info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        lines = [f"[{group}]", *(f"{name} = {target}" for name, target in entry_points.items())]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        return root

    yield install
    for name in set(sys.modules) - before:
        module = sys.modules[name]
        if str(getattr(module, "__file__", "")).startswith(str(tmp_path)):
            del sys.modules[name]
