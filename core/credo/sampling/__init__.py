"""Samplers: NUTS in Numba with Stan's and nutpie's warm-up, run in parallel chains."""

from credo.sampling.abc import AdaptiveEpsilon, Simulator, model_has_simulator
from credo.sampling.driver import ChainResults, run_chains
from credo.sampling.executor import SerialExecutor
from credo.sampling.logp import LOGP_GRAD_SIGNATURE, LOGP_SIGNATURE
from credo.sampling.nuts import NUTSInfo, nuts_step
from credo.sampling.progress import ChainProgress
from credo.sampling.smc import sample_smc

__all__ = [
    "ChainResults",
    "ChainProgress",
    "run_chains",
    "nuts_step",
    "NUTSInfo",
    "LOGP_GRAD_SIGNATURE",
    "LOGP_SIGNATURE",
    "sample_smc",
    "Simulator",
    "AdaptiveEpsilon",
    "model_has_simulator",
    "SerialExecutor",
]
