"""`hirope-lsp eval compare`: a paired comparison of two methods across result files.

    hirope-lsp eval compare --a truncate --b hirope-w4096-s0-c8-gfit --length 32768 FILE.json ...
    hirope-lsp eval compare --a flat:1 --b hirope:2 --a-files FILE.json ... --b-files OTHER.json ...
    hirope-lsp eval compare --a flat:1 --b hirope:2 line-loss.json ...

The claims of docs/RESULTS.md pool runs made at different times (groups 0-2, then held-out groups, then
PyPI), so no single result file holds them. This reads any number of ppl.json, complete.json or
line-loss.json files (not a mix), collects every sample of method A and of method B, pairs them by what was
scored (ppl: the sequence's name; complete and line-loss: repository, file and line) and prints one row per
pair, then the mean change, its standard deviation, the paired t statistic and how many pairs moved each way.

- ppl: A and B are method names (`--methods`), each optionally at its own bucket length as NAME@LENGTH
  (`--length` for the rest); the change is B's perplexity of the scored tokens relative to A's, in
  percent (lower is better). Truncation scores the same tokens at every length beyond the training
  window, so `truncate@16384` pairs with a 32k run.
- complete: A and B are budgets (`--budgets`, e.g. flat:1, hirope:2); the change is B's edit similarity
  minus A's (higher is better), and the exact matches of each.
- line-loss: A and B are budgets; the change is B's line loss (the mean token loss of the removed line, nats)
  minus A's, or with `--value far_name_loss` B's mean loss of the far names' tokens minus A's (cursors with
  far names only); lower is better.

Files after `--a-files` / `--b-files` are read for that side only (the same budget name may mean two rules
in two runs); the positional files serve a side that has none. A sample that two files of one side
give different values for is an error: name the files that hold the run meant.
Reads JSON only; imports no torch.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hirope_lsp.eval.metrics import names_loss, paired_change

Key = tuple[str, ...]


@dataclass(frozen=True)
class Scored:
    """One sample of one method: what it scored (the pairing key) and its value there."""

    key: Key
    value: float  # ppl: perplexity of the scored tokens; complete: edit similarity; line-loss: line loss
    exact: bool | None = None  # complete only
    source: str = ""


@dataclass(frozen=True)
class Comparison:
    kind: str  # "ppl", "complete" or "line-loss"
    a: str
    b: str
    pairs: list[tuple[Scored, Scored]]

    @property
    def lower_is_better(self) -> bool:
        return self.kind != "complete"

    def changes(self) -> list[float]:
        """Per pair: ppl, B relative to A in percent; complete and line-loss, B's value minus A's."""
        if self.kind == "ppl":
            return [100.0 * (b.value / a.value - 1.0) for a, b in self.pairs]
        return [b.value - a.value for a, b in self.pairs]

    def summary(self) -> dict[str, Any]:
        changes = self.changes()
        count = len(changes)
        mean, sd, t = paired_change(changes)
        better = sum(1 for c in changes if (c < 0 if self.lower_is_better else c > 0))
        worse = sum(1 for c in changes if (c > 0 if self.lower_is_better else c < 0))
        result: dict[str, Any] = {
            "pairs": count,
            "mean_change": mean,
            "sd": sd,
            "t": t,
            "better": better,
            "worse": worse,
            "same": count - better - worse,
            "mean_a": sum(a.value for a, _ in self.pairs) / count,
            "mean_b": sum(b.value for _, b in self.pairs) / count,
        }
        if self.kind == "complete":
            result["exact_a"] = sum(1 for a, _ in self.pairs if a.exact)
            result["exact_b"] = sum(1 for _, b in self.pairs if b.exact)
        return result


def method_at(spec: str, length: int | None) -> tuple[str, int | None]:
    """NAME@LENGTH, or NAME at the default length."""
    name, at, given = spec.partition("@")
    if not at:
        return name, length
    if not given.isdigit() or int(given) <= 0:
        raise ValueError(f"{spec!r}: the length after '@' must be a count of tokens")
    return name, int(given)


def ppl_samples(data: dict[str, Any], source: str, name: str, length: int | None) -> list[Scored]:
    """The method's per-sequence perplexities of the last scored tokens at `length` (or at the file's only
    length), keyed by the sequence's name."""
    method = data.get("methods", {}).get(name)
    if method is None:
        return []
    by_length = method["by_length"]
    if length is None:
        if len(by_length) != 1:
            raise ValueError(f"{source} has {name} at {len(by_length)} lengths: pass --length or {name}@LENGTH")
        (row,) = by_length.values()
    else:
        row = by_length.get(str(length))
        if row is None:
            return []
    names = [sequence["name"] for sequence in data["sequences"]]
    values = row["per_sample_last_ppl"]
    return [Scored((sequence,), float(value), source=source) for sequence, value in zip(names, values, strict=True)]


def cursor_samples(data: dict[str, Any], source: str, budget: str, value: str = "line_loss") -> list[Scored]:
    """The budget's cursors (complete or line-loss), keyed by repository, file and line; of line-loss, the
    sample's `value` (line_loss or far_name_loss; cursors without far names are left out of the latter)."""
    complete = data["eval"] == "complete"
    found: list[Scored] = []
    for sample in data["samples"]:
        if sample["budget"] != budget:
            continue
        key = (sample["repository"], sample["file"], str(sample["line"]))
        if complete:
            found.append(Scored(key, float(sample["similarity"]), exact=bool(sample["exact"]), source=source))
            continue
        score = line_loss_value(sample, value)
        if score is not None:
            found.append(Scored(key, score, source=source))
    return found


def line_loss_value(sample: dict[str, Any], value: str) -> float | None:
    """A line-loss sample's line_loss, or the mean loss of its far names' tokens (from its tokens' losses)."""
    if value == "line_loss":
        return float(sample["line_loss"])
    if value == "far_name_loss":
        return names_loss(sample["losses"], sample["token_names"], sample["far_names"])
    raise ValueError(f"--value is line_loss or far_name_loss, got {value!r}")


def collect(
    files: Iterable[tuple[str, dict[str, Any]]], kind: str, spec: str, length: int | None, value: str = "line_loss"
) -> dict[Key, Scored]:
    """Every sample of one method across the files; the same key with two values is an error."""
    name, at = method_at(spec, length) if kind == "ppl" else (spec, None)
    found: dict[Key, Scored] = {}
    for source, data in files:
        try:
            if kind == "ppl":
                samples = ppl_samples(data, source, name, at)
            else:
                samples = cursor_samples(data, source, name, value)
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"{source}: not the layout of `eval {kind}` results (at {error!r})") from None
        for sample in samples:
            seen = found.get(sample.key)
            if seen is not None and not math.isclose(seen.value, sample.value, rel_tol=1e-9):
                raise ValueError(
                    f"{spec} at {'/'.join(sample.key)}: {seen.value:.6g} in {seen.source} but "
                    f"{sample.value:.6g} in {sample.source}; pass the files of one run"
                )
            found.setdefault(sample.key, sample)
    return found


def load(paths: Iterable[Path]) -> list[tuple[str, dict[str, Any]]]:
    files: list[tuple[str, dict[str, Any]]] = []
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: not a readable result file ({error})") from None
        if not isinstance(data, dict) or data.get("eval") not in ("ppl", "complete", "line-loss"):
            raise ValueError(f"{path}: not the JSON of `eval ppl`, `eval complete` or `eval line-loss`")
        files.append((str(path), data))
    return files


def compare(
    paths: list[Path],
    a: str,
    b: str,
    length: int | None = None,
    a_paths: list[Path] | None = None,
    b_paths: list[Path] | None = None,
    value: str = "line_loss",
) -> Comparison:
    """Pair A's and B's samples across the result files (all of one evaluation); A reads
    `a_paths` if given, else `paths`, and B likewise."""
    a_files, b_files = load(a_paths or paths), load(b_paths or paths)
    if not a_files or not b_files:
        raise ValueError("no result files: pass FILE.json ..., or --a-files and --b-files")
    kinds = {data["eval"] for _, data in a_files + b_files}
    if len(kinds) != 1:
        raise ValueError("pass result files of one evaluation: ppl.json, complete.json or line-loss.json, not a mix")
    (kind,) = kinds
    if value != "line_loss" and kind != "line-loss":
        raise ValueError(f"--value {value} reads line-loss.json files, not {kind}.json")
    first, second = collect(a_files, kind, a, length, value), collect(b_files, kind, b, length, value)
    pairs = [(first[key], second[key]) for key in sorted(first.keys() & second.keys())]
    if not pairs:
        raise ValueError(f"no sample scored by both {a} ({len(first)} samples) and {b} ({len(second)})")
    return Comparison(kind, a, b, pairs)


def table(comparison: Comparison) -> list[str]:
    ppl = comparison.kind == "ppl"
    unit = "%" if ppl else ""  # the change's
    lower = comparison.lower_is_better
    rows = [f"{'sample':<40} {comparison.a:>24} {comparison.b:>24} {'change':>9}"]
    for (a, b), change in zip(comparison.pairs, comparison.changes(), strict=True):
        shown = f"{change:+.2f}%" if ppl else f"{change:+.3f}"
        rows.append(f"{'/'.join(a.key):<40.40} {a.value:>24.4f} {b.value:>24.4f} {shown:>9}")
    s = comparison.summary()
    t = "n/a" if s["t"] is None else f"{s['t']:+.2f}"
    better = "lower" if lower else "higher"
    rows.append(
        f"{s['pairs']} pairs: mean {s['mean_a']:.4f} -> {s['mean_b']:.4f}; change {s['mean_change']:+.3f}{unit} "
        f"(sd {s['sd']:.3f}{unit}, paired t = {t} with {s['pairs'] - 1} degrees of freedom); "
        f"B {better} on {s['better']}, {'higher' if lower else 'lower'} on {s['worse']}, equal on {s['same']}"
    )
    if comparison.kind == "complete":
        rows.append(f"exact matches: {comparison.a} {s['exact_a']}, {comparison.b} {s['exact_b']}")
    return rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files", nargs="*", type=Path, help="ppl.json, complete.json or line-loss.json files of `hirope-lsp eval`"
    )
    parser.add_argument(
        "--a", required=True, metavar="NAME", help="the baseline: a ppl method (NAME or NAME@LENGTH) or a budget"
    )
    parser.add_argument("--b", required=True, metavar="NAME", help="the candidate, as --a")
    parser.add_argument("--length", type=int, default=None, help="ppl: the bucket length of NAMEs without @")
    parser.add_argument(
        "--value",
        choices=["line_loss", "far_name_loss"],
        default="line_loss",
        help="line-loss: what to pair, the line's loss or its far names' token loss",
    )
    parser.add_argument("--a-files", nargs="+", type=Path, default=[], help="files for A alone (not the positional)")
    parser.add_argument("--b-files", nargs="+", type=Path, default=[], help="files for B alone (not the positional)")


def run(args: argparse.Namespace) -> list[str]:
    return table(compare(args.files, args.a, args.b, args.length, args.a_files, args.b_files, args.value))
