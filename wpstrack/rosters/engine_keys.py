"""Person keys: how many of a roster's rows repeat a person, and which keys repeat.

A key is a 64-bit hash of a person id (with course and date for learning records), never the id.
Counting repeats is exact: the keys are sorted and compared with their neighbours (or, by
Polars, counted distinct). Which sort is faster depends on the processor, by a factor of seven,
so each process measures once (``numpy_sorts_faster``): numpy's sort is a SIMD sort where its
build has one for the processor (0.09 s for ten million keys on one machine here, where Polars'
``n_unique`` took 0.18-0.22 s) and a plain one elsewhere (0.63 s on an AMD Zen 4 machine here,
where Polars took 0.16 s). numpy's sort runs on a copy the count owns, in place, on one core
and without the GIL, so ``beside`` can run it while Polars groups the file on both.
Why not a bitmap or a sketch: ten million hashes in any bitmap that fits in memory collide by
chance (the birthday bound), so it could only say "maybe".
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import numpy as np
import polars as pl

T = TypeVar("T")

SAMPLE = 1 << 15  # keys timed by each sort


def repeated(keys: pl.Series, *, by_numpy: bool | None = None) -> int:
    """Rows whose key an earlier row has; nulls are no one's key. ``by_numpy``: which way to
    count (default: the faster here); both give the same figure."""
    present = keys.drop_nulls() if keys.null_count() else keys
    if not _numpy(by_numpy):
        return len(present) - present.n_unique()
    ordered = _sorted(present, by_numpy=True)
    return int(np.count_nonzero(ordered[1:] == ordered[:-1]))


def repeats(keys: pl.Series, *, by_numpy: bool | None = None) -> pl.Series:
    """The key of every row an earlier row repeats (nulls are no one's key): sorted, the
    repeats are the keys equal to the one before (``is_duplicated`` took 1.1-1.8 s on 10M)."""
    ordered = _sorted(keys.drop_nulls(), by_numpy=_numpy(by_numpy))
    return pl.Series(keys.name, ordered[1:][ordered[1:] == ordered[:-1]], dtype=keys.dtype)


def _numpy(by_numpy: bool | None) -> bool:
    return numpy_sorts_faster() if by_numpy is None else by_numpy


def _sorted(keys: pl.Series, *, by_numpy: bool) -> np.ndarray:
    if not by_numpy:
        return keys.sort().to_numpy()
    ordered = keys.to_numpy(writable=True)  # a copy of our own, sorted in place
    ordered.sort()
    return ordered


@functools.cache
def numpy_sorts_faster() -> bool:
    """Whether numpy has a SIMD sort for 64-bit keys on this processor: it then sorts a random
    sample several times faster than its own merge sort does, where a plain quicksort is at
    best a little faster (Zen 4 machine: 0.63 s against 0.75 s for ten million keys). Timing
    numpy against itself, on one core, keeps Polars' thread pool, slow to wake on a first
    small sort, out of the measure. A few milliseconds, once per process."""
    sample = _scrambled(SAMPLE)
    quick = _best(lambda: np.sort(sample))
    return quick < 0.5 * _best(lambda: np.sort(sample, kind="stable"))


def _scrambled(count: int) -> np.ndarray:
    """``count`` distinct keys in no order a sort could exploit (splitmix64's mixing of 1, 2,
    3...; numpy's random generator took longer to load than the sorts take)."""
    keys = np.arange(1, count + 1, dtype=np.uint64)
    for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
        keys ^= keys >> np.uint64(shift)
        keys *= np.uint64(factor)
    keys ^= keys >> np.uint64(31)
    return keys


def _best(work: Callable[[], object]) -> float:
    times = []
    for _ in range(2):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


@contextmanager
def beside(work: Callable[[], T]) -> Iterator[Callable[[], T]]:
    """Run ``work`` in a thread while the block runs; the block gets a function that waits
    for its result (and raises its error). On leaving, the thread is always waited for."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="roster-keys") as pool:
        pending = pool.submit(work)
        yield pending.result
