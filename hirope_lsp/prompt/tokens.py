"""The prompt builder's view of the model's tokenizer: a protocol, an LRU of unit texts, an adapter.

The builder counts and emits the model's own tokens but never imports transformers; it sees only
`Tokenizer`. `TransformersTokenizer` adapts anything with transformers' tokenizer methods (duck
typed, so this module imports nothing of it).

A prompt is rebuilt on every keystroke from mostly the same unit texts, so `CachedTokenizer` keeps
their ids in an LRU keyed by the text itself: only the cursor's line and whatever changed are
tokenized again. Keying by text, not by (file, offset), makes a hit always correct.

Pitfall: texts are tokenized without the tokenizer's own special tokens (no BOS): a format's special
tokens come from `special_id`, one id each, never from tokenizing their text, which a tokenizer
without them would split into ordinary pieces.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Protocol

DEFAULT_CACHE_ENTRIES = 16_384  # unit texts; a 32k-token prompt has a few hundred to a few thousand


class Tokenizer(Protocol):
    def encode(self, text: str) -> Sequence[int]:
        """The ids of `text`, without special tokens added."""
        ...

    def special_id(self, token: str) -> int | None:
        """The id of a special (added) token such as "<|fim_prefix|>", or None if the model has none."""
        ...


class _TransformersLike(Protocol):
    def encode(self, text: str, add_special_tokens: bool = ...) -> list[int]: ...

    def get_added_vocab(self) -> Mapping[str, int]: ...


class TransformersTokenizer:
    """A Tokenizer over a transformers tokenizer (anything with `encode` and `get_added_vocab`)."""

    def __init__(self, tokenizer: _TransformersLike) -> None:
        self._tokenizer = tokenizer
        self._added = dict(tokenizer.get_added_vocab())

    def encode(self, text: str) -> list[int]:
        return list(self._tokenizer.encode(text, add_special_tokens=False))

    def special_id(self, token: str) -> int | None:
        return self._added.get(token)


class CachedTokenizer:
    """A Tokenizer that remembers the ids of the last `entries` texts it encoded; thread-safe."""

    def __init__(self, inner: Tokenizer, entries: int = DEFAULT_CACHE_ENTRIES) -> None:
        self.inner = inner
        self.entries = entries
        self.hits = self.misses = 0
        self._ids: OrderedDict[str, tuple[int, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, text: str) -> tuple[int, ...]:
        if not text:
            return ()
        with self._lock:
            ids = self._ids.get(text)
            if ids is not None:
                self._ids.move_to_end(text)
                self.hits += 1
                return ids
        ids = tuple(self.inner.encode(text))  # outside the lock: the slow part
        with self._lock:
            self.misses += 1
            self._ids[text] = ids
            if len(self._ids) > self.entries:
                self._ids.popitem(last=False)
        return ids

    def count(self, text: str) -> int:
        return len(self.encode(text))

    def special_id(self, token: str) -> int | None:
        return self.inner.special_id(token)
