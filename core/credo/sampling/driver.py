"""Run NUTS chains in parallel threads over nogil Numba code, in chunks, with warm-up.

Each chain owns a `numpy.random.Generator` spawned from one `numpy.random.SeedSequence`, so a run
is reproducible from its seed whatever the number of threads or the chunk sizes. Chains advance in
chunks of at most ``chunk_seconds`` of wall-clock time, each chunk on whichever worker thread is free
(`_Schedule`); between chunks the main thread refreshes the progress bars and a KeyboardInterrupt
stops every chain after its current chunk, returning what was drawn (truncated to the shortest
chain) with ``interrupted=True``.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import numpy as np

from credo.exceptions import SamplingError
from credo.sampling.adapt.warmup import resolve_scheme, warmup_init
from credo.sampling.chain import (
    NUTS_STAT_NAMES,
    RUN_CHUNK,
    RUN_COMPOUND_CHUNK,
    STAT_DTYPES,
    STAT_NAMES,
    STEP_STAT_NAMES,
    TIMING_STAT_NAMES,
)
from credo.sampling.compound import StepPlan, copy_plan, plan_coordinates
from credo.sampling.logp import LOGP_GRAD_SIGNATURE, LOGP_SIGNATURE, check_cfunc, check_initial_points
from credo.sampling.progress import ChainProgress, ProgressBars
from credo.sampling.seeding import seed_sequence

__all__ = ["ChainResults", "run_chains"]

_REFRESH_SECONDS = 0.25
# os.cpu_count() reads /sys on every call
_CPU_COUNT = os.cpu_count() or 1
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
    stats_array, warmup_stats_array : ndarray, shape (chains, draws or tune, len(stat_names))
        The statistics of the draws and of warm-up, a column per name of ``stat_names``.
    stat_names : tuple of str
        The statistics of the run (see ``stats``).
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
        The same statistics during warm-up. Both dicts are made from the arrays on first use, after
        sampling.
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
    stats_array: np.ndarray
    warmup_stats_array: np.ndarray
    stat_names: tuple[str, ...]
    warmup_draws: np.ndarray | None
    step_size: np.ndarray
    inv_mass: np.ndarray
    n_grad_evals: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)
    interrupted: bool = False

    @functools.cached_property
    def stats(self) -> dict[str, np.ndarray]:
        return _stats_dict(self.stats_array, self.stat_names)

    @functools.cached_property
    def warmup_stats(self) -> dict[str, np.ndarray]:
        return _stats_dict(self.warmup_stats_array, self.stat_names)


class _Chain:
    """Mutable bookkeeping and sampler state of one chain between chunks (the kernels themselves are
    pure); one worker thread at a time advances it."""

    def __init__(self, chain: int, tune: int, draws: int, arrays: tuple[np.ndarray, ...]):
        self.chain = chain
        self.iteration = 0
        self.total = tune + draws
        self.divergences = 0
        self.step_size = float("nan")
        self.n_grad = 0
        self.tune_seconds = 0.0
        self.draw_seconds = 0.0
        # this chain's rows of the run's arrays (`_run_arrays`)
        self.draws, self.stats, self.warmup_draws, self.warmup_stats = arrays
        # the sampler's state between chunks, set when the chain starts (`run_chains`)
        self.warmup = self.inv_mass = self.chol = self.plan = self.rng = None
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
    A chunk may run its chain until that has no more left than the next idle chain (as preemptive
    scheduling by longest remaining time does; McNaughton 1959), plus a ``2 * n_threads``-th of
    the estimated time all chains still need, so that chunks shrink as the run nears its end
    (guided self-scheduling, Polychronopoulos & Kuck 1987): the threads finish within a short chunk
    of each other, while a long run still takes few calls from Python.
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

    def chunk_seconds(self, ch: _Chain, longest: float) -> float:
        """Time budget of the next chunk of chain ``ch`` (taken), at most ``longest``."""
        remaining = self._remaining_seconds(ch)
        if remaining == float("inf"):
            return longest
        with self._cond:
            waiting = [self._remaining_seconds(other) for other, busy in zip(self._chains, self._busy)
                       if not busy and other.iteration < other.total]  # fmt: skip
        lead = max(remaining - max(waiting, default=0.0), 0.0)
        done = sum(other.iteration for other in self._chains)
        seconds = sum(other.tune_seconds + other.draw_seconds for other in self._chains)
        total = sum(other.total - other.iteration for other in self._chains) * seconds / done
        share = total / (2 * self._n_threads)
        return min(longest, max(_MIN_CHUNK_SECONDS, min(remaining, lead + share)))

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
              idx, steps, cores):  # fmt: skip
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
    if cores is not None and (not isinstance(cores, int | np.integer) or cores < 1):
        raise ValueError(f"cores={cores!r}; expected a positive integer or None (all cores)")
    if int(max_treedepth) != max_treedepth or max_treedepth < 1:
        raise ValueError(f"max_treedepth={max_treedepth!r}; expected a positive integer")
    if metric not in ("diag", "dense"):
        raise ValueError(f"metric={metric!r}; expected 'diag' or 'dense'")
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
    shared = np.intersect1d(idx, others) if others.size else others
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
    adaptation : {"hybrid", "nutpie", "stan", "pymc"}, optional
        Warm-up scheme (`credo.sampling.adapt.warmup`); default ``"nutpie"`` for a diagonal metric,
        ``"stan"`` for a dense one. ``"hybrid"``: nutpie's early phase, then the variance of the
        draws over a growing window (diagonal only); ``"pymc"`` is PyMC 5's
        ``init="jitter+adapt_diag"`` (diagonal only).
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
                          metric, idx, steps, cores)  # fmt: skip
    names = _stat_names(idx, steps)
    draws, tune, max_treedepth = int(draws), int(tune), int(max_treedepth)
    dense = metric == "dense"
    adaptation = resolve_scheme(adaptation, dense)
    run_chunk, run_compound_chunk = RUN_CHUNK[adaptation], RUN_COMPOUND_CHUNK[adaptation]
    n_chains = init.shape[0]
    logps, grads = check_initial_points(fn, init)
    seeds = seed_sequence(seed).spawn(n_chains)
    n_stats = len(STAT_NAMES) + (0 if steps is None else len(STEP_STAT_NAMES))
    arrays = _run_arrays(n_chains, tune, draws, n_dim, n_stats, keep_warmup)
    chains = [_Chain(c, tune, draws, tuple(a[c] for a in arrays)) for c in range(n_chains)]
    stop = threading.Event()
    n_threads = min(n_chains, cores or _CPU_COUNT)
    schedule = _Schedule(chains, n_threads)

    def start(ch: _Chain) -> None:
        """Warm-up initialisation of chain ``ch``, by the thread that first takes it: mostly Python,
        which threads only take turns at, but it overlaps with the other threads' chunks instead of
        holding every thread back until all chains are initialised."""
        c = ch.chain
        ch.rng = np.random.Generator(np.random.PCG64(seeds[c]))
        warmup, step_size, inv_mass, chol, n_grad = warmup_init(
            adaptation, tune, target_accept, dense, init[c], logps[c], grads[c], fn, idx, ch.rng
        )
        if idx.size:
            _check_step_size(step_size, c)
        ch.step_size, ch.n_grad, ch.inv_mass, ch.chol, ch.warmup = step_size, n_grad, inv_mass, chol, warmup
        ch.plan = None if steps is None else copy_plan(steps)
        ch.position, ch.logp, ch.grad = init[c].copy(), float(logps[c]), grads[c].copy()

    def advance(ch: _Chain) -> None:
        """One chunk of iterations of chain ``ch``."""
        if ch.warmup is None:
            start(ch)
        it, rng = ch.iteration, ch.rng
        tuning = it < tune
        # the rest of the phase, or as much of it as chunk_seconds allows
        if tuning:
            out, stats = ch.warmup_draws[it:], ch.warmup_stats[it:]
        else:
            out, stats = ch.draws[it - tune :], ch.stats[it - tune :]
        max_seconds = schedule.chunk_seconds(ch, chunk_seconds)
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
    reporting = progressbar or progress_callback is not None

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
            if main and reporting and time.perf_counter() - last_report >= _REFRESH_SECONDS:
                _report(chains, tune, bars, progress_callback)
                last_report = time.perf_counter()

    bars = ProgressBars(n_chains, tune + draws) if progressbar else None
    t_init = time.perf_counter() - t_start
    interrupted = False
    # the main thread works too, with n_threads - 1 helpers
    futures = [_helpers(n_threads - 1).submit(work, False) for _ in range(n_threads - 1)]
    pending = futures
    try:
        work(True)
        # with every chain finished the helpers have nothing left to do but return (an error in one
        # would have stopped the chains early): waking this thread when they have takes ~0.15 ms
        pending = [] if all(ch.iteration == ch.total for ch in chains) else futures
        while pending:
            _, pending = wait(pending, timeout=_REFRESH_SECONDS, return_when=FIRST_EXCEPTION)
            if any(f.done() and f.exception() is not None for f in futures):
                stop.set()
            if reporting:
                _report(chains, tune, bars, progress_callback)
    except KeyboardInterrupt:
        stop.set()
        interrupted = True
        wait(futures)
    finally:
        if pending:
            wait(futures)
        if bars is not None:
            bars.update([ch.progress(tune) for ch in chains])
            bars.close()
    for f in futures:
        if f.done():
            f.result()
    return _collect(arrays, chains, tune, keep_warmup, interrupted, t_init,
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


def _run_arrays(n_chains: int, tune: int, draws: int, n_dim: int, n_stats: int,
                keep_warmup: bool) -> tuple[np.ndarray, ...]:  # fmt: skip
    """Draws, statistics, warm-up draws and warm-up statistics of all chains, whose rows the chains
    fill: there is nothing to stack after sampling. The statistics start at zero, since a run without
    NUTS leaves its columns (divergences among them) unwritten; warm-up positions get no rows unless
    they are kept."""
    return (
        np.empty((n_chains, draws, n_dim)),
        np.zeros((n_chains, draws, n_stats)),
        np.empty((n_chains, tune if keep_warmup else 0, n_dim)),
        np.zeros((n_chains, tune, n_stats)),
    )


def _stats_dict(stats: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The columns of ``stats`` (shape (chains, n, n_stats)) by name, in their dtypes."""
    columns = STAT_NAMES + STEP_STAT_NAMES
    # float columns are views, not copies
    return {
        name: stats[:, :, columns.index(name)].astype(STAT_DTYPES.get(name, np.float64), copy=False)
        for name in names
    }


def _collect(arrays, chains, tune, keep_warmup, interrupted, t_init, t_total, names) -> ChainResults:
    """The results of a run, cut to the iterations that every chain finished."""
    n_tuned = min(min(ch.iteration, tune) for ch in chains)
    n_drawn = min(max(ch.iteration - tune, 0) for ch in chains)
    draws, stats, warmup_draws, warmup_stats = arrays
    return ChainResults(
        draws=draws[:, :n_drawn],
        stats_array=stats[:, :n_drawn],
        warmup_stats_array=warmup_stats[:, :n_tuned],
        stat_names=names,
        warmup_draws=warmup_draws[:, :n_tuned] if keep_warmup else None,
        step_size=np.array([ch.step_size for ch in chains]),
        inv_mass=_stack_inv_mass(chains),
        n_grad_evals=np.array([ch.n_grad for ch in chains], dtype=np.int64),
        timings={
            "init": t_init,
            "tune": sum(ch.tune_seconds for ch in chains),
            "draws": sum(ch.draw_seconds for ch in chains),
            "total": t_total,
        },
        interrupted=interrupted,
    )


def _stack_inv_mass(chains: list[_Chain]) -> np.ndarray:
    """The chains' metrics; NaN for a chain that an interrupt stopped before it started."""
    started = [ch.inv_mass for ch in chains if ch.inv_mass is not None]
    if not started:
        return np.empty((len(chains), 0))
    missing = np.full_like(started[0], np.nan)
    return np.stack([missing if ch.inv_mass is None else ch.inv_mass for ch in chains])
