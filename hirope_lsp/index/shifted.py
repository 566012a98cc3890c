"""Records that an edit moved, kept where they were and moved when someone reads them.

A keystroke moves every unit and tag after it by one byte, and making those records anew was most of
a keystroke's update in a large file (2,900 tags in the standard library's test_typing.py). A
`Shifted` sequence instead holds runs: slices of tuples made earlier, each with the bytes and rows
to add to its records. Cutting it at an offset, or moving everything after an edit, touches each run
once (a binary search for a cut), never each record; `materialize()` makes the records, once, when
the sequence is read (snapshot.py defers that to the prompt builder's first look).

A snapshot and the index's next update share one sequence from different threads: that is safe
because materializing only replaces the runs by one equal run (each a single attribute store), so a
reader sees the same records either way.

Typing in one place keeps the runs few: the records before the cursor, a small run where the edit
was re-extracted, and the records after it. Editing in many places makes more; past MAX_RUNS the
two adjacent runs with the fewest records are made into one, so reading or cutting stays cheap.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

MAX_RUNS = 16  # runs kept before the smallest neighbours are merged


class Spanned(Protocol):
    """A record with a byte span; sequences of them are sorted by start."""

    @property
    def start_byte(self) -> int: ...

    @property
    def end_byte(self) -> int: ...


S = TypeVar("S", bound=Spanned)

Move = Callable[[S, int, int], S]  # (record, bytes, rows) -> the record moved by that much


@dataclass(frozen=True, slots=True)
class _Run(Generic[S]):
    """items[lo:hi], each to be moved by `bytes` and `rows`."""

    items: tuple[S, ...]
    lo: int
    hi: int
    bytes: int
    rows: int


def _size(run: _Run[S]) -> int:
    return run.hi - run.lo


def _start(record: Spanned) -> int:
    return record.start_byte


class Shifted(Generic[S]):
    """An immutable sequence of records sorted by start, stored as moved-on-read runs (module docstring)."""

    __slots__ = ("_flat", "_move", "_runs", "_size")

    def __init__(self, runs: Sequence[_Run[S]], move: Move[S]) -> None:
        self._runs = tuple(run for run in runs if run.hi > run.lo)
        self._move = move
        self._size = sum(run.hi - run.lo for run in self._runs)
        self._flat: tuple[S, ...] | None = None
        if len(self._runs) == 1 and self._runs[0].bytes == self._runs[0].rows == 0:
            run = self._runs[0]
            self._flat = run.items if run.hi - run.lo == len(run.items) else None

    @classmethod
    def of(cls, records: Sequence[S], move: Move[S]) -> Shifted[S]:
        """The records as they are (sorted by start)."""
        items = tuple(records)
        return cls((_Run(items, 0, len(items), 0, 0),), move)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[S]:
        return iter(self.materialize())

    def __getitem__(self, index: int) -> S:
        """One record, moved (0 <= index < len)."""
        for run in self._runs:
            if index < run.hi - run.lo:
                return self._moved(run, run.items[run.lo + index])
            index -= run.hi - run.lo
        raise IndexError(index)

    def materialize(self) -> tuple[S, ...]:
        """Every record, moved to where it is now; made once, and from then on the one run (so that the
        tuples it was made from can go, and later cuts start from it)."""
        if self._flat is None:
            records: list[S] = []
            for run in self._runs:
                if run.bytes == run.rows == 0:
                    records.extend(run.items[run.lo : run.hi])
                else:
                    records.extend(self._move(item, run.bytes, run.rows) for item in run.items[run.lo : run.hi])
            flat = tuple(records)
            self._runs = (_Run(flat, 0, len(flat), 0, 0),) if flat else ()
            self._flat = flat
        return self._flat

    def split(self, offset: int) -> tuple[Shifted[S], Shifted[S]]:
        """(the records that start before `offset`, the rest)."""
        runs = self._runs
        for position, run in enumerate(runs):
            if run.items[run.hi - 1].start_byte + run.bytes >= offset:
                cut = bisect_left(run.items, offset - run.bytes, run.lo, run.hi, key=_start)
                left = (*runs[:position], _Run(run.items, run.lo, cut, run.bytes, run.rows))
                right = (_Run(run.items, cut, run.hi, run.bytes, run.rows), *runs[position + 1 :])
                return Shifted(left, self._move), Shifted(right, self._move)
        return self, Shifted((), self._move)

    def split_index(self, index: int) -> tuple[Shifted[S], Shifted[S]]:
        """(the first `index` records, the rest)."""
        runs = self._runs
        for position, run in enumerate(runs):
            if index <= run.hi - run.lo:
                cut = run.lo + index
                left = (*runs[:position], _Run(run.items, run.lo, cut, run.bytes, run.rows))
                right = (_Run(run.items, cut, run.hi, run.bytes, run.rows), *runs[position + 1 :])
                return Shifted(left, self._move), Shifted(right, self._move)
            index -= run.hi - run.lo
        return self, Shifted((), self._move)

    def shifted(self, byte_shift: int, row_shift: int) -> Shifted[S]:
        """Every record moved by `byte_shift` bytes and `row_shift` rows."""
        if byte_shift == row_shift == 0:
            return self
        runs = self._runs
        moved = [_Run(run.items, run.lo, run.hi, run.bytes + byte_shift, run.rows + row_shift) for run in runs]
        return Shifted(moved, self._move)

    def joined(self, *parts: Shifted[S] | Sequence[S]) -> Shifted[S]:
        """This sequence followed by `parts` (each after the one before); merges runs past MAX_RUNS."""
        runs = list(self._runs)
        for part in parts:
            if isinstance(part, Shifted):
                runs.extend(part._runs)
            elif part:
                items = tuple(part)
                runs.append(_Run(items, 0, len(items), 0, 0))
        runs = [run for run in runs if run.hi > run.lo]
        while len(runs) > MAX_RUNS:
            smallest = min(range(len(runs) - 1), key=lambda i: _size(runs[i]) + _size(runs[i + 1]))
            merged = Shifted(runs[smallest : smallest + 2], self._move).materialize()
            runs[smallest : smallest + 2] = [_Run(merged, 0, len(merged), 0, 0)]
        return Shifted(runs, self._move)

    def _moved(self, run: _Run[S], item: S) -> S:
        return item if run.bytes == run.rows == 0 else self._move(item, run.bytes, run.rows)
