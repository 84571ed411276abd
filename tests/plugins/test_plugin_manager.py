"""Plugin discovery, checking and the registry."""

import sys
import warnings

import fake_plugins as fp
import pytest

import credo as cr
from credo import plugins
from credo.plugins import CredoPluginWarning, PluginConflictError, PluginError

GOOD = '''
"""A working plugin."""
from credo.plugins import FunctionSpec, hookimpl

requires_core = ">=0.1"


def double(x):
    """Twice x."""
    return 2 * x


@hookimpl
def credo_functions():
    return [FunctionSpec(double)]
'''
BROKEN = "import credo_no_such_dependency  # noqa\n"
INCOMPATIBLE = '''
from credo.plugins import hookimpl

requires_core = ">=99.0"


@hookimpl
def credo_citations():
    return {}
'''


def _install_three(site):
    site("credo-good", "2.0.1", {"good": "good_plugin"}, {"good_plugin.py": GOOD})
    site("credo-broken", "0.0.1", {"broken": "broken_plugin"}, {"broken_plugin.py": BROKEN})
    site("credo-future", "9.9", {"future": "future_plugin"}, {"future_plugin.py": INCOMPATIBLE})


def test_registered_components_are_reachable_and_listed():
    plugins.register(fp.alpha, "alpha")
    info = plugins.register(fp.beta, "beta")
    assert info == plugins.PluginInfo(
        name="beta", version="0.4.0", dist="", module="beta",
        hooks=("credo_functions", "credo_datasets", "credo_examples", "credo_citations"),
        components={"functions": ("line",), "datasets": ("beta_points",),
                    "examples": ("beta_seed",), "citations": ("beta2021",)},
    )
    reg = plugins.registry()
    assert sorted(reg.plugins) == ["alpha", "beta"]
    assert cr.ext.alpha.Laplace is fp.Laplace
    assert cr.ext.beta.line is fp.line
    assert reg.distributions["Laplace"].plugin == "alpha"
    assert reg.distributions["Laplace"].summary == "Laplace (double-exponential) distribution."
    assert reg.distributions["Laplace"].cite == ("alpha2020",)
    assert reg.bibtex == {"alpha2020": fp.ALPHA_BIB, "beta2021": fp.BETA_BIB}
    assert plugins.load_dataset("beta_points")["y"].tolist() == [1.0, 3.0, 5.0, 7.0, 9.0]
    assert sorted(dir(cr.ext)) == ["alpha", "beta"]


def test_ext_errors_name_what_exists():
    plugins.register(fp.alpha, "alpha")
    with pytest.raises(AttributeError, match=r"no credo plugin 'gamma'.*loaded plugins: alpha"):
        cr.ext.gamma  # noqa: B018
    with pytest.raises(AttributeError, match=r"plugin 'alpha' has no component 'Cauchy'.*Laplace"):
        cr.ext.alpha.Cauchy  # noqa: B018
    with pytest.raises(LookupError, match="no data set 'nope'; available: none"):
        plugins.load_dataset("nope")


def test_same_component_name_in_two_plugins_is_an_error_naming_both():
    plugins.register(fp.beta, "beta")
    with pytest.raises(PluginConflictError) as err:
        plugins.register(fp.gamma_same_name, "gamma")
    message = str(err.value)
    assert "function name 'line'" in message
    assert "plugin 'beta'" in message and "plugin 'gamma'" in message
    # the second plugin is rolled back, the first keeps working
    assert sorted(plugins.registry().plugins) == ["beta"]
    assert cr.ext.beta.line is fp.line


def test_same_plugin_name_twice_is_an_error():
    plugins.register(fp.alpha, "alpha")
    with pytest.raises(PluginConflictError, match="plugin name 'alpha' is claimed by both"):
        plugins.register(fp.beta, "alpha")


@pytest.mark.parametrize(
    ("plugin", "reason"),
    [
        (fp.typo_hook, "unknown hook 'credo_distribution'"),
        (fp.raising_hook, r"credo_functions\(\) raised RuntimeError: database offline"),
        (fp.unknown_key, r"'line2' cites \['nobody1999'\] but neither credo nor"),
        (fp.not_a_distribution, "dict must subclass credo.distributions.base.Distribution"),
        (fp.wrong_record, "credo_distributions must return DistributionSpec records"),
        (fp.bad_bibtex, r"credo_citations\['key2000'\] must be one BibTeX entry"),
        (fp.needs_future_core, r"requires credo>=99, installed credo is 0\.1\.0"),
        (fp.twice, r"registers \['line'\] more than once"),
    ],
)
def test_malformed_in_process_plugin_raises_with_its_name(plugin, reason):
    with pytest.raises(PluginError, match=r"plugin 'bad': .*" + reason):
        plugins.register(plugin, "bad")
    assert "bad" not in plugins.registry().plugins
    assert plugins.plugin_manager().get_plugin("bad") is None


def test_check_plugin_reports_like_the_loader():
    info = plugins.check_plugin(fp.alpha, name="alpha")
    assert info.components == {"distributions": ("Laplace",), "citations": ("alpha2020",)}
    with pytest.raises(PluginError, match="unknown hook"):
        plugins.check_plugin(fp.typo_hook)
    # checking does not register anything
    assert plugins.registry().plugins == {}


def test_entry_point_plugins_load_lazily_and_bad_ones_are_skipped_with_warnings(site):
    _install_three(site)
    assert "good_plugin" not in sys.modules
    with pytest.warns(CredoPluginWarning) as record:
        reg = plugins.registry()
    messages = sorted(str(w.message) for w in record)
    assert len(messages) == 2
    assert messages[0].startswith("credo plugin 'broken' (credo-broken 0.0.1) skipped: import of "
                                  "'broken_plugin' failed: ModuleNotFoundError")
    assert messages[1] == ("credo plugin 'future' (credo-future 9.9) skipped: requires "
                           "credo>=99.0, installed credo is 0.1.0")
    assert list(reg.plugins) == ["good"]
    assert reg.plugins["good"].version == "2.0.1"
    assert reg.plugins["good"].dist == "credo-good"
    assert {s.name: s.version for s in reg.skipped} == {"broken": "0.0.1", "future": "9.9"}
    import good_plugin

    assert cr.ext.good.double is good_plugin.double
    assert cr.ext.good.double(21) == 42
    with pytest.raises(AttributeError, match="credo plugin 'future' was skipped: requires"):
        cr.ext.future  # noqa: B018


def test_invalid_requires_core_is_skipped(site):
    source = "from credo.plugins import hookimpl\nrequires_core = 'at least 0.1'\n"
    site("credo-odd", "1.0", {"odd": "odd_plugin"}, {"odd_plugin.py": source})
    with pytest.warns(CredoPluginWarning, match="requires_core = 'at least 0.1' is not a PEP 440"):
        assert plugins.registry().plugins == {}


@pytest.mark.parametrize("value", ["good", "credo-good", " all ", "future, good"])
def test_disable_plugins_env_switches_plugins_off_without_importing_them(site, monkeypatch, value):
    _install_three(site)
    monkeypatch.setenv("CREDO_DISABLE_PLUGINS", value)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        reg = plugins.registry()
    assert "good" not in reg.plugins
    assert "good_plugin" not in sys.modules
    skipped = {s.name: s.reason for s in reg.skipped}
    assert skipped["good"] == "disabled by CREDO_DISABLE_PLUGINS"
    if value.strip() == "all":
        assert record == []  # nothing was even imported
        assert set(skipped) == {"good", "broken", "future"}
    # an in-process plugin under a disabled name is not registered either
    if value in ("good", " all "):
        assert plugins.register(fp.alpha, "good") is None


def test_two_distributions_with_the_same_entry_point_name_conflict(site):
    site("credo-one", "1.0", {"same": "good_plugin"}, {"good_plugin.py": GOOD})
    site("credo-two", "2.0", {"same": "good_plugin"}, {})
    with pytest.raises(PluginConflictError) as err:
        plugins.registry()
    assert "credo-one 1.0" in str(err.value) and "credo-two 2.0" in str(err.value)


def test_unregister_and_reset():
    plugins.register(fp.alpha, "alpha")
    plugins.unregister("alpha")
    assert plugins.registry().plugins == {}
    with pytest.raises(LookupError, match="no plugin 'alpha' is loaded"):
        plugins.unregister("alpha")
    with pytest.raises(ValueError, match="plugin name must be a Python identifier, got 'a-b'"):
        plugins.register(fp.alpha, "a-b")
