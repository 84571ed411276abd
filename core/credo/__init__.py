"""credo: Bayesian modelling with compiled log-densities, NUTS and SMC, extensible by domain plugins."""

__version__ = "0.1.0"

from credo import compiler  # noqa: F401, I001  first: LLVM vector library and Numba patches, before any compile
import credo.model.gradient_rewrites  # noqa: F401, I001  gradient shapes that compile faster (credo.compiler, 4)
import credo.model.numba_cache  # noqa: F401, I001  cacheable Numba code for scipy.special's ScalarOps (3)
import credo.model.rewrites  # noqa: F401, I001  registers the graph rewrites with PyTensor's optdb (2)
from credo import citations, math  # citations is callable: cr.citations(model_or_idata)
from credo.diagnostics import sampling_report, summary
from credo.distributions import *  # noqa: F403
from credo.distributions import __all__ as _distributions
from credo.distributions import transforms
from credo.exceptions import DataError, ParameterValueError, SamplingError, ShapeError
from credo.logprob import logcdf, logp
from credo.model.compile import compile_logp_dlogp
from credo.model.core import Deterministic, Model, Potential, modelcontext
from credo.model.data import Data, set_data
from credo.model.graph import model_to_graphviz
from credo.optimize import find_MAP
from credo.sampling.abc import AdaptiveEpsilon, Simulator
from credo.sampling.forward import (
    compute_log_likelihood,
    sample_posterior_predictive,
    sample_prior_predictive,
)
from credo.sampling.sample import sample
from credo.sampling.smc import sample_smc
from credo.sampling.steps import NUTS, Metropolis, Slice

__all__ = [
    *_distributions,
    "Model",
    "modelcontext",
    "Deterministic",
    "Potential",
    "Data",
    "set_data",
    "logp",
    "logcdf",
    "math",
    "transforms",
    "compile_logp_dlogp",
    "model_to_graphviz",
    "find_MAP",
    "sample",
    "sample_smc",
    "NUTS",
    "Metropolis",
    "Slice",
    "Simulator",
    "AdaptiveEpsilon",
    "summary",
    "sampling_report",
    "sample_prior_predictive",
    "sample_posterior_predictive",
    "compute_log_likelihood",
    "ParameterValueError",
    "SamplingError",
    "ShapeError",
    "DataError",
    "citations",
]


def __getattr__(name: str):
    # cr.ext imports the plugin namespace on first use; plugins themselves load on first attribute
    if name == "ext":
        import credo.ext

        return credo.ext
    raise AttributeError(f"module 'credo' has no attribute {name!r}")
