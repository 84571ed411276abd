"""Errors raised by credo, named for what went wrong in the user's terms."""


class CredoError(Exception):
    """Base class of credo's own errors."""


class ParameterValueError(CredoError, ValueError):
    """A distribution parameter lies outside its domain (e.g. a negative ``sigma``)."""


class ShapeError(CredoError, ValueError):
    """Shapes of parameters, observed data, ``shape``/``dims``/``size`` do not agree."""


class DataError(CredoError, ValueError):
    """Observed or constant data are unusable (NaN, wrong type)."""


class SamplingError(CredoError, RuntimeError):
    """The sampler cannot start or continue, e.g. the initial point has logp -inf or NaN."""
