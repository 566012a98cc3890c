"""Greedy completion with a reusable prefix cache and HiRoPE attention.

The engine knows nothing of files, editors or LSP: it sees token ids, hierarchical positions and a stop
rule. It keeps the KV cache (and HiRoPE's far keys) of the last request; a new request reuses the
longest prefix whose ids and unit positions are both equal, crops the caches there and computes only the
rest, which gives the same result as a cold run (tests pin it). Prompts are ordered most-stable-first by
the prompt builder so that typing changes only the tail.

Caches live in named slots, so that a caller can fill one in the background (`prefill`, in short
cancellable chunks) while requests are served from another, and then `swap` them; the server grows
its context that way (server/context.py). `cached_tokens` says how much of a prompt a slot holds.

One generation at a time: `complete` holds a lock; callers run it in one worker thread. Cancellation is
checked between prefill chunks and between decode steps.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import torch

from hirope_lsp.hirope import native
from hirope_lsp.hirope.attention import FarKeyCache, HiropeState
from hirope_lsp.hirope.positions import Positions
from hirope_lsp.hirope.split import (
    DEFAULT_UNIT_SCALE,
    DEFAULT_UNIT_TOKENS,
    OLDER_PERCENT,
    TOKEN_UNITS_WINDOW_RATIO,
    TWO_SCALE_WINDOWS,
    HiropeGeometry,
    TwoScales,
    default_window,
    fitted_unit_scale,
)
from hirope_lsp.model.decode_step import DecodeStep, decode_step
from hirope_lsp.model.decode_weights import set_decode_weights
from hirope_lsp.model.healing import TokenHealer
from hirope_lsp.model.kv_cache import GrowingCache
from hirope_lsp.model.loader import LoadedModel
from hirope_lsp.model.lookup import Lookup
from hirope_lsp.model.packed import Format
from hirope_lsp.model.rope import RopeFacts, enable_hirope
from hirope_lsp.model.stops import StopRule

PREFILL_CHUNK = 1024  # tokens per prefill forward: bounds activation memory and cancellation latency
MAIN = "main"  # the slot requests use unless they name another
# A prompt's last 1..SMALL_FORWARD tokens run on the lean decode step (decode_step.py), the rest through
# transformers' forward on the full-precision weights; only the latter are reused by later requests
# (`full_precision_end`). Forwards of at most this many tokens (decode steps, a prompt's tail, a request's
# re-typed tokens) run on `decode_threads` threads, 1 by default. They are bound by reading the weights:
# on an idle 2-core CPU a step at 2k took 40-44 ms on one thread against 46-51 ms on two (with
# OMP_WAIT_POLICY=PASSIVE, which the CLI sets) and ~35 ms on two spinning threads, which cost 10-50x as
# soon as another program keeps a core busy (440-2,600 ms a step; docs/BENCHMARKS.md).
SMALL_FORWARD = 8
# Tokens guessed by prompt lookup that run with a decode step (lookup.py). The int4 products of a step
# cost ~2x for 4 rows what they cost for 1 on this CPU; on the 2k benchmark prompt 31 tokens took 19
# forwards (docs/BENCHMARKS.md).
GUESS_TOKENS = 3

RopeMode = Literal["hirope", "flat"]
StopReason = Literal["eos", "stop", "max_tokens", "cancelled"]


@dataclass(frozen=True)
class RopeSettings:
    """The far rule's numbers (hirope/attention.py); the defaults are hirope/split.py's."""

    mode: RopeMode = "hirope"
    # HiRoPE window W. None: prompts within the training window N run the stock model, longer ones get
    # W = N / 2 with units of tokens, 3/4 of N with the outline's (`Engine.geometry_for`).
    window: int | None = None
    # Ratio of rotary bands on token positions for far pairs. None: 0 with units of tokens (every band on the
    # units), the critical-dimension rule with the outline's.
    split: float | None = None
    # At most this G: the far bands of a far pair see W - 1 + G * (unit distance). Each prompt gets the
    # largest G up to it that keeps its farthest pair within the training window (`Engine.geometry_for`).
    unit_scale: int = DEFAULT_UNIT_SCALE
    # What a unit is to the far rule. N: N consecutive tokens, whatever the syntax, so that far pairs see
    # W - 1 + G * (t_i // N - t_j // N) (`Engine.far_positions`; docs/RESULTS.md section 1c). None: the
    # prompt's own units (the outline's, from the prompt builder; section 1b). Doubled for a prompt too long
    # for them at G = 1 (`Engine.unit_tokens_for`); beyond two training windows, two scales
    # (`Engine.two_scales_for`).
    unit_tokens: int | None = DEFAULT_UNIT_TOKENS


@dataclass
class Completion:
    text: str
    tokens: list[int]
    reason: StopReason
    prompt_tokens: int
    reused_tokens: int
    prefill_seconds: float
    decode_seconds: float
    decode_steps: int = 0  # forwards after the prompt's (fewer than tokens - 1 where guesses were right)


class Engine:
    def __init__(
        self,
        loaded: LoadedModel,
        rope: RopeSettings | None = None,
        decode_dtype: Format | None = "int4",
        decode_threads: int | None = 1,
        guess_tokens: int = GUESS_TOKENS,
    ) -> None:
        """decode_dtype: format of the weight copies for the lean forwards (model/packed.py; None: the
        model's own precision);
        decode_threads: torch threads for forwards of at most SMALL_FORWARD tokens (None: torch's own);
        guess_tokens: at most this many tokens guessed by prompt lookup run with each decode step (lookup.py;
        0: none)."""
        self.model = loaded.model
        self.tokenizer = loaded.tokenizer
        self.name = loaded.name
        self.facts: RopeFacts = enable_hirope(self.model)
        # Single-token steps: the lean DecodeStep where the family has one, else transformers' forward
        # over half-precision copies of the linear layers (decode_weights.py).
        set_decode_weights(self.model, None)
        self._step: DecodeStep | None = decode_step(self.model, decode_dtype)
        # Without a lean step a one-token forward runs on the decode copies (decode_weights.py): then only the
        # prompt's last token is a decode-weight token, and no full-precision forward may be a lone token.
        self._tail = SMALL_FORWARD if self._step is not None else 1
        if self._step is None:  # transformers' forward takes no packed weights: int4 falls back to float16
            set_decode_weights(self.model, torch.float16 if decode_dtype == "int4" else decode_dtype)
        self.rope = rope or RopeSettings()
        if self.rope.unit_tokens is not None and self.rope.unit_tokens < 1:
            raise ValueError(f"units need at least one token, got unit_tokens={self.rope.unit_tokens}")
        token_units = self.rope.unit_tokens is not None
        window = self.rope.window
        if window is None and token_units:
            window = default_window(self.facts.train_length, TOKEN_UNITS_WINDOW_RATIO)
        split = 0.0 if self.rope.split is None and token_units else self.rope.split
        # The far rule for prompts beyond the training window; G is the cap (geometry_for).
        self.geometry = self.facts.geometry(window, split, self.rope.unit_scale)
        self.stop_ids = _stop_token_ids(self.model, self.tokenizer)
        self._healer = TokenHealer(self.tokenizer)
        self._lock = threading.Lock()
        self._slots: dict[str, _Slot] = {}
        self.decode_threads = decode_threads
        self.guess_tokens = guess_tokens
        native.kernel()  # build (once per machine) or load the decode attention now, not in the first request

    @property
    def train_length(self) -> int:
        return self.facts.train_length

    def unit_tokens_for(self, length: int) -> int | None:
        """Tokens per far unit for a `length`-token prompt (None: the outline's units): `unit_tokens`, doubled
        until the farthest pair fits the training window at G = 1, (length - 1) // size <= N - W, counting at
        most the near tokens of the two-scale rule (`two_scales_for`), which fits the older ones itself.
        With the default window no prompt needs the doubling; a window close to N does. It depends on the
        length alone, in powers of two so that a growing prompt changes it rarely; a change recomputes the
        far keys (a slot compares units before reusing them)."""
        size = self.rope.unit_tokens
        room = self.train_length - self.geometry.window
        if size is None or room < 1:
            return size
        counted = min(length, self.near_tokens)
        while (counted - 1) // size > room:
            size *= 2
        return size

    @property
    def near_tokens(self) -> int:
        """Beyond this many tokens a prompt gets two unit scales (`two_scales_for`)."""
        return TWO_SCALE_WINDOWS * self.train_length

    def two_scales_for(self, length: int) -> TwoScales | None:
        """The far rule of a `length`-token prompt beyond `near_tokens` (2N) with units of tokens: the units of
        its last 2N tokens step by G, the older ones by G2 <= G, the older getting OLDER_PERCENT of the far
        positions N - W (hirope/split.py `TwoScales`). One G for every far pair would be 1 at 32k with this
        model, spacing the last 16k twice as coarsely as at 16k; at 32k two scales were lower than one on 9 of
        13 groups, -0.59% on average (docs/RESULTS.md section 1c). None for shorter prompts and for the
        outline's units.

        The boundary and the scales are those of the next multiple of N / 4 tokens at or above the length, so
        that a growing prompt keeps its far keys until it passes one (as the unit size does at a doubling);
        at a multiple, 32k included, the rule is `eval ppl`'s `nearL-oldP` exactly."""
        size = self.unit_tokens_for(length)
        if size is None or length <= self.near_tokens:
            return None
        step = max(1, self.train_length // 4)
        ceiling = -(-length // step) * step
        room = max(0, self.train_length - self.geometry.window)
        boundary, last = (ceiling - self.near_tokens) // size, (ceiling - 1) // size
        return TwoScales.fitted(0, boundary, last, room, self.geometry.unit_scale, OLDER_PERCENT)

    def far_positions(self, positions: Positions, generated: int = 0) -> Positions:
        """The units the far rule sees for a prompt and `generated` tokens after it: the prompt's own (the
        generated tokens stay in the cursor's unit), or with `unit_tokens`, units of `unit_tokens_for(prompt
        length)` consecutive tokens, u = t // size: they depend on t alone, so a cached prefix keeps its units
        as the prompt grows (until the size doubles). Beyond `near_tokens` they are the two-scale rule's
        coordinates of those units (`two_scales_for`, read at G = 1), which a growing prompt keeps until its
        length passes a multiple of N / 4."""
        size = self.unit_tokens_for(len(positions))
        extended = positions.extend(generated) if generated else positions
        if size is None:
            return extended
        scales = self.two_scales_for(len(positions))
        if scales is None:
            return extended.chunked(size)
        coordinates = scales.coordinates(range((len(extended) - 1) // size + 1))
        return Positions(tuple(coordinates[t // size] for t in range(len(extended))), extended.file)

    def geometry_for(self, positions: Positions) -> HiropeGeometry:
        """The far rule for a prompt: the engine's, with the largest unit scale G up to the setting such that
        W - 1 + G * (u_last - u_first) <= N - 1 (hirope/split.py `fitted_unit_scale`). A fixed G sends the
        farthest pairs of a long prompt beyond the trained range; at 32k tokens of the stdlib's email package
        with the outline's units fitting it (G = 14) gave perplexity 6.27 against 6.77 for G = 24
        (docs/RESULTS.md, section 1b). Without a window setting, a prompt within the training window gets
        W = N: the stock model, which is what the model was trained for. Beyond `near_tokens` with units of
        tokens G is 1: `far_positions` are then the two-scale rule's coordinates, which carry the scales."""
        if self.rope.window is None and len(positions) <= self.train_length:
            return replace(self.geometry, window=self.train_length)
        if self.two_scales_for(len(positions)) is not None:
            return replace(self.geometry, unit_scale=1)
        size = self.unit_tokens_for(len(positions))  # units of tokens: the span follows from the length
        units = positions.unit
        span = (len(units) - 1) // size if size is not None and units else (units[-1] - units[0] if units else 0)
        scale = fitted_unit_scale(span, self.geometry.window, self.train_length, self.geometry.unit_scale)
        return self.geometry if scale == self.geometry.unit_scale else replace(self.geometry, unit_scale=scale)

    def full_precision_end(self, length: int) -> int:
        """How many leading tokens of a `length`-token prompt run on the full-precision weights: all but the
        last 1..SMALL_FORWARD, cut at a multiple of SMALL_FORWARD, so that typing at the end of a prompt
        moves the cut once every SMALL_FORWARD tokens. The rest run on the lean decode step. The cut
        depends on the length alone, so a warm request and a cold one compute every token the same way."""
        final = length - 1
        return final - final % self._tail

    def complete(
        self,
        ids: Sequence[int],
        positions: Positions,
        stop: StopRule,
        max_tokens: int,
        cancel: Callable[[], bool] | None = None,
        heal: bool = True,
        slot: str = MAIN,
    ) -> Completion:
        """Greedy completion of the prompt, with the cache of `slot`; the text excludes the prompt (and any
        healed prefix)."""
        if not ids or len(ids) != len(positions):
            raise ValueError(f"need a non-empty prompt with one position per token ({len(ids)} ids, {len(positions)})")
        cancelled = cancel or (lambda: False)
        healed = ""
        if heal:
            healed, count = self._healer.tail(ids, self.stop_ids)
            ids, positions = ids[: len(ids) - count], positions[: len(ids) - count]
        with self._lock, torch.inference_mode():
            cache = self._slot(slot)
            # generated tokens stay in the cursor's unit (with unit_tokens: in the units of their t)
            units = self.far_positions(positions, generated=max_tokens)
            cache.use(self.geometry_for(positions))
            unit_tensor = torch.tensor(units.unit, dtype=torch.long)
            started = time.perf_counter()
            reused = cache.crop_to_common_prefix(ids, units, self._reusable_limit(len(ids)))
            logits = self._prefill(cache, list(ids), units, unit_tensor, reused, cancelled, PREFILL_CHUNK)
            prefilled = time.perf_counter()
            if logits is None:
                return Completion("", [], "cancelled", len(ids), reused, prefilled - started, 0.0)
            text, generated, reason, steps = self._decode(
                cache, logits, healed, stop, max_tokens, units, unit_tensor, cancelled
            )
            decoded = time.perf_counter() - prefilled
            return Completion(text, generated, reason, len(ids), reused, prefilled - started, decoded, steps)

    def prefill(
        self,
        ids: Sequence[int],
        positions: Positions,
        cancel: Callable[[], bool] | None = None,
        slot: str = MAIN,
        chunk: int = PREFILL_CHUNK,
    ) -> int:
        """Compute the cache of `slot` for the prompt's full-precision part (`full_precision_end`), in chunks
        of at most `chunk` tokens, checking `cancel` between them; return how many leading tokens it now
        holds (what it computed before a cancellation stays)."""
        if not ids or len(ids) != len(positions):
            raise ValueError(f"need a non-empty prompt with one position per token ({len(ids)} ids, {len(positions)})")
        cancelled = cancel or (lambda: False)
        positions = self.far_positions(positions)
        with self._lock, torch.inference_mode():
            cache = self._slot(slot)
            cache.use(self.geometry_for(positions))
            unit_tensor = torch.tensor(positions.unit, dtype=torch.long)
            reused = cache.crop_to_common_prefix(ids, positions, self._reusable_limit(len(ids)))
            self._prefill(cache, list(ids), positions, unit_tensor, reused, cancelled, max(chunk, 2), last=False)
            return cache.reusable

    def cached_tokens(self, ids: Sequence[int], positions: Positions, slot: str = MAIN) -> int:
        """How many leading tokens of the prompt `slot` holds, reusable as they are (it changes nothing)."""
        with self._lock:
            return self._slot(slot).common_prefix(ids, self.far_positions(positions), self._reusable_limit(len(ids)))

    def swap(self, first: str, second: str) -> None:
        """Exchange the caches of two slots."""
        with self._lock:
            self._slots[first], self._slots[second] = self._slot(second), self._slot(first)

    def _reusable_limit(self, length: int) -> tuple[int, bool]:
        """(at most how many cached tokens a `length`-token prompt may reuse, whether the full-precision
        tokens after the reused ones may be a lone token)."""
        return self.full_precision_end(length), self._step is not None

    def _slot(self, name: str) -> _Slot:
        if name not in self._slots:
            self._slots[name] = _Slot()
        return self._slots[name]

    def _decode(
        self,
        cache: _Slot,
        logits: torch.Tensor,
        healed: str,
        stop: StopRule,
        max_tokens: int,
        units: Positions,
        unit_tensor: torch.Tensor,
        cancelled: Callable[[], bool],
    ) -> tuple[str, list[int], StopReason, int]:
        """Greedy steps from the prompt's last logits: the kept text, the generated ids, why it ended, how
        many forwards it ran.

        With prompt lookup (lookup.py; lean step only) a step runs the chosen token together with a guess of
        the next few; a guessed token that greedy decoding then chooses comes with its forward done."""
        generated: list[int] = []
        text = raw = ""  # raw: everything generated, the healed prefix included
        lookup = Lookup(cache.ids, max_tokens) if self.guess_tokens and self._step is not None else None
        ahead: list[tuple[int, torch.Tensor]] = []  # guessed tokens already in the cache, with their hidden states
        steps = 0
        try:
            for _ in range(max_tokens):
                token = self._choose(logits, healed[len(raw) :])
                if token in self.stop_ids:
                    return stop.finish(text), generated, "eos", steps
                generated.append(token)
                raw = self.tokenizer.decode(generated, skip_special_tokens=True)
                text = raw[len(healed) :]
                cut = stop.cut(text)
                if cut is not None:
                    return cut, generated, "stop", steps
                if len(generated) == max_tokens:
                    break
                if cancelled():
                    return text, generated, "cancelled", steps
                if lookup is not None:
                    lookup.append(token)
                if ahead and ahead[0][0] == token and self._step is not None:
                    logits = self._step.logits(ahead.pop(0)[1])
                    continue
                cache.drop(len(ahead))
                guess = [] if lookup is None else lookup.guess(min(self.guess_tokens, max_tokens - len(generated)))
                logits, ahead = self._step_with_guess(cache, token, guess, units, unit_tensor)
                steps += 1
            return stop.finish(text), generated, "max_tokens", steps
        finally:
            cache.drop(len(ahead))  # wrong guesses leave no trace

    def _step_with_guess(
        self, cache: _Slot, token: int, guess: list[int], units: Positions, unit_tensor: torch.Tensor
    ) -> tuple[torch.Tensor, list[tuple[int, torch.Tensor]]]:
        """Run `token` and the guessed tokens after it in one forward: the logits after `token`, and each
        guessed token with its hidden state (whose logits follow it)."""
        if not guess or self._step is None:
            return self._forward(cache, [token], units, unit_tensor, lean=True), []
        hidden = self._forward(cache, [token, *guess], units, unit_tensor, lean=True, rows=True)
        return self._step.logits(hidden[0]), list(zip(guess, hidden[1:], strict=True))

    def _choose(self, logits: torch.Tensor, healing: str) -> int:
        """The greedy token, among those that go on with `healing` (the rest of the healed text) if any."""
        if healing:
            logits = self._constrain(logits, healing)
        return int(logits.argmax())

    def _constrain(self, logits: torch.Tensor, remaining: str) -> torch.Tensor:
        allowed = self._healer.allowed(remaining)
        if allowed.shape[0] < logits.shape[0]:  # embedding rows beyond the tokenizer's vocabulary
            allowed = torch.cat([allowed, allowed.new_zeros(logits.shape[0] - allowed.shape[0])])
        return logits.masked_fill(~allowed[: logits.shape[0]], -torch.inf)

    def prompt_logits(self, ids: Sequence[int], positions: Positions | None) -> torch.Tensor:
        """Logits at every prompt position ([T, vocab]) from a cold run; positions None: flat RoPE.

        For evaluation and tests. It leaves the completion caches empty.
        """
        with self._lock, torch.inference_mode():
            self._slots.clear()
            output = self.model(torch.tensor([list(ids)]), hirope=self.cold_state(positions), use_cache=False)
            logits: torch.Tensor = output.logits[0]
            return logits

    def cold_state(self, positions: Positions | None, generated: int = 0) -> HiropeState | None:
        """The attention state of one cold forward (no cache) over a prompt with these positions and
        `generated` tokens after it, placed as `complete` places the tokens it generates; positions None:
        flat RoPE (None). For evaluation (`prompt_logits`, eval line-loss)."""
        if positions is None:
            return None
        units = torch.tensor(self.far_positions(positions, generated).unit, dtype=torch.long)
        return HiropeState(units, self.facts.inv_freq, self.geometry_for(positions), None)

    def reset(self) -> None:
        """Forget every cached prefix (the next request runs cold)."""
        with self._lock:
            self._slots.clear()

    def _prefill(
        self,
        cache: _Slot,
        ids: list[int],
        units: Positions,
        unit_tensor: torch.Tensor,
        start: int,
        cancelled: Callable[[], bool],
        chunk: int,
        last: bool = True,
    ) -> torch.Tensor | None:
        """Run ids[start:]: the full-precision part (up to `full_precision_end`) in even chunks of at most
        `chunk`, then (if `last`) the rest in one lean forward, whose last logits it returns."""
        end = self.full_precision_end(len(ids))
        chunks = -(-(end - start) // chunk)  # ceil; even sizes, so no chunk is a lone token if it can help
        bounds = [start + (end - start) * k // chunks for k in range(chunks + 1)] if chunks else [start]
        for begin, stop in itertools.pairwise(bounds):
            if begin > start and cancelled():
                return None
            self._forward(cache, ids[begin:stop], units, unit_tensor, lean=False)
            if stop - begin > 1 or self._step is not None:  # else it ran on the decode copies
                cache.reusable = stop
        if not last or (end > start and cancelled()):
            return None
        return self._forward(cache, ids[end:], units, unit_tensor, lean=True)

    def _forward(
        self,
        cache: _Slot,
        new_ids: list[int],
        units: Positions,
        unit_tensor: torch.Tensor,
        lean: bool,
        rows: bool = False,
    ) -> torch.Tensor:
        """Run `new_ids` after the slot's cached tokens, on the lean step (`lean`, where the model has one)
        or transformers' forward; return the logits of the last one ([vocab]), or with `rows` (lean step
        only) the final hidden states of all of them ([S, hidden])."""
        held = len(cache.ids)
        total = held + len(new_ids)
        state = None
        if self.rope.mode == "hirope":
            assert cache.geometry is not None, "a slot serves a prompt (`use`) before it runs forwards"
            state = HiropeState(unit_tensor[:total], self.facts.inv_freq, cache.geometry, cache.far_keys)
        threads = torch.get_num_threads()
        if len(new_ids) <= SMALL_FORWARD and self.decode_threads is not None:
            torch.set_num_threads(self.decode_threads)
        try:
            if rows and lean and self._step is not None:
                logits = self._step.hidden(new_ids, cache.kv, state)
            elif lean and self._step is not None:
                logits = self._step(new_ids, cache.kv, state)
            else:
                output = self.model(
                    torch.tensor([new_ids]), cache=cache.kv, use_cache=True, logits_to_keep=1, hirope=state
                )
                logits = output.logits[0, -1]
        except BaseException:
            cache.clear()  # a half-updated cache must not be reused
            raise
        finally:
            torch.set_num_threads(threads)
        cache.ids.extend(new_ids)
        cache.units.extend(units.unit[held:total])
        return logits


class _Slot:
    """One cached prefix: the KV cache, HiRoPE's far keys, and the ids, units and far rule they were computed
    for."""

    def __init__(self) -> None:
        self.geometry: HiropeGeometry | None = None  # the far rule of the far keys (a unit scale per prompt)
        self.clear()

    def clear(self) -> None:
        self.kv = GrowingCache()
        self.far_keys = FarKeyCache()
        self.ids: list[int] = []
        self.units: list[int] = []
        self.reusable = 0  # leading cached tokens computed on the full-precision weights

    def use(self, geometry: HiropeGeometry) -> None:
        """Serve a prompt with this far rule: far keys turned under another are dropped, to be turned again
        from the cached keys (which do not depend on it) when a far pair first needs them."""
        if geometry != self.geometry:
            self.far_keys.crop(0)
            self.geometry = geometry

    def common_prefix(self, ids: Sequence[int], units: Positions, limit: tuple[int, bool]) -> int:
        """The longest reusable cached prefix whose ids and units match the prompt's.

        limit: (end, lone_ok) from Engine._reusable_limit. Only tokens computed on the full-precision
        weights are reusable, and only up to `end`, the prompt's own full-precision part: a cold run
        computes the tokens after it on the decode weights, so a warm one recomputes them. Without
        `lone_ok` (no lean step: a one-token forward runs on the decode copies) it never leaves a lone
        full-precision token to compute.
        """
        end, lone_ok = limit
        keep = 0
        while keep < min(self.reusable, end) and self.ids[keep] == ids[keep] and self.units[keep] == units.unit[keep]:
            keep += 1
        if not lone_ok and keep == end - 1 and keep > 0:
            keep -= 1  # recompute two tokens rather than one alone
        return keep

    def drop(self, count: int) -> None:
        """Forget the last `count` cached tokens (guessed ones that greedy decoding did not choose)."""
        if count:
            keep = len(self.ids) - count
            self.kv.truncate(keep)
            self.far_keys.crop(keep)
            del self.ids[keep:], self.units[keep:]

    def crop_to_common_prefix(self, ids: Sequence[int], units: Positions, limit: tuple[int, bool]) -> int:
        """Keep only the common prefix (see common_prefix); return its length."""
        keep = self.common_prefix(ids, units, limit)
        self.reusable = keep
        self.kv.truncate(keep)
        self.far_keys.crop(keep)
        del self.ids[keep:], self.units[keep:]
        return keep


def _stop_token_ids(model: object, tokenizer: object) -> frozenset[int]:
    """End of sequence and every special token: none of them belongs in source code."""
    ids: set[int] = set(getattr(tokenizer, "all_special_ids", []) or [])
    for source in (getattr(model, "generation_config", None), getattr(model, "config", None), tokenizer):
        eos = getattr(source, "eos_token_id", None)
        if isinstance(eos, int):
            ids.add(eos)
        elif isinstance(eos, list | tuple):
            ids.update(int(token) for token in eos)
    return frozenset(ids)
