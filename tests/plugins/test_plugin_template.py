"""`credo plugin new` writes a plugin that installs, is discovered through its entry point, and
passes its own conformance tests."""

import importlib.util
import sys
import tomllib

import numpy as np
import pytest

import credo as cr
from credo import plugins
from credo.plugins.template import new_plugin, plugin_names


def test_plugin_names():
    expected = {"name": "tide_gauge", "package": "credo_tide_gauge", "dist": "credo-tide-gauge"}
    for given in ("tide_gauge", "tide-gauge", "credo-tide-gauge", "credo_tide_gauge"):
        assert plugin_names(given) == expected
    for bad in ("", "credo-", "9lives", "Tides", "tides!"):
        with pytest.raises(ValueError, match="must be lowercase letters"):
            plugin_names(bad)


def test_template_plugin_is_discovered_through_its_entry_point(tmp_path, site, monkeypatch):
    root = new_plugin("demo", tmp_path)
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        "README.md",
        "pyproject.toml",
        "src/credo_demo/__init__.py",
        "src/credo_demo/distributions.py",
        "src/credo_demo/plugin.py",
        "tests/test_demo.py",
    ]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert project["name"] == "credo-demo"
    assert project["dependencies"] == [f"credo>={plugins.core_version().rsplit('.', 1)[0]}"]
    entry_points = project["entry-points"]
    assert list(entry_points) == ["credo"]  # the group credo searches
    assert entry_points["credo"] == {"demo": "credo_demo.plugin"}

    # what `pip install` leaves behind: the package importable and a dist-info with the entry point
    monkeypatch.syspath_prepend(str(root / "src"))
    site(project["name"], project["version"], entry_points["credo"], {})
    try:
        reg = plugins.registry()
        info = reg.plugins["demo"]
        assert (info.dist, info.version, info.module) == ("credo-demo", "0.1.0", "credo_demo.plugin")
        assert info.components == {"distributions": ("Gumbel",), "citations": ("gumbel1958",)}
        import credo_demo

        assert cr.ext.demo.Gumbel is credo_demo.Gumbel
        with cr.Model() as model:
            cr.ext.demo.Gumbel("x_max", mu=0.0, beta=1.0)
        assert model.citation_keys == {"gumbel1958"}
        assert "@book{gumbel1958," in cr.citations(model)
        # sampled by NUTS: Gumbel(0, 1) has mean Euler's gamma and sd pi / sqrt(6)
        idata = cr.sample(draws=1000, tune=500, chains=2, random_seed=5, progressbar=False, model=model)
        x = idata.posterior["x_max"]
        mcse = cr.summary(idata, kind="diagnostics").iloc[0]
        assert abs(float(x.mean()) - np.euler_gamma) < 4 * mcse["mcse_mean"]
        assert abs(float(x.std()) - np.pi / np.sqrt(6)) < 4 * mcse["mcse_sd"]
        assert "gumbel1958" in idata.attrs["credo_citations"].split(",")
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] == "credo_demo"]:
            del sys.modules[name]


def test_template_tests_pass(tmp_path, monkeypatch):
    root = new_plugin("demo2", tmp_path)
    monkeypatch.syspath_prepend(str(root / "src"))
    spec = importlib.util.spec_from_file_location("test_demo2", root / "tests" / "test_demo2.py")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        tests = [getattr(module, n) for n in dir(module) if n.startswith("test_")]
        assert len(tests) == 3
        for test in tests:
            test()
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] == "credo_demo2"]:
            del sys.modules[name]
