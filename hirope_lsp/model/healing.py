"""Token healing: a prompt that ends inside what would be one token (the spaces of an indented empty
line, half an identifier) pushes the model toward odd continuations, because in training that text was
part of a longer token. The engine drops the prompt's last token and lets the first generated tokens be
only those consistent with its text; the completion then starts after that text.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import torch


class TokenHealer:
    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer
        self._pieces: list[str] | None = None

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
