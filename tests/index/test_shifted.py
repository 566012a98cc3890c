"""Shifted sequences (shifted.py): every operation equals the same one on a plain list of moved records."""

from __future__ import annotations

from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hirope_lsp.index import shifted
from hirope_lsp.index.shifted import Shifted


class Span(NamedTuple):
    start_byte: int
    end_byte: int
    row: int


def move(span: Span, byte_shift: int, row_shift: int) -> Span:
    return Span(span.start_byte + byte_shift, span.end_byte + byte_shift, span.row + row_shift)


def spans(starts: list[int]) -> list[Span]:
    return [Span(start, start + 2, start // 10) for start in sorted(starts)]


_OPERATION = st.one_of(
    st.tuples(st.just("split"), st.integers(-5, 400), st.booleans()),
    st.tuples(st.just("split_index"), st.integers(0, 60), st.booleans()),
    st.tuples(st.just("shift"), st.integers(0, 50), st.integers(0, 5)),
    st.tuples(st.just("insert"), st.integers(0, 400), st.integers(0, 4)),
    st.tuples(st.just("read"), st.just(0), st.just(0)),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 300), max_size=40), st.lists(_OPERATION, max_size=30), st.integers(2, 6))
def test_operations_equal_those_on_a_list(
    starts: list[int], operations: list[tuple[str, int, int]], max_runs: int
) -> None:
    """Insertions cut the sequence and join it again, so runs pile up and MAX_RUNS (lowered) merges them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shifted, "MAX_RUNS", max_runs)
        _check(starts, operations, max_runs)


def _check(starts: list[int], operations: list[tuple[str, int, int]], max_runs: int) -> None:
    model = spans(starts)
    sequence = Shifted.of(model, move)
    for name, a, b in operations:
        if name == "split":
            left, right = sequence.split(a)
            assert list(left) + list(right) == model
            assert all(span.start_byte < a for span in left) and all(span.start_byte >= a for span in right)
            sequence = left if b else right
            model = list(sequence)
        elif name == "split_index":
            left, right = sequence.split_index(a)
            assert (list(left), list(right)) == (model[:a], model[a:])
            sequence, model = (left, model[:a]) if b else (right, model[a:])
        elif name == "shift":
            sequence, model = sequence.shifted(a, b), [move(span, a, b) for span in model]
        elif name == "insert":  # b new records at `a`, everything after them moved by 10 bytes
            before, after = sequence.split(a)
            new = [Span(a + i, a + i + 1, 0) for i in range(b)]
            sequence = before.joined(new, after.shifted(10, 1))
            model = [span for span in model if span.start_byte < a] + new
            model += [move(span, 10, 1) for span in list(after)]
        else:
            assert sequence.materialize() == tuple(model)
        assert len(sequence) == len(model)
        assert [sequence[index] for index in range(len(sequence))] == model
        assert len(sequence._runs) <= max(max_runs, 1) + 1  # a cut may split one run in two
    assert list(sequence) == model


def test_records_before_every_edit_stay_the_same_objects() -> None:
    records = spans([0, 10, 20, 30])
    sequence = Shifted.of(records, move)
    before, after = sequence.split(15)
    joined = before.joined([Span(15, 16, 1)], after.shifted(1, 0))
    assert joined[0] is records[0] and joined[1] is records[1]
    assert list(joined)[3:] == [move(span, 1, 0) for span in records[2:]]
