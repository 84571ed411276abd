"""Run NUTS chains in parallel threads over nogil Numba code, in chunks, with warm-up.

Each chain owns a `numpy.random.Generator` spawned from one `numpy.random.SeedSequence`, so a run
is reproducible from its seed whatever the number of threads or the chunk sizes. Chains advance in
chunks of at most ``chunk_seconds`` of wall-clock time, each chunk on whichever worker thread is free
(`_Schedule`); between chunks the main thread refreshes the progress bars and a KeyboardInterrupt
stops every chain after its current chunk, returning what was drawn (truncated to the shortest
chain) with ``interrupted=True``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import numpy as np

from credo.exceptions import SamplingError
from credo.sampling.adapt.warmup import SCHEMES, warmup_init
from credo.sampling.chain import (
    NUTS_STAT_NAMES,
    STAT_DTYPES,
    STAT_NAMES,
    STEP_STAT_NAMES,
    TIMING_STAT_NAMES,
    run_chunk,
    run_compound_chunk,
)
from credo.sampling.compound import StepPlan, copy_plan, plan_coordinates
from credo.sampling.logp import LOGP_GRAD_SIGNATURE, LOGP_SIGNATURE, check_cfunc, check_initial_points
from credo.sampling.progress import ChainProgress, ProgressBars
from credo.sampling.seeding import seed_sequence

__all__ = ["ChainResults", "run_chains"]

_REFRESH_SECONDS = 0.25
# shortest chunk when guided scheduling shrinks them towards the end of a run: a call from Python
# costs ~50-100 us with the GIL handed between threads
_MIN_CHUNK_SECONDS = 1e-3


@dataclass
class ChainResults:
    """Output of `run_chains`.

    Attributes
    ----------
    draws : ndarray, shape (chains, draws, n_dim)
        Posterior draws on the unconstrained space.
    stats : dict of str to ndarray, shape (chains, draws)
        Sampler statistics (`credo.sampling.chain.STAT_NAMES`): ``lp``, ``diverging``, ``energy``,
        ``energy_error``, ``tree_depth``, ``n_steps``, ``step_size``, ``step_size_bar``,
        ``acceptance_rate``, ``acceptance_rate_sym``, ``max_energy_error``,
        ``reached_max_treedepth``, ``index_in_trajectory``, and the clock at the start of each
        iteration and its duration in seconds, ``perf_counter_start`` and ``perf_counter_diff``.
        With ``steps``: the NUTS statistics only if NUTS moves some coordinate (``lp`` always),
        plus ``accept`` and ``accepted`` (mean Metropolis acceptance probability and fraction of
        accepted updates in the iteration) if there is a Metropolis block and ``slice_evals``
        (log-density evaluations) if there is a slice block.
    warmup_stats : dict of str to ndarray, shape (chains, tune)
        The same statistics during warm-up.
    warmup_draws : ndarray, shape (chains, tune, n_dim), or None
        Warm-up draws if ``keep_warmup`` was set.
    step_size : ndarray, shape (chains,)
        Adapted step size of each chain.
    inv_mass : ndarray, shape (chains, m) or (chains, m, m)
        Adapted inverse mass matrix of each chain (for the coordinates ``idx``).
    n_grad_evals : ndarray of int, shape (chains,)
        Gradient evaluations per chain, warm-up and step-size searches included.
    timings : dict of str to float
        Wall-clock seconds: ``"init"`` (checks before the threads start), ``"tune"`` and
        ``"draws"`` (time inside the Numba chunks, summed over chains) and ``"total"``.
    interrupted : bool
        True if a KeyboardInterrupt stopped sampling early.
    """

    draws: np.ndarray
    stats: dict[str, np.ndarray]
    warmup_stats: dict[str, np.ndarray]
    warmup_draws: np.ndarray | None
    step_size: np.ndarray
    inv_mass: np.ndarray
    n_grad_evals: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)
    interrupted: bool = False


class _Chain:
    """Mutable bookkeeping and sampler state of one chain between chunks (the kernels themselves are
    pure); one worker thread at a time advances it."""

    def __init__(self, chain: int, tune: int, draws: int, n_dim: int, n_stats: int, keep_warmup: bool):
        self.chain = chain
        self.iteration = 0
        self.total = tune + draws
        self.divergences = 0
        self.step_size = float("nan")
        self.n_grad = 0
        self.tune_seconds = 0.0
        self.draw_seconds = 0.0
        self.draws = np.empty((draws, n_dim))
        # zeros: a run without NUTS leaves its columns (divergences among them) unwritten
        self.stats = np.zeros((draws, n_stats))
        # no rows: warm-up positions are not written unless kept
        self.warmup_draws = np.empty((tune if keep_warmup else 0, n_dim))
        self.warmup_stats = np.zeros((tune, n_stats))
        # the sampler's state between chunks, set when the chain starts (`run_chains`)
        self.warmup = self.inv_mass = self.chol = self.plan = None
        self.position = self.grad = None
        self.logp = float("nan")

    def progress(self, tune: int) -> ChainProgress:
        return ChainProgress(
            self.chain,
            self.iteration,
            self.total,
            self.iteration < tune,
            self.divergences,
            self.step_size,
        )


class _Schedule:
    """Hands chains to worker threads one chunk at a time, the idle chain with the most time still to
    run first (longest remaining processing time, Graham 1969).

    With more chains than threads (4 chains on 2 cores) a thread that finishes a chunk takes
    whichever chain is furthest from its end, so the chains near their ends together and every
    thread stays busy until the last chunks, however the chains' speeds differ; a thread per chain
    run to its end would idle while the slowest finished.
    Chunks shrink as the run nears its end (guided self-scheduling, Polychronopoulos & Kuck 1987):
    each may take a ``2 * n_threads``-th of the estimated remaining time, so that the threads finish
    within a short chunk of each other, while a long run still takes few calls from Python.
    """

    def __init__(self, chains: list[_Chain], n_threads: int):
        self._chains = chains
        self._n_threads = n_threads
        self._busy = [False] * len(chains)
        self._cond = threading.Condition()

    @staticmethod
    def _remaining_seconds(ch: _Chain) -> float:
        """Time chain ``ch`` still needs at its own pace so far (``inf`` before it started)."""
        if not ch.iteration:
            return float("inf")
        return (ch.total - ch.iteration) * (ch.tune_seconds + ch.draw_seconds) / ch.iteration

    def chunk_seconds(self, longest: float) -> float:
        """Time budget of the next chunk, at most ``longest``."""
        done = sum(ch.iteration for ch in self._chains)
        if not done:
            return longest
        seconds = sum(ch.tune_seconds + ch.draw_seconds for ch in self._chains)
        remaining = sum(ch.total - ch.iteration for ch in self._chains) * seconds / done
        return min(longest, max(_MIN_CHUNK_SECONDS, remaining / (2 * self._n_threads)))

    def take(self, stop: threading.Event) -> _Chain | None:
        """The next chain to advance (marked busy), or None when all are done or ``stop`` is set."""
        with self._cond:
            while not stop.is_set():
                idle = [ch for ch, busy in zip(self._chains, self._busy) if not busy
                        and ch.iteration < ch.total]  # fmt: skip
                if idle:
                    ch = max(idle, key=self._remaining_seconds)
                    self._busy[ch.chain] = True
                    return ch
                if not any(self._busy):
                    return None
                self._cond.wait()
            return None

    def give_back(self, ch: _Chain) -> None:
        with self._cond:
            self._busy[ch.chain] = False
            self._cond.notify_all()


def _validate(n_dim, init_positions, draws, tune, target_accept, max_treedepth, metric,
              adaptation, idx, steps):  # fmt: skip
    init = np.array(init_positions, dtype=np.float64, order="C")
    if init.ndim != 2 or init.shape[1] != n_dim:
        raise ValueError(
            f"init_positions has shape {init.shape}; expected (chains, n_dim) with n_dim={n_dim}"
        )
    if init.shape[0] < 1:
        raise ValueError("init_positions has no rows; expected one initial point per chain")
    for name, value in (("draws", draws), ("tune", tune)):
        if int(value) != value or value < 0:
            raise ValueError(f"{name}={value!r}; expected a non-negative integer")
    if not 0.0 < target_accept < 1.0:
        raise ValueError(f"target_accept={target_accept!r}; expected a value in (0, 1)")
    if int(max_treedepth) != max_treedepth or max_treedepth < 1:
        raise ValueError(f"max_treedepth={max_treedepth!r}; expected a positive integer")
    if metric not in ("diag", "dense"):
        raise ValueError(f"metric={metric!r}; expected 'diag' or 'dense'")
    if adaptation is not None and adaptation not in SCHEMES:
        raise ValueError(f"adaptation={adaptation!r}; expected one of {sorted(SCHEMES)}")
    if metric == "dense" and adaptation in ("nutpie", "pymc"):
        raise ValueError(
            f"adaptation={adaptation!r} adapts a diagonal metric; use adaptation='stan' with metric='dense'"
        )
    others = np.empty(0, dtype=np.int64) if steps is None else plan_coordinates(steps)
    if idx is None and steps is None:
        return init, np.arange(n_dim, dtype=np.int64)
    if idx is None:
        idx = np.setdiff1d(np.arange(n_dim, dtype=np.int64), others)
    else:
        idx = np.asarray(idx)
        if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"idx={idx!r}; expected a 1-d array of coordinate indices")
        idx = idx.astype(np.int64)
        if idx.size and (np.any(np.diff(idx) <= 0) or idx[0] < 0 or idx[-1] >= n_dim):
            raise ValueError(
                f"idx={idx.tolist()}; expected sorted unique coordinates in [0, {n_dim})"
            )
    if others.size and (others[0] < 0 or others[-1] >= n_dim):
        raise ValueError(f"steps update coordinates {others.tolist()}; expected them in [0, {n_dim})")
    shared = np.intersect1d(idx, others)
    if shared.size:
        raise ValueError(f"coordinates {shared.tolist()} are moved both by NUTS (idx) and by steps")
    if idx.size == others.size == 0:
        raise ValueError("no coordinate to sample: idx and steps are both empty")
    return init, idx


def run_chains(
    logp_cfunc,
    n_dim: int,
    init_positions: np.ndarray,
    draws: int = 1000,
    tune: int = 1000,
    seed: int | np.random.SeedSequence | None = None,
    *,
    target_accept: float = 0.8,
    max_treedepth: int = 10,
    max_energy_error: float = 1000.0,
    metric: str = "diag",
    adaptation: str | None = None,
    idx: np.ndarray | None = None,
    steps: StepPlan | None = None,
    logp_only_cfunc=None,
    cores: int | None = None,
    keep_warmup: bool = False,
    progressbar: bool = True,
    progress_callback: Callable[[list[ChainProgress]], None] | None = None,
    chunk_seconds: float = 0.1,
) -> ChainResults:
    """Sample with NUTS, or a compound of NUTS, Metropolis and slice steps: warm-up then draws, the
    chains' chunks shared among ``cores`` threads.

    Parameters
    ----------
    logp_cfunc : numba cfunc of ``LOGP_GRAD_SIGNATURE``
        ``double logp(double *x, double *grad, intp n)`` on the flat unconstrained space.
    n_dim : int
        Length of the flat vector.
    init_positions : array_like of float, shape (chains, n_dim)
        Initial point of each chain (finite, with finite logp and gradient).
    draws, tune : int
        Posterior draws and warm-up iterations per chain.
    seed : int or SeedSequence, optional
        Seeds one Generator per chain via ``SeedSequence(seed).spawn(chains)``.
    target_accept : float
        Dual-averaging target for the mean acceptance probability, in (0, 1).
    max_treedepth : int
        Maximum number of trajectory doublings.
    max_energy_error : float
        Energy error that marks a divergence.
    metric : {"diag", "dense"}
        Diagonal or dense inverse mass matrix.
    adaptation : {"nutpie", "stan", "pymc"}, optional
        Warm-up scheme (`credo.sampling.adapt.warmup`); default ``"nutpie"`` for a diagonal metric,
        ``"stan"`` for a dense one. ``"pymc"`` is PyMC 5's ``init="jitter+adapt_diag"`` (diagonal only).
    idx : array_like of int, shape (m,), optional
        Sorted coordinates that NUTS moves (default all but those of ``steps``); the others stay at
        their initial values unless ``steps`` updates them. May be empty if ``steps`` is given.
    steps : StepPlan, optional
        Metropolis and slice updates of other coordinates after each NUTS transition
        (`credo.sampling.compound.step_plan`); each chain tunes its own copy during warm-up.
    logp_only_cfunc : numba cfunc of ``LOGP_SIGNATURE``, optional
        ``double logp(double *x, intp n)``, the same log-density without gradient; required with
        ``steps``.
    cores : int, optional
        Worker threads (default ``min(chains, os.cpu_count())``).
    keep_warmup : bool
        Keep warm-up draws in ``ChainResults.warmup_draws``.
    progressbar : bool
        Show one progress bar per chain on stderr.
    progress_callback : callable, optional
        Called from the main thread about four times a second with a list of `ChainProgress`.
    chunk_seconds : float
        Longest duration of one Numba call (the iteration under way is finished), which is how
        often progress is reported and an interrupt is noticed.

    Returns
    -------
    ChainResults

    Raises
    ------
    TypeError
        If ``logp_cfunc`` is not a cfunc of ``LOGP_GRAD_SIGNATURE``, or ``steps`` is given and
        ``logp_only_cfunc`` is not one of ``LOGP_SIGNATURE``.
    ValueError
        For inconsistent shapes or out-of-range options.
    credo.exceptions.SamplingError
        If an initial point has a non-finite position, log-density or gradient, or the initial
        step-size search fails (improper posterior, or a discontinuous density).

    References
    ----------
    Hoffman & Gelman (2014); Betancourt (2017), arXiv:1701.02434; Stan Reference Manual;
    nutpie (Seyboldt et al.) for the default adaptation; `credo.sampling.compound` for the steps.
    """
    t_start = time.perf_counter()
    fn = check_cfunc(logp_cfunc, LOGP_GRAD_SIGNATURE)
    if steps is not None:
        fn_only = check_cfunc(logp_only_cfunc, LOGP_SIGNATURE, "logp_only_cfunc")
    init, idx = _validate(n_dim, init_positions, draws, tune, target_accept, max_treedepth,
                          metric, adaptation, idx, steps)  # fmt: skip
    names = _stat_names(idx, steps)
    draws, tune, max_treedepth = int(draws), int(tune), int(max_treedepth)
    dense = metric == "dense"
    if adaptation is None:
        adaptation = "stan" if dense else "nutpie"
    n_chains = init.shape[0]
    logps, grads = check_initial_points(fn, init)
    seq = seed_sequence(seed)
    rngs = [np.random.Generator(np.random.PCG64(s)) for s in seq.spawn(n_chains)]
    n_stats = len(STAT_NAMES) + (0 if steps is None else len(STEP_STAT_NAMES))
    chains = [_Chain(c, tune, draws, n_dim, n_stats, keep_warmup) for c in range(n_chains)]
    stop = threading.Event()
    n_threads = min(n_chains, cores or os.cpu_count() or 1)
    schedule = _Schedule(chains, n_threads)

    def start(ch: _Chain) -> None:
        c = ch.chain
        warmup, step_size, inv_mass, chol, n_grad = warmup_init(
            adaptation, tune, target_accept, dense, init[c], logps[c], grads[c], fn, idx, rngs[c]
        )
        if idx.size:
            _check_step_size(step_size, c)
        ch.step_size, ch.n_grad, ch.inv_mass, ch.chol, ch.warmup = step_size, n_grad, inv_mass, chol, warmup
        ch.plan = None if steps is None else copy_plan(steps)
        ch.position, ch.logp, ch.grad = init[c].copy(), float(logps[c]), grads[c].copy()

    def advance(ch: _Chain) -> None:
        """One chunk of iterations of chain ``ch``."""
        it, rng = ch.iteration, rngs[ch.chain]
        tuning = it < tune
        # the rest of the phase, or as much of it as chunk_seconds allows
        if tuning:
            out, stats = ch.warmup_draws[it:], ch.warmup_stats[it:]
        else:
            out, stats = ch.draws[it - tune :], ch.stats[it - tune :]
        max_seconds = schedule.chunk_seconds(chunk_seconds)
        t0 = time.perf_counter()
        if ch.plan is None:
            state = run_chunk(
                fn, idx, ch.position, ch.logp, ch.grad, ch.step_size, ch.inv_mass, ch.chol, rng,
                ch.warmup, it, max_treedepth, max_energy_error, max_seconds, out, stats,
            )  # fmt: skip
        else:
            state = run_compound_chunk(
                fn, fn_only, idx, ch.plan, ch.position, ch.logp, ch.grad, ch.step_size, ch.inv_mass,
                ch.chol, rng, ch.warmup, it, max_treedepth, max_energy_error, max_seconds, out, stats,
            )  # fmt: skip
        dt = time.perf_counter() - t0
        (ch.position, ch.logp, ch.grad, ch.step_size, ch.inv_mass, ch.chol, ch.warmup, n_grad,
         n_done) = state  # fmt: skip
        if tuning:
            ch.tune_seconds += dt
        else:
            ch.draw_seconds += dt
        ch.n_grad += n_grad
        ch.divergences += int(stats[:n_done, 1].sum())
        ch.iteration = it + n_done

    last_report = time.perf_counter()

    def work(main: bool) -> None:
        """Advance chains a chunk at a time until all are done; the main thread reports progress
        between its chunks."""
        nonlocal last_report
        while (ch := schedule.take(stop)) is not None:
            try:
                advance(ch)
            except BaseException:
                stop.set()
                raise
            finally:
                schedule.give_back(ch)
            if main and time.perf_counter() - last_report >= _REFRESH_SECONDS:
                _report(chains, tune, bars, progress_callback)
                last_report = time.perf_counter()

    # warm-up initialisation is Python, which threads would only take turns at
    for ch in chains:
        start(ch)
    bars = ProgressBars(n_chains, tune + draws) if progressbar else None
    t_init = time.perf_counter() - t_start
    interrupted = False
    # the main thread works too, with n_threads - 1 helpers
    futures = [_helpers(n_threads - 1).submit(work, False) for _ in range(n_threads - 1)]
    try:
        work(True)
        pending = futures
        while pending:
            _, pending = wait(pending, timeout=_REFRESH_SECONDS, return_when=FIRST_EXCEPTION)
            if any(f.done() and f.exception() is not None for f in futures):
                stop.set()
            _report(chains, tune, bars, progress_callback)
    except KeyboardInterrupt:
        stop.set()
        interrupted = True
        wait(futures)
    finally:
        wait(futures)
        if bars is not None:
            bars.update([ch.progress(tune) for ch in chains])
            bars.close()
    for f in futures:
        f.result()
    return _collect(chains, tune, draws, keep_warmup, interrupted, t_init,
                    time.perf_counter() - t_start, names)  # fmt: skip


# (size, pool) of the helper threads, kept between runs
_HELPERS: list[tuple[int, ThreadPoolExecutor]] = []


def _helpers(n: int) -> ThreadPoolExecutor:
    """A pool of at least ``n`` threads, kept for the next run: starting a thread costs ~0.1-0.3 ms,
    1% of a short run (the threads idle between runs)."""
    if not _HELPERS or _HELPERS[0][0] < n:
        if _HELPERS:
            _HELPERS.pop()[1].shutdown(wait=False)
        size = max(n, 1)
        _HELPERS.append((size, ThreadPoolExecutor(max_workers=size, thread_name_prefix="credo-chain")))
    return _HELPERS[0][1]


def _check_step_size(step_size: float, chain: int) -> None:
    # the bounds of init_step_size are where Stan's heuristic throws
    if step_size >= 1e7:
        raise SamplingError(
            f"chain {chain}: the step size grew to {step_size:g} at the initial point without "
            "lowering the acceptance; the posterior is improper (check the model's priors)"
        )
    if step_size <= 1e-10:
        raise SamplingError(
            f"chain {chain}: no acceptably small step size at the initial point; the log-density "
            "may be discontinuous or its gradient wrong"
        )


def _report(chains, tune, bars, callback) -> None:
    progress = [ch.progress(tune) for ch in chains]
    if bars is not None:
        bars.update(progress)
    if callback is not None:
        callback(progress)


def _stat_names(idx: np.ndarray, steps: StepPlan | None) -> tuple[str, ...]:
    """The statistics a run reports, in the column order of its stats arrays."""
    if steps is None:
        return STAT_NAMES
    names = [*(NUTS_STAT_NAMES if idx.size else ("lp",)), *TIMING_STAT_NAMES]
    if steps.metropolis_idx.size:
        names += ["accept", "accepted"]
    if steps.slice_idx.size:
        names.append("slice_evals")
    return tuple(names)


def _stats_dict(arrays: list[np.ndarray], n: int, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    stacked = np.stack([a[:n] for a in arrays])
    columns = STAT_NAMES + STEP_STAT_NAMES
    # float columns are views of the stacked array, not copies
    return {
        name: stacked[:, :, columns.index(name)].astype(STAT_DTYPES.get(name, np.float64), copy=False)
        for name in names
    }


def _collect(chains, tune, draws, keep_warmup, interrupted, t_init, t_total, names) -> ChainResults:
    n_tuned = min(min(ch.iteration, tune) for ch in chains)
    n_drawn = min(max(ch.iteration - tune, 0) for ch in chains)
    return ChainResults(
        draws=np.stack([ch.draws[:n_drawn] for ch in chains]),
        stats=_stats_dict([ch.stats for ch in chains], n_drawn, names),
        warmup_stats=_stats_dict([ch.warmup_stats for ch in chains], n_tuned, names),
        warmup_draws=np.stack([ch.warmup_draws[:n_tuned] for ch in chains]) if keep_warmup else None,
        step_size=np.array([ch.step_size for ch in chains]),
        inv_mass=np.stack([ch.inv_mass for ch in chains]),
        n_grad_evals=np.array([ch.n_grad for ch in chains], dtype=np.int64),
        timings={
            "init": t_init,
            "tune": sum(ch.tune_seconds for ch in chains),
            "draws": sum(ch.draw_seconds for ch in chains),
            "total": t_total,
        },
        interrupted=interrupted,
    )
