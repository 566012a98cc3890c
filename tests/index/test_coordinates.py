"""Coordinates: code-unit columns <-> byte columns, line breaks, clamping, and the incremental line index."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hirope_lsp.index.coordinates import Encoding, LineIndex, byte_column, unit_column

LINE = "aé漢😀b".encode()  # 1 + 2 + 3 + 4 + 1 bytes; utf-16 units 1 + 1 + 1 + 2 + 1


@pytest.mark.parametrize(
    ("encoding", "column", "expected_byte"),
    [
        ("utf-8", 3, 3),
        ("utf-16", 0, 0),
        ("utf-16", 1, 1),
        ("utf-16", 2, 3),
        ("utf-16", 3, 6),
        ("utf-16", 5, 10),  # after the emoji, which is two UTF-16 units
        ("utf-16", 4, 6),  # between the emoji's surrogates: the emoji's start
        ("utf-16", 6, 11),
        ("utf-32", 4, 10),
        ("utf-32", 5, 11),
    ],
)
def test_byte_column(encoding: Encoding, column: int, expected_byte: int) -> None:
    assert byte_column(LINE, column, encoding) == expected_byte


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_column_past_the_end_clamps_to_the_line_end(encoding: Encoding) -> None:
    assert byte_column(LINE, 1000, encoding) == len(LINE)


@pytest.mark.parametrize(
    ("encoding", "byte", "expected_column"),
    [("utf-8", 6, 6), ("utf-16", 6, 3), ("utf-16", 10, 5), ("utf-32", 10, 4), ("utf-16", 11, 6)],
)
def test_unit_column(encoding: Encoding, byte: int, expected_column: int) -> None:
    assert unit_column(LINE[:byte], encoding) == expected_column


def test_invalid_utf8_counts_one_unit_per_byte() -> None:
    line = b"a\xff\xfeb"
    assert byte_column(line, 3, "utf-16") == 3
    assert unit_column(line, "utf-32") == 4


def test_lines_break_at_lf_crlf_and_bare_cr() -> None:
    data = b"one\r\ntwo\rthree\nfour"
    index = LineIndex(data)
    assert index.line_count == 4
    assert [index.offset(data, line, 0, "utf-16") for line in range(4)] == [0, 5, 9, 15]
    assert index.offset(data, 0, 99, "utf-16") == 3  # clamps before "\r\n"
    assert index.offset(data, 1, 99, "utf-16") == 8  # clamps before "\r"
    assert index.position(data, 4, "utf-16") == (0, 3)  # inside "\r\n": end of line 0


def test_line_past_the_end_clamps_to_the_end_of_the_document() -> None:
    data = "héllo\n".encode()
    index = LineIndex(data)
    assert index.line_count == 2  # the empty line after the final break
    assert index.offset(data, 1, 0, "utf-16") == len(data)
    assert index.offset(data, 7, 3, "utf-16") == len(data)


def test_tree_sitter_points_split_rows_at_lf_only() -> None:
    data = b"a\rb\nc"
    index = LineIndex(data)
    assert index.position(data, 2, "utf-8") == (1, 0)  # LSP: "\r" is a break
    assert index.point(data, 2) == (0, 2)  # tree-sitter: it is not
    assert index.point(data, 4) == (1, 0)


def _reference_starts(data: bytes) -> list[int]:
    return [0, *(match.end() for match in re.finditer(rb"\r\n|\r|\n", data))]


def _reference_point(data: bytes, offset: int) -> tuple[int, int]:
    return data.count(b"\n", 0, offset), offset - (data.rfind(b"\n", 0, offset) + 1)


_PIECES = st.sampled_from(["a", "é", "😀", "\n", "\r", "\r\n", " ", "漢"])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_PIECES, max_size=20).map("".join),
    st.lists(st.tuples(st.integers(0, 80), st.integers(0, 80), st.lists(_PIECES, max_size=6)), max_size=8),
)
def test_replace_keeps_the_index_equal_to_a_fresh_one(initial: str, edits: list[tuple[int, int, list[str]]]) -> None:
    data = bytearray(initial.encode())
    index = LineIndex(data)
    for a, b, pieces in edits:
        start, end = sorted((min(a, len(data)), min(b, len(data))))
        index.replace(data, start, end, "".join(pieces).encode())
        fresh = LineIndex(data)
        assert index.line_count == fresh.line_count == len(_reference_starts(bytes(data)))
        for line in range(index.line_count):
            assert index.offset(data, line, 0, "utf-8") == _reference_starts(bytes(data))[line]
        for offset in range(len(data) + 1):
            assert index.point(data, offset) == _reference_point(bytes(data), offset)
