"""Distributions: one module per family (continuous, discrete, multivariate, timeseries, ...)."""

from credo.distributions.base import Continuous, Discrete, Distribution
from credo.distributions.continuous import *  # noqa: F403
from credo.distributions.continuous import __all__ as _continuous

__all__ = ["Distribution", "Continuous", "Discrete", *_continuous]
