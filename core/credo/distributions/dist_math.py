"""Numerically stable building blocks shared by the distribution modules."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt

__all__ = ["xlogy", "xlog1py", "std_normal_logcdf", "student_t_tail", "lchoose", "betaln", "SQRT_2"]

SQRT_2 = float(np.sqrt(2.0))


def xlogy(x, y):
    """``x * log(y)`` with ``0 * log(0) = 0`` (the edges of a support); ``d/dx = log(y)`` stays exact.

    Only the ``0 * log(0)`` case is substituted, so gradients elsewhere are those of ``x * log(y)``
    (``pytensor.tensor.special.xlogy`` masks them at ``x = 0`` and does not reduce its gradient over
    broadcast dimensions).
    """
    return x * pt.log(pt.switch(pt.eq(x, 0) & pt.eq(y, 0), 1.0, y))


def xlog1py(x, y):
    """``x * log1p(y)`` with ``0 * log1p(-1) = 0``; gradients as `xlogy`."""
    return x * pt.log1p(pt.switch(pt.eq(x, 0) & pt.eq(y, -1), 0.0, y))


def std_normal_logcdf(z):
    """``log Phi(z)`` of the standard normal, accurate in both tails (``erfcx`` below ``z = -1``)."""
    return pt.switch(
        z < -1.0,
        pt.log(pt.erfcx(-z / SQRT_2) / 2.0) - z**2 / 2.0,
        pt.log1p(-pt.erfc(z / SQRT_2) / 2.0),
    )


def student_t_tail(z, nu):
    """``I_{nu/(nu+z^2)}(nu/2, 1/2)``: twice the Student-t tail probability beyond ``|z|``."""
    return pt.betainc(nu / 2.0, 0.5, nu / (nu + z**2))


def lchoose(n, k):
    """``log C(n, k)`` through log-gamma functions."""
    return pt.gammaln(n + 1.0) - pt.gammaln(k + 1.0) - pt.gammaln(n - k + 1.0)


def betaln(a, b):
    """``log B(a, b)``."""
    return pt.gammaln(a) + pt.gammaln(b) - pt.gammaln(a + b)
