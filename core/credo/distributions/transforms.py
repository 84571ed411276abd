"""Bijections from a constrained support to unconstrained space, with their log-Jacobians.

A transform maps a constrained value ``x`` to an unconstrained ``y = forward(x)``; the sampler moves in
``y`` and the model density picks up ``log |d backward(y) / d y|`` (``log_jac_det``), as in Stan's
reference manual, chapter "Constraint transforms". Parameters of a transform (bounds) are PyTensor
graphs that may depend on other random variables: the model substitutes values for them like for any
other parameter.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

__all__ = [
    "Transform",
    "Log",
    "LowerBound",
    "UpperBound",
    "Interval",
    "Ordered",
    "SumToOne",
    "Simplex",
    "Chain",
    "Circular",
    "CholeskyCorr",
    "CholeskyCovPacked",
    "log",
    "logodds",
    "ordered",
    "simplex",
    "circular",
    "interval",
    "bounded",
]


class Transform:
    """Base class of transforms.

    Subclasses define ``forward`` (constrained -> unconstrained), ``backward`` and ``log_jac_det``.
    ``log_jac_det`` returns one term per batch element: the value's shape for elementwise transforms,
    the shape without the last axis for vector transforms (``ndim_supp = 1``).
    """

    name: str = "transform"
    ndim_supp: int = 0

    def forward(self, value: TensorVariable) -> TensorVariable:
        raise NotImplementedError

    def backward(self, value: TensorVariable) -> TensorVariable:
        raise NotImplementedError

    def log_jac_det(self, value: TensorVariable) -> TensorVariable:
        raise NotImplementedError

    def unconstrained_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of the unconstrained value for a constrained value of ``shape``."""
        return tuple(shape)

    def free_index(self, shape: tuple[int, ...]) -> np.ndarray:
        """Flat indices of the constrained coordinates that ``log_jac_det`` is a density over.

        All of them for a bijection between spaces of equal dimension; the first ``K - 1`` simplex
        coordinates, the strictly lower triangle of a correlation Cholesky factor. Used by
        `credo.testing.check_transform` to compare ``log_jac_det`` with a numerical Jacobian.
        """
        return np.arange(int(np.prod(shape, dtype=int)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Log(Transform):
    """``x = exp(y)`` for positive variables."""

    name = "log"

    def forward(self, value):
        return pt.log(value)

    def backward(self, value):
        return pt.exp(value)

    def log_jac_det(self, value):
        return value


class LowerBound(Transform):
    """``x = lower + exp(y)`` for variables bounded below."""

    name = "lowerbound"

    def __init__(self, lower):
        self.lower = pt.as_tensor_variable(lower)

    def forward(self, value):
        return pt.log(value - self.lower)

    def backward(self, value):
        return self.lower + pt.exp(value)

    def log_jac_det(self, value):
        return value


class UpperBound(Transform):
    """``x = upper - exp(y)`` for variables bounded above."""

    name = "upperbound"

    def __init__(self, upper):
        self.upper = pt.as_tensor_variable(upper)

    def forward(self, value):
        return pt.log(self.upper - value)

    def backward(self, value):
        return self.upper - pt.exp(value)

    def log_jac_det(self, value):
        return value


class Interval(Transform):
    """``x = lower + (upper - lower) * sigmoid(y)``: the log-odds transform scaled to an interval."""

    name = "interval"

    def __init__(self, lower, upper):
        self.lower = pt.as_tensor_variable(lower)
        self.upper = pt.as_tensor_variable(upper)

    def forward(self, value):
        return pt.log(value - self.lower) - pt.log(self.upper - value)

    def backward(self, value):
        return self.lower + (self.upper - self.lower) * pt.sigmoid(value)

    def log_jac_det(self, value):
        # log sigmoid(y) + log sigmoid(-y), written with softplus to stay finite for large |y|
        return pt.log(self.upper - self.lower) - pt.softplus(-value) - pt.softplus(value)


class Ordered(Transform):
    """Increasing vectors: ``x[0] = y[0]``, ``x[i] = x[i-1] + exp(y[i])`` (Stan manual)."""

    name = "ordered"
    ndim_supp = 1

    def forward(self, value):
        return pt.concatenate(
            [value[..., :1], pt.log(value[..., 1:] - value[..., :-1])], axis=-1
        )

    def backward(self, value):
        return pt.cumsum(pt.concatenate([value[..., :1], pt.exp(value[..., 1:])], axis=-1), axis=-1)

    def log_jac_det(self, value):
        return pt.sum(value[..., 1:], axis=-1)


class Simplex(Transform):
    """Stick-breaking map from R^(K-1) onto the K-simplex (Stan reference manual, "Unit simplex").

    ``z_k = sigmoid(y_k - log(K - k - 1))``; ``x_k = (1 - sum_{j<k} x_j) z_k``; the last element takes
    the remaining stick. At ``y = 0`` the simplex value is uniform.
    """

    name = "simplex"
    ndim_supp = 1

    def unconstrained_shape(self, shape):
        return (*shape[:-1], shape[-1] - 1)

    @staticmethod
    def _offsets(km1):
        return pt.log(pt.arange(km1, 0, -1).astype("float64"))

    def forward(self, value):
        km1 = value.shape[-1] - 1
        stick = 1.0 - pt.cumsum(value[..., :-1], axis=-1) + value[..., :-1]
        z = value[..., :-1] / stick
        return pt.log(z) - pt.log1p(-z) + self._offsets(km1)

    def _pieces(self, value):
        km1 = value.shape[-1]
        z = pt.sigmoid(value - self._offsets(km1))
        log1mz_cum = pt.cumsum(pt.log1p(-z), axis=-1)
        # stick remaining before element k: prod_{j<k} (1 - z_j)
        stick_before = pt.exp(
            pt.concatenate([pt.zeros_like(log1mz_cum[..., :1]), log1mz_cum[..., :-1]], axis=-1)
        )
        return z, stick_before, log1mz_cum

    def backward(self, value):
        z, stick_before, log1mz_cum = self._pieces(value)
        return pt.concatenate([z * stick_before, pt.exp(log1mz_cum[..., -1:])], axis=-1)

    def free_index(self, shape):
        return np.arange(int(np.prod(shape, dtype=int))).reshape(shape)[..., :-1].ravel()

    def log_jac_det(self, value):
        km1 = value.shape[-1]
        u = value - self._offsets(km1)
        log_z = -pt.softplus(-u)
        log_1mz = -pt.softplus(u)
        log1mz_cum = pt.cumsum(log_1mz, axis=-1)
        log_stick_before = pt.concatenate(
            [pt.zeros_like(log1mz_cum[..., :1]), log1mz_cum[..., :-1]], axis=-1
        )
        return pt.sum(log_z + log_1mz + log_stick_before, axis=-1)


class SumToOne(Simplex):
    """Alias of the stick-breaking simplex transform kept under PyMC's older name."""


class Chain(Transform):
    """Composition: ``forward`` applies ``transforms`` in order, ``backward`` in reverse."""

    def __init__(self, transforms: list[Transform]):
        self.transforms = list(transforms)
        self.name = "_".join(t.name for t in self.transforms)
        self.ndim_supp = max(t.ndim_supp for t in self.transforms)

    def forward(self, value):
        for t in self.transforms:
            value = t.forward(value)
        return value

    def backward(self, value):
        for t in reversed(self.transforms):
            value = t.backward(value)
        return value

    def log_jac_det(self, value):
        total = 0.0
        for t in reversed(self.transforms):
            ljd = t.log_jac_det(value)
            if t.ndim_supp < self.ndim_supp:
                ljd = pt.sum(ljd, axis=-1)
            total = total + ljd
            value = t.backward(value)
        return total

    def unconstrained_shape(self, shape):
        for t in self.transforms:
            shape = t.unconstrained_shape(shape)
        return shape


class Circular(Transform):
    """Angles: ``x = arctan2(sin y, cos y)`` wraps the real line onto (-pi, pi] (as in PyMC).

    Locally the identity (log-Jacobian 0); the density on the real line is periodic, so use it only for
    densities that are periodic in the angle, like the von Mises.
    """

    name = "circular"

    def forward(self, value):
        return pt.arctan2(pt.sin(value), pt.cos(value))

    def backward(self, value):
        return pt.arctan2(pt.sin(value), pt.cos(value))

    def log_jac_det(self, value):
        return pt.zeros_like(value)


def _scatter_matrix(n: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    # (len(rows), n * n) 0/1 matrix placing a packed vector into a flattened n x n matrix; a matmul
    # works for any batch shape and differentiates without advanced-indexing ops
    out = np.zeros((len(rows), n * n))
    out[np.arange(len(rows)), rows * n + cols] = 1.0
    return out


class CholeskyCorr(Transform):
    """Cholesky factors of ``n x n`` correlation matrices from R^(n(n-1)/2) (Stan reference manual).

    ``z = tanh(y)`` are canonical partial correlations placed row-wise in the strictly lower triangle;
    ``L[i, j] = z[i, j] sqrt(1 - sum_{k<j} L[i, k]**2)`` and ``L[i, i] = sqrt(1 - sum_{k<i} L[i, k]**2)``,
    so every row has unit norm. The log-Jacobian is over the strictly lower triangle of ``L``:
    ``sum_{j<i} log(1 - z[i, j]**2) + log(1 - sum_{k<j} L[i, k]**2) / 2``.

    Parameters
    ----------
    n : int, >= 2
        Matrix dimension.

    References
    ----------
    Stan Reference Manual, "Cholesky factors of correlation matrices"; Lewandowski, Kurowicka & Joe
    (2009), J. Multivariate Anal. 100, 1989-2001.
    """

    name = "cholesky_corr"
    ndim_supp = 2

    def __init__(self, n: int):
        if int(n) != n or n < 2:
            raise ValueError(f"CholeskyCorr: n must be an integer >= 2, got {n!r}")
        self.n = int(n)
        rows, cols = np.tril_indices(self.n, -1)
        self._scatter = _scatter_matrix(self.n, rows, cols)

    def unconstrained_shape(self, shape):
        return (*shape[:-2], self.n * (self.n - 1) // 2)

    def free_index(self, shape):
        flat = np.arange(int(np.prod(shape, dtype=int))).reshape(shape)
        rows, cols = np.tril_indices(self.n, -1)
        return flat[..., rows, cols].ravel()

    def _square(self, packed):
        return pt.dot(packed, self._scatter).reshape((*packed.shape[:-1], self.n, self.n))

    def _pieces(self, value):
        z = pt.tanh(value)
        # log(1 - tanh(y)^2) = 2 (log 2 - |y| - log1p(exp(-2|y|))), finite for any y
        log1mz2 = 2.0 * (np.log(2.0) - pt.abs(value) - pt.softplus(-2.0 * pt.abs(value)))
        m = self._square(log1mz2)
        log_w = pt.cumsum(m, axis=-1) - m  # log of the remaining squared row norm before column j
        return self._square(z), log_w, log1mz2

    def backward(self, value):
        z, log_w, _ = self._pieces(value)
        return (z + np.eye(self.n)) * pt.exp(0.5 * log_w)

    def forward(self, value):
        sq = value**2
        w = 1.0 - (pt.cumsum(sq, axis=-1) - sq)
        z = value / pt.sqrt(w)
        flat = z.reshape((*z.shape[:-2], self.n * self.n))
        return pt.arctanh(pt.dot(flat, self._scatter.T))

    def log_jac_det(self, value):
        _, log_w, log1mz2 = self._pieces(value)
        strict = np.tril(np.ones((self.n, self.n)), -1)
        return pt.sum(log1mz2, axis=-1) + 0.5 * pt.sum(log_w * strict, axis=(-2, -1))


class CholeskyCovPacked(Transform):
    """Packed lower-triangular Cholesky factors of covariance matrices: log of the diagonal entries.

    The value is the row-major packing of the lower triangle (length ``n (n + 1) / 2``, as PyMC's
    ``LKJCholeskyCov``); the positive diagonal is sampled on the log scale, the rest is unchanged.

    Parameters
    ----------
    n : int, >= 1
        Matrix dimension.
    """

    name = "cholesky_cov_packed"
    ndim_supp = 1

    def __init__(self, n: int):
        self.n = int(n)
        mask = np.zeros(self.n * (self.n + 1) // 2, dtype=bool)
        mask[np.cumsum(np.arange(1, self.n + 1)) - 1] = True
        self._diag = mask

    def forward(self, value):
        return pt.where(self._diag, pt.log(pt.where(self._diag, value, 1.0)), value)

    def backward(self, value):
        return pt.where(self._diag, pt.exp(value), value)

    def log_jac_det(self, value):
        return pt.sum(pt.where(self._diag, value, 0.0), axis=-1)


log = Log()
circular = Circular()
logodds = Interval(0.0, 1.0)
logodds.name = "logodds"
ordered = Ordered()
simplex = Simplex()


def interval(lower, upper) -> Interval:
    """Interval transform for ``lower < x < upper``."""
    return Interval(lower, upper)


def bounded(lower=None, upper=None) -> Transform | None:
    """The transform for a variable with optional bounds; ``None`` when both are infinite/absent."""
    has_lower = lower is not None and not _is_constant_inf(lower, -1)
    has_upper = upper is not None and not _is_constant_inf(upper, +1)
    if has_lower and has_upper:
        return Interval(lower, upper)
    if has_lower:
        return LowerBound(lower)
    if has_upper:
        return UpperBound(upper)
    return None


def _is_constant_inf(x, sign: int) -> bool:
    try:
        value = pt.get_underlying_scalar_constant_value(pt.as_tensor_variable(x))
    except Exception:
        return False
    return bool(np.isinf(value) and np.sign(value) == sign)
