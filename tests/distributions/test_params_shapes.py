"""Shapes (size, shape, dims), parameter inputs of every kind, parameter-domain errors."""

import numpy as np
import pandas as pd
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import stats

import credo as cr


def test_size_and_shape():
    assert cr.Normal.dist(0.0, 1.0, size=(2, 3)).type.shape == (2, 3)
    assert cr.Normal.dist(np.zeros(3), 1.0, shape=(4, 3)).type.shape == (4, 3)
    assert cr.Gamma.dist(2.0, np.ones(5)).type.shape == (5,)
    # multivariate: shape includes the core dimension, size does not
    mu = np.zeros(3)
    assert cr.MvNormal.dist(mu, np.eye(3), size=4).type.shape == (4, 3)
    assert cr.MvNormal.dist(mu, np.eye(3), shape=(4, 3)).type.shape == (4, 3)
    assert cr.Dirichlet.dist(np.ones((2, 5))).type.shape == (2, 5)
    assert cr.Multinomial.dist(np.array([5, 10]), np.full(3, 1 / 3)).type.shape == (2, 3)
    assert cr.LKJCorrCholesky.dist(2.0, 3, size=2).type.shape == (2, 3, 3)
    draws = cr.MvNormal.dist(mu, np.eye(3), size=(2, 4)).eval()
    assert draws.shape == (2, 4, 3)


def test_shape_errors():
    with pytest.raises(cr.ShapeError, match="broadcast"):
        cr.Normal.dist(np.zeros(3), np.ones(4))
    with pytest.raises(cr.ShapeError):
        cr.Normal.dist(np.zeros(3), 1.0, size=(4,))
    with pytest.raises(cr.ShapeError):
        cr.MvNormal.dist(np.zeros((2, 3)), np.eye(3), size=(5,))


def test_dims_give_shapes():
    coords = {"school": list("ABCD"), "k": range(3)}
    with cr.Model(coords=coords) as model:
        theta = cr.Normal("theta", 0.0, 1.0, dims="school")
        w = cr.Dirichlet("w", np.ones(3), dims="k")
        mv = cr.MvNormal("mv", np.zeros(3), np.eye(3), dims=("school", "k"))
        cr.Poisson("y", cr.math.exp(theta), observed=np.array([1, 2, 3, 4]), dims="school")
    assert theta.type.shape == (4,) and w.type.shape == (3,) and mv.type.shape == (4, 3)
    assert model.named_vars_to_dims["mv"] == ("school", "k")
    point = model.initial_point()
    assert point["w_simplex__"].shape == (2,) and point["mv"].shape == (4, 3)


PARAM_KINDS = {
    "number": lambda v: v,
    "numpy": np.asarray,
    "pandas": lambda v: pd.Series(np.atleast_1d(v)),
    "pytensor_constant": pt.as_tensor_variable,
    "shared": lambda v: pytensor.shared(np.asarray(v, dtype="float64")),
}


@pytest.mark.parametrize("kind", list(PARAM_KINDS))
def test_parameter_inputs(kind):
    convert = PARAM_KINDS[kind]
    value = np.array([0.5, 2.0]) if kind == "pandas" else 0.5
    var = cr.Gamma.dist(convert(2.0 if kind != "pandas" else np.array([2.0])), convert(3.0))
    got = cr.logp(var, value).eval()
    np.testing.assert_allclose(got, stats.gamma(2.0, scale=1 / 3.0).logpdf(value), rtol=1e-12)
    cov = np.array([[1.0, 0.2], [0.2, 0.5]])
    mv = cr.MvNormal.dist(convert(np.array([1.0, -1.0])) if kind != "pandas" else pd.Series([1.0, -1.0]), cov)
    np.testing.assert_allclose(
        cr.logp(mv, np.zeros(2)).eval(), stats.multivariate_normal([1, -1], cov).logpdf([0, 0]), rtol=1e-12
    )


def test_parameters_from_other_random_variables():
    with cr.Model() as model:
        mu = cr.Normal("mu", 0.0, 1.0)
        sigma = cr.HalfNormal("sigma", 1.0)
        cr.StudentT("y", 4.0, mu, sigma, observed=np.array([0.3, -0.2]))
    point = {"mu": np.array(0.4), "sigma_log__": np.array(-0.3)}
    want = stats.t(4.0, 0.4, np.exp(-0.3)).logpdf([0.3, -0.2]).sum()
    np.testing.assert_allclose(model.point_logps(point)["y"], want, rtol=1e-12)


def test_pandas_parameters_and_observed():
    df = pd.DataFrame({"x": [0.1, 0.5, 0.9], "n": [10, 20, 30], "k": [1, 9, 27]})
    with cr.Model() as model:
        cr.Binomial("k", df["n"], df["x"], observed=df["k"])
    np.testing.assert_allclose(
        model.point_logps({})["k"], stats.binom(df["n"], df["x"]).logpmf(df["k"]).sum(), rtol=1e-12
    )


BAD_PARAMETERS = [
    (lambda: cr.Normal.dist(0.0, -1.0), 0.0, "sigma > 0"),
    (lambda: cr.HalfNormal.dist(0.0), 1.0, "sigma > 0"),
    (lambda: cr.StudentT.dist(-1.0, 0.0, 1.0), 0.0, "nu > 0"),
    (lambda: cr.HalfStudentT.dist(3.0, -1.0), 1.0, "sigma > 0"),
    (lambda: cr.Cauchy.dist(0.0, -1.0), 0.0, "beta > 0"),
    (lambda: cr.HalfCauchy.dist(-1.0), 1.0, "beta > 0"),
    (lambda: cr.Laplace.dist(0.0, 0.0), 0.0, "b > 0"),
    (lambda: cr.Logistic.dist(0.0, -2.0), 0.0, "s > 0"),
    (lambda: cr.LogNormal.dist(0.0, -1.0), 1.0, "sigma > 0"),
    (lambda: cr.Exponential.dist(-1.0), 1.0, "lam > 0"),
    (lambda: cr.Gamma.dist(-1.0, 1.0), 1.0, "alpha > 0"),
    (lambda: cr.InverseGamma.dist(1.0, -1.0), 1.0, "beta > 0"),
    (lambda: cr.Weibull.dist(0.0, 1.0), 1.0, "alpha > 0"),
    (lambda: cr.Pareto.dist(1.0, -1.0), 1.0, "m > 0"),
    (lambda: cr.ChiSquared.dist(-3.0), 1.0, "alpha > 0"),
    (lambda: cr.SkewNormal.dist(0.0, -1.0, alpha=1.0), 0.0, "sigma > 0"),
    (lambda: cr.Uniform.dist(2.0, 1.0), 1.5, "lower < upper"),
    (lambda: cr.Beta.dist(1.0, 0.0), 0.5, "beta > 0"),
    (lambda: cr.VonMises.dist(0.0, -1.0), 0.0, "kappa >= 0"),
    (lambda: cr.TruncatedNormal.dist(0.0, 1.0, lower=2.0, upper=1.0), 1.5, "lower < upper"),
    (lambda: cr.Bernoulli.dist(1.5), 1, "p <= 1"),
    (lambda: cr.Binomial.dist(10, -0.1), 3, "0 <= p"),
    (lambda: cr.Binomial.dist(-2, 0.5), 0, "n >= 0"),
    (lambda: cr.BetaBinomial.dist(-1.0, 1.0, 5), 2, "alpha > 0"),
    (lambda: cr.Poisson.dist(-1.0), 1, "mu >= 0"),
    (lambda: cr.NegativeBinomial.dist(n=2.0, p=1.5), 1, "p <= 1"),
    (lambda: cr.NegativeBinomial.dist(mu=2.0, alpha=-1.0), 1, "n > 0"),
    (lambda: cr.Geometric.dist(0.0), 1, "0 < p"),
    (lambda: cr.Categorical.dist(np.array([-0.1, 1.1])), 0, "0 <= p"),
    (lambda: cr.DiscreteUniform.dist(3, 1), 2, "lower <= upper"),
    (
        lambda: cr.MvNormal.dist(np.zeros(2), np.array([[1.0, 2.0], [2.0, 1.0]])),
        np.zeros(2),
        "positive definite",
    ),
    (lambda: cr.MvStudentT.dist(-1.0, np.zeros(2), np.eye(2)), np.zeros(2), "nu > 0"),
    (lambda: cr.Dirichlet.dist(np.array([1.0, -1.0])), np.array([0.5, 0.5]), "a > 0"),
    (lambda: cr.Multinomial.dist(4, np.array([1.2, -0.2])), np.array([2, 2]), "p"),
    (lambda: cr.LKJCorrCholesky.dist(-1.0, 2), np.eye(2), "eta > 0"),
    (lambda: cr.GaussianRandomWalk.dist(0.0, -1.0, steps=3), np.zeros(4), "sigma > 0"),
    (lambda: cr.AR.dist(np.array([0.5]), -1.0, steps=3), np.zeros(4), "sigma > 0"),
    (lambda: cr.Mixture.dist(np.array([0.5, 0.6]), [cr.Normal.dist(), cr.Normal.dist()]), 0.0, "sum"),
    (lambda: cr.Truncated.dist(cr.Normal.dist(), lower=1.0, upper=0.0), 0.5, "lower <= upper"),
]


@pytest.mark.parametrize("make, value, msg", BAD_PARAMETERS, ids=[m for *_, m in BAD_PARAMETERS])
def test_parameter_value_errors(make, value, msg):
    with pytest.raises(cr.ParameterValueError, match=msg.replace("(", r"\(")):
        cr.logp(make(), value).eval()


def test_bad_parameters_give_minus_inf_inside_a_model():
    with cr.Model() as model:
        sigma = cr.Normal("sigma", 0.0, 1.0)
        cr.Normal("y", 0.0, sigma, observed=np.array([0.1]))
    logps = model.point_logps({"sigma": np.array(-1.0)})
    assert logps["y"] == -np.inf
    with pytest.raises(cr.SamplingError, match="sigma > 0"):
        model.check_start_vals({"sigma": np.array(-1.0)})


def test_alternative_parameterisations_agree():
    pairs = [
        (cr.Normal.dist(1.0, tau=4.0), cr.Normal.dist(1.0, 0.5), 0.3),
        (cr.StudentT.dist(3.0, 0.0, lam=4.0), cr.StudentT.dist(3.0, 0.0, 0.5), 0.3),
        (cr.Exponential.dist(scale=2.0), cr.Exponential.dist(0.5), 0.3),
        (cr.Gamma.dist(mu=2.0, sigma=1.0), cr.Gamma.dist(4.0, 2.0), 0.3),
        (cr.NegativeBinomial.dist(mu=3.0, alpha=2.0), cr.NegativeBinomial.dist(n=2.0, p=0.4), 4),
        (cr.Bernoulli.dist(logit_p=0.0), cr.Bernoulli.dist(0.5), 1),
    ]
    for a, b, value in pairs:
        np.testing.assert_allclose(cr.logp(a, value).eval(), cr.logp(b, value).eval(), rtol=1e-14)
    with pytest.raises(ValueError, match="either"):
        cr.Gamma.dist(2.0, 1.0, mu=1.0)
    with pytest.raises(ValueError, match="exactly one"):
        cr.Bernoulli.dist(0.5, logit_p=0.0)
    with pytest.raises(ValueError, match="exactly one"):
        cr.MvNormal.dist(np.zeros(2), np.eye(2), tau=np.eye(2))
