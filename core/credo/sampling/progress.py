"""Live per-chain progress bars (tqdm on stderr) for the chain driver."""

from __future__ import annotations

import sys
from typing import NamedTuple

__all__ = ["ChainProgress", "ProgressBars"]


class ChainProgress(NamedTuple):
    """Where one chain stands.

    Attributes
    ----------
    chain : int
    iteration : int
        Iterations finished, warm-up included.
    total : int
        ``tune + draws``.
    tuning : bool
        Still in warm-up.
    divergences : int
        Divergent transitions so far (warm-up and draws).
    step_size : float
        Current step size.
    """

    chain: int
    iteration: int
    total: int
    tuning: bool
    divergences: int
    step_size: float


class ProgressBars:
    """One tqdm bar per chain showing draws/s, divergences and step size.

    Parameters
    ----------
    chains : int
    total : int
        Iterations per chain (``tune + draws``).
    """

    def __init__(self, chains: int, total: int):
        from tqdm.auto import tqdm

        self._bars = [
            tqdm(total=total, desc=f"chain {c}", position=c, unit="draws", file=sys.stderr,
                 dynamic_ncols=True, leave=True)  # fmt: skip
            for c in range(chains)
        ]

    def update(self, progress: list[ChainProgress]) -> None:
        """Redraw the bars from the chains' current `ChainProgress`."""
        for bar, p in zip(self._bars, progress):
            phase = "tune" if p.tuning else "draw"
            bar.set_postfix_str(
                f"{phase} div={p.divergences} step={p.step_size:.3g}", refresh=False
            )
            bar.update(p.iteration - bar.n)

    def close(self) -> None:
        for bar in self._bars:
            bar.close()
