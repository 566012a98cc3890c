"""How many tokens a prompt may have, and which of the ranked pieces fit in them.

With HiRoPE the prompt may fill `context_multiple` training windows (the far attention keeps unit
distances in the range the model was trained on); with the stock, flat RoPE it must stay within one
training window. Either way the tokens to generate come out of the same window, so they are taken
off first: prompt + generation never pass the limit.

`fit` is greedy in rank order and never goes over: a piece that does not fit is skipped and a
smaller, lower-ranked one may still go in, except among the current file's surroundings
(`Candidate.nearest_first`), which are offered nearest to the cursor first and stop at the first
that does not fit, so that the current file loses its farthest code first and keeps no gaps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hirope_lsp.prompt.pieces import Piece

MAX_MISSES = 64  # consecutive pieces that did not fit: the budget is as good as full, stop ranking


def prompt_budget(train_length: int, max_tokens: int, rope: Literal["hirope", "flat"], context_multiple: float) -> int:
    """The most prompt tokens for a completion of up to `max_tokens` tokens."""
    window = train_length if rope == "flat" else int(train_length * context_multiple)
    budget = window - max_tokens
    if budget <= 0:
        raise ValueError(f"{max_tokens} tokens to generate leave no room for a prompt in {window} tokens")
    return budget


@dataclass(frozen=True, slots=True)
class Candidate:
    piece: Piece
    nearest_first: bool = False  # one of the current file's surroundings, offered in order of distance


@dataclass
class Fitted:
    pieces: list[Piece]
    tokens: int  # what they and the headers of `files` cost
    files: set[Path]  # the files whose header is paid for


def fit(
    ranked: Iterable[Candidate],
    budget: int,
    cost: Callable[[Piece], int],
    header_cost: Callable[[Path], int],
    spent: Fitted,
) -> Fitted:
    """Add to `spent` (pieces already in, e.g. the cursor's) the ranked candidates that fit in `budget`.

    A piece of a file whose header is not paid for yet costs that header too. Repeated pieces are
    taken once.
    """
    chosen = list(spent.pieces)
    tokens = spent.tokens
    taken = {(piece.path, piece.start) for piece in chosen}
    files = set(spent.files)
    surroundings_closed = False
    misses = 0
    for candidate in ranked:
        piece = candidate.piece
        if (piece.path, piece.start) in taken or (candidate.nearest_first and surroundings_closed):
            continue
        extra = cost(piece) + (0 if piece.path in files else header_cost(piece.path))
        if tokens + extra <= budget:
            chosen.append(piece)
            taken.add((piece.path, piece.start))
            files.add(piece.path)
            tokens += extra
            misses = 0
            continue
        surroundings_closed = surroundings_closed or candidate.nearest_first
        misses += 1
        if misses >= MAX_MISSES:
            break
    return Fitted(chosen, tokens, files)
