"""What the prompt holds of the answer, by budget: `eval complete`'s cursors without running the model.

    hirope-lsp eval prompts [--repos email] [--samples 4] [--budgets flat:0.0625 flat:1 hirope:2]

The same cursors as `eval complete` with the same seed, samples, repos, root, `--code-lines` and
`--new-names` (complete.py's `repository_cursors`). At each cursor and budget the prompt builder gives its
prompt, as `eval complete` does, and this records which of the removed line's names (its identifiers,
keywords aside) appear anywhere in the prompt's text. A completion can copy only those and must guess the
rest, so a larger budget can help a cursor by names only where it holds a name the smaller one lacks; this
measures how often that is (elsewhere it can help only by the code's shape: a call's arguments, a line's
form). `truncate:2` tells whether such a name lies within the last training window of hirope:2's prompt or
beyond it. The model is loaded for its tokenizer; seconds per cursor, not minutes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hirope_lsp.eval.complete import Budget, budget_bars, chosen, new_names_filter, prompt_names, repository_cursors
from hirope_lsp.eval.report import RunRecord, progress, pyplot, save_figure, write_json
from hirope_lsp.model.loader import LoadedModel
from hirope_lsp.model.rope import train_length_of
from hirope_lsp.prompt.tokens import CachedTokenizer, TransformersTokenizer


@dataclass
class Held:
    repository: str
    file: str
    line: int
    budget: str
    expected: str
    names: list[str]
    names_in_prompt: list[str]
    prompt_tokens: int
    context_tokens: int
    files_in_prompt: int


def run(args: argparse.Namespace, loaded: LoadedModel) -> dict[str, Any]:
    """The `eval prompts` command: returns the results it wrote to OUT/prompts.json (and .png)."""
    budgets = [Budget.parse(label) for label in args.budgets]
    record = RunRecord.from_args(
        "prompts", args, loaded.name, repos=args.repos, budgets=args.budgets, max_tokens=args.max_tokens,
        code_lines=getattr(args, "code_lines", False), new_names=getattr(args, "new_names", None),
    )  # fmt: skip
    train_length = train_length_of(loaded.model.config)
    tokenizer = CachedTokenizer(TransformersTokenizer(loaded.tokenizer))
    rows: list[Held] = []
    with tempfile.TemporaryDirectory() as cache, progress("eval prompts", args.samples * len(budgets)) as bar:
        keep = new_names_filter(args, loaded, tokenizer, train_length)
        for name, repository, cursor in repository_cursors(args, Path(cache), keep):
            for budget in budgets:
                prompt = budget.prompt(repository, cursor, tokenizer, train_length, args.max_tokens)
                names, held = prompt_names(loaded, cursor, prompt)
                path = cursor.path.relative_to(repository.root).as_posix()
                size = (len(prompt.ids), prompt.context_tokens, len(prompt.files))
                rows.append(Held(name, path, cursor.line + 1, budget.label, cursor.expected, names, held, *size))
                bar.step(budget.label)
    summary = {b.label: summarize([row for row in rows if row.budget == b.label]) for b in budgets}
    results = {"train_length": train_length, "summary": summary, "samples": [asdict(row) for row in rows]}
    out = Path(args.out)
    write_json(out / "prompts.json", record, results)
    title = f"{loaded.name}: the removed line's names in the prompt ({chosen(args)})"
    plot(results, out / "prompts.png", title)
    return results


def summarize(rows: list[Held]) -> dict[str, float]:
    """Per budget: the share of all the lines' names that their prompts hold, the cursors whose prompt holds
    every name of the line, and the mean prompt length."""
    if not rows:
        return {}
    names = sum(len(row.names) for row in rows)
    return {
        "names_held": sum(len(row.names_in_prompt) for row in rows) / names if names else 1.0,
        "cursors_with_every_name": sum(len(row.names_in_prompt) == len(row.names) for row in rows),
        "prompt_tokens": statistics.fmean(row.prompt_tokens for row in rows),
        "count": len(rows),
    }


def plot(results: dict[str, Any], path: Path, title: str) -> None:
    summary = results["summary"]
    rows = list(summary.values())
    figure, axis = pyplot().subplots(figsize=(7, 4))
    budget_bars(
        axis,
        summary,
        [
            ("share of the names held", [r["names_held"] for r in rows]),
            ("cursors whose prompt holds every name", [r["cursors_with_every_name"] / r["count"] for r in rows]),
        ],
    )
    axis.legend(fontsize=8, loc="upper left")
    save_figure(figure, path, title)


def table(results: dict[str, Any]) -> list[str]:
    rows = ["| budget | prompt tokens | names held | cursors with every name |", "|---|---:|---:|---:|"]
    for label, row in results["summary"].items():
        rows.append(
            f"| {label} | {row['prompt_tokens']:,.0f} | {row['names_held']:.2f} "
            f"| {row['cursors_with_every_name']}/{row['count']} |"
        )
    return rows
