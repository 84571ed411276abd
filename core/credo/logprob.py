"""``cr.logp`` and ``cr.logcdf``: log-density graphs of a distribution at a value."""

from __future__ import annotations

import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

from credo.distributions.base import dist_info

__all__ = ["logp", "logcdf"]


def logp(var: TensorVariable, value) -> TensorVariable:
    """Elementwise log-density of ``var`` (a ``cr.X.dist(...)`` or a model variable) at ``value``.

    Parameters
    ----------
    var : TensorVariable
        A credo random variable.
    value : tensor_like
        Where to evaluate; broadcasts with ``var``'s parameters.

    Returns
    -------
    TensorVariable
        Graph of the log-density (``.eval()`` it for numbers). Parameters outside their domain raise
        `ParameterValueError` on evaluation; values outside the support give -inf.
    """
    return dist_info(var).logp(_as_value(var, value))


def logcdf(var: TensorVariable, value) -> TensorVariable:
    """Log cumulative distribution function of ``var`` at ``value``.

    Raises
    ------
    NotImplementedError
        If the distribution has no closed-form CDF.
    """
    info = dist_info(var)
    if info.cls.logcdf is None:
        raise NotImplementedError(f"{info.cls.__name__} has no closed-form logcdf")
    return info.logcdf(_as_value(var, value))


def _as_value(var, value) -> TensorVariable:
    # Python ints become int8 constants and floats upcast to float32 in `value + 1.0`: use the
    # variable's own precision (int64 / float64); non-integer values of a discrete variable stay float
    value = pt.as_tensor_variable(value)
    if value.dtype.startswith(("int", "uint", "bool")) and var.dtype.startswith("int"):
        return value.astype(var.dtype)
    if var.dtype.startswith("float") or value.dtype.startswith("float"):
        return value.astype("float64")
    return value
