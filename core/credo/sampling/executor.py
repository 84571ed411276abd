"""The executor seam: where SMC sends particle work (log-densities, simulations).

SMC evaluates thousands of particles per step. The evaluations are cut into chunks of a fixed
size and each chunk is one task of a `concurrent.futures.Executor`: the default local thread pool
(compiled log-densities release the GIL), a `~concurrent.futures.ProcessPoolExecutor`, a Dask
cluster through ``distributed.Client(...).get_executor()``, or `SerialExecutor`. A task that
draws random numbers gets its own `numpy.random.SeedSequence`, spawned in a fixed order from one
root, and chunk boundaries depend only on the number of particles, so results are the same
whichever executor runs the tasks and in whatever order they finish.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np

__all__ = ["CHUNK_SIZE", "SerialExecutor", "local_executor", "chunk_slices", "map_chunks"]

# Particles per task: large enough that per-task overhead (pickling, scheduling) stays small next
# to the work, small enough that a 2000-particle population splits across several workers.
CHUNK_SIZE = 128


class SerialExecutor(Executor):
    """An executor that runs each task when it is submitted, in the calling thread.

    Useful for debugging (tracebacks point into the task) and as the reference that other
    executors must reproduce.
    """

    def submit(self, fn: Callable, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:  # delivered by future.result(), as a pool would
            future.set_exception(err)
        return future


@contextmanager
def local_executor(executor: Executor | None) -> Iterator[Executor]:
    """Yield ``executor``, or a thread pool with one worker per CPU that is shut down on exit.

    Parameters
    ----------
    executor : concurrent.futures.Executor or None
        A user-supplied executor is used as is and left running.

    Raises
    ------
    TypeError
        If ``executor`` is not None and has no ``submit`` method.
    """
    if executor is not None:
        if not callable(getattr(executor, "submit", None)):
            raise TypeError(
                "executor must be a concurrent.futures.Executor (with a submit method), e.g. "
                f"ThreadPoolExecutor() or a Dask Client(...).get_executor(); got {type(executor).__name__}"
            )
        yield executor
        return
    pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="credo-smc")
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def chunk_slices(n: int, size: int = CHUNK_SIZE) -> list[slice]:
    """Consecutive slices of at most ``size`` covering ``range(n)``; they depend on ``n`` only."""
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def map_chunks(
    executor: Executor, fn: Callable, chunks: Sequence[tuple], seed: np.random.SeedSequence | None = None
) -> list:
    """Run ``fn(*chunk)`` (and ``fn(*chunk, seed_j)`` if ``seed`` is given) for every chunk.

    Parameters
    ----------
    executor : concurrent.futures.Executor
    fn : callable
        Must be picklable (module-level) for process pools and Dask.
    chunks : sequence of tuple
        Arguments of each task.
    seed : numpy.random.SeedSequence, optional
        Spawns one child per chunk, in chunk order, appended to the task's arguments.

    Returns
    -------
    list
        Results in chunk order. The first failing task's exception is raised as it was raised in
        the task.
    """
    if seed is not None:
        children = seed.spawn(len(chunks))
        chunks = [(*args, child) for args, child in zip(chunks, children)]
    futures = [executor.submit(fn, *args) for args in chunks]
    try:
        return [f.result() for f in futures]
    finally:
        for f in futures:
            f.cancel()
