"""Numerically stable building blocks shared by the distribution modules."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt

__all__ = ["xlogy", "xlog1py", "std_normal_logcdf", "student_t_tail", "lchoose", "betaln", "SQRT_2"]

SQRT_2 = float(np.sqrt(2.0))


def xlogy(x, y):
    """``x * log(y)``, 0 where ``x == 0`` (so ``0 * log(0) = 0`` at the edges of a support)."""
    # pytensor.tensor.special.xlogy's gradient does not reduce over broadcast dimensions
    return pt.switch(pt.eq(x, 0), 0.0, x * pt.log(y))


def xlog1py(x, y):
    """``x * log1p(y)``, 0 where ``x == 0``."""
    return pt.switch(pt.eq(x, 0), 0.0, x * pt.log1p(y))


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
