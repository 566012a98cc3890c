"""Code-symbol understanding: the model lists the functions and classes of a long context.

    hirope-lsp eval symbols [--lengths 4096 16384] [--samples 2] [--modes flat truncate hirope]

A context is a run of whole top-level units from consecutive files of a stdlib group (corpus.py),
starting at a seeded random file, each file after its `# file:` header, up to LENGTH tokens; then an
instruction (INSTRUCTION below) in a unit of its own, and the model answers greedily for `--max-tokens`.
The expected names are the top-level functions and classes of the units in the context (tree-sitter
outline). Scores: recall (expected names the answer mentions), far recall (the same, over names defined
more than a training window before the end, which truncation cannot see), precision (of the
identifiers in the answer, the share that are expected names).

Modes: flat (the whole context, stock RoPE), truncate (stock RoPE, the context cut from the front to
fit one training window with the instruction and the answer), hirope (the whole context). When the
context fits the window, truncate is flat and is not rerun.
"""

from __future__ import annotations

import argparse
import random
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hirope_lsp.eval.corpus import GROUPS, Tokenize, file_units, group_files, group_name, header, stdlib_root
from hirope_lsp.eval.metrics import mentioned_names, recall
from hirope_lsp.eval.report import (
    RunRecord,
    engines_by_mode,
    progress,
    pyplot,
    save_figure,
    tokens_label,
    write_json,
)
from hirope_lsp.hirope.positions import Positions
from hirope_lsp.index.outline import Unit
from hirope_lsp.model.engine import Engine, RopeMode
from hirope_lsp.model.loader import LoadedModel
from hirope_lsp.model.stops import StopRule
from hirope_lsp.prompt.layout import encode_units

INSTRUCTION = (
    "\n\n# Index of the files above: the name of every top-level function and class they define,"
    " one per line, in order.\n# - "
)
DEFINITION_KINDS = frozenset({"function", "class"})
NEVER_STOP = StopRule(multiline=True, block_indent=-1)
MODES = ("flat", "truncate", "hirope")


def rope_mode(mode: str) -> RopeMode:
    """The engine's rope for an evaluation mode: truncate is flat RoPE over a shorter prompt."""
    return "hirope" if mode == "hirope" else "flat"


@dataclass(frozen=True)
class Context:
    group: str
    files: tuple[str, ...]
    ids: tuple[int, ...]
    positions: Positions
    names: tuple[str, ...]  # the expected names, in order
    name_starts: tuple[int, ...]  # the token index where each name's unit starts


def build_context(packages: tuple[str, ...], tokenize: Tokenize, length: int, rng: random.Random) -> Context:
    """Whole units of consecutive files from a random one, at most `length` tokens, then the instruction."""
    root = stdlib_root()
    files = group_files(packages, root)
    first = rng.randrange(len(files))
    pieces: list[str] = []
    names: list[str] = []
    starts: list[int] = []
    used: list[str] = []
    budget = length - len(tokenize(INSTRUCTION))
    total = 0
    for path in files[first:] + files[:first]:
        data, units = file_units(path)
        relative = path.relative_to(root).as_posix()
        texts: list[tuple[str, Unit | None]] = [(header(relative), None)]
        texts += [(data[u.start_byte : u.end_byte].decode("utf-8", "replace"), u) for u in units]
        for text, unit in texts:
            count = len(tokenize(text))
            if total + count > budget:
                break
            if unit is None:
                used.append(relative)
            elif unit.kind in DEFINITION_KINDS and unit.name:
                names.append(unit.name)
                starts.append(total)
            pieces.append(text)
            total += count
        else:
            continue
        break
    ids, positions = encode_units([*pieces, INSTRUCTION], tokenize)
    return Context(group_name(packages), tuple(used), ids, positions, tuple(names), tuple(starts))


@dataclass
class Answer:
    length: int
    mode: str
    group: str
    files: int
    prompt_tokens: int
    expected: int
    found: int
    far_expected: int
    far_found: int
    precision: float
    seconds: float
    answer: str


def answer(engine: Engine, context: Context, mode: str, train_length: int, max_tokens: int, length: int) -> Answer:
    ids, positions = list(context.ids), context.positions
    cut = 0
    if mode == "truncate":
        cut = max(0, len(ids) - (train_length - max_tokens))
        ids, positions = ids[cut:], positions[cut:]
    engine.reset()
    completion = engine.complete(ids, positions, NEVER_STOP, max_tokens, heal=False)
    end = len(context.ids)
    far = [
        name
        for name, start in zip(context.names, context.name_starts, strict=True)
        if start < end - (train_length - max_tokens)
    ]
    found, expected = recall(completion.text, context.names)
    far_found, far_expected = recall(completion.text, far)
    listed = mentioned_names(completion.text)
    precision = len(listed & set(context.names)) / len(listed) if listed else 0.0
    return Answer(
        length,
        mode,
        context.group,
        len(context.files),
        len(ids),
        expected,
        found,
        far_expected,
        far_found,
        precision,
        completion.prefill_seconds + completion.decode_seconds,
        completion.text,
    )


def run(args: argparse.Namespace, loaded: LoadedModel) -> dict[str, Any]:
    """The `eval symbols` command: returns the results it wrote to OUT/symbols.json (and .png)."""
    unknown = set(args.modes) - set(MODES)
    if unknown:
        raise ValueError(f"unknown modes {sorted(unknown)}: use {', '.join(MODES)}")
    rng = random.Random(args.seed)
    record = RunRecord.from_args(
        "symbols", args, loaded.name, lengths=args.lengths, modes=args.modes, max_tokens=args.max_tokens,
        window=args.window, split=args.split, unit_tokens=args.unit_tokens, instruction=INSTRUCTION,
    )  # fmt: skip
    engines = engines_by_mode(loaded, (rope_mode(m) for m in args.modes), args)
    train_length = next(iter(engines.values())).train_length

    def tokenize(text: str) -> list[int]:
        return list(loaded.tokenizer.encode(text, add_special_tokens=False))

    answers: list[Answer] = []
    steps = len(args.lengths) * args.samples * len(args.modes)
    with progress("eval symbols", steps) as bar:
        for length in args.lengths:
            for sample in range(args.samples):
                context = build_context(GROUPS[sample % len(GROUPS)], tokenize, length, rng)
                for mode in args.modes:
                    if (
                        mode == "truncate"
                        and len(context.ids) <= train_length - args.max_tokens
                        and "flat" in args.modes
                    ):
                        flat = next(a for a in reversed(answers) if a.mode == "flat" and a.length == length)
                        answers.append(Answer(**{**asdict(flat), "mode": "truncate"}))
                    else:
                        engine = engines["hirope" if mode == "hirope" else "flat"]
                        answers.append(answer(engine, context, mode, train_length, args.max_tokens, length))
                    bar.step(f"{mode} {length}")
    summary = {
        str(length): {
            mode: summarize([a for a in answers if a.length == length and a.mode == mode]) for mode in args.modes
        }
        for length in args.lengths
    }
    results = {
        "train_length": train_length,
        "lengths": args.lengths,
        "modes": args.modes,
        "summary": summary,
        "samples": [asdict(a) for a in answers],
    }
    out = Path(args.out)
    write_json(out / "symbols.json", record, results)
    plot(results, out / "symbols.png", f"{loaded.name}: list the functions and classes ({args.samples} per length)")
    return results


def summarize(answers: list[Answer]) -> dict[str, float]:
    expected = sum(a.expected for a in answers)
    far = sum(a.far_expected for a in answers)
    return {
        "recall": sum(a.found for a in answers) / expected if expected else 0.0,
        "far_recall": sum(a.far_found for a in answers) / far if far else float("nan"),
        "precision": statistics.fmean(a.precision for a in answers) if answers else 0.0,
        "expected": expected,
        "prompt_tokens": statistics.fmean(a.prompt_tokens for a in answers) if answers else 0.0,
        "seconds": statistics.fmean(a.seconds for a in answers) if answers else 0.0,
    }


def plot(results: dict[str, Any], path: Path, title: str) -> None:
    plt = pyplot()
    lengths, modes = results["lengths"], results["modes"]
    figure, (recall_axis, far_axis) = plt.subplots(1, 2, figsize=(10, 4))
    width = 0.8 / len(modes)
    for index, mode in enumerate(modes):
        spots = [x + (index - (len(modes) - 1) / 2) * width for x in range(len(lengths))]
        rows = [results["summary"][str(length)][mode] for length in lengths]
        recall_axis.bar(spots, [r["recall"] for r in rows], width, label=mode)
        far_axis.bar(
            spots, [0.0 if r["far_recall"] != r["far_recall"] else r["far_recall"] for r in rows], width, label=mode
        )
    for axis, name in ((recall_axis, "recall, all names"), (far_axis, "recall, names beyond one window")):
        axis.set_xticks(range(len(lengths)), [tokens_label(length) for length in lengths])
        axis.set_xlabel("context length (tokens)")
        axis.set_ylabel(name)
        axis.set_ylim(0, 1)
        axis.legend(fontsize=8)
    save_figure(figure, path, title)


def table(results: dict[str, Any]) -> list[str]:
    rows = [
        "| length | mode | recall | far recall | precision | names | s / answer |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for length, modes in results["summary"].items():
        for mode, row in modes.items():
            far = "n/a" if row["far_recall"] != row["far_recall"] else f"{row['far_recall']:.2f}"
            rows.append(
                f"| {tokens_label(int(length))} | {mode} | {row['recall']:.2f} | {far} | {row['precision']:.2f} "
                f"| {row['expected']} | {row['seconds']:.1f} |"
            )
    return rows
