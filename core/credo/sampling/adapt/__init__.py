"""Warm-up adaptation of the NUTS step size and mass matrix (Stan's and nutpie's schemes)."""

from credo.sampling.adapt.warmup import SCHEMES, WarmupState, warmup_init, warmup_update

__all__ = ["SCHEMES", "WarmupState", "warmup_init", "warmup_update"]
