"""Token healing: a prompt that ends inside what would be one token (the spaces of an indented empty
line, half an identifier) pushes the model toward odd continuations, because in training that text was
part of a longer token. The engine drops the prompt's last token and lets the first generated tokens be
only those consistent with its text; the completion then starts after that text.

A whitespace-only tail spanning several tokens is healed whole: the prompt builder tokenizes units
apart, so a newline and the indentation after it can land in two tokens where training text has one.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Any

import torch

MAX_HEALED_TOKENS = 3


class TokenHealer:
    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer
        self._pieces: list[str] | None = None

    def tail(self, ids: Sequence[int], stop_ids: Collection[int]) -> tuple[str, int]:
        """The prompt's tail to regenerate and how many tokens it spans (0 when nothing can be healed):
        the last token, and the tokens before it while the tail stays whitespace only."""
        text, count = "", 0
        while count < min(MAX_HEALED_TOKENS, len(ids) - 1):
            token = ids[-1 - count]
            piece = self.piece(token)
            if token in stop_ids or not self.can_heal(piece) or (count and not (piece + text).isspace()):
                break
            text, count = piece + text, count + 1
        return text, count

    def piece(self, token: int) -> str:
        return str(self._tokenizer.decode([token]))

    def can_heal(self, text: str) -> bool:
        """A token whose text round-trips; a partial UTF-8 sequence or an empty piece does not."""
        return bool(text) and "\ufffd" not in text

    def allowed(self, remaining: str) -> torch.Tensor:
        """Boolean mask over the vocabulary: tokens whose text agrees with `remaining` as far as both go."""
        return self._allowed(remaining)

    @lru_cache(maxsize=64)  # noqa: B019  (one healer per engine, which lives as long as the process)
    def _allowed(self, remaining: str) -> torch.Tensor:
        pieces = self._vocabulary()
        mask = torch.zeros(len(pieces), dtype=torch.bool)
        for token, piece in enumerate(pieces):
            if piece and (piece.startswith(remaining) or remaining.startswith(piece)):
                mask[token] = True
        return mask

    def _vocabulary(self) -> list[str]:
        if self._pieces is None:  # ~0.5 s for a 49k vocabulary, once
            size = len(self._tokenizer)
            self._pieces = [str(piece) for piece in self._tokenizer.batch_decode([[token] for token in range(size)])]
        return self._pieces
