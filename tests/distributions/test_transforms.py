"""Transforms: round trip and log-Jacobian against numerical Jacobians (credo.testing.check_transform)."""

import numpy as np
import pytest

import credo as cr
from credo.distributions import transforms as tr
from credo.testing import check_transform

RNG = np.random.default_rng(42)


def simplex_points(n, k):
    return RNG.dirichlet(np.full(k, 0.8), size=n)


def corr_cholesky_points(n, dim):
    out = []
    for _ in range(n):
        a = RNG.normal(size=(dim, dim + 2))
        cov = a @ a.T
        s = np.sqrt(np.diag(cov))
        out.append(np.linalg.cholesky(cov / np.outer(s, s)))
    return np.array(out)


def packed_cholesky_points(n, dim):
    out = []
    for _ in range(n):
        a = RNG.normal(size=(dim, dim + 1))
        out.append(np.linalg.cholesky(a @ a.T)[np.tril_indices(dim)])
    return np.array(out)


CASES = [
    (tr.log, RNG.gamma(2.0, size=(6, 3))),
    (tr.logodds, RNG.uniform(0.01, 0.99, size=(6, 2))),
    (tr.interval(-2.0, 5.0), RNG.uniform(-1.9, 4.9, size=(6, 4))),
    (tr.bounded(lower=3.0), 3.0 + RNG.gamma(1.0, size=(6, 2))),
    (tr.bounded(upper=-1.0), -1.0 - RNG.gamma(1.0, size=(6, 2))),
    (tr.ordered, np.sort(RNG.normal(size=(6, 4)), axis=-1)),
    (tr.simplex, simplex_points(6, 4)),
    (tr.simplex, simplex_points(4, 2)),
    (tr.circular, RNG.uniform(-3.1, 3.1, size=(6, 2))),
    (tr.CholeskyCorr(2), corr_cholesky_points(5, 2)),
    (tr.CholeskyCorr(4), corr_cholesky_points(5, 4)),
    (tr.CholeskyCovPacked(3), packed_cholesky_points(5, 3)),
    (tr.Chain([tr.log, tr.ordered]), np.cumsum(RNG.gamma(1.0, size=(5, 3)), axis=-1)),
]


@pytest.mark.parametrize("transform, values", CASES, ids=[f"{c[0].name}-{i}" for i, c in enumerate(CASES)])
def test_round_trip_and_log_jacobian(transform, values):
    check_transform(transform, values)


def test_cholesky_corr_backward_is_a_correlation_cholesky_factor():
    y = RNG.normal(scale=2.0, size=(3, 6))
    chol = tr.CholeskyCorr(4).backward(cr.math.stack(list(y))).eval()
    for L in chol:
        np.testing.assert_allclose(np.triu(L, 1), 0.0, atol=0)
        assert np.all(np.diag(L) > 0)
        np.testing.assert_allclose(np.diag(L @ L.T), 1.0, rtol=1e-14)
    # y = 0 is the identity matrix (all partial correlations zero)
    np.testing.assert_allclose(tr.CholeskyCorr(3).backward(np.zeros(3)).eval(), np.eye(3), atol=1e-15)
    with pytest.raises(ValueError, match="n must be"):
        tr.CholeskyCorr(1)


def test_simplex_is_uniform_at_zero():
    np.testing.assert_allclose(tr.simplex.backward(np.zeros(4)).eval(), np.full(5, 0.2), rtol=1e-14)


class WrongJacobian(tr.Log):
    def log_jac_det(self, value):
        return 1.01 * value


class WrongInverse(tr.Log):
    def backward(self, value):
        return 1.0 + 1e-6 + super().backward(value) - 1.0


@pytest.mark.parametrize(
    "transform, match", [(WrongJacobian(), "log_jac_det"), (WrongInverse(), "differs from x")]
)
def test_check_transform_catches_errors(transform, match):
    with pytest.raises(AssertionError, match=match):
        check_transform(transform, RNG.gamma(2.0, size=(4, 2)))
