"""Samplers: NUTS in Numba with Stan's, nutpie's, PyMC's and a hybrid warm-up, compound NUTS +
Metropolis/slice steps, run in parallel chains; SMC and ABC."""

from credo.sampling.abc import AdaptiveEpsilon, Simulator, model_has_simulator
from credo.sampling.driver import ChainResults, run_chains
from credo.sampling.executor import SerialExecutor
from credo.sampling.logp import LOGP_GRAD_SIGNATURE, LOGP_SIGNATURE
from credo.sampling.metropolis import metropolis_step
from credo.sampling.nuts import NUTSInfo, nuts_step
from credo.sampling.progress import ChainProgress
from credo.sampling.slice import slice_step
from credo.sampling.smc import sample_smc
from credo.sampling.steps import NUTS, Metropolis, Slice

__all__ = [
    "ChainResults",
    "ChainProgress",
    "run_chains",
    "nuts_step",
    "NUTSInfo",
    "metropolis_step",
    "slice_step",
    "LOGP_GRAD_SIGNATURE",
    "LOGP_SIGNATURE",
    "sample_smc",
    "Simulator",
    "AdaptiveEpsilon",
    "model_has_simulator",
    "SerialExecutor",
    "NUTS",
    "Metropolis",
    "Slice",
]
