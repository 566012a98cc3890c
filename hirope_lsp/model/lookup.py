"""Prompt lookup: guess the next few tokens by finding the last few generated ones earlier in the context.

Code repeats itself: a call's arguments, a name defined above, the next line of a pattern. When the
last NGRAM tokens (prompt and generated text together) occurred before, the tokens that followed them
then are a cheap guess of what follows now. The engine runs the guess through the model in one forward
with the token it has just chosen, and keeps the guessed tokens that greedy decoding would have chosen
anyway (engine.py): the text is the same as without guessing, a right guess saves decode steps, a wrong
one costs the extra rows of that forward. This is "prompt lookup decoding" (Saxena, 2023), a form of
speculative decoding whose draft model is a search of the context.
"""

from __future__ import annotations

import torch

NGRAM = 3  # tokens that must match; 2 matched too often by chance on code (operators, indentation)


class Lookup:
    """The context's token ids, growing with the generated ones, searched for the latest repeat of its end."""

    def __init__(self, ids: list[int], capacity: int) -> None:
        """ids: the prompt; capacity: how many tokens may be appended (the completion's token limit)."""
        self._ids = torch.empty(len(ids) + capacity, dtype=torch.long)
        self._ids[: len(ids)] = torch.tensor(ids, dtype=torch.long)
        self.length = len(ids)

    def append(self, token: int) -> None:
        self._ids[self.length] = token
        self.length += 1

    def guess(self, count: int) -> list[int]:
        """Up to `count` tokens that followed the latest earlier occurrence of the last NGRAM tokens."""
        if count <= 0 or self.length <= NGRAM:
            return []
        held = self._ids[: self.length]
        # windows[i] = held[i : i + NGRAM] for the starts i whose match leaves at least one token after it
        # and that end before the last token (so the tail does not match itself)
        windows = held[:-1].unfold(0, NGRAM, 1)
        starts = (windows == held[-NGRAM:]).all(dim=1).nonzero()
        if starts.numel() == 0:
            return []
        follows = int(starts[-1]) + NGRAM
        return held[follows : follows + count].tolist()
