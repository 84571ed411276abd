"""Model graph: registration, shapes, initial points, errors and the compiled log-density."""

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

import credo as cr

Y = np.array([28, 8, -3, 7, -1, 1, 18, 12.0])
SIGMA = np.array([15, 10, 16, 11, 9, 11, 10, 18.0])


@pytest.fixture(scope="module")
def eight_schools():
    with cr.Model(coords={"school": list("ABCDEFGH")}) as model:
        mu = cr.Normal("mu", 0, 5)
        tau = cr.HalfCauchy("tau", 5)
        theta_tilde = cr.Normal("theta_tilde", 0, 1, dims="school")
        theta = cr.Deterministic("theta", mu + tau * theta_tilde, dims="school")
        sigma = cr.Data("sigma", SIGMA, dims="school")
        cr.Normal("y", theta, sigma, observed=Y, dims="school")
    return model


def eight_schools_reference(x):
    mu, log_tau, tt = x[0], x[1], x[2:]
    tau = np.exp(log_tau)
    return (
        stats.norm(0, 5).logpdf(mu)
        + stats.halfcauchy(0, 5).logpdf(tau)
        + log_tau
        + stats.norm().logpdf(tt).sum()
        + stats.norm(mu + tau * tt, SIGMA).logpdf(Y).sum()
    )


def test_registration_and_names(eight_schools):
    m = eight_schools
    assert [f.name for f in m.free_rvs] == ["mu", "tau", "theta_tilde"]
    assert [f.value_name for f in m.free_rvs] == ["mu", "tau_log__", "theta_tilde"]
    assert m.named_vars_to_dims["theta"] == ("school",)
    assert "sigma" in m.data_vars
    summary = m.summary()
    assert "theta ~ Deterministic" in summary and "y ~ Normal (observed)" in summary
    assert '"mu" -> "theta"' in cr.model_to_graphviz(m)


def test_initial_point_is_support_point(eight_schools):
    point = eight_schools.initial_point()
    assert point["mu"] == 0.0
    np.testing.assert_allclose(point["tau_log__"], np.log(5.0))
    np.testing.assert_array_equal(point["theta_tilde"], np.zeros(8))
    jittered = eight_schools.initial_point(random_seed=1, jitter=1.0)
    assert 0 < abs(jittered["mu"]) <= 1.0



# what `cr.sample` evaluates before it starts compiling, and what its result and forward draws
# evaluate after: none of it may import PyTensor's C VM, which an empty compile directory first
# builds with the C compiler (~1 s, once; `credo.model.core.PYTHON_MODE`)
_NO_C_VM = """
import sys
import numpy as np
import credo as cr
from credo.inference_data import constant_data, observed_data
with cr.Model() as model:
    mu = cr.Normal("mu", 0.0, 1.0)
    sigma = cr.HalfNormal("sigma", 1.0)
    x = cr.Data("x", np.arange(3.0))
    cr.Normal("y", mu + x, sigma, observed=np.array([0.1, 1.2, 1.9]))
point = model.initial_point(random_seed=1, jitter=1.0)
model.check_start_vals(point)
data = observed_data(model), constant_data(model)
prior = cr.sample_prior_predictive(draws=5, model=model, random_seed=1)
print("pytensor.link.c.cvm" in sys.modules, float(point["mu"]), float(prior.prior_predictive["y"].sum()))
"""


def test_small_functions_do_not_build_the_c_vm():
    out = subprocess.run([sys.executable, "-c", _NO_C_VM], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    imported, mu, y_sum = out.stdout.split()
    assert imported == "False"
    assert np.isfinite(float(mu)) and np.isfinite(float(y_sum))

def test_compiled_logp_matches_scipy_and_gradient_matches_fd(eight_schools):
    compiled = cr.compile_logp_dlogp(eight_schools)
    rng = np.random.default_rng(42)
    for _ in range(3):
        x = rng.normal(size=compiled.ndim)
        logp, grad = compiled(x)
        np.testing.assert_allclose(logp, eight_schools_reference(x), rtol=1e-10)
        eps = 1e-6
        fd = [
            (eight_schools_reference(x + eps * e) - eight_schools_reference(x - eps * e)) / (2 * eps)
            for e in np.eye(compiled.ndim)
        ]
        np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-7)


def test_cfunc_agrees_with_njit(eight_schools):
    import ctypes

    compiled = cr.compile_logp_dlogp(eight_schools)
    proto = ctypes.CFUNCTYPE(
        ctypes.c_double, ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double),
        ctypes.c_ssize_t,
    )
    fn = proto(compiled.cfunc.address)
    x = np.linspace(-1, 1, compiled.ndim)
    grad = np.zeros_like(x)
    dptr = ctypes.POINTER(ctypes.c_double)
    logp = fn(x.ctypes.data_as(dptr), grad.ctypes.data_as(dptr), compiled.ndim)
    ref_logp, ref_grad = compiled(x)
    assert logp == pytest.approx(ref_logp, rel=1e-14)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-14)


def test_ravel_unravel_roundtrip(eight_schools):
    rmap = cr.compile_logp_dlogp(eight_schools).ravel_map
    point = eight_schools.initial_point(random_seed=3, jitter=1.0)
    back = rmap.unravel(rmap.ravel(point))
    for k, v in point.items():
        np.testing.assert_array_equal(back[k], v)
    batch = rmap.unravel(np.zeros((4, 5, rmap.size)))
    assert batch["theta_tilde"].shape == (4, 5, 8)


def test_point_fn_gives_constrained_values_and_deterministics(eight_schools):
    from credo.model.compile import compile_point_fn

    x = np.arange(10) / 10.0
    values = compile_point_fn(eight_schools)(x)
    np.testing.assert_allclose(values["tau"], np.exp(0.1))
    np.testing.assert_allclose(values["theta"], 0.0 + np.exp(0.1) * x[2:])


def test_point_logps_names_each_term(eight_schools):
    logps = eight_schools.point_logps()
    assert set(logps) == {"mu", "tau", "theta_tilde", "y"}
    assert logps["mu"] == pytest.approx(stats.norm(0, 5).logpdf(0.0))
    assert logps["theta_tilde"] == pytest.approx(8 * stats.norm().logpdf(0.0))


def test_bad_parameter_names_variable_and_condition():
    with cr.Model() as model:
        cr.Normal("z", 0, -1.0)
    with pytest.raises(cr.SamplingError, match=r"z: logp = -inf \(ParameterValueError: sigma > 0"):
        model.check_start_vals(model.initial_point())
    with pytest.raises(cr.ParameterValueError, match="sigma > 0"):
        cr.logp(cr.Normal.dist(0, -1.0), 0.0).eval()


def test_nan_in_observed_is_rejected_with_index():
    with cr.Model(), pytest.raises(cr.DataError, match=r"'q' contain NaN at index 2"):
        cr.Normal("q", 0, 1, observed=np.array([1.0, 2.0, np.nan]))


def test_shape_mismatches_name_both_shapes():
    with cr.Model(), pytest.raises(cr.ShapeError, match=r"\(3,\), \(4,\)"):
        cr.Normal("a", np.zeros(3), np.ones(4))
    with cr.Model(), pytest.raises(cr.ShapeError, match=r"\(3,\).*\(4,\)"):
        cr.Normal("b", np.zeros(3), 1.0, observed=np.zeros(4))
    with cr.Model(coords={"k": [1, 2]}), pytest.raises(cr.ShapeError, match="dims"):
        cr.Normal("c", 0, 1, shape=(2, 2), dims="k")


def test_duplicate_name_and_missing_model():
    with cr.Model(), pytest.raises(ValueError, match="'a' is already used"):
        cr.Normal("a", 0, 1)
        cr.Normal("a", 0, 1)
    with pytest.raises(TypeError, match="no model on the context stack"):
        cr.Normal("x", 0, 1)


def test_parameters_accept_numpy_pandas_and_tensors():
    import pandas as pd
    import pytensor.tensor as pt

    with cr.Model() as model:
        a = cr.Normal("a", pd.Series([0.0, 1.0]), 1.0)
        b = cr.Normal("b", pt.as_tensor_variable(np.array([2.0, 3.0])), np.array([1.0, 2.0]))
    assert a.type.shape == (2,) and b.type.shape == (2,)
    assert model.point_logps()["b"] == pytest.approx(stats.norm([2, 3], [1, 2]).logpdf([2, 3]).sum())


def test_imputation_of_missing_observations():
    with cr.Model() as model:
        mu = cr.Normal("mu", 0, 10)
        cr.Normal("q", mu, 1, observed=np.array([1.0, np.nan, 3.0]), impute=True)
    assert [f.name for f in model.free_rvs] == ["mu", "q_unobserved"]
    mode = cr.find_MAP(model=model)
    # the posterior mode puts the missing value at mu, and mu at the prior-shrunk mean of (1, 3, mu)
    assert mode["q_unobserved"][0] == pytest.approx(mode["mu"], abs=1e-4)
    assert mode["mu"] == pytest.approx(4.0 / (2.0 + 0.01), rel=1e-4)


def test_potential_enters_logp():
    with cr.Model() as model:
        x = cr.Normal("x", 0, 1)
        cr.Potential("pull", -0.5 * (x - 2.0) ** 2)
    # product of N(0,1) and N(2,1) densities: mode at 1
    assert cr.find_MAP(model=model)["x"] == pytest.approx(1.0, abs=1e-5)


def test_find_map_linear_regression_matches_least_squares():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    y = 1.0 + 2.0 * x + rng.normal(size=200)
    with cr.Model() as model:
        xd = cr.Data("x", x)
        a = cr.Normal("a", 0, 1e3)
        b = cr.Normal("b", 0, 1e3)
        s = cr.HalfFlat("s")
        cr.Normal("obs", a + b * xd, s, observed=y)
    mode = cr.find_MAP(model=model)
    coef = np.polyfit(x, y, 1)
    assert mode["b"] == pytest.approx(coef[0], rel=1e-4)
    assert mode["a"] == pytest.approx(coef[1], rel=1e-3)
    resid = y - np.polyval(coef, x)
    assert mode["s"] == pytest.approx(np.sqrt(np.mean(resid**2)), rel=1e-3)


def test_prior_predictive_moments_and_dims(eight_schools):
    idata = cr.sample_prior_predictive(2000, model=eight_schools, random_seed=7)
    assert set(idata.groups()) >= {"prior", "prior_predictive", "observed_data", "constant_data"}
    assert idata.prior["mu"].shape == (1, 2000)
    assert idata.prior["theta"].dims == ("chain", "draw", "school")
    assert float(idata.prior["mu"].std()) == pytest.approx(5.0, rel=0.05)
    assert float(idata.prior["theta_tilde"].mean()) == pytest.approx(0.0, abs=0.05)
    again = cr.sample_prior_predictive(2000, model=eight_schools, random_seed=7)
    np.testing.assert_array_equal(idata.prior["mu"], again.prior["mu"])
    np.testing.assert_array_equal(idata.observed_data["y"], Y)


def test_prior_predictive_refuses_improper_prior():
    with cr.Model() as model:
        cr.Flat("f")
    with pytest.raises(ValueError, match="'f'.*improper"):
        cr.sample_prior_predictive(10, model=model)


def test_set_data_changes_prediction_shape():
    rng = np.random.default_rng(1)
    with cr.Model() as model:
        x = cr.Data("x", rng.normal(size=20))
        b = cr.Normal("b", 0, 1)
        cr.Normal("y", b * x, 0.1, observed=rng.normal(size=20))
    idata = cr.sample_prior_predictive(5, model=model, random_seed=1)
    idata.posterior = idata.prior  # posterior predictive needs a posterior group
    cr.set_data({"x": np.ones(3)}, model=model)
    pred = cr.sample_posterior_predictive(idata, model=model, predictions=True, random_seed=2)
    assert pred.predictions["y"].shape == (1, 5, 3)
    np.testing.assert_allclose(
        pred.predictions["y"].mean("y_dim_0"), idata.prior["b"], atol=0.3
    )


def test_set_data_resizes_observed_variable_with_dims():
    """An observed variable with dims follows its predictors' new length, and so do its coords."""
    rng = np.random.default_rng(2)
    with cr.Model(coords={"obs": range(20)}) as model:
        x = cr.Data("x", rng.normal(size=20), dims="obs")
        b = cr.Normal("b", 0, 1)
        cr.Normal("y", b * x, 0.1, observed=rng.normal(size=20), dims="obs")
    idata = cr.sample_prior_predictive(5, model=model, random_seed=1)
    idata.posterior = idata.prior
    cr.set_data({"x": np.array([1.0, 2.0, 3.0])}, model=model, coords={"obs": ["a", "b", "c"]})
    pred = cr.sample_posterior_predictive(idata, model=model, predictions=True, random_seed=2)
    y = pred.predictions["y"]
    assert y.dims == ("chain", "draw", "obs") and list(y["obs"].values) == ["a", "b", "c"]
    # y ~ Normal(b * x, 0.1): residuals scaled by 0.1 are standard normal draws
    resid = (y.values - idata.prior["b"].values[..., None] * np.array([1.0, 2.0, 3.0])) / 0.1
    assert np.all(np.abs(resid) < 5)
    assert "observed_data" not in pred.groups()


def test_results_record_the_numerical_stack_versions():
    from importlib.metadata import version

    from credo.inference_data import base_attrs

    recorded = dict(p.split("==") for p in base_attrs()["library_versions"].split(", "))
    for name in ("numpy", "scipy", "pytensor", "numba", "arviz"):
        assert recorded[name] == version(name)
    assert recorded["python"].startswith("3.")
