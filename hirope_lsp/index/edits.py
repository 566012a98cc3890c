"""Edits in byte coordinates, and where a range of the text before them is after them.

An incremental update redoes only what the edits since the last update touched; everything else
kept its bytes and moved by a known number of bytes and rows. `moved_by` says how far, or None when
the range was touched. "Touched" is deliberately generous: an edit that only borders a range (text
inserted right at its start or end) counts, since typed text may join the range. A range where
tree-sitter reports that the syntax changed (an opened string literal changes the meaning of
untouched bytes after it) is recorded as an edit that keeps its length, in its place in the
sequence, so that one list holds everything an update must redo.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ByteEdit:
    """bytes[start:old_end] became new_end - start new bytes; rows are tree-sitter rows ("\\n")."""

    start: int
    old_end: int
    new_end: int
    row_delta: int  # rows added by the edit; negative when it removed some


@dataclass(frozen=True, slots=True)
class Shift:
    """How far an untouched range moved: add `bytes` to its offsets and `rows` to its rows."""

    bytes: int
    rows: int


def moved_by(start: int, end: int, edits: Sequence[ByteEdit]) -> Shift | None:
    """The shift of old range [start, end) through `edits` (applied in order), or None if touched."""
    byte_shift = row_shift = 0
    for edit in edits:
        if edit.old_end < start + byte_shift:
            byte_shift += edit.new_end - edit.old_end
            row_shift += edit.row_delta
        elif edit.start <= end + byte_shift:
            return None
    return Shift(byte_shift, row_shift)


def edited_regions(edits: Sequence[ByteEdit]) -> list[tuple[int, int]]:
    """Where each edit's new text (or the gap a deletion left) lies in the text after all of them."""
    regions: list[tuple[int, int]] = []
    for edit in edits:
        delta = edit.new_end - edit.old_end
        moved = []
        for low, high in regions:
            if high < edit.start:
                moved.append((low, high))
            elif low > edit.old_end:
                moved.append((low + delta, high + delta))
            else:  # overlaps the edit: grows to cover it
                moved.append((min(low, edit.start), max(high + delta, edit.new_end)))
        regions = [*moved, (edit.start, edit.new_end)]
    return regions


def merged_spans(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The byte ranges sorted, with overlapping or touching ones made one."""
    merged: list[tuple[int, int]] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def edited_span(edits: Sequence[ByteEdit]) -> tuple[int, int, int]:
    """(first, after, grown): of the text before the edits, what lies before `first` or after `after` was
    untouched by them; nothing the edits moved went more than `grown` bytes further on."""
    first = min(edit.start for edit in edits)
    after = shift = grown = 0
    for edit in edits:
        after = max(after, edit.old_end - shift)
        shift += edit.new_end - edit.old_end
        grown += max(edit.new_end - edit.old_end, 0)
    return first, after, grown


def moved_offset(offset: int, text_edits: Sequence[ByteEdit]) -> int:
    """Where a unit boundary at `offset` goes through the edits: text inserted at a boundary joins the
    unit after it, and a boundary inside replaced text goes to the replacement's end. The same rule for
    every boundary keeps a partition a partition."""
    for edit in text_edits:
        if offset > edit.start:
            offset = edit.new_end if offset < edit.old_end else offset + edit.new_end - edit.old_end
    return offset
