"""How much repository context a completion gets: little at first, grown in the background.

A prompt the engine has not seen costs its whole prefill: about 300 tokens/s at 2k on a 2-core CPU,
slower further out. The full budget (`prompt.contextMultiple` training windows, 32k tokens for the
default model) cannot answer the first request in a newly opened file in seconds, and a one-token
decode step at 32k costs ~10x one at 2k there. So the server serves prompts built for a smaller
budget, the *tier*, and grows it while the editor is idle:

- a request is built for the current tier; when the engine's main slot holds all but
  `prompt.coldTokens` of it, it runs as it is. Otherwise (another file, or code far above the
  cursor changed) the tier starts again at `coldTokens`, whichever of the two costs less to compute;
- after a completion, `grow` (a background job on the generation thread, stopped by any new
  request) builds the same cursor's prompt for twice the tier and prefills it into a second slot in
  short chunks, keeping what it computed when stopped; once done, the slots swap and the tier doubles;
- the first warm completion at a new tier checks the cost: if a line of LINE_TOKENS tokens would
  take longer than `prompt.latencyMs` there, the slots swap back and the tier stays where it was
  (until the settings or the model change). On a GPU the tier reaches the full budget; on a small
  CPU it settles where completions stay fast.

The engine's slots hold the caches (model/engine.py); this module only decides which prompt to ask for.
All of it runs on the worker thread, except `status`, which reads two integers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hirope_lsp.config import Settings
from hirope_lsp.index.snapshot import RepositorySnapshot
from hirope_lsp.prompt.budget import prompt_budget
from hirope_lsp.prompt.layout import Prompt, build_prompt
from hirope_lsp.server.model_host import ReadyModel

if TYPE_CHECKING:  # torch loads with the model, not with the server
    from hirope_lsp.model.engine import Completion

logger = logging.getLogger(__name__)

SERVE = "serve"  # the engine slot that requests run in
GROW = "grow"  # the engine slot that the next tier is prefilled into
LINE_TOKENS = 10  # what a typical one-line completion generates, for the latency check
CHUNK_SECONDS = 0.15  # a background prefill chunk takes about this long: how late a new request may start
FIRST_CHUNK = 32  # tokens per background chunk before the prefill speed is known


@dataclass(frozen=True)
class Cursor:
    """Where the last completion was asked for: what the next tier's prompt is built for."""

    snapshot: RepositorySnapshot
    path: Path
    offset: int
    max_tokens: int


@dataclass
class _Tiers:
    model: ReadyModel
    settings: Settings
    limit: int  # the full budget: the tier never goes past it
    tier: int
    previous: int | None = None  # after a swap: the tier to fall back to if the new one is too slow
    ceiling: int | None = None  # the latency check stopped growth here


class ContextGrowth:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tiers: _Tiers | None = None
        self._cursor: Cursor | None = None
        self._tokens_per_second: float | None = None

    def status(self) -> tuple[int, int] | None:
        """(current tier, full budget) in tokens, or None before the first completion."""
        with self._lock:
            tiers = self._tiers
            return None if tiers is None else (tiers.tier, tiers.limit)

    def prompt(self, model: ReadyModel, settings: Settings, cursor: Cursor) -> Prompt:
        """The prompt to complete `cursor` with now (see the module docstring)."""
        tiers = self._for(model, settings, cursor.max_tokens)
        self._cursor = cursor
        prompt = self._build(model, cursor, tiers.tier)
        cold = settings.prompt.cold_tokens
        uncached = len(prompt.ids) - model.engine.cached_tokens(prompt.ids, prompt.positions, SERVE)
        if uncached <= cold or tiers.tier <= cold:
            return prompt
        quick = self._build(model, cursor, min(cold, tiers.limit))
        if len(quick.ids) - model.engine.cached_tokens(quick.ids, quick.positions, SERVE) >= uncached:
            return prompt
        logger.info("context: %d of %d tokens not cached; starting again from %d", uncached, len(prompt.ids), cold)
        with self._lock:
            tiers.tier, tiers.previous = min(cold, tiers.limit), None
        return quick

    def completed(self, completion: Completion) -> None:
        """Learn from a completion: the prefill speed, and whether a newly grown tier is fast enough."""
        computed = completion.prompt_tokens - completion.reused_tokens
        if computed >= 32 and completion.prefill_seconds > 0:
            self._tokens_per_second = computed / completion.prefill_seconds
        tiers = self._tiers
        if tiers is None or tiers.previous is None or computed > tiers.settings.prompt.cold_tokens:
            return
        steps = max(len(completion.tokens), 1)
        line_ms = 1000 * (completion.prefill_seconds + LINE_TOKENS * completion.decode_seconds / steps)
        if line_ms > tiers.settings.prompt.latency_ms:
            logger.info(
                "context: a line would take %.0f ms at %d tokens; staying at %d", line_ms, tiers.tier, tiers.previous
            )
            tiers.model.engine.swap(SERVE, GROW)
            with self._lock:
                tiers.ceiling = tiers.tier = tiers.previous
                tiers.previous = None
        else:
            tiers.previous = None  # confirmed; the old tier's slot may be reused for the next one

    def grow(self, cancelled: Callable[[], bool]) -> None:
        """Prefill the next tier for the last cursor into the GROW slot, and swap it in when complete."""
        tiers, cursor = self._tiers, self._cursor
        if tiers is None or cursor is None or tiers.previous is not None:
            return  # nothing asked yet, or the last tier is not confirmed yet
        target = min(2 * tiers.tier, tiers.limit, tiers.ceiling or tiers.limit)
        if target <= tiers.tier:
            return
        engine = tiers.model.engine
        prompt = self._build(tiers.model, cursor, target)
        if len(prompt.ids) <= tiers.tier:
            return  # the repository has no more to offer this cursor
        chunk = max(16, int(CHUNK_SECONDS * self._tokens_per_second)) if self._tokens_per_second else FIRST_CHUNK
        held = engine.prefill(prompt.ids, prompt.positions, cancelled, slot=GROW, chunk=chunk)
        if held < len(prompt.ids) - 1 or cancelled():
            return  # stopped by a request; what it computed stays in the slot for the next try
        engine.swap(SERVE, GROW)
        with self._lock:
            tiers.previous, tiers.tier = tiers.tier, target
        logger.info("context: grown to %d tokens (%d in the prompt)", target, len(prompt.ids))

    def _for(self, model: ReadyModel, settings: Settings, max_tokens: int) -> _Tiers:
        """The tiers for this model and these settings; new ones (from the cold tier) when either changed."""
        limit = prompt_budget(
            model.engine.train_length, max_tokens, model.settings.rope, settings.prompt.context_multiple
        )
        tiers = self._tiers
        if tiers is None or tiers.model is not model or tiers.settings.prompt != settings.prompt:
            tiers = _Tiers(model, settings, limit, min(settings.prompt.cold_tokens, limit))
        tiers.limit, tiers.settings = limit, settings
        tiers.tier = min(tiers.tier, limit)
        with self._lock:
            self._tiers = tiers
        return tiers

    @staticmethod
    def _build(model: ReadyModel, cursor: Cursor, budget: int) -> Prompt:
        # The prompt builder's API (hirope_lsp.prompt.layout) as the server uses it: the one call to swap
        # if that API changes.
        return build_prompt(cursor.snapshot, cursor.path, cursor.offset, model.tokenizer, budget)
