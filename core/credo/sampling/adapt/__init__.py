"""Warm-up adaptation of the NUTS step size and mass matrix (Stan's, nutpie's and PyMC's
schemes, and credo's hybrid of nutpie's and a variance estimate)."""

from credo.sampling.adapt.warmup import SCHEMES, WarmupState, warmup_init, warmup_update

__all__ = ["SCHEMES", "WarmupState", "warmup_init", "warmup_update"]
