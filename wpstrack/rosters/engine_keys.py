"""Person keys: how many of a roster's rows repeat a person, and which keys repeat.

A key is a 64-bit hash of a person id (with course and date for learning records), never the id.
Counting repeats is exact: the keys are sorted and compared with their neighbours. numpy sorts
them (a SIMD sort where the processor has one: 0.09 s for ten million keys on this machine's
AVX-512, where Polars' ``n_unique`` takes 0.18-0.22 s and its sort 0.21 s); the sort runs on a
copy the count owns, in place, and releases the GIL, so ``beside`` can run it on one core while
Polars groups the file on both. Why not a bitmap or a sketch: ten million hashes in any bitmap
that fits in memory collide by chance (the birthday bound), so it could only say "maybe".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import numpy as np
import polars as pl

T = TypeVar("T")


def repeated(keys: pl.Series) -> int:
    """Rows whose key an earlier row has; nulls are no one's key."""
    present = keys.drop_nulls() if keys.null_count() else keys
    ordered = present.to_numpy(writable=True)  # a copy of our own, sorted in place
    ordered.sort()
    return int(np.count_nonzero(ordered[1:] == ordered[:-1]))


def repeats(keys: pl.Series) -> pl.Series:
    """The key of every row an earlier row repeats (nulls are no one's key): sorted, the
    repeats are the keys equal to the one before (``is_duplicated`` took 1.8 s on 10M)."""
    ordered = keys.drop_nulls().to_numpy(writable=True)
    ordered.sort()
    return pl.Series(keys.name, ordered[1:][ordered[1:] == ordered[:-1]], dtype=keys.dtype)


@contextmanager
def beside(work: Callable[[], T]) -> Iterator[Callable[[], T]]:
    """Run ``work`` in a thread while the block runs; the block gets a function that waits
    for its result (and raises its error). On leaving, the thread is always waited for."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="roster-keys") as pool:
        pending = pool.submit(work)
        yield pending.result
