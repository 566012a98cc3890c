"""One completion request, on the worker thread: prompt, generation, post-processing.

The handler takes the repository snapshot and the cursor's byte offset on the event loop, at the
moment the request arrives; everything slow happens here. Shape (postprocess.py): a block in a block
context, else the rest of the line. An explicitly invoked request generates the block either way and
offers the first line and the whole block as two items (one generation, two variants). The
model.multiline setting can fix the shape instead: always the line, or always a block.

How much repository context the prompt gets is context.py's choice; `grow` runs its background
step. `Completer` also keeps what the status and the debug requests report: the last prompt's files
and size, how generations ended, and the last latency.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hirope_lsp.config import Settings
from hirope_lsp.index.snapshot import RepositorySnapshot
from hirope_lsp.model.stops import StopRule
from hirope_lsp.prompt.cursor import block_indent
from hirope_lsp.prompt.layout import Prompt
from hirope_lsp.server.context import SERVE, ContextGrowth, Cursor
from hirope_lsp.server.coordinates import line_end_offset
from hirope_lsp.server.model_host import ModelHost
from hirope_lsp.server.postprocess import Suggestion, first_line, variants, wants_block

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompletionRequest:
    snapshot: RepositorySnapshot
    path: Path  # a file of the snapshot
    offset: int  # the cursor, in bytes
    settings: Settings
    continuation: str = ""  # what the editor's selected completion item adds at the cursor (the model sees it)
    variants: bool = False  # explicitly invoked: offer the line and the block


@dataclass
class Stats:
    """What the last requests did, for hirope/status and hirope/lastPrompt."""

    last_prompt: dict[str, Any] = field(default_factory=dict)
    completed: int = 0  # generations that ran to a stop (EOS, stop rule, token limit)
    cancelled: int = 0  # generations stopped by a newer request or $/cancelRequest
    last_latency_ms: float | None = None


class Completer:
    def __init__(self, models: ModelHost, on_done: Callable[[], None]) -> None:
        """`on_done` is called (on the worker thread) after every generation."""
        self.models = models
        self._on_done = on_done
        self._lock = threading.Lock()
        self.stats = Stats()
        self.context = ContextGrowth(on_change=on_done)

    def grow(self, cancelled: Callable[[], bool]) -> None:
        """Grow the context for the last cursor while nothing else runs (a background job: context.py)."""
        if self.models.ready is not None:
            self.context.grow(cancelled)

    def complete(self, request: CompletionRequest, cancelled: Callable[[], bool]) -> list[Suggestion]:
        """The suggestions for the request, best first, each to insert after the continuation; [] if there
        is no model or the request was cancelled."""
        ready = self.models.ready
        if ready is None:
            return []
        started = time.perf_counter()
        data = request.snapshot.files[request.path].bytes
        offset = min(request.offset, len(data))
        line_before = data[data.rfind(b"\n", 0, offset) + 1 : offset].decode("utf-8", "replace")
        line_after = data[offset : line_end_offset(data, offset)].decode("utf-8", "replace")
        line_before += request.continuation
        settings = request.settings.model
        policy = settings.multiline
        block = policy == "block" or (policy == "auto" and wants_block(line_before, line_after))
        multiline = block or (request.variants and policy == "auto")
        max_tokens = settings.max_tokens if multiline else settings.max_line_tokens
        try:
            cursor = Cursor(request.snapshot, request.path, request.offset, max_tokens)
            prompt = self.context.prompt(ready, request.settings, cursor)
        except ValueError as error:  # no room for a prompt in the window, a file gone from the snapshot
            logger.warning("no prompt for %s: %s", request.path, error)
            return []
        ids, positions = prompt.ids, prompt.positions
        if request.continuation and prompt.format == "plain":  # the model continues after the selected item
            extra = ready.tokenizer.encode(request.continuation)
            ids, positions = ids + extra, positions.extend(len(extra))
        if not ids or cancelled():
            return []
        stop = StopRule(multiline=multiline, block_indent=block_indent(line_before))
        self._started(prompt, len(ids))
        completion = ready.engine.complete(ids, positions, stop, max_tokens, cancelled, slot=SERVE)
        self._finished(completion.reason, len(completion.tokens), started)
        logger.debug(
            "prompt %d tokens, %d reused; prefill %.0f ms, decode %.0f ms (%d tokens in %d steps)",
            completion.prompt_tokens,
            completion.reused_tokens,
            completion.prefill_seconds * 1000,
            completion.decode_seconds * 1000,
            len(completion.tokens),
            completion.decode_steps,
        )
        if completion.reason == "cancelled":
            return []
        text = completion.text
        if not request.variants:
            return variants([text], line_after)
        return variants([text, first_line(text)] if block else [first_line(text), text], line_after)

    def _started(self, prompt: Prompt, tokens: int) -> None:
        with self._lock:
            self.stats.last_prompt = {
                "files": list(prompt.files),
                "tokens": tokens,
                "contextTokens": prompt.context_tokens,
                "format": prompt.format,
                "reason": "running",
                "generatedTokens": 0,
            }

    def _finished(self, reason: str, generated: int, started: float) -> None:
        latency = (time.perf_counter() - started) * 1000
        with self._lock:
            self.stats.last_prompt.update(reason=reason, generatedTokens=generated)
            if reason == "cancelled":
                self.stats.cancelled += 1
            else:
                self.stats.completed += 1
                self.stats.last_latency_ms = round(latency, 1)
        logger.debug("%d tokens generated (%s) in %.0f ms", generated, reason, latency)
        self._on_done()
