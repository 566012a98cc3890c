"""How likely the model finds the removed line, by budget: `eval complete`'s cursors, teacher-forced.

    hirope-lsp eval line-loss [--repos email] [--samples 2] [--budgets flat:1 truncate:2 hirope:2]
                              [--new-names flat:1 hirope:2] [--code-lines]

`eval complete` scores a cursor by the model's first choice, so a context that makes the right line likelier
without making it the first choice counts for nothing there. This measures the likelihood itself. At the
cursors of `eval complete` (complete.py's `repository_cursors`: the same for the same seed, samples, repos,
root and `--new-names`) and at each budget, the prompt the server would send and the removed line after it
run through the model in one cold forward, and each of the line's tokens gets its loss (nats). The prompt's
tail is healed as the engine heals it (model/healing.py: its last token, with the whitespace-only tokens
before it, is scored as the start of the line), and the line's tokens take the positions the engine gives
the tokens it generates (`Engine.cold_state`). The forward runs the loaded weights throughout (the engine's
lean decode step is not used), so the losses are not the decode's to the last bit.

Per budget: the line loss (a line's mean token loss, averaged over the cursors), the loss of the tokens of
the line's names (identifiers, keywords aside), and that of the far names' tokens, scored under every budget:
the names that `--new-names` LARGER's prompt holds and SMALLER's does not (without it, the last budget's and
the first budget's). Each budget after the first is paired with the first, cursor by cursor: the mean change
and its paired t. `eval compare` pairs line losses, or far-name losses (`--value far_name_loss`), across
files: with `--budgets truncate:2 --new-names flat:1 hirope:2` a run scores the truncation baseline at the
cursors and on the far names of a `--budgets flat:1 hirope:2` run with the same seed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hirope_lsp.eval.complete import (
    Budget,
    Cursor,
    budget_bars,
    chosen,
    new_names_filter,
    new_names_of,
    prompt_names,
    repository_cursors,
)
from hirope_lsp.eval.metrics import IDENTIFIER, code_names, names_loss, paired_change
from hirope_lsp.eval.ppl import target_scores
from hirope_lsp.eval.report import RunRecord, engines_by_mode, progress, pyplot, save_figure, write_json
from hirope_lsp.model.engine import Engine
from hirope_lsp.model.healing import TokenHealer
from hirope_lsp.model.loader import LoadedModel
from hirope_lsp.prompt.layout import Prompt
from hirope_lsp.prompt.tokens import CachedTokenizer, TransformersTokenizer


@dataclass
class LineLoss:
    repository: str
    file: str
    line: int
    budget: str
    expected: str
    tokens: list[str]  # the scored tokens: the healed tail of the prompt, then the line
    losses: list[float]  # nats, one per token
    token_names: list[str | None]  # the name each token is part of (None: none, or a keyword)
    line_loss: float  # the mean of `losses`
    names: list[str]  # the line's names
    names_in_prompt: list[str]  # those the prompt holds
    far_names: list[str]  # `--new-names` LARGER's prompt holds them and SMALLER's does not (else: the last
    # budget's and the first's); set per cursor
    far_name_loss: float | None  # the mean loss of their tokens (None: none)
    prompt_tokens: int
    seconds: float


@dataclass(frozen=True)
class Scored:
    """A continuation's tokens with their losses and the names they belong to."""

    tokens: list[str]
    losses: list[float]
    token_names: list[str | None]


def name_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of every identifier of `text` that is a name (`code_names`: keywords aside)."""
    return [(m.start(), m.end(), m.group()) for m in IDENTIFIER.finditer(text) if code_names(m.group())]


def token_names(offsets: list[tuple[int, int]], spans: list[tuple[int, int, str]]) -> list[str | None]:
    """For each token's character span, the first name span it overlaps, or None."""
    found: list[str | None] = []
    for start, end in offsets:
        found.append(next((name for first, last, name in spans if start < last and first < end), None))
    return found


def score_line(engine: Engine, healer: TokenHealer, prompt: Prompt, expected: str) -> Scored:
    """The losses of the removed line's tokens after the prompt, healed and placed as `Engine.complete`
    would generate them, in one cold forward of the engine's model."""
    healed, count = healer.tail(prompt.ids, engine.stop_ids)
    kept = len(prompt.ids) - count
    ids, positions = list(prompt.ids[:kept]), prompt.positions[:kept]
    text = healed + expected
    encoded = engine.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    line_ids: list[int] = list(encoded["input_ids"])
    if not line_ids:
        raise ValueError(f"nothing to score after the prompt for {expected!r}")
    offsets = [(int(start), int(end)) for start, end in encoded["offset_mapping"]]
    state = engine.cold_state(positions if engine.rope.mode == "hirope" else None, generated=len(line_ids))
    losses, _ = target_scores(engine.model, ids + line_ids, len(ids), state)
    pieces = [str(engine.tokenizer.decode([token])) for token in line_ids]
    return Scored(pieces, [float(loss) for loss in losses], token_names(offsets, name_spans(text)))


def run(args: argparse.Namespace, loaded: LoadedModel) -> dict[str, Any]:
    """The `eval line-loss` command: returns the results it wrote to OUT/line-loss.json (and .png)."""
    budgets = [Budget.parse(label) for label in args.budgets]
    if len(budgets) < 2 and not args.new_names:
        raise ValueError("eval line-loss needs two budgets or --new-names to tell the far names by")
    record = RunRecord.from_args(
        "line-loss", args, loaded.name, repos=args.repos, budgets=args.budgets, max_tokens=args.max_tokens,
        window=args.window, split=args.split, unit_tokens=args.unit_tokens, new_names=args.new_names,
        code_lines=args.code_lines,
    )  # fmt: skip
    engines = engines_by_mode(loaded, (budget.mode for budget in budgets), args)
    train_length = next(iter(engines.values())).train_length
    tokenizer = CachedTokenizer(TransformersTokenizer(loaded.tokenizer))
    healer = TokenHealer(loaded.tokenizer)
    keep = new_names_filter(args, loaded, tokenizer, train_length)
    far_names = new_names_of(args, loaded, tokenizer, train_length)
    rows: list[LineLoss] = []
    with tempfile.TemporaryDirectory() as cache, progress("eval line-loss", args.samples * len(budgets)) as bar:
        for name, repository, cursor in repository_cursors(args, Path(cache), keep):
            at_cursor: list[LineLoss] = []
            for budget in budgets:
                prompt = budget.prompt(repository, cursor, tokenizer, train_length, args.max_tokens)
                started = time.perf_counter()
                scored = score_line(engines[budget.mode], healer, prompt, cursor.expected)
                seconds = time.perf_counter() - started
                names, held = prompt_names(loaded, cursor, prompt)
                row = row_for(name, repository.root, cursor, budget.label, scored, names, held, prompt, seconds)
                at_cursor.append(row)
                bar.step(budget.label)
            if far_names is not None:
                far = far_names(repository, cursor)
            else:
                far = sorted(set(at_cursor[-1].names_in_prompt) - set(at_cursor[0].names_in_prompt))
            for row in at_cursor:
                row.far_names = far
                row.far_name_loss = names_loss(row.losses, row.token_names, far)
            rows.extend(at_cursor)
    first = budgets[0].label
    summary = {b.label: summarize([row for row in rows if row.budget == b.label]) for b in budgets}
    paired = {b.label: against(rows, first, b.label) for b in budgets[1:]}
    results = {"train_length": train_length, "summary": summary, "against_first": paired,
               "samples": [asdict(row) for row in rows]}  # fmt: skip
    out = Path(args.out)
    write_json(out / "line-loss.json", record, results)
    title = f"{loaded.name}: loss of the removed line in {', '.join(args.repos)} ({chosen(args)})"
    plot(results, out / "line-loss.png", title)
    return results


def row_for(
    repository: str,
    root: Path,
    cursor: Cursor,
    budget: str,
    scored: Scored,
    names: list[str],
    held: list[str],
    prompt: Prompt,
    seconds: float,
) -> LineLoss:
    return LineLoss(
        repository,
        cursor.path.relative_to(root).as_posix(),
        cursor.line + 1,
        budget,
        cursor.expected,
        scored.tokens,
        scored.losses,
        scored.token_names,
        statistics.fmean(scored.losses),
        names,
        held,
        [],
        None,
        len(prompt.ids),
        seconds,
    )


def name_losses(row: LineLoss, chosen: set[str] | None = None) -> list[float]:
    """The losses of the row's tokens that belong to a name (of `chosen`, if given)."""
    return [
        loss
        for loss, name in zip(row.losses, row.token_names, strict=True)
        if name is not None and (chosen is None or name in chosen)
    ]


def summarize(rows: list[LineLoss]) -> dict[str, float | int | None]:
    """Per budget: the mean line loss over cursors, the pooled loss of name tokens and of far-name tokens."""
    if not rows:
        return {}
    names = [loss for row in rows for loss in name_losses(row)]
    far = [loss for row in rows for loss in name_losses(row, set(row.far_names))]
    return {
        "line_loss": statistics.fmean(row.line_loss for row in rows),
        "name_loss": statistics.fmean(names) if names else None,
        "far_name_loss": statistics.fmean(far) if far else None,
        "far_name_tokens": len(far),
        "cursors_with_far_names": sum(bool(row.far_names) for row in rows),
        "seconds": statistics.fmean(row.seconds for row in rows),
        "prompt_tokens": statistics.fmean(row.prompt_tokens for row in rows),
        "count": len(rows),
    }


def against(rows: list[LineLoss], first: str, label: str) -> dict[str, Any]:
    """Budget `label` against `first`, cursor by cursor: the change of the line loss, and of the mean loss of
    the far names' tokens at the cursors that have far names (negative: `label` finds the line likelier)."""
    by_cursor: dict[tuple[str, str, int], dict[str, LineLoss]] = {}
    for row in rows:
        by_cursor.setdefault((row.repository, row.file, row.line), {})[row.budget] = row
    pairs = [(cursor[first], cursor[label]) for cursor in by_cursor.values() if first in cursor and label in cursor]
    result: dict[str, Any] = {"pairs": len(pairs)}
    for key, changes in (
        ("line_loss", [b.line_loss - a.line_loss for a, b in pairs]),
        ("far_name_loss", [change for a, b in pairs if (change := far_change(a, b)) is not None]),
    ):
        if changes:
            mean, sd, t = paired_change(changes)
            result[key] = {"mean_change": mean, "sd": sd, "t": t, "lower": sum(c < 0 for c in changes),
                           "higher": sum(c > 0 for c in changes), "pairs": len(changes)}  # fmt: skip
    return result


def far_change(a: LineLoss, b: LineLoss) -> float | None:
    """The far names' token loss at row `b` minus at row `a` (one cursor), None without far names."""
    if a.far_name_loss is None or b.far_name_loss is None:
        return None
    return b.far_name_loss - a.far_name_loss


def plot(results: dict[str, Any], path: Path, title: str) -> None:
    summary = results["summary"]
    rows = list(summary.values())
    figure, axis = pyplot().subplots(figsize=(7, 4))
    bars = [("line", [r["line_loss"] for r in rows]), ("the line's names", [r["name_loss"] or 0.0 for r in rows])]
    if any(r["far_name_tokens"] for r in rows):
        bars.append(("far names", [r["far_name_loss"] or 0.0 for r in rows]))
    budget_bars(axis, summary, bars, top=None)
    axis.set_ylabel("mean token loss (nats), lower is likelier")
    axis.legend(fontsize=8)
    save_figure(figure, path, title)


def table(results: dict[str, Any]) -> list[str]:
    rows = [
        "| budget | prompt tokens | line loss | name-token loss | far-name loss (tokens) | seconds |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, row in results["summary"].items():
        name = "n/a" if row["name_loss"] is None else f"{row['name_loss']:.3f}"
        far = "n/a" if row["far_name_loss"] is None else f"{row['far_name_loss']:.3f} ({row['far_name_tokens']})"
        line = f"{row['line_loss']:.3f}"
        rows.append(f"| {label} | {row['prompt_tokens']:,.0f} | {line} | {name} | {far} | {row['seconds']:.1f} |")
    for label, paired in results["against_first"].items():
        for key in ("line_loss", "far_name_loss"):
            if key in paired:
                change = paired[key]
                t = "n/a" if change["t"] is None else f"{change['t']:+.2f}"
                rows.append(
                    f"{label} against {next(iter(results['summary']))}, {key.replace('_', ' ')}: "
                    f"{change['mean_change']:+.3f} nats (t = {t}, {change['pairs']} cursors, "
                    f"{change['lower']} lower, {change['higher']} higher)"
                )
    return rows
