"""Robust regression (examples/anscombe_robust.py): a Student-t likelihood recovers the line through
the ten clean points of Anscombe's dataset III, where a Normal likelihood follows the outlier."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).parents[2] / "examples" / "anscombe_robust.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("anscombe_robust", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _line(idata) -> tuple[float, float]:
    post = idata.posterior
    return float(post["intercept"].mean()), float(post["slope"].mean())


def test_studentt_ignores_the_outlier_where_normal_does_not(example):
    x, y = example.X3, example.Y3
    clean = np.arange(len(x)) != example.OUTLIER
    slope_clean, intercept_clean = np.polyfit(x[clean], y[clean], 1)
    slope_all, intercept_all = np.polyfit(x, y, 1)
    assert abs(slope_clean - 0.345) < 1e-3 and abs(intercept_clean - 4.0) < 0.01  # Anscombe's table

    robust = example.fit("studentt", seed=3, draws=1000, tune=1000, chains=2)
    intercept, slope = _line(robust)
    print(f"studentt: intercept {intercept:.4f} slope {slope:.5f}")
    # the clean points lie on their line to within the 0.01 rounding of the data
    assert abs(slope - slope_clean) < 2e-3
    assert abs(intercept - intercept_clean) < 2e-2
    assert float(robust.posterior["sigma"].median()) < 0.01
    assert int(robust.sample_stats["diverging"].sum()) <= 5

    normal = example.fit("normal", seed=3, draws=1000, tune=1000, chains=2)
    intercept_n, slope_n = _line(normal)
    print(f"normal: intercept {intercept_n:.4f} slope {slope_n:.5f}")
    # with flat-ish priors the Normal fit is least squares through all eleven points
    assert abs(slope_n - slope_all) < 0.03 and abs(intercept_n - intercept_all) < 0.3
    assert slope_n - slope_clean > 0.1


def test_unknown_likelihood_is_refused(example):
    with pytest.raises(ValueError, match="likelihood='laplace'"):
        example.regression_model(example.X3, example.Y3, "laplace")
