"""Full HAT-P-7 b fit (the `kepler_transit` example) against published values: slow."""

import numpy as np
import pytest

import credo as cr
from credo_exoplanet.examples.kepler_transit import build_model, compare_published, prepare_data


@pytest.mark.slow
def test_hat_p_7_matches_published_values():
    _, bls, lc = prepare_data()
    with build_model(lc, bls.period, bls.t0, bls.depth):
        idata = cr.sample(draws=3000, tune=1000, chains=4, random_seed=42, progressbar=False)
    for row in compare_published(idata):
        assert row["n_sd"] < 3.0, row
    assert int(idata.sample_stats["diverging"].sum()) == 0
    rhat = cr.summary(idata, var_names=["period", "t0", "ror", "b", "rho_star", "u"])["r_hat"]
    assert np.all(rhat < 1.01 + 1e-9)
