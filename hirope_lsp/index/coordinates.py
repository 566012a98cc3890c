"""Editor positions <-> byte offsets: the one place where the index converts coordinates.

The rule, once:
- A line ends at "\\n", "\\r\\n" or "\\r" (the three line breaks LSP allows); the break is not part of
  the line's columns.
- A column counts code units of the position encoding the client and server agreed on: "utf-8"
  counts bytes, "utf-16" counts UTF-16 units (a character above U+FFFF, such as most emoji, is 2),
  "utf-32" counts characters.
- A column past the end of its line means the end of the line, as LSP says; a line past the last
  line means the end of the document. A column that falls inside a character (between the bytes
  of a UTF-8 sequence, or the two halves of a UTF-16 surrogate pair) means the start of that character.
- A byte that is not valid UTF-8 counts as one unit in every encoding.

Tree-sitter wants points as (row, byte column) with rows split at "\\n" only. They equal
(LSP line, byte column) unless the text has a bare "\\r" line break (classic Mac OS), which LineIndex
counts so that the common case stays a binary search.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from itertools import accumulate
from typing import Literal

Encoding = Literal["utf-8", "utf-16", "utf-32"]

_BARE_CR = re.compile(rb"\r(?!\n)")


def byte_column(line: bytes, column: int, encoding: Encoding) -> int:
    """The byte column of `column` (in code units of `encoding`) in `line` (bytes without its break)."""
    if line.isascii():
        return max(0, min(column, len(line)))
    text = line.decode("utf-8", "surrogateescape")  # an invalid byte becomes one lone surrogate
    if encoding == "utf-8":
        prefix = line[: max(column, 0)].decode("utf-8", "surrogateescape")
        while not text.startswith(prefix):  # cut inside a character: its bytes decoded one by one
            prefix = prefix[:-1]
    elif encoding == "utf-16":
        units = text.encode("utf-16-le", "surrogatepass")[: 2 * max(column, 0)]
        prefix = units.decode("utf-16-le", "surrogatepass")
        if prefix and "\ud800" <= prefix[-1] <= "\udbff":  # cut inside a surrogate pair
            prefix = prefix[:-1]
    else:
        prefix = text[: max(column, 0)]
    return len(prefix.encode("utf-8", "surrogateescape"))


def unit_column(line_prefix: bytes, encoding: Encoding) -> int:
    """The column, in code units of `encoding`, of the byte right after `line_prefix`."""
    if encoding == "utf-8" or line_prefix.isascii():
        return len(line_prefix)
    text = line_prefix.decode("utf-8", "surrogateescape")
    if encoding == "utf-16":
        return len(text.encode("utf-16-le", "surrogatepass")) // 2
    return len(text)


class LineIndex:
    """Where each line of a byte buffer starts, kept up to date as the buffer is edited.

    The index does not hold the buffer: every method takes the current one, and `replace` edits the
    buffer and the index together so that they cannot drift apart.

    An edit moves every line after it, and rewriting those starts cost more than the rest of a
    keystroke in a 15k-line file. So the starts from `_lag_from` on are stored `_lag` bytes short: an
    edit adds its size to `_lag` and only rewrites the starts between its place and the last edit's,
    which for typing in one place is none.
    """

    def __init__(self, data: bytes | bytearray) -> None:
        self._starts = _line_starts(data, 0, len(data))
        self._lag_from = len(self._starts)  # starts[i] for i >= _lag_from are _lag bytes short
        self._lag = 0
        self._bare_cr_count = _count_bare_cr(data, 0, len(data))

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def offset(self, data: bytes | bytearray, line: int, column: int, encoding: Encoding) -> int:
        """The byte offset of an editor position (line, column in code units of `encoding`)."""
        if line >= len(self._starts):
            return len(data)
        start = self._start(max(line, 0))
        end = self._line_end(data, max(line, 0))
        return start + byte_column(bytes(data[start:end]), column, encoding)

    def position(self, data: bytes | bytearray, offset: int, encoding: Encoding) -> tuple[int, int]:
        """The editor position (line, column in code units of `encoding`) of a byte offset."""
        offset = max(0, min(offset, len(data)))
        line = self._bisect_right(offset) - 1
        end = min(offset, self._line_end(data, line))
        return line, unit_column(bytes(data[self._start(line) : end]), encoding)

    def point(self, data: bytes | bytearray, offset: int) -> tuple[int, int]:
        """Tree-sitter's point (row, byte column) of a byte offset."""
        if self._bare_cr_count == 0:
            line = self._bisect_right(offset) - 1
            return line, offset - self._start(line)
        return data.count(b"\n", 0, offset), offset - (data.rfind(b"\n", 0, offset) + 1)

    def replace(self, data: bytearray, start: int, old_end: int, new_bytes: bytes) -> None:
        """Replace data[start:old_end] with new_bytes, and update the index to match."""
        # Only breaks near the edit can change: "\r" + "\n" may join or split at either end. The
        # window starts one line before the edited line and ends at the first line start that is at
        # least two bytes past the edit, so the break before it and the byte after it are untouched.
        first = max(self._bisect_right(start) - 2, 0)
        last = self._bisect_left(old_end + 2)
        self._settle(last)  # now every start before `last` is exact, every one from it on _lag short
        bare_cr_lo = max(start - 1, 0)
        self._bare_cr_count -= _count_bare_cr(data, bare_cr_lo, old_end)
        data[start:old_end] = new_bytes
        new_end = start + len(new_bytes)
        self._bare_cr_count += _count_bare_cr(data, bare_cr_lo, new_end)
        self._lag += new_end - old_end
        starts = self._starts
        window_end = starts[last] + self._lag if last < len(starts) else len(data)
        window = _line_starts(data, starts[first], window_end)
        if last < len(starts):
            window.pop()  # the window ends at a line break, so its last start is starts[last]
        starts[first:last] = window
        self._lag_from = first + len(window)

    def _settle(self, index: int) -> None:
        """Move the lag's boundary to `index`, rewriting the starts between the old boundary and it."""
        starts, lag = self._starts, self._lag
        if self._lag_from < index:
            starts[self._lag_from : index] = [start + lag for start in starts[self._lag_from : index]]
        elif index < self._lag_from:
            starts[index : self._lag_from] = [start - lag for start in starts[index : self._lag_from]]
        self._lag_from = index

    def _start(self, line: int) -> int:
        return self._starts[line] + (self._lag if line >= self._lag_from else 0)

    def _bisect_right(self, offset: int) -> int:
        """The number of line starts <= offset."""
        below = bisect_right(self._starts, offset, 0, self._lag_from)
        return below if below < self._lag_from else bisect_right(self._starts, offset - self._lag, self._lag_from)

    def _bisect_left(self, offset: int) -> int:
        """The number of line starts < offset."""
        below = bisect_left(self._starts, offset, 0, self._lag_from)
        return below if below < self._lag_from else bisect_left(self._starts, offset - self._lag, self._lag_from)

    def _line_end(self, data: bytes | bytearray, line: int) -> int:
        """The byte offset where `line`'s text ends, before its break."""
        if line + 1 >= len(self._starts):
            return len(data)
        next_start = self._start(line + 1)
        return next_start - (2 if data[next_start - 2 : next_start] == b"\r\n" else 1)


def _line_starts(data: bytes | bytearray, lo: int, hi: int) -> list[int]:
    """The line starts in data[lo:hi], where lo is a line start: lo, then the end of every break."""
    pieces = bytes(data[lo:hi]).splitlines(keepends=True)  # bytes split at \n, \r\n and \r only
    starts = list(accumulate((len(piece) for piece in pieces), initial=lo))
    if pieces and not pieces[-1].endswith((b"\n", b"\r")):
        starts.pop()
    return starts


def _count_bare_cr(data: bytes | bytearray, lo: int, hi: int) -> int:
    """How many bare "\\r" breaks start in data[lo:hi] (judged on the whole buffer)."""
    return sum(1 for match in _BARE_CR.finditer(data, lo, min(hi + 1, len(data))) if match.start() < hi)
