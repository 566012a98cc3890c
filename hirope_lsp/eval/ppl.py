"""Perplexity against context length (the layout of the HiRoPE paper's Table 4), on real code.

    hirope-lsp eval ppl [--lengths 2048 8192 16384] [--samples 3] [--corpus stdlib|pypi] [--variants]
                        [--out docs/results]

Samples are stdlib groups (corpus.py), or with `--corpus pypi` pinned PyPI source distributions (pypi.py,
fetched once with pip into the user cache): each one's first SEQUENCE_TOKENS tokens, whole files in outline
units. A bucket of length L is the L tokens that *end* there, so every length scores the same last
`--score-tokens` (2048) tokens (2047 in a 2048-token bucket: its first token has no context) and a
longer bucket only adds earlier context: if the model uses the
context, the loss on those tokens falls as L grows. Per bucket: loss, perplexity and next-token accuracy
over its last 2048 tokens and over all its tokens (every token after the first).

Methods (one model; the attention and the rotary module are switched, the weights never change):
- flat: stock RoPE over the whole bucket (out of distribution beyond the training window N);
- truncate: stock RoPE, each scored token given at most N tokens: the last 2048 are scored in chunks of
  `--truncate-chunk` C (1024), chunk [a, a + C) after the N - C tokens before it, i.e. one forward of the
  N tokens ending at a + C; a scored token sees between N - C and N - 1 tokens. Scores the last 2048 only;
- hirope: HiRoPE attention (--window, by default 3/4 of the training window; a fixed unit scale G = 24;
  the critical-dimension split), units from the outline: the paper's form, and the server's rule before
  2026-12-01. The server's rule now (Engine.geometry_for) is flat up to the training window N and
  `hirope-w4096-s0-c8-gfit` beyond it (for N = 8192: units of 8 tokens on every band, G fitted);
- dynamic / yarn: transformers' dynamic NTK and YaRN with factor L / N (a fresh rotary module per pass);
- variants (--variants): hirope with window 128, 512 or 2048, split ratio 0.5 or 0.75 (default 0.62);
- far-rule options, named as hirope-OPTION-OPTION (Method.parse): wN window, sR split ratio, gG unit scale
  (far slow bands at W - 1 + G * unit distance), logn (queries beyond N: scores times ln(t + 1) / ln(N)),
  nofar (far pairs dropped: a sliding window of W, the baseline that tells whether the far rule helps),
  gfit (G chosen per scored sequence: the largest G up to the default 24, or up to gG if given, with
  W - 1 + G * (u_last - u_first) <= N - 1, hirope/split.py fitted_unit_scale; the G used is recorded
  per sample as `unit_scales`),
  local (far pairs' fast bands at the difference of within-unit offsets, (t_i - s(u_i)) - (t_j - s(u_j)),
  s(u) the first token of unit u: the HiRoPE paper's token-within-function level; HiropeGeometry.local_fast),
  file (three levels, file > unit > token: the slow bands split in half, K2 = K + (d/2 - K) // 2; a far
  pair's bands [K, K2) see W - 1 + G * (u_i - u_j) and bands [K2, d/2) see W - 1 + F * (f_i - f_j), f the
  file index of the corpus's `# file:` sequences; F fitted per scored sequence, the largest up to N - W with
  W - 1 + F * (f_last - f_first) <= N - 1, hirope/split.py fitted_file_scale; the F used is recorded per
  sample as `file_scales`, and K2 as the method's `file_split`),
  cN (chunk units: unit k is tokens kN..kN+N-1 of the bucket, whatever the syntax: the control that tells
  whether the outline's units matter, with the same far rule; gfit then fits G to the bucket's chunk count),
  nearL (two unit scales, implies gfit: the units of the bucket's last L tokens step by G, fitted to their
  span as gfit does, and the older units by a smaller G2, the largest that keeps the farthest pair within N:
  W - 1 + G * (near span) + G2 * (older span) <= N - 1; G2 per sample as `far_unit_scales`. The question it
  answers: whether a longer prompt loses because its G shrinks, or because of its older tokens. Done by
  relabelling units with their slow-band coordinates and G = 1, so the attention is the tested one),
  oldP (with nearL: real-valued scales, P% of the far positions N - W for the older units and the rest
  for the near ones, G = (1 - P/100) * (N - W) / (near span) at most the cap, G2 = P/100 * (N - W) /
  (older span) at most G, coordinates rounded down; for units of tokens, where the integer G2 of nearL
  has no room: e.g. at 32k with c8, near16384-old25 gives the last 16k tokens G = 1.5 and the older ones
  0.5, against G = 1 on all of them by gfit).
At L <= N truncate, dynamic and yarn equal flat (nothing to truncate, factor 1), so they are not rerun.

The three-level form is an evaluation variant only: the engine (hirope_lsp/model/) passes no file level.

Only the scored positions go through the output layer, in float32, 2048 rows at a time: a 32k x 49k
logit matrix would be 6 GiB.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from hirope_lsp.eval import pypi
from hirope_lsp.eval.corpus import GROUPS, TokenSequence, group_name, group_sequence
from hirope_lsp.eval.metrics import perplexity
from hirope_lsp.eval.report import RunRecord, progress, pyplot, save_figure, tokens_label, write_json
from hirope_lsp.hirope.attention import HiropeState
from hirope_lsp.hirope.positions import Positions
from hirope_lsp.hirope.split import (
    DEFAULT_UNIT_SCALE,
    HiropeGeometry,
    TwoScales,
    fitted_file_scale,
    fitted_unit_scale,
)
from hirope_lsp.model.loader import LoadedModel
from hirope_lsp.model.rope import RopeFacts, enable_hirope
from hirope_lsp.model.scaling import ScalingKind, scaled_rope

SEQUENCE_TOKENS = 32768
HEAD_ROWS = 2048  # output-layer rows per matmul
BASE_METHODS = ("flat", "truncate", "hirope", "dynamic", "yarn")
VARIANT_METHODS = ("hirope-w128", "hirope-w512", "hirope-w2048", "hirope-s0.50", "hirope-s0.75")
SAME_AS_FLAT_IN_WINDOW = frozenset({"truncate", "dynamic", "yarn"})


@dataclass(frozen=True)
class Method:
    name: str
    kind: str  # flat, truncate, hirope, dynamic, yarn
    window: int | None = None  # None: the server's default (hirope/split.py)
    ratio: float | None = None
    unit_scale: int = DEFAULT_UNIT_SCALE  # G: tokens per unit step on the slow bands of far pairs
    logn: bool = False  # queries beyond the training window: scores times ln(t + 1) / ln(N)
    drop_far: bool = False  # far pairs get no attention: a sliding window of W (the far rule's baseline)
    fit_unit_scale: bool = False  # G per sequence: the largest up to unit_scale that keeps far pairs within N
    local_fast: bool = False  # far pairs' fast bands at within-unit offsets
    file_level: bool = False  # three levels: the upper half of the slow bands at the file distance, F fitted
    chunk_tokens: int | None = None  # units of this many tokens instead of the outline's (a control)
    near_tokens: int | None = None  # units of the last L tokens at G, older ones at a fitted G2 <= G
    older_share: int | None = None  # with near_tokens: percent of N - W for the older units, real-valued G, G2

    @classmethod
    def parse(cls, name: str, window: int | None, ratio: float | None) -> Method:
        """A base method, or hirope with options joined by '-': wN (window), sR (split ratio), gG (unit
        scale), gfit (G fitted per sequence, at most gG), logn (temperature), nofar (a sliding window),
        local (far fast bands at within-unit offsets), file (three levels: the upper half of the slow bands
        at the file distance, F fitted per sequence), cN (units of N tokens, not the outline's), nearL (units
        of the last L tokens at the fitted G, older ones at a G2 fitted to the rest), oldP (with nearL: P% of
        the far positions for the older units); e.g. hirope-w4096-g64, hirope-logn, hirope-w6144-gfit,
        hirope-w6144-gfit-file, hirope-w6144-gfit-c256, hirope-w6144-near16384, hirope-w4096-s0-c8-near16384-old25."""
        if name in BASE_METHODS:
            return cls(name, name, window, ratio)
        head, *options = name.split("-")
        method = cls(name, "hirope", window, ratio)
        try:
            if head != "hirope" or not options:
                raise ValueError(name)
            for option in options:
                if option == "logn":
                    method = replace(method, logn=True)
                elif option == "nofar":
                    method = replace(method, drop_far=True)
                elif option == "gfit":
                    method = replace(method, fit_unit_scale=True)
                elif option == "local":
                    method = replace(method, local_fast=True)
                elif option == "file":
                    method = replace(method, file_level=True)
                elif option[:1] == "w" and option[1:].isdigit():
                    method = replace(method, window=int(option[1:]))
                elif option[:1] == "g" and option[1:].isdigit():
                    method = replace(method, unit_scale=int(option[1:]))
                elif option[:1] == "c" and option[1:].isdigit() and int(option[1:]) > 0:
                    method = replace(method, chunk_tokens=int(option[1:]))
                elif option[:4] == "near" and option[4:].isdigit() and int(option[4:]) > 0:
                    method = replace(method, near_tokens=int(option[4:]), fit_unit_scale=True)
                elif option[:3] == "old" and option[3:].isdigit() and 0 < int(option[3:]) < 100:
                    method = replace(method, older_share=int(option[3:]))
                elif option[:1] == "s":
                    method = replace(method, ratio=float(option[1:]))
                else:
                    raise ValueError(option)
            if method.older_share is not None and method.near_tokens is None:
                raise ValueError(name)
        except ValueError:
            raise ValueError(
                f"unknown method {name!r}: use {', '.join(BASE_METHODS)}, or hirope with options joined by '-' "
                "(wN window, sR split ratio, gG unit scale, gfit, logn, nofar, local, file, cN chunk units, "
                "nearL two unit scales, oldP their shares with nearL), e.g. hirope-w4096-g64"
            ) from None
        return method


@dataclass
class Tally:
    """Sums over scored tokens."""

    loss: float = 0.0
    correct: int = 0
    tokens: int = 0

    def add(self, losses: torch.Tensor, correct: torch.Tensor) -> None:
        self.loss += float(losses.double().sum())
        self.correct += int(correct.sum())
        self.tokens += int(losses.numel())

    def summary(self) -> dict[str, float | int]:
        return {
            "loss": self.loss / self.tokens,
            "ppl": perplexity(self.loss, self.tokens),
            "accuracy": self.correct / self.tokens,
            "tokens": self.tokens,
        }


@dataclass
class Cell:
    """One method at one length, over all samples."""

    last: Tally = field(default_factory=Tally)
    all: Tally | None = field(default_factory=Tally)
    per_sample_ppl: list[float] = field(default_factory=list)
    unit_scales: list[float] = field(default_factory=list)  # hirope: the G each sample was scored with
    file_scales: list[int] = field(default_factory=list)  # hirope with a file level: the F of each sample
    far_unit_scales: list[float] = field(default_factory=list)  # hirope-nearL: the G2 of each sample's older units
    seconds: float = 0.0
    same_as: str | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "last": self.last.summary(),
            "all": None if self.all is None else self.all.summary(),
            "per_sample_last_ppl": [round(value, 4) for value in self.per_sample_ppl],
            "unit_scales": list(self.unit_scales) or None,
            "file_scales": list(self.file_scales) or None,
            "far_unit_scales": list(self.far_unit_scales) or None,
            "seconds": round(self.seconds, 1),
            "same_as": self.same_as,
        }


def target_scores(
    model: Any, ids: list[int], start: int, hirope: HiropeState | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Loss (nats) and whether the argmax was right, for predicting ids[start:] from what precedes them.

    Only the hidden states at positions start-1 .. T-2 go through the output layer (float32).
    """
    if not 1 <= start < len(ids):
        raise ValueError(f"cannot score from token {start} of {len(ids)}")
    with torch.inference_mode():
        tokens = torch.tensor([ids], device=model.device)
        hidden = model.get_decoder()(input_ids=tokens, hirope=hirope, use_cache=False).last_hidden_state[0]
        head = model.get_output_embeddings()
        weight = getattr(head, "full", head).weight.float()  # an engine may have wrapped it (decode_weights.py)
        losses, correct = [], []
        for begin in range(start - 1, len(ids) - 1, HEAD_ROWS):
            end = min(begin + HEAD_ROWS, len(ids) - 1)
            logits = F.linear(hidden[begin:end].float(), weight)
            targets = tokens[0, begin + 1 : end + 1]
            losses.append(F.cross_entropy(logits, targets, reduction="none"))
            correct.append(logits.argmax(dim=-1) == targets)
        return torch.cat(losses), torch.cat(correct)


class PplRun:
    """The evaluation over given sequences; `cells[method][length]` collect the results."""

    def __init__(
        self,
        loaded: LoadedModel,
        methods: list[Method],
        lengths: list[int],
        score_tokens: int = 2048,
        truncate_chunk: int = 1024,
    ) -> None:
        self.model = loaded.model
        self.facts: RopeFacts = enable_hirope(self.model)
        self.methods = methods
        self.lengths = sorted(lengths)
        self.score_tokens = score_tokens
        self.truncate_chunk = truncate_chunk
        if min(self.lengths) < score_tokens:
            raise ValueError(f"every length must be at least --score-tokens ({score_tokens})")
        if score_tokens % truncate_chunk or truncate_chunk >= self.facts.train_length:
            raise ValueError("--truncate-chunk must divide --score-tokens and be shorter than the training window")
        self.cells: dict[str, dict[int, Cell]] = {m.name: {n: Cell() for n in self.lengths} for m in methods}
        self.has_flat = any(m.kind == "flat" for m in methods)

    def _reuses_flat(self, method: Method, length: int) -> bool:
        """Whether this method at this length is flat itself, and flat is run anyway."""
        return self.has_flat and length <= self.facts.train_length and method.kind in SAME_AS_FLAT_IN_WINDOW

    def passes(self) -> int:
        """Forward passes per sequence (for the progress bar)."""
        count = 0
        for method in self.methods:
            for length in self.lengths:
                if self._reuses_flat(method, length):
                    continue
                count += self.score_tokens // self.truncate_chunk if method.kind == "truncate" else 1
        return count

    def add(self, sequence: TokenSequence, on_pass: Any = None) -> None:
        end = len(sequence.ids)
        for length in self.lengths:
            ids, positions = sequence.window(end, length)
            for method in self.methods:
                self._score(method, length, ids, positions, on_pass)

    def _score(self, method: Method, length: int, ids: list[int], positions: Positions, on_pass: Any) -> None:
        cell = self.cells[method.name][length]
        window = self.facts.train_length
        if self._reuses_flat(method, length):
            cell.same_as = "flat"
            return  # filled from flat in results()
        started = time.perf_counter()
        first_scored = length - self.score_tokens
        if method.kind == "truncate":
            cell.all = None
            losses, correct = [], []
            for begin in range(first_scored, length, self.truncate_chunk):
                stop = begin + self.truncate_chunk
                context = max(0, stop - window)
                chunk_losses, chunk_correct = target_scores(self.model, ids[context:stop], begin - context, None)
                losses.append(chunk_losses)
                correct.append(chunk_correct)
                if on_pass:
                    on_pass(f"{method.name} {length}")
            last_losses, last_correct = torch.cat(losses), torch.cat(correct)
        else:
            if method.chunk_tokens is not None:
                positions = positions.chunked(method.chunk_tokens)
            with self._rope_for(method, length):
                state, near = self._state(method, positions)
                if near is not None:
                    cell.unit_scales.append(near.near_scale)
                    cell.far_unit_scales.append(near.far_scale)
                elif state is not None:
                    cell.unit_scales.append(state.geometry.unit_scale)
                    if state.geometry.file_split is not None:
                        cell.file_scales.append(state.geometry.file_scale)
                all_losses, all_correct = target_scores(self.model, ids, 1, state)
            assert cell.all is not None
            cell.all.add(all_losses, all_correct)
            last_losses, last_correct = all_losses[-self.score_tokens :], all_correct[-self.score_tokens :]
            if on_pass:
                on_pass(f"{method.name} {length}")
        cell.last.add(last_losses, last_correct)
        cell.per_sample_ppl.append(math.exp(float(last_losses.double().mean())))
        cell.seconds += time.perf_counter() - started

    def _rope_for(self, method: Method, length: int) -> AbstractContextManager[None]:
        if method.kind in ("dynamic", "yarn"):
            if length <= self.facts.train_length:
                return nullcontext()  # factor 1: the stock rope
            kind: ScalingKind = "dynamic" if method.kind == "dynamic" else "yarn"
            return scaled_rope(self.model, kind, length / self.facts.train_length)
        return nullcontext()

    def _geometry(self, method: Method, positions: Positions | None = None) -> HiropeGeometry:
        """The method's geometry; with gfit and a sequence's positions, G fitted to its unit span, and with
        file, F fitted to its file span (without positions: G and F are the caps)."""
        geometry = self.facts.geometry(method.window, method.ratio, method.unit_scale, method.logn, method.drop_far)
        if method.local_fast:
            geometry = replace(geometry, local_fast=True)
        if method.fit_unit_scale and positions is not None and positions.unit:
            span = positions.unit[-1] - positions.unit[0]
            scale = fitted_unit_scale(span, geometry.window, self.facts.train_length, method.unit_scale)
            geometry = replace(geometry, unit_scale=scale)
        if method.file_level:
            file_split = geometry.split + max(0, self.facts.half_dim - geometry.split) // 2
            cap = max(1, self.facts.train_length - geometry.window)
            scale = cap
            if positions is not None and positions.unit:
                if positions.file is None:
                    raise ValueError(f"{method.name} needs file positions, and the sequence has none")
                span = positions.file[-1] - positions.file[0]
                scale = fitted_file_scale(span, geometry.window, self.facts.train_length, cap)
            geometry = replace(geometry, file_split=file_split, file_scale=scale)
        return geometry

    def _state(self, method: Method, positions: Positions) -> tuple[HiropeState | None, TwoUnitScales | None]:
        """The attention's state for a hirope method (None for the others), and nearL's two scales."""
        if method.kind != "hirope":
            return None, None
        device = self.model.device
        units = torch.tensor(positions.unit, dtype=torch.long, device=device)
        inv_freq = self.facts.inv_freq.to(device)
        geometry = self._geometry(method, positions)
        near = None
        if method.near_tokens is not None:  # slow-band coordinates as units, G = 1: W - 1 + c(u_i) - c(u_j)
            near = two_unit_scales(
                positions.unit,
                method.near_tokens,
                geometry.window,
                self.facts.train_length,
                method.unit_scale,
                older_share=method.older_share,
            )
            units = torch.tensor(near.coordinates, dtype=torch.long, device=device)
            geometry = replace(geometry, unit_scale=1)
        files = None
        if geometry.file_split is not None and positions.file is not None:
            files = torch.tensor(positions.file, dtype=torch.long, device=device)
        return HiropeState(units, inv_freq, geometry, files=files), near

    def results(self) -> dict[str, Any]:
        methods: dict[str, Any] = {}
        for method in self.methods:
            by_length: dict[str, Any] = {}
            for length, cell in self.cells[method.name].items():
                source = self.cells["flat"][length] if cell.same_as else cell
                summary = source.summary()
                if cell.same_as:
                    summary["same_as"] = "flat"
                    if method.kind == "truncate":
                        summary["all"] = None
                by_length[str(length)] = summary
            geometry = self._geometry(method) if method.kind == "hirope" else None
            methods[method.name] = {
                "kind": method.kind,
                "window": geometry.window if geometry else None,
                "split_band": geometry.split if geometry else None,
                "unit_scale": geometry.unit_scale if geometry else None,  # gfit: the cap; see unit_scales
                "unit_scale_fit": method.fit_unit_scale if geometry else None,
                "logn_length": geometry.logn_length if geometry else None,
                "drop_far": geometry.drop_far if geometry else None,
                "local_fast": geometry.local_fast if geometry else None,
                "file_split": geometry.file_split if geometry else None,  # None: two levels
                "file_scale": geometry.file_scale if geometry else None,  # file: the cap N - W; see file_scales
                "chunk_tokens": method.chunk_tokens,  # None: the outline's units
                "by_length": by_length,
            }
        return {
            "lengths": self.lengths,
            "score_tokens": self.score_tokens,
            "truncate_chunk": self.truncate_chunk,
            "train_length": self.facts.train_length,
            "rope_base": self.facts.base,
            "half_dim": self.facts.half_dim,
            "methods": methods,
        }


@dataclass(frozen=True)
class TwoUnitScales:
    """hirope-nearL's slow-band coordinate per token: G per unit step among the units of the last L tokens,
    G2 <= G among the older ones (and across the boundary unit), so that the farthest pair stays within N.
    Integers, or with oldP real numbers (rounded to 3 places here; the coordinates are rounded down)."""

    coordinates: tuple[int, ...]
    near_scale: float
    far_scale: float


def two_unit_scales(
    units: tuple[int, ...],
    near_tokens: int,
    window: int,
    train_length: int,
    cap: int,
    older_share: int | None = None,
) -> TwoUnitScales:
    """G fitted to the span of the units of the last `near_tokens` tokens (fitted_unit_scale), then G2, the
    largest <= G (and at least 1) with G * (near span) + G2 * (older span) <= N - W. With `older_share` P:
    real-valued G = min(cap, (100 - P)% of N - W over the near span), G2 = min(G, P% of N - W over the older
    span), and each unit's coordinate rounded down (so the farthest pair still stays within N)."""
    if not units:
        return TwoUnitScales((), cap, cap)
    boundary = units[max(0, len(units) - near_tokens)]  # the unit of the first near token
    room = max(0, train_length - window)
    scales: TwoScales
    if older_share is None:
        near_span, far_span = units[-1] - boundary, boundary - units[0]
        near_scale = fitted_unit_scale(near_span, window, train_length, cap)
        far_left = train_length - window - near_scale * near_span
        far_scale = near_scale if far_span == 0 else max(1, min(near_scale, far_left // far_span))
        scales = TwoScales(units[0], boundary, near_scale, far_scale)
    else:  # the engine's rule beyond two training windows (Engine.two_scales_for)
        scales = TwoScales.fitted(units[0], boundary, units[-1], room, cap, older_share)
    return TwoUnitScales(scales.coordinates(units), round(scales.near, 3), round(scales.far, 3))


def plot(results: dict[str, Any], path: Path, title: str) -> None:
    plt = pyplot()
    figure, (last_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(11, 4.2))
    lengths = results["lengths"]
    for name, method in results["methods"].items():
        rows = [method["by_length"][str(length)] for length in lengths]
        style = "--" if name.startswith("hirope-") else "-"
        last_axis.plot(lengths, [row["last"]["ppl"] for row in rows], style, marker="o", label=name)
        accuracy_axis.plot(lengths, [row["last"]["accuracy"] for row in rows], style, marker="o", label=name)
    for axis in (last_axis, accuracy_axis):
        axis.set_xscale("log", base=2)
        axis.set_xticks(lengths, [tokens_label(length) for length in lengths])
        axis.axvline(results["train_length"], color="grey", linewidth=0.8, linestyle=":")
        axis.set_xlabel("context length (tokens)")
        axis.grid(alpha=0.3)
    last_axis.set_yscale("log")
    last_axis.set_ylabel(f"perplexity, last {results['score_tokens']} tokens")
    accuracy_axis.set_ylabel("next-token accuracy, same tokens")
    last_axis.legend(fontsize=8)
    save_figure(figure, path, title)


def run(args: argparse.Namespace, loaded: LoadedModel) -> dict[str, Any]:
    """The `eval ppl` command: returns the results it wrote to OUT/ppl.json (and plotted in OUT/ppl.png)."""
    names = list(args.methods) + (list(VARIANT_METHODS) if args.variants else [])
    methods = [Method.parse(name, args.window, args.split) for name in dict.fromkeys(names)]
    corpus = getattr(args, "corpus", "stdlib")
    count = len(pypi.SDISTS) if corpus == "pypi" else len(GROUPS)
    if not 1 <= args.samples <= count - args.first_group or args.first_group < 0:
        raise ValueError(f"--first-group plus --samples must be 1..{count} ({corpus} sources 0..{count - 1})")
    if max(args.lengths) > args.sequence_tokens:
        raise ValueError("--lengths must not exceed --sequence-tokens")
    record = RunRecord.from_args(
        "ppl",
        args,
        loaded.name,
        methods=[m.name for m in methods],
        sequence_tokens=args.sequence_tokens,
        first_group=args.first_group,
        corpus=corpus,
    )
    evaluation = PplRun(loaded, methods, args.lengths, args.score_tokens, args.truncate_chunk)

    def tokenize(text: str) -> list[int]:
        return list(loaded.tokenizer.encode(text, add_special_tokens=False))

    chosen = slice(args.first_group, args.first_group + args.samples)
    sources: list[tuple[Path | None, tuple[str, ...]]]  # (root, packages): a repository each
    if corpus == "pypi":  # fetched once with pip into the user cache (the network the first time only)
        pins = pypi.SDISTS[chosen]
        sources = [pypi.repository(pin) for pin in pins]
        title = "PyPI code (" + ", ".join(pin.requirement for pin in pins) + ")"
    else:
        sources = [(None, group) for group in GROUPS[chosen]]
        title = "stdlib code (" + ", ".join(group_name(group) for _, group in sources) + ")"
    sequences = [group_sequence(packages, tokenize, args.sequence_tokens, root) for root, packages in sources]
    with progress("eval ppl", evaluation.passes() * len(sequences)) as bar:
        for sequence in sequences:
            evaluation.add(sequence, bar.step)
    results = evaluation.results()
    results["sequences"] = [{"name": s.name, "tokens": len(s.ids)} for s in sequences]
    out = Path(args.out)
    write_json(out / "ppl.json", record, results)
    plot(results, out / "ppl.png", f"{loaded.name}: {title}, {args.dtype}")
    return results


def table(results: dict[str, Any]) -> Iterator[str]:
    """Markdown tables, methods by lengths: perplexity and next-token accuracy over the last scored tokens,
    perplexity over all tokens (truncate: n/a), and seconds per length summed over the samples."""
    lengths = results["lengths"]
    columns: list[tuple[str, Any]] = [
        (f"perplexity, last {results['score_tokens']} tokens", lambda row: f"{row['last']['ppl']:,.2f}"),
        ("next-token accuracy, same tokens", lambda row: f"{row['last']['accuracy']:.3f}"),
        ("perplexity, all tokens", lambda row: "n/a" if row["all"] is None else f"{row['all']['ppl']:,.2f}"),
        ("seconds (all samples)", lambda row: "=flat" if row["same_as"] else f"{row['seconds']:,.0f}"),
    ]
    for title, cell in columns:
        yield ""
        yield f"| {title} | " + " | ".join(tokens_label(n) for n in lengths) + " |"
        yield "|---|" + "---:|" * len(lengths)
        for name, method in results["methods"].items():
            yield f"| {name} | " + " | ".join(cell(method["by_length"][str(n)]) for n in lengths) + " |"
