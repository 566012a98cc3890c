"""Prompt layout: unit pieces to token ids and hierarchical positions."""

from __future__ import annotations

from hirope_lsp.hirope.positions import Positions
from hirope_lsp.prompt.layout import encode_units


def words(text: str) -> list[int]:
    """A tokenizer of whitespace-separated words (the word's length is its id)."""
    return [len(word) for word in text.split()]


def test_ids_are_the_concatenation_and_each_piece_is_a_unit() -> None:
    ids, positions = encode_units(["import os\n", "def f():\n    return 1\n", "x = 2\n"], words)
    assert ids == (6, 2, 3, 4, 6, 1, 1, 1, 1)
    assert positions == Positions((0, 0, 1, 1, 1, 1, 2, 2, 2))


def test_empty_pieces_are_skipped() -> None:
    ids, positions = encode_units(["", "a b", "   \n", "", "c"], words)
    assert ids == (1, 1, 1)
    assert positions.unit == (0, 0, 1)  # a piece of no tokens starts no unit


def test_no_pieces() -> None:
    ids, positions = encode_units([], words)
    assert ids == () and len(positions) == 0


def test_empty_text_is_not_tokenized() -> None:
    seen: list[str] = []

    def tokenize(text: str) -> list[int]:
        seen.append(text)
        return [7]

    assert encode_units(["", "a"], tokenize) == ((7,), Positions((0,)))
    assert seen == ["a"]
