"""Mathematical functions for model code (``cr.math``): PyTensor graph builders.

Everything here accepts Python numbers, NumPy arrays and PyTensor variables and returns a PyTensor
variable, so model code reads like NumPy.
"""

from pytensor.tensor import (
    abs,
    arccos,
    arcsin,
    arctan,
    arctan2,
    ceil,
    clip,
    concatenate,
    cos,
    cosh,
    cumsum,
    dot,
    erf,
    erfc,
    exp,
    expm1,
    floor,
    gammaln,
    log,
    log1mexp,
    log1p,
    logsumexp,
    matmul,
    maximum,
    mean,
    minimum,
    outer,
    prod,
    sigmoid,
    sin,
    sinh,
    softplus,
    sqrt,
    square,
    stack,
    sum,
    switch,
    tan,
    tanh,
    where,
)
from pytensor.tensor.special import betaln, log_softmax, logit, softmax

__all__ = [
    "abs", "arccos", "arcsin", "arctan", "arctan2", "betaln", "ceil", "clip", "concatenate",
    "cos", "cosh", "cumsum", "dot", "erf", "erfc", "exp", "expit", "expm1", "floor", "gammaln",
    "invlogit", "log", "log1mexp", "log1p", "log_softmax", "logit", "logsumexp", "matmul",
    "maximum", "mean", "minimum", "outer", "prod", "sigmoid", "sin", "sinh", "softmax",
    "softplus", "sqrt", "square", "stack", "sum", "switch", "tan", "tanh", "where",
]  # fmt: skip

expit = invlogit = sigmoid
