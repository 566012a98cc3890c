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
