"""Prompt build benchmark: how long the prompt builder takes per keystroke in a large repository.

    python -m hirope_lsp.eval.bench_prompt [--root DIR] [--file REL] [--line N] [--builds 50]

The repository is the installed standard library (site-packages and caches left out), indexed with
the index's Repository; the cursor sits at the end of a line of an open document (default: inside
email/message.py). Each build follows a one-character edit at the cursor, as typing does: apply the
edit to the index, take a snapshot, build the prompt with the real default tokenizer and the HiRoPE
budget. It prints the scan time, the first (cold) build, p50/p95 of the edited builds, the prompt's
size, and how many leading ids each build shares with the one before (what the engine's cache reuses).
"""

from __future__ import annotations

import argparse
import statistics
import sysconfig
import tempfile
import time
from pathlib import Path

from hirope_lsp.config import ModelSettings, PromptSettings
from hirope_lsp.index.document import TextEdit
from hirope_lsp.index.repository import Repository
from hirope_lsp.model.loader import load_model
from hirope_lsp.prompt.budget import prompt_budget
from hirope_lsp.prompt.layout import build_prompt
from hirope_lsp.prompt.tokens import CachedTokenizer, TransformersTokenizer

DEFAULT_FILE = "email/message.py"
DEFAULT_LINE = 600  # inside Message.get_content_type's neighbourhood; any line works
IGNORED = ["site-packages/", "__pycache__/", "*.pyc"]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--file", default=DEFAULT_FILE, help="the cursor's file, relative to --root")
    parser.add_argument("--line", type=int, default=DEFAULT_LINE, help="the cursor's line (from 1), at its end")
    parser.add_argument("--builds", type=int, default=50)
    parser.add_argument("--model", default="default", help="whose tokenizer counts the tokens")
    parser.add_argument("--cache-dir", type=Path, default=None, help="the index's disk cache (default: a fresh one)")
    args = parser.parse_args()

    loaded = load_model(args.model)
    tokenizer = CachedTokenizer(TransformersTokenizer(loaded.tokenizer))
    settings = ModelSettings()
    budget = prompt_budget(
        loaded.model.config.max_position_embeddings, settings.max_tokens, "hirope", PromptSettings().context_multiple
    )
    with tempfile.TemporaryDirectory() as fresh:
        repository = Repository(args.root, cache_dir=args.cache_dir or Path(fresh), ignore_patterns=IGNORED)
        started = time.perf_counter()
        repository.scan()
        scan_seconds = time.perf_counter() - started
    path = repository.root / args.file
    text = path.read_text("utf-8")
    lines = text.split("\n")
    line = min(args.line, len(lines)) - 1
    column = len(lines[line])  # utf-8 bytes = characters for this ASCII source
    repository.open_document(path, text, 1)
    offset = repository.snapshot().files[path].offset(line, column, "utf-8")

    started = time.perf_counter()
    previous = build_prompt(repository.snapshot(), path, offset, tokenizer, budget)
    cold = time.perf_counter() - started
    seconds: list[float] = []
    shared: list[int] = []
    for build in range(args.builds):
        repository.apply_edits(path, [TextEdit(line, column + build, line, column + build, "x")], "utf-8", build + 2)
        started = time.perf_counter()
        prompt = build_prompt(repository.snapshot(), path, offset + build + 1, tokenizer, budget)
        seconds.append(time.perf_counter() - started)
        shared.append(previous.shared_prefix(prompt))
        previous = prompt

    print(f"repository {repository.root}: {len(repository.snapshot().files)} files, scanned in {scan_seconds:.1f} s")
    print(f"cursor {args.file}:{line + 1}:{column + 1}; budget {budget} tokens ({loaded.name})")
    print(f"prompt: {len(previous.ids)} tokens from {len(previous.files)} files, format {previous.format}")
    print(f"first build (cold token cache): {cold * 1000:.1f} ms")
    print(
        f"{args.builds} builds after one-character edits: p50 {statistics.median(seconds) * 1000:.1f} ms,"
        f" p95 {percentile(seconds, 0.95) * 1000:.1f} ms, max {max(seconds) * 1000:.1f} ms"
    )
    print(
        f"ids shared with the previous build: min {min(shared)}, median {statistics.median(shared):.0f}"
        f" (repository context {previous.context_tokens})"
    )
    print(f"tokenizer cache: {tokenizer.hits} hits, {tokenizer.misses} misses")


if __name__ == "__main__":
    main()
