"""Prompt stability benchmark: how much of the prompt a keystroke invalidates while a line is typed.

    python -m hirope_lsp.eval.bench_stability [--package email] [--lines-per-file 4] [--budget 2048]

The engine reuses the KV cache of the prompt's leading ids that did not change (DESIGN.md section 4),
so what a keystroke costs is the prompt's length minus the ids it shares with the prompt before it.
Typing should change only the tail, from the cursor's line on. This replays real typing: in each
file of a standard-library package, lines are sampled (seeded), blanked, and typed again one
character at a time in an open document of the index; after each character the prompt is built
for the cursor, as the server does. Definition headers (`def`, `class`, decorators) are left out:
typing one makes a new unit at the cursor, which rightly renumbers the tail.

It prints, with the structure hold of index/structure.py and without it (HOLD_EDIT_LIMIT 0), the
ids to recompute per keystroke (p50, p95, max) and the share of keystrokes that invalidate more
than FAR_TOKENS ids (a cache loss beyond the cursor's line).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sysconfig
import tempfile
from pathlib import Path

from hirope_lsp.index import structure
from hirope_lsp.index.document import TextEdit
from hirope_lsp.index.repository import Repository
from hirope_lsp.model.loader import load_model
from hirope_lsp.prompt.layout import Prompt, build_prompt
from hirope_lsp.prompt.tokens import CachedTokenizer, TransformersTokenizer

FAR_TOKENS = 64  # more ids than a typed line and its unit's renumbered tail
HEADERS = ("#", "def ", "class ", "async def ", "@")


def retype(
    repository: Repository, path: Path, row: int, line: str, tokenizer: CachedTokenizer, budget: int
) -> list[int]:
    """Blank line `row` of the open document `path`, type `line` back, and return the ids each keystroke invalidated."""
    indent = len(line) - len(line.lstrip())
    text = path.read_text("utf-8").split("\n")
    text[row] = line[:indent]
    repository.open_document(path, "\n".join(text), 1)

    def prompt_at(column: int) -> Prompt:
        snapshot = repository.snapshot()
        offset = snapshot.files[path].offset(row, column, "utf-8")
        return build_prompt(snapshot, path, offset, tokenizer, budget)

    previous, invalidated = prompt_at(indent), []
    for column in range(indent, len(line)):
        repository.apply_edits(path, [TextEdit(row, column, row, column, line[column])], "utf-8", column + 2)
        prompt = prompt_at(column + 1)
        invalidated.append(len(prompt.ids) - previous.shared_prefix(prompt))
        previous = prompt
    repository.close_document(path)
    return invalidated


def sample_lines(path: Path, count: int, rng: random.Random) -> list[tuple[int, str]]:
    """Up to `count` ASCII lines of code with brackets or quotes, none a definition header or a comment."""
    lines = path.read_text("utf-8").split("\n")
    candidates = [
        (row, line)
        for row, line in enumerate(lines)
        if line.strip() and line.isascii() and any(c in line for c in "([{\"'") and not line.strip().startswith(HEADERS)
    ]
    return rng.sample(candidates, min(count, len(candidates)))


def percentile(values: list[int], fraction: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--package", default="email", help="a package directory of the standard library")
    parser.add_argument("--lines-per-file", type=int, default=4)
    parser.add_argument("--budget", type=int, default=2048, help="prompt budget in tokens")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default="default", help="whose tokenizer counts the tokens")
    args = parser.parse_args()

    tokenizer = CachedTokenizer(TransformersTokenizer(load_model(args.model).tokenizer))
    root = Path(sysconfig.get_paths()["stdlib"]) / args.package
    with tempfile.TemporaryDirectory() as cache:
        repository = Repository(root, cache_dir=Path(cache))
        repository.scan()
        rng = random.Random(args.seed)
        chosen = [
            (path, row, line)
            for path in sorted(root.glob("*.py"))
            for row, line in sample_lines(path, args.lines_per_file, rng)
        ]
        print(f"{root}: {len(chosen)} lines retyped, budget {args.budget} tokens")
        for label, limit in (("with the structure hold", structure.HOLD_EDIT_LIMIT), ("without it", 0)):
            saved, structure.HOLD_EDIT_LIMIT = structure.HOLD_EDIT_LIMIT, limit
            try:
                invalidated = [
                    n for path, row, line in chosen for n in retype(repository, path, row, line, tokenizer, args.budget)
                ]
            finally:
                structure.HOLD_EDIT_LIMIT = saved
            far = sum(n > FAR_TOKENS for n in invalidated)
            print(
                f"{label}: {len(invalidated)} keystrokes; ids invalidated p50 {statistics.median(invalidated):.0f},"
                f" p95 {percentile(invalidated, 0.95)}, max {max(invalidated)};"
                f" over {FAR_TOKENS}: {far} ({100 * far / len(invalidated):.1f}%)"
            )


if __name__ == "__main__":
    main()
