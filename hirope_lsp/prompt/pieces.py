"""The pieces a file offers to the prompt: its top-level units, and the parts of the large ones.

The selection ranks and budgets pieces, not whole files. A top-level unit is one piece unless it
is longer than LARGE_UNIT_BYTES; then it is split
- at its children (the methods of a class): a head (the class line, docstring, attributes) and one
  piece per child, the blank lines and comments before a child going with it, the closing lines
  with the last child;
- without children (a long function, a script's statements), at line starts, preferring blank lines,
  into parts of about LARGE_UNIT_BYTES.
The parts of a unit share its `unit` index, so in the prompt they share one unit index even when
some were left out. Boundaries fall on line starts wherever the source allows, so a piece's text is
whole lines.

Pitfall: the pieces of a file depend only on its bytes and units, so the pieces before an edit stay
the same pieces after it; but a unit that grows past LARGE_UNIT_BYTES while the user types in it is
split from then on, which changes its pieces once.
"""

from __future__ import annotations

import threading
import weakref
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from hirope_lsp.index.outline import Unit
from hirope_lsp.index.snapshot import FileSnapshot

LARGE_UNIT_BYTES = 4096  # about a thousand tokens of code
_CACHED_FILES = 4096


@dataclass(frozen=True, slots=True)
class Piece:
    """Bytes [start, end) of a file, part `part` of its top-level unit number `unit`."""

    path: Path
    start: int
    end: int
    unit: int
    part: int = 0  # 0: the whole unit, or the head of a split one


def piece_text(file: FileSnapshot, piece: Piece) -> str:
    return file.bytes[piece.start : piece.end].decode("utf-8", "replace")


def piece_at(pieces: tuple[Piece, ...], offset: int) -> int | None:
    """The index of the piece holding byte `offset` (the last piece for the end of the file)."""
    if not pieces:
        return None
    return max(bisect_right(pieces, offset, key=lambda piece: piece.start) - 1, 0)


class _PieceCache:
    """file_pieces by FileSnapshot identity: a snapshot's files are immutable and reused by later ones.
    Held weakly: an open document's snapshot carries its bytes, and one is made per edit."""

    def __init__(self) -> None:
        self._held: OrderedDict[int, tuple[weakref.ref[FileSnapshot], tuple[Piece, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, file: FileSnapshot) -> tuple[Piece, ...]:
        with self._lock:
            held = self._held.get(id(file))
            if held is not None and held[0]() is file:
                self._held.move_to_end(id(file))
                return held[1]
        pieces = _split_file(file)
        with self._lock:
            self._held[id(file)] = (weakref.ref(file), pieces)
            if len(self._held) > _CACHED_FILES:
                self._held.popitem(last=False)
        return pieces


_cache = _PieceCache()


def file_pieces(file: FileSnapshot) -> tuple[Piece, ...]:
    """The file's pieces in file order; they partition its bytes. OSError if its bytes can't be read."""
    return _cache.get(file)


def _split_file(file: FileSnapshot) -> tuple[Piece, ...]:
    size = len(file.bytes)
    pieces: list[Piece] = []
    for index, unit in enumerate(file.units):
        start, end = min(unit.start_byte, size), min(unit.end_byte, size)  # a file may have changed on disk
        if end <= start:
            continue
        bounds = _split_points(file.bytes, unit, start, end) if end - start > LARGE_UNIT_BYTES else []
        edges = [start, *bounds, end]
        pieces.extend(Piece(file.path, a, b, index, part) for part, (a, b) in enumerate(pairwise(edges)))
    return tuple(pieces)


def _split_points(data: bytes, unit: Unit, start: int, end: int) -> list[int]:
    """Where a large unit's pieces start after its first one, strictly inside (start, end), increasing."""
    if unit.children:
        points = [_line_start_if_blank_before(data, child.start_byte) for child in unit.children]
    else:
        points = _line_chunks(data, start, end)
    result: list[int] = []
    for point in points:
        if start < point < end and (not result or point > result[-1]):
            result.append(point)
    return result


def _line_start_if_blank_before(data: bytes, offset: int) -> int:
    """The start of offset's line if only blanks precede it there, else offset."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    return line_start if not data[line_start:offset].strip() else offset


def _line_chunks(data: bytes, start: int, end: int) -> list[int]:
    """Line starts that cut [start, end) into parts of about LARGE_UNIT_BYTES: after half of it, at a
    blank line; at the latest after all of it."""
    points = []
    chunk_start = offset = start
    while offset < end:
        line_end = data.find(b"\n", offset, end)
        next_line = end if line_end < 0 else line_end + 1
        blank = not data[offset:next_line].strip()
        length = next_line - chunk_start
        if next_line < end and (length >= LARGE_UNIT_BYTES or (blank and length >= LARGE_UNIT_BYTES // 2)):
            points.append(next_line)
            chunk_start = next_line
        offset = next_line
    return points
