"""How much repository context a completion gets: little at first, grown in the background.

A prompt the engine has not seen costs its whole prefill: about 300 tokens/s at 2k on a 2-core CPU,
slower further out. The full budget (`prompt.contextMultiple` training windows, 16k tokens for the
default model) cannot answer the first request in a newly opened file in seconds, and a one-token
decode step at 32k costs ~10x one at 2k there. So the server serves prompts built for a smaller
budget, the *tier*, and grows it while the editor is idle:

- a request is built for the current tier; when the engine's serving slot holds all but
  `prompt.coldTokens` of it, it runs as it is. Otherwise (another file, or code far above the
  cursor changed) the tier starts again at `coldTokens`, whichever of the two costs less to compute;
- while the editor is idle, `grow` (a background job on the generation thread, stopped by any new
  request) builds the last cursor's prompt for twice the tier and prefills it into a second slot in
  short chunks, keeping what it computed when stopped. Then it times a one-line completion there
  (LINE_TOKENS tokens, the best of up to PROBES tries): within `prompt.latencyMs`, the slots swap and
  the tier doubles, and the next tier follows; beyond it, the tier stays where it is, as the most this
  machine can serve, until the context starts again from cold (another file) or the settings or the
  model change. On a GPU the tier reaches the full budget; on a small CPU it settles
  where completions stay fast.

The engine's slots hold the caches (model/engine.py); this module only decides which prompt to ask for.
All of it runs on the worker thread, except `status`, which reads two integers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hirope_lsp.config import Settings
from hirope_lsp.index.snapshot import RepositorySnapshot
from hirope_lsp.model.stops import StopRule
from hirope_lsp.prompt.budget import prompt_budget
from hirope_lsp.prompt.layout import Prompt, build_prompt
from hirope_lsp.server.model_host import ReadyModel

logger = logging.getLogger(__name__)

SERVE = "serve"  # the engine slot that requests run in
GROW = "grow"  # the engine slot that the next tier is prefilled into
LINE_TOKENS = 10  # what a typical one-line completion generates: the latency probe's length
PROBES = 3  # latency probes at most per tier
PROBE_STOP = StopRule(multiline=True, block_indent=-1)  # the probe runs its LINE_TOKENS, whatever the text
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
    ceiling: int | None = None  # the latency probe stopped growth here


class ContextGrowth:
    def __init__(self, on_change: Callable[[], None] = lambda: None) -> None:
        """`on_change` is called (on the worker thread) when the tier changes."""
        self._on_change = on_change
        self._lock = threading.Lock()
        self._tiers: _Tiers | None = None
        self._cursor: Cursor | None = None
        self._tokens_per_second: float | None = None  # the last background prefill's speed

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
        tiers.ceiling = None  # measured again on the way up: the machine may be less busy now
        self._set_tier(tiers, min(cold, tiers.limit))
        return quick

    def grow(self, cancelled: Callable[[], bool]) -> None:
        """Grow the tier for the last cursor, one doubling after another, until `cancelled` or done."""
        while not cancelled() and self._grow_once(cancelled):
            pass

    def _grow_once(self, cancelled: Callable[[], bool]) -> bool:
        """Prefill, probe and swap in the next tier; whether it did (False: stopped, or nothing to grow)."""
        tiers, cursor = self._tiers, self._cursor
        if tiers is None or cursor is None:
            return False
        target = min(2 * tiers.tier, tiers.limit, tiers.ceiling or tiers.limit)
        if target <= tiers.tier:
            return False
        engine = tiers.model.engine
        prompt = self._build(tiers.model, cursor, target)
        if len(prompt.ids) <= tiers.tier:
            return False  # the repository has no more to offer this cursor
        speed = self._tokens_per_second
        chunk = max(16, int(CHUNK_SECONDS * speed)) if speed else FIRST_CHUNK
        before = engine.cached_tokens(prompt.ids, prompt.positions, GROW)
        started = time.perf_counter()
        held = engine.prefill(prompt.ids, prompt.positions, cancelled, slot=GROW, chunk=chunk)
        if held - before >= 2 * chunk:
            self._tokens_per_second = (held - before) / (time.perf_counter() - started)
        if held < engine.full_precision_end(len(prompt.ids)) or cancelled():
            return False  # stopped by a request; what it computed stays in the slot for the next try
        limit_ms = tiers.settings.prompt.latency_ms
        line_ms = None
        for _ in range(PROBES):  # the best of a few: another program's burst of work should not stop growth
            probe = self._line_ms(tiers.model, prompt, cancelled)
            if probe is None:
                return False
            line_ms = probe if line_ms is None else min(line_ms, probe)
            if line_ms <= limit_ms:
                break
        if line_ms is not None and line_ms > limit_ms:
            logger.info("context: a line would take %.0f ms at %d tokens; staying at %d", line_ms, target, tiers.tier)
            tiers.ceiling = tiers.tier
            return False
        engine.swap(SERVE, GROW)
        self._set_tier(tiers, target)
        logger.info(
            "context: grown to %d tokens (%d in the prompt; a line in %.0f ms)", target, len(prompt.ids), line_ms
        )
        return True

    @staticmethod
    def _line_ms(model: ReadyModel, prompt: Prompt, cancelled: Callable[[], bool]) -> float | None:
        """How long a one-line completion takes with the GROW slot holding `prompt`, in ms, from a probe of
        LINE_TOKENS tokens; None if cancelled. Too short a probe (an early end of text) counts as fast."""
        probe = model.engine.complete(prompt.ids, prompt.positions, PROBE_STOP, LINE_TOKENS, cancelled, slot=GROW)
        if probe.reason == "cancelled":
            return None
        steps = len(probe.tokens) - 1  # the first token comes with the prefill
        if steps < 2:
            return 0.0
        return 1000 * (probe.prefill_seconds + LINE_TOKENS * probe.decode_seconds / steps)

    def _set_tier(self, tiers: _Tiers, tier: int) -> None:
        with self._lock:
            tiers.tier = tier
        self._on_change()

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
