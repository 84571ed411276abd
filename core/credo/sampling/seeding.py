"""One way to turn a user's ``random_seed`` into a `numpy.random.SeedSequence`."""

from __future__ import annotations

import numpy as np

__all__ = ["seed_sequence"]


def seed_sequence(random_seed) -> np.random.SeedSequence:
    """A fresh `SeedSequence` for ``random_seed`` (int, SeedSequence or None).

    A given SeedSequence is copied, so spawning children here never changes the caller's sequence:
    the same seed object gives the same draws every time it is passed.

    Raises
    ------
    TypeError
        If ``random_seed`` is neither an int, a SeedSequence nor None.
    ValueError
        If ``random_seed`` is a negative int.
    """
    if isinstance(random_seed, np.random.SeedSequence):
        return np.random.SeedSequence(random_seed.entropy, spawn_key=random_seed.spawn_key)
    if random_seed is not None and (
        isinstance(random_seed, bool) or not isinstance(random_seed, int | np.integer)
    ):
        raise TypeError(
            f"random_seed must be an int, a numpy.random.SeedSequence or None, got {random_seed!r}"
        )
    if random_seed is not None and random_seed < 0:
        raise ValueError(f"random_seed={random_seed!r}; expected a non-negative integer")
    return np.random.SeedSequence(random_seed)
