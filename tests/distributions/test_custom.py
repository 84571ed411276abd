"""CustomDist: user logp with a NumPy sampler or a symbolic sampling graph."""

import numpy as np
import pytensor.tensor as pt
import pytest
from scipy import stats

import credo as cr
from credo.testing import check_distribution


def normal_logp(value, mu, sigma):
    return -0.5 * ((value - mu) / sigma) ** 2 - pt.log(sigma) - 0.5 * np.log(2 * np.pi)


def normal_random(mu, sigma, rng=None, size=None):
    return rng.normal(mu, sigma, size=size)


class NumpyNormal(cr.CustomDist):
    """A normal distribution as a plugin would write it: logp + NumPy sampler."""

    @classmethod
    def dist(cls, mu, sigma, **kwargs):
        return super().dist(mu, sigma, logp=normal_logp, random=normal_random, **kwargs)


def lognormal_logp(value, mu, sigma):
    return normal_logp(pt.log(value), mu, sigma) - pt.log(value)


class GraphLogNormal(cr.CustomDist):
    """exp(Normal) with the sampling graph built from credo distributions."""

    @classmethod
    def dist(cls, mu, sigma, **kwargs):
        return super().dist(
            mu,
            sigma,
            logp=lognormal_logp,
            dist=lambda mu, s, size: pt.exp(cr.Normal.dist(mu, s, size=size)),
            support_point=lambda rv, mu, s: pt.exp(mu),
            logcdf=lambda v, mu, s: cr.Normal.logcdf(pt.log(v), mu, s),
            **kwargs,
        )


def test_custom_dist_with_numpy_random():
    check_distribution(
        NumpyNormal,
        [{"mu": 1.0, "sigma": 2.0}, {"mu": np.array([0.0, 3.0]), "sigma": 0.5}],
        lambda v, mu, sigma: stats.norm(mu, sigma).logpdf(v),
        reference_cdf_for_random=lambda v, mu, sigma: stats.norm(mu, sigma).cdf(v),
        rtol=1e-12,
    )


def test_custom_dist_with_symbolic_dist():
    lognorm = lambda mu, sigma: stats.lognorm(sigma, scale=np.exp(mu))  # noqa: E731
    check_distribution(
        GraphLogNormal,
        {"mu": 0.3, "sigma": 0.5},
        lambda v, mu, sigma: lognorm(mu, sigma).logpdf(v),
        lambda v, mu, sigma: lognorm(mu, sigma).logcdf(v),
        check_transform=False,
        rtol=1e-10,
    )


def test_custom_dist_in_model_with_transform_and_vector_signature():
    with cr.Model() as model:
        x = cr.CustomDist("x", 0.3, 0.5, logp=lognormal_logp, transform=cr.transforms.log, initval=1.0)
        v = cr.CustomDist(
            "v",
            np.zeros(3),
            logp=lambda value, mu: cr.MvNormal.logp(value, mu, pt.eye(3)),
            random=lambda mu, rng=None, size=None: rng.normal(mu, size=(*(size or ()), 3)),
            signature="(n)->(n)",
        )
        cr.CustomDist("y", x, 1.0, logp=normal_logp, random=normal_random, observed=np.array([0.5, 1.5]))
    assert v.type.shape == (3,) and model.free_rvs[0].transform.name == "log"
    logps = model.point_logps({"x_log__": np.array(0.2), "v": np.array([0.1, -0.2, 0.3])})
    np.testing.assert_allclose(
        logps["x"], stats.lognorm(0.5, scale=np.exp(0.3)).logpdf(np.exp(0.2)) + 0.2, rtol=1e-12
    )
    np.testing.assert_allclose(logps["v"], stats.norm.logpdf([0.1, -0.2, 0.3]).sum(), rtol=1e-12)
    np.testing.assert_allclose(logps["y"], stats.norm(np.exp(0.2), 1.0).logpdf([0.5, 1.5]).sum(), rtol=1e-12)


@pytest.mark.filterwarnings("ignore:Numba will use object mode")  # the Python sampler, as documented
def test_custom_dist_errors():
    with pytest.raises(ValueError, match="logp"):
        cr.CustomDist.dist(1.0)
    var = cr.CustomDist.dist(1.0, logp=lambda v, mu: -((v - mu) ** 2))
    with pytest.raises(NotImplementedError, match="logcdf"):
        cr.logcdf(var, 0.0)
    with pytest.raises(NotImplementedError, match="cannot be sampled"):
        var.eval()
