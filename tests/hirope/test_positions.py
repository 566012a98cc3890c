"""Hierarchical positions: construction, token units, generation, concatenation, slicing."""

from __future__ import annotations

import pytest

from hirope_lsp.hirope.positions import Positions


def test_from_unit_lengths_numbers_units_in_order_and_skips_empty_ones() -> None:
    positions = Positions.from_unit_lengths([2, 0, 3, 1])
    assert positions.unit == (0, 0, 1, 1, 1, 2)
    assert len(positions) == 6 and positions.token == range(6)
    assert Positions.from_unit_lengths([]).unit == ()
    assert Positions.flat(3).unit == (0, 1, 2)


def test_extend_advances_tokens_and_keeps_the_cursor_unit() -> None:
    positions = Positions((0, 0, 1), file=(0, 0, 0)).extend(3)
    assert positions.unit == (0, 0, 1, 1, 1, 1)
    assert positions.file == (0, 0, 0, 0, 0, 0)
    assert positions.token == range(6)
    assert Positions((0, 1)).extend(0) == Positions((0, 1))
    with pytest.raises(ValueError, match="empty"):
        Positions(()).extend(1)


def test_chunked_gives_units_of_consecutive_tokens_and_keeps_the_files() -> None:
    outline = Positions((3, 3, 4, 4, 4, 9, 9), file=(0, 0, 0, 1, 1, 1, 1))
    assert outline.chunked(3) == Positions((0, 0, 0, 1, 1, 1, 2), file=outline.file)
    assert outline.chunked(1).unit == tuple(outline.token)
    assert outline.chunked(7).unit == (0,) * 7
    assert outline.chunked(3).chunked(3) == outline.chunked(3)
    with pytest.raises(ValueError, match="at least one token"):
        outline.chunked(0)


def test_add_shifts_the_second_part_after_the_first() -> None:
    first = Positions((0, 0, 1), file=(0, 0, 0))
    second = Positions((0, 1, 1), file=(0, 0, 1))
    joined = first + second
    assert joined.unit == (0, 0, 1, 2, 3, 3)
    assert joined.file == (0, 0, 0, 1, 1, 2)
    assert (Positions((5, 6)) + Positions((3,))).unit == (5, 6, 7)
    assert Positions(()) + first == first and first + Positions(()) == first
    assert (first + Positions((0,))).file is None  # one side without a file level


def test_slicing_keeps_both_levels() -> None:
    positions = Positions((0, 0, 1, 2), file=(0, 0, 0, 1))
    assert positions[:-1] == Positions((0, 0, 1), file=(0, 0, 0))
    assert positions[1:3].unit == (0, 1)


def test_decreasing_or_negative_levels_are_rejected() -> None:
    with pytest.raises(ValueError, match="never decrease"):
        Positions((0, 1, 0))
    with pytest.raises(ValueError, match="file positions must never decrease"):
        Positions((0, 1, 2), file=(1, 0, 0))
    with pytest.raises(ValueError, match=">= 0"):
        Positions((-1, 0))
    with pytest.raises(ValueError, match="2 entries for 3 tokens"):
        Positions((0, 1, 2), file=(0, 0))
