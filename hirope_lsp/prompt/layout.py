"""Turn the chosen pieces of code into token ids and hierarchical positions.

Each unit is tokenized on its own, so that unit boundaries fall on token boundaries and every token
belongs to exactly one unit; unit k of the prompt gets unit index k (DESIGN.md section 3). Joining
separately tokenized pieces can split a token that a whole-text tokenization would have merged across
the boundary; units start at line starts, where that is rare.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hirope_lsp.hirope.positions import Positions

Tokenize = Callable[[str], list[int]]


@dataclass(frozen=True)
class Prompt:
    ids: tuple[int, ...]
    positions: Positions
    files: tuple[str, ...]  # the files whose code is in the prompt, in prompt order


def encode_units(units: Sequence[str], tokenize: Tokenize) -> tuple[tuple[int, ...], Positions]:
    """Token ids of the units in order, and positions with one unit index per (non-empty) unit."""
    ids: list[int] = []
    lengths: list[int] = []
    for text in units:
        tokens = tokenize(text) if text else []
        ids.extend(tokens)
        lengths.append(len(tokens))
    return tuple(ids), Positions.from_unit_lengths(lengths)
