"""Next-line completion in real repositories, by context budget and rope mode, with latency.

    hirope-lsp eval complete [--repos email] [--samples 4] [--budgets flat:1 hirope:1 hirope:2]

A repository is a stdlib package indexed with index.Repository. Cursors are sampled (seeded) among
the lines of function and method bodies in its tree-sitter outline: a line that is not blank, a comment, a
decorator, a nested definition or the start of a string, 8 characters or more. The lines of a docstring
after its first qualify too (the cursors of every run before `--code-lines`); `--code-lines` leaves out
every line that starts inside a string spanning lines. The line's
text after its indentation is removed and the file is opened in the index with that text, the cursor at
the end of the indentation. The prompt is what the server would send: prompt.layout.build_prompt over
the repository snapshot, with a budget of MULTIPLE training windows (less the tokens to generate). The
engine completes one line, greedily, cold (no cached prefix), as the server would.

Scores on the first line of the completion against the removed text: exact match (whitespace-stripped)
and edit similarity; also prefill + decode seconds, the prompt's length, and the removed line's names with
those of them the prompt holds (`eval prompts`, prompts.py, gives these alone, without running the model).

`--new-names SMALLER LARGER` keeps only the cursors where budget LARGER's prompt holds a name of the removed
line that SMALLER's does not (drawn in a seeded random order until `--samples` qualify): with flat:1
hirope:2, the lines whose names only the context beyond the training window holds, where a model that
uses that context has something to gain.

A budget is MODE:MULTIPLE. flat:1 is the stock model within its training window, what the server gives
a flat-RoPE model; hirope:1 the same prompt through the HiRoPE engine (which runs the stock model on a
prompt within the training window, unless --window sets a smaller window); hirope:2 and hirope:4 fill 2 or 4
windows with repository context (the server grows its context to `prompt.contextMultiple` = 2 windows).
flat:2 is the stock model beyond its window. A fraction is a smaller budget: flat:0.125 is 1,024 tokens on
an 8k model, where the server's context settles on a 2-core CPU (docs/BENCHMARKS.md, bench_lsp).
truncate:2 is hirope:2's prompt cut to its last training window's worth (less the tokens to generate), on
the stock model: `eval ppl`'s truncation baseline at a cursor. It tells apart what hirope:2 gains from the
context beyond the window and what it gains from the prompt builder laying out a larger budget differently
(the last 8k tokens of a 16k prompt are not the 8k prompt: a larger budget takes more of some files).
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import tempfile
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from hirope_lsp.eval.corpus import stdlib_root
from hirope_lsp.eval.metrics import code_names, edit_similarity, exact_match, mentioned_names
from hirope_lsp.eval.report import RunRecord, engines_by_mode, progress, pyplot, save_figure, write_json
from hirope_lsp.index.outline import Unit
from hirope_lsp.index.repository import Repository
from hirope_lsp.model.engine import Engine, RopeMode
from hirope_lsp.model.loader import LoadedModel
from hirope_lsp.model.stops import StopRule
from hirope_lsp.prompt.layout import Prompt, build_prompt
from hirope_lsp.prompt.tokens import CachedTokenizer, TransformersTokenizer

IGNORED = ["__pycache__/", "*.pyc", "test*/"]
FUNCTION_KINDS = frozenset({"function", "method"})
SKIPPED_STARTS = ("#", "@", "def ", "async def ", "class ", '"', "'", "r'", 'r"', "f'", 'f"')
MIN_LINE_CHARS = 8


@dataclass(frozen=True)
class Cursor:
    root: Path
    path: Path
    line: int  # 0-based
    indent: str
    expected: str  # the removed text after the indentation

    def cut_text(self, text: str) -> tuple[str, int]:
        """The file's text with the line's code removed, and the cursor's byte offset in it."""
        lines = text.split("\n")
        lines[self.line] = self.indent
        cut = "\n".join(lines)
        offset = len("\n".join(lines[: self.line]).encode("utf-8")) + (1 if self.line else 0)
        return cut, offset + len(self.indent.encode("utf-8"))


@dataclass(frozen=True)
class Budget:
    """MODE:MULTIPLE: the prompt of MULTIPLE training windows, on the engine of `mode`; `truncate`: cut to
    its last training window's worth and run on stock rope."""

    label: str
    mode: RopeMode
    multiple: float
    truncate: bool = False

    @classmethod
    def parse(cls, label: str) -> Budget:
        name, _, multiple = label.partition(":")
        try:
            value = float(multiple)
        except ValueError:
            value = 0.0
        if name not in ("flat", "hirope", "truncate") or value <= 0:
            raise ValueError(f"a budget is MODE:MULTIPLE with MODE flat, hirope or truncate, got {label!r}")
        return cls(label, "hirope" if name == "hirope" else "flat", value, name == "truncate")

    def prompt(
        self, repository: Repository, cursor: Cursor, tokenizer: CachedTokenizer, train_length: int, max_tokens: int
    ) -> Prompt:
        """The budget's prompt at the cursor (`max_tokens` to generate come off it)."""
        prompt = prompt_at(repository, cursor, tokenizer, int(train_length * self.multiple) - max_tokens)
        return last_tokens(prompt, train_length - max_tokens) if self.truncate else prompt


def last_tokens(prompt: Prompt, count: int) -> Prompt:
    """The prompt's last `count` tokens (all of it if it is shorter), with the files and the context they
    keep. Plain prompts only: a fill-in-the-middle prompt cut at its start loses its format's tokens."""
    dropped = len(prompt.ids) - count
    if dropped <= 0:
        return prompt
    if prompt.format != "plain":
        raise ValueError(f"truncate budgets need a plain prompt; this model's is {prompt.format}")
    positions = prompt.positions[dropped:]
    first_file = positions.file[0] if positions.file else 1  # file k of the prompt is files[k - 1]
    return replace(
        prompt,
        ids=prompt.ids[dropped:],
        positions=positions,
        files=prompt.files[max(0, first_file - 1) :],
        context_tokens=max(0, prompt.context_tokens - dropped),
    )


def body_lines(data: bytes, units: tuple[Unit, ...]) -> list[int]:
    """0-based lines inside function and method bodies: after the line that ends the signature (the first
    line from the `def` on that ends with a colon; a unit starts with the blank lines before it)."""
    lines = data.split(b"\n")
    found: set[int] = set()
    stack = list(units)
    while stack:
        unit = stack.pop()
        stack.extend(unit.children)
        if unit.kind not in FUNCTION_KINDS:
            continue
        first = data.count(b"\n", 0, unit.start_byte)
        last = data.count(b"\n", 0, unit.end_byte)
        index = first
        while index <= last and not lines[index].lstrip().startswith((b"def ", b"async def ")):
            index += 1
        while index <= last and not lines[index].split(b"#")[0].rstrip().endswith(b":"):
            index += 1
        found.update(range(index + 1, last + 1))
    return sorted(found)


def sample_cursors(repository: Repository, count: int, rng: random.Random, code_lines: bool = False) -> list[Cursor]:
    """`count` cursors on code lines of function bodies, drawn from every file of the repository."""
    candidates = candidate_cursors(repository, code_lines)
    if len(candidates) < count:
        raise ValueError(f"{repository.root} has only {len(candidates)} candidate lines for {count} samples")
    return rng.sample(candidates, count)


def candidate_cursors(repository: Repository, code_lines: bool = False) -> list[Cursor]:
    """Every line `sample_cursors` may draw, in path and line order; with `code_lines`, none inside a string
    that spans lines (a docstring's text: `string_lines`)."""
    candidates: list[Cursor] = []
    snapshot = repository.snapshot()
    for path in sorted(snapshot.files):
        file = snapshot.files[path]
        if file.language != "python":
            continue
        lines = file.text.split("\n")
        inside = string_lines(file.text) if code_lines else frozenset()
        for index in body_lines(file.bytes, file.units):
            if index >= len(lines) or index in inside:
                continue
            line = lines[index]
            code = line.strip()
            if len(code) < MIN_LINE_CHARS or code.startswith(SKIPPED_STARTS):
                continue
            indent = line[: len(line) - len(line.lstrip())]
            candidates.append(Cursor(snapshot.root, path, index, indent, code))
    return candidates


def string_lines(text: str) -> frozenset[int]:
    """0-based lines that start inside a string literal spanning lines (a docstring's second line on); none if
    Python's tokenizer cannot read the file."""
    inside: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING and token.end[0] > token.start[0]:
                inside.update(range(token.start[0], token.end[0]))  # rows are 1-based: the lines after the first
    except (tokenize.TokenError, SyntaxError):
        return frozenset()
    return frozenset(inside)


@dataclass
class Outcome:
    repository: str
    file: str
    line: int
    budget: str
    expected: str
    predicted: str
    exact: bool
    similarity: float
    prompt_tokens: int
    context_tokens: int
    files_in_prompt: int
    seconds: float
    names: list[str]  # the removed line's names (`names_held`)
    names_in_prompt: list[str]  # those the prompt holds


def repository_cursors(
    args: argparse.Namespace, cache: Path, keep: Callable[[Repository, Cursor], bool] | None = None
) -> Iterator[tuple[str, Repository, Cursor]]:
    """The run's cursors with their repositories (indexed into `cache`), repository by repository: the same
    cursors for the same seed, samples, repos and root (`eval prompts` relies on it).

    With `keep`, the cursors are the first ones it keeps among all the candidates in a seeded random order
    (other cursors than without it, for the same seed)."""
    rng = random.Random(args.seed)
    code_lines = getattr(args, "code_lines", False)
    root = getattr(args, "root", None) or stdlib_root()
    per_repo = [
        args.samples // len(args.repos) + (index < args.samples % len(args.repos)) for index in range(len(args.repos))
    ]
    for name, count in zip(args.repos, per_repo, strict=True):
        if not count:
            continue
        repository = Repository(Path(root) / name, cache_dir=cache / name, ignore_patterns=IGNORED)
        repository.scan()
        if keep is None:
            for cursor in sample_cursors(repository, count, rng, code_lines):
                yield name, repository, cursor
            continue
        candidates = candidate_cursors(repository, code_lines)
        rng.shuffle(candidates)
        kept = 0
        for cursor in candidates:
            if kept == count:
                break
            if keep(repository, cursor):
                kept += 1
                yield name, repository, cursor
        if kept < count:
            raise ValueError(f"{repository.root}: only {kept} of its {len(candidates)} lines qualify, {count} asked")


def prompt_at(repository: Repository, cursor: Cursor, tokenizer: CachedTokenizer, budget: int) -> Prompt:
    """What the server's prompt builder gives at the cursor, with the line's code removed."""
    cut, offset = cursor.cut_text(cursor.path.read_text("utf-8"))
    repository.open_document(cursor.path, cut, 1)
    try:
        return build_prompt(repository.snapshot(), cursor.path, offset, tokenizer, budget)
    finally:
        repository.close_document(cursor.path)


def names_held(expected: str, prompt_text: str) -> tuple[list[str], list[str]]:
    """The removed line's names (its identifiers, keywords aside) and those of them the prompt's text holds:
    a completion can copy only these, or guess the others."""
    names = code_names(expected)
    return sorted(names), sorted(names & mentioned_names(prompt_text))


def prompt_names(loaded: LoadedModel, cursor: Cursor, prompt: Prompt) -> tuple[list[str], list[str]]:
    """`names_held` for the cursor's removed line in the prompt's text."""
    return names_held(cursor.expected, loaded.tokenizer.decode(list(prompt.ids)))


def new_names(
    loaded: LoadedModel,
    tokenizer: CachedTokenizer,
    budgets: tuple[Budget, Budget],
    train_length: int,
    max_tokens: int,
) -> Callable[[Repository, Cursor], list[str]]:
    """The names of the removed line that the second budget's prompt holds and the first budget's does not:
    what the extra context has that the smaller prompt lacks."""

    def held(repository: Repository, cursor: Cursor, budget: Budget) -> set[str]:
        prompt = budget.prompt(repository, cursor, tokenizer, train_length, max_tokens)
        return set(prompt_names(loaded, cursor, prompt)[1])

    def names(repository: Repository, cursor: Cursor) -> list[str]:
        smaller, larger = budgets
        return sorted(held(repository, cursor, larger) - held(repository, cursor, smaller))

    return names


def new_names_of(
    args: argparse.Namespace, loaded: LoadedModel, tokenizer: CachedTokenizer, train_length: int
) -> Callable[[Repository, Cursor], list[str]] | None:
    """`new_names` for `--new-names SMALLER LARGER` (budget labels), None without it."""
    labels = getattr(args, "new_names", None)
    if not labels:
        return None
    smaller, larger = (Budget.parse(label) for label in labels)
    return new_names(loaded, tokenizer, (smaller, larger), train_length, args.max_tokens)


def new_names_filter(
    args: argparse.Namespace, loaded: LoadedModel, tokenizer: CachedTokenizer, train_length: int
) -> Callable[[Repository, Cursor], bool] | None:
    """With `--new-names SMALLER LARGER`, whether LARGER's prompt holds a name of the line that SMALLER's
    lacks; None without it."""
    names = new_names_of(args, loaded, tokenizer, train_length)
    if names is None:
        return None
    return lambda repository, cursor: bool(names(repository, cursor))


def chosen(args: argparse.Namespace) -> str:
    """The run's cursors in words, for a plot's title."""
    text = f"{args.samples} cursors" + (" on code lines" if getattr(args, "code_lines", False) else "")
    if getattr(args, "new_names", None):
        smaller, larger = args.new_names
        text += f" where {larger}'s prompt holds a name of the line that {smaller}'s lacks"
    return text


def complete_at(engine: Engine, prompt: Prompt, max_tokens: int) -> tuple[str, Any]:
    """The first line the engine completes after the prompt, and the completion."""
    engine.reset()  # cold, so that the latency is a first request's
    stop = StopRule(multiline=False, block_indent=prompt.block_indent)
    completion = engine.complete(prompt.ids, prompt.positions, stop, max_tokens)
    return completion.text.split("\n")[0], completion


def run(args: argparse.Namespace, loaded: LoadedModel) -> dict[str, Any]:
    """The `eval complete` command: returns the results it wrote to OUT/complete.json (and .png)."""
    budgets = [Budget.parse(label) for label in args.budgets]
    record = RunRecord.from_args(
        "complete", args, loaded.name, repos=args.repos, budgets=args.budgets, max_tokens=args.max_tokens,
        window=args.window, split=args.split, unit_tokens=args.unit_tokens,
        new_names=getattr(args, "new_names", None), code_lines=getattr(args, "code_lines", False),
    )  # fmt: skip
    engines = engines_by_mode(loaded, (budget.mode for budget in budgets), args)
    train_length = next(iter(engines.values())).train_length
    tokenizer = CachedTokenizer(TransformersTokenizer(loaded.tokenizer))
    keep = new_names_filter(args, loaded, tokenizer, train_length)
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory() as cache, progress("eval complete", args.samples * len(budgets)) as bar:
        for name, repository, cursor in repository_cursors(args, Path(cache), keep):
            for budget in budgets:
                prompt = budget.prompt(repository, cursor, tokenizer, train_length, args.max_tokens)
                predicted, completion = complete_at(engines[budget.mode], prompt, args.max_tokens)
                names, held = prompt_names(loaded, cursor, prompt)
                outcomes.append(
                    Outcome(
                        name,
                        cursor.path.relative_to(repository.root).as_posix(),
                        cursor.line + 1,
                        budget.label,
                        cursor.expected,
                        predicted,
                        exact_match(predicted, cursor.expected),
                        edit_similarity(predicted, cursor.expected),
                        len(prompt.ids),
                        prompt.context_tokens,
                        len(prompt.files),
                        completion.prefill_seconds + completion.decode_seconds,
                        names,
                        held,
                    )
                )
                bar.step(budget.label)
    summary = {b.label: summarize([o for o in outcomes if o.budget == b.label]) for b in budgets}
    results = {"train_length": train_length, "summary": summary, "samples": [asdict(o) for o in outcomes]}
    out = Path(args.out)
    write_json(out / "complete.json", record, results)
    plot(results, out / "complete.png", f"{loaded.name}: next line in {', '.join(args.repos)} ({chosen(args)})")
    return results


def summarize(outcomes: list[Outcome]) -> dict[str, float]:
    if not outcomes:
        return {}
    return {
        "exact_match": sum(o.exact for o in outcomes) / len(outcomes),
        "edit_similarity": statistics.fmean(o.similarity for o in outcomes),
        "seconds": statistics.fmean(o.seconds for o in outcomes),
        "prompt_tokens": statistics.fmean(o.prompt_tokens for o in outcomes),
        "count": len(outcomes),
    }


def plot(results: dict[str, Any], path: Path, title: str) -> None:
    plt = pyplot()
    summary = results["summary"]
    rows = list(summary.values())
    figure, (quality, latency) = plt.subplots(1, 2, figsize=(10, 4))
    budget_bars(
        quality,
        summary,
        [("exact match", [r["exact_match"] for r in rows]), ("edit similarity", [r["edit_similarity"] for r in rows])],
    )
    quality.legend(fontsize=8)
    latency.bar(range(len(rows)), [r["seconds"] for r in rows], 0.5, color="tab:grey")
    latency.set_xticks(range(len(rows)), budget_ticks(summary))
    latency.set_ylabel("seconds per completion (cold)")
    save_figure(figure, path, title)


def budget_bars(
    axis: Any, summary: dict[str, dict[str, Any]], bars: list[tuple[str, list[float]]], top: float | None = 1.0
) -> None:
    """A group of bars per budget (each of `bars`: the legend, a value per budget in summary order), the y axis
    from 0 to `top` (None: to fit)."""
    spots = range(len(summary))
    width = 0.8 / len(bars)
    for index, (legend, values) in enumerate(bars):
        offset = (index - (len(bars) - 1) / 2) * width
        axis.bar([x + offset for x in spots], values, width, label=legend)
    axis.set_xticks(list(spots), budget_ticks(summary))
    axis.set_ylim(0, top)
    axis.set_xlabel("rope mode : prompt budget in training windows")


def budget_ticks(summary: dict[str, dict[str, Any]]) -> list[str]:
    """Each budget's name and its prompts' mean length."""
    return [f"{label}\n{row['prompt_tokens']:.0f} tok" for label, row in summary.items()]


def table(results: dict[str, Any]) -> list[str]:
    rows = ["| budget | prompt tokens | exact match | edit similarity | s / completion |", "|---|---:|---:|---:|---:|"]
    for label, row in results["summary"].items():
        rows.append(
            f"| {label} | {row['prompt_tokens']:,.0f} | {row['exact_match']:.2f} | {row['edit_similarity']:.2f} "
            f"| {row['seconds']:.1f} |"
        )
    return rows
