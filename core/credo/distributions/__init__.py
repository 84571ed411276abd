"""Distributions: one module per family (continuous, positive, bounded, discrete, multivariate, ...)."""

from credo.distributions.base import Continuous, Discrete, Distribution
from credo.distributions.bounded import *  # noqa: F403
from credo.distributions.bounded import __all__ as _bounded
from credo.distributions.continuous import *  # noqa: F403
from credo.distributions.continuous import __all__ as _continuous
from credo.distributions.custom import *  # noqa: F403
from credo.distributions.custom import __all__ as _custom
from credo.distributions.discrete import *  # noqa: F403
from credo.distributions.discrete import __all__ as _discrete
from credo.distributions.mixture import *  # noqa: F403
from credo.distributions.mixture import __all__ as _mixture
from credo.distributions.multivariate import *  # noqa: F403
from credo.distributions.multivariate import __all__ as _multivariate
from credo.distributions.positive import *  # noqa: F403
from credo.distributions.positive import __all__ as _positive
from credo.distributions.timeseries import *  # noqa: F403
from credo.distributions.timeseries import __all__ as _timeseries
from credo.distributions.truncated import *  # noqa: F403
from credo.distributions.truncated import __all__ as _truncated

__all__ = [
    "Distribution",
    "Continuous",
    "Discrete",
    *_continuous,
    *_positive,
    *_bounded,
    *_discrete,
    *_multivariate,
    *_timeseries,
    *_mixture,
    *_truncated,
    *_custom,
]
