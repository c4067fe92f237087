"""Counting repeated person keys: exact whatever the keys, nulls and order, and the thread that
counts beside the grouping hands back its result or its error."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wpstrack.rosters import engine_keys


def keys(values: list[int | None]) -> pl.Series:
    return pl.Series("pid", values, dtype=pl.UInt64)


@given(
    st.lists(st.one_of(st.none(), st.integers(0, 20), st.integers(0, 2**64 - 1)), max_size=60),
    st.sampled_from([True, False, None]),
)
def test_the_repeat_count_is_the_rows_less_the_distinct_keys_nulls_left_out(
    values: list[int | None], by_numpy: bool | None
) -> None:
    """numpy's sort, Polars, and whichever this machine chose give the same exact figures."""
    present = [v for v in values if v is not None]
    counted = engine_keys.repeated(keys(values), by_numpy=by_numpy)
    assert counted == len(present) - len(set(present))
    expected = sorted(v for n, v in enumerate(present) if v in present[:n])
    assert engine_keys.repeats(keys(values), by_numpy=by_numpy).to_list() == expected


def test_no_keys_and_only_nulls_repeat_nothing() -> None:
    assert engine_keys.repeated(keys([])) == 0
    assert engine_keys.repeated(keys([None, None, None])) == 0
    assert engine_keys.repeats(keys([None, None])).to_list() == []


def test_the_largest_keys_are_compared_as_whole_64_bit_numbers() -> None:
    top = 2**64 - 1
    assert engine_keys.repeated(keys([top, top - 1, top])) == 1
    assert engine_keys.repeats(keys([top, top - 1, top])).dtype == pl.UInt64


@pytest.mark.parametrize("by_numpy", [True, False])
def test_counting_leaves_the_callers_keys_as_they_were(by_numpy: bool) -> None:
    given_keys = keys([3, 1, 2, 1])
    engine_keys.repeated(given_keys, by_numpy=by_numpy)
    engine_keys.repeats(given_keys, by_numpy=by_numpy)
    assert given_keys.to_list() == [3, 1, 2, 1]


def test_the_sample_timed_to_choose_a_sort_is_distinct_keys_out_of_order() -> None:
    sample = engine_keys._scrambled(engine_keys.SAMPLE)
    assert len(set(sample.tolist())) == engine_keys.SAMPLE
    ascending = int((sample[1:] > sample[:-1]).sum())
    assert 0.4 < ascending / engine_keys.SAMPLE < 0.6  # no long runs for a merge sort to use
    assert isinstance(engine_keys.numpy_sorts_faster(), bool)


def test_work_beside_hands_back_its_result_once_the_block_asks() -> None:
    with engine_keys.beside(lambda: engine_keys.repeated(keys([1, 1, 2]))) as found:
        assert found() == 1


def test_work_beside_that_fails_raises_its_error_in_the_block() -> None:
    def broken() -> int:
        raise ValueError("the count failed")

    with pytest.raises(ValueError, match="the count failed"), engine_keys.beside(broken) as found:
        found()
