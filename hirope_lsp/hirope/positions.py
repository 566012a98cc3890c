"""Hierarchical positions of a token sequence (DESIGN.md section 3).

Every token has a flat index t (its index in the sequence, the position the stock model would use) and a
unit index u: how many syntactic units start before or at it, counted from 0. u never decreases. The type
keeps an optional third, coarser level (the file index) so that deeper hierarchies can be evaluated; the
attention uses the token and unit levels.

Pure Python on purpose: the prompt builder, which never imports torch, produces these.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Positions:
    """Per-token hierarchical positions; t is implicit (t_i = i)."""

    unit: tuple[int, ...]
    file: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        _check_levels("unit", self.unit)
        if self.file is not None:
            if len(self.file) != len(self.unit):
                raise ValueError(f"file level has {len(self.file)} entries for {len(self.unit)} tokens")
            _check_levels("file", self.file)

    def __len__(self) -> int:
        return len(self.unit)

    @property
    def token(self) -> range:
        return range(len(self.unit))

    @classmethod
    def flat(cls, length: int) -> Positions:
        """Every token its own unit: u_i = t_i."""
        return cls(tuple(range(length)))

    @classmethod
    def from_unit_lengths(cls, lengths: Iterable[int]) -> Positions:
        """Units of the given token counts, in order; unit k gets index k. Empty units are skipped."""
        unit: list[int] = []
        index = 0
        for length in lengths:
            if length > 0:
                unit.extend([index] * length)
                index += 1
        return cls(tuple(unit))

    def chunked(self, size: int) -> Positions:
        """The same tokens (and files) with units of `size` consecutive tokens instead: u_t = t // size,
        whatever the syntax (the engine's `unit_tokens` far rule, and the evaluation's cN control)."""
        if size < 1:
            raise ValueError(f"units need at least one token, got {size}")
        return Positions(tuple(index // size for index in range(len(self.unit))), self.file)

    def extend(self, count: int) -> Positions:
        """Positions for `count` generated tokens: t advances, u stays in the unit at the cursor."""
        if not self.unit:
            raise ValueError("cannot extend empty positions")
        file = None if self.file is None else self.file + (self.file[-1],) * count
        return Positions(self.unit + (self.unit[-1],) * count, file)

    def __add__(self, other: Positions) -> Positions:
        """Concatenate, shifting `other`'s levels so that its first unit follows this one's last."""
        if not self.unit:
            return other
        if not other.unit:
            return self
        shift = self.unit[-1] + 1 - other.unit[0]
        unit = self.unit + tuple(u + shift for u in other.unit)
        file = None
        if self.file is not None and other.file is not None:
            file_shift = self.file[-1] + 1 - other.file[0]
            file = self.file + tuple(f + file_shift for f in other.file)
        return Positions(unit, file)

    def __getitem__(self, index: slice) -> Positions:
        file = None if self.file is None else self.file[index]
        return Positions(self.unit[index], file)


def _check_levels(name: str, values: Sequence[int]) -> None:
    # map over operator.gt runs in C: this check is on the per-keystroke path for 32k-token prompts
    if any(map(operator.gt, values, itertools.islice(values, 1, None))):
        raise ValueError(f"{name} positions must never decrease")
    if values and values[0] < 0:
        raise ValueError(f"{name} positions must be >= 0")
