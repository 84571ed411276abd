"""Citations: keys recorded by models and samplers, BibTeX from credo and plugins."""

import re

import arviz as az
import fake_plugins as fp
import numpy as np
import pytest
import scipy.stats

import credo as cr
import credo.citations
from credo import plugins
from credo.citations import ALGORITHMS, ATTRS_KEY, CORE_BIBTEX, citation_attrs, cite

T = np.arange(4.0)
Y = np.array([1.2, 2.9, 5.3, 6.8])


def _two_plugin_model():
    plugins.register(fp.alpha, "alpha")
    plugins.register(fp.beta, "beta")
    with cr.Model() as model:
        a = cr.ext.alpha.Laplace("a", mu=0.5, b=2.0)
        mu = cr.Deterministic("mu", cr.ext.beta.line(T, a, 2.0))
        cr.Normal("y", mu, 0.5, observed=Y)
    return model


def test_components_of_two_plugins_compose_in_one_model():
    model = _two_plugin_model()
    logps = model.point_logps({"a": np.array(0.8)})
    assert logps["a"] == pytest.approx(scipy.stats.laplace(0.5, 2.0).logpdf(0.8), rel=1e-12)
    expected_y = scipy.stats.norm(0.8 + 2.0 * T, 0.5).logpdf(Y).sum()
    assert logps["y"] == pytest.approx(expected_y, rel=1e-12)
    # the class attribute of one plugin and the cite() call of the other both reached the model
    assert model.citation_keys == {"alpha2020", "beta2021"}


def test_citations_of_a_model_list_core_then_plugin_entries():
    model = _two_plugin_model()
    assert credo.citations.citation_keys(model) == (
        "pytensor", "lam2015", "pluggy", "alpha2020", "beta2021")
    text = cr.citations(model)
    assert re.findall(r"^@\w+\{([^,]+),", text, flags=re.MULTILINE) == [
        "pytensor", "lam2015", "pluggy", "alpha2020", "beta2021"]
    assert fp.ALPHA_BIB in text and fp.BETA_BIB in text


def test_core_only_model_does_not_cite_pluggy():
    with cr.Model() as model:
        cr.Normal("x", 0.0, 1.0)
    assert credo.citations.citation_keys(model) == ("pytensor", "lam2015")


def test_cite_outside_a_model_does_nothing_and_checks_keys():
    cite("hoffman2014")  # no model active: nothing to record, no error
    with cr.Model() as model:
        cite("hoffman2014", "ching2007")
    assert model.citation_keys == {"hoffman2014", "ching2007"}
    with pytest.raises(TypeError, match=r"cite: keys must be non-empty strings, got \[3\]"):
        cite("hoffman2014", 3)


def test_citation_attrs_for_a_nuts_run_round_trip_through_inference_data(tmp_path):
    model = _two_plugin_model()
    attrs = citation_attrs(model, ["nuts"])
    assert attrs == {ATTRS_KEY: "hoffman2014,betancourt2017,carpenter2017,pytensor,lam2015,"
                                "kumar2019,pluggy,alpha2020,beta2021"}
    idata = az.from_dict(posterior={"a": np.zeros((1, 3))}, attrs=attrs)
    path = tmp_path / "result.nc"
    idata.to_netcdf(str(path))
    reloaded = az.from_netcdf(str(path))
    assert cr.citations(reloaded) == cr.citations(idata)
    assert cr.citations(reloaded).count("\n@") == 8  # nine entries


def test_citation_attrs_smc_and_bad_algorithm():
    with cr.Model() as model:
        cr.Normal("x", 0.0, 1.0)
    keys = citation_attrs(model, "smc")[ATTRS_KEY].split(",")
    assert keys == ["ching2007", "minson2013", "delmoral2012", "pytensor", "lam2015", "kumar2019"]
    with pytest.raises(ValueError, match=r"algorithm 'hmc' unknown; expected one of \['abc', "):
        citation_attrs(model, ["hmc"])


def test_results_without_credo_attrs_and_other_objects_are_rejected():
    with pytest.raises(ValueError, match="no 'credo_citations' attribute: the result was not"):
        cr.citations(az.from_dict(posterior={"a": np.zeros((1, 3))}))
    with pytest.raises(TypeError, match="expected a credo.Model or an InferenceData, got int"):
        cr.citations(3)


def test_key_of_an_uninstalled_plugin_becomes_a_comment_and_a_warning():
    with pytest.warns(UserWarning, match=r"no BibTeX for citation keys \['gone2019'\]"):
        text = cr.citations({ATTRS_KEY: "hoffman2014,gone2019"})
    assert text.startswith(CORE_BIBTEX["hoffman2014"])
    assert text.rstrip().endswith("% credo: no BibTeX entry for key 'gone2019'")


def test_core_bibtex_entries_are_well_formed():
    for key, entry in CORE_BIBTEX.items():
        assert re.match(r"@(article|inproceedings|misc|book)\{" + key + ",\n", entry), key
        assert entry.count("{") == entry.count("}"), key
        assert re.search(r"\b(year|url) = \{", entry), key
    used = {k for keys in ALGORITHMS.values() for k in keys}
    assert used <= CORE_BIBTEX.keys()


def test_module_is_callable_and_keeps_its_attributes():
    assert cr.citations is credo.citations
    assert callable(cr.citations) and cr.citations.cite is cite
    from credo.citations import citations

    assert citations({ATTRS_KEY: "hoffman2014"}) == cr.citations({ATTRS_KEY: "hoffman2014"})
