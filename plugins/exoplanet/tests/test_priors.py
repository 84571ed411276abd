"""Priors of credo-exoplanet against scipy and closed forms."""

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import stats

import credo as cr
from credo.testing import check_distribution
from credo_exoplanet.priors import ImpactParameter, KippingBeta, KippingLimbDark, VanEylen19


def test_impact_parameter_is_uniform_on_0_1_plus_ror():
    check_distribution(
        ImpactParameter, [{"ror": 0.1}, {"ror": 0.5}],
        reference_logp=lambda v, ror: stats.uniform(0.0, 1.0 + ror).logpdf(v),
        domain=lambda rng, n, ror: rng.uniform(0.0, 1.0 + ror, size=n), outside=[-0.1, 1.7], n_draws=500,
    )


def test_impact_parameter_bound_follows_symbolic_ror():
    ror = pt.dscalar("ror")
    value = pt.dscalar("b")
    f = pytensor.function([ror, value], cr.logp(ImpactParameter.dist(ror), value))
    assert np.isclose(f(0.25, 1.2), -np.log(1.25))
    assert f(0.25, 1.3) == -np.inf
    with cr.Model() as model:
        r = cr.Uniform("ror", 0.01, 0.3)
        ImpactParameter("b", ror=r)
    assert "espinoza2018" in model.citation_keys


def test_kipping_beta_matches_scipy():
    for long, (a, b) in KippingBeta.PARAMS.items():
        check_distribution(
            KippingBeta, {"long": long},
            reference_logp=lambda v, long, a=a, b=b: stats.beta(a, b).logpdf(v),
            domain=(1e-3, 0.999), check_gradient=False, n_draws=500,
        )


def _vaneylen_mixture(multi):
    f, s_gauss, s_rayleigh = VanEylen19.PARAMS[multi]
    return f, stats.halfnorm(scale=s_gauss), stats.rayleigh(scale=s_rayleigh)


def _vaneylen_logpdf(v, multi):
    f, gauss, rayleigh = _vaneylen_mixture(multi)
    pdf = (1 - f) * gauss.pdf(v) + f * rayleigh.pdf(v)
    return np.log(pdf / ((1 - f) * gauss.cdf(1.0) + f * rayleigh.cdf(1.0)))


def _vaneylen_cdf(v, multi):
    f, gauss, rayleigh = _vaneylen_mixture(multi)
    cdf = (1 - f) * gauss.cdf(v) + f * rayleigh.cdf(v)
    return np.clip(cdf / ((1 - f) * gauss.cdf(1.0) + f * rayleigh.cdf(1.0)), 0.0, 1.0)


def test_vaneylen19_uses_the_published_mixture():
    # Van Eylen et al. (2019): sigma_gauss 0.049, sigma_rayleigh 0.26; Rayleigh fraction 0.76 / 0.08
    assert VanEylen19.PARAMS == {False: (0.76, 0.049, 0.26), True: (0.08, 0.049, 0.26)}


@pytest.mark.parametrize("multi", [False, True])
def test_vaneylen19_truncated_gauss_rayleigh_mixture(multi):
    check_distribution(
        VanEylen19, {"multi": multi},
        reference_logp=lambda v, multi: _vaneylen_logpdf(v, multi),
        reference_cdf_for_random=lambda v, multi: _vaneylen_cdf(v, multi),
        domain=(1e-3, 0.999), n_draws=1000,
    )


def test_bad_options_raise():
    with pytest.raises(ValueError, match="long"):
        KippingBeta.dist(long="yes")
    with pytest.raises(ValueError, match="multi"):
        VanEylen19.dist(multi=3)


def test_kipping_limb_dark_maps_q_to_u_and_cites():
    with cr.Model() as model:
        u1, u2 = KippingLimbDark("u")
    assert "kipping2013" in model.citation_keys
    q1, q2 = 0.36, 0.25
    np.testing.assert_allclose(
        [u1.eval({model["u_q"]: [q1, q2]}), u2.eval({model["u_q"]: [q1, q2]})],
        [2 * 0.6 * 0.25, 0.6 * 0.5],
    )
