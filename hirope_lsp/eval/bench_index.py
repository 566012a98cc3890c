"""Benchmark of the repository index: a cold scan, a warm start from the disk cache, and one keystroke.

Run: `.venv/bin/python -m hirope_lsp.eval.bench_index [--stdlib DIR] [--workers N] [--keystrokes-only]`.
It indexes the installed standard library (its site-packages and __pycache__ left out), twice with
one cache directory (`--keystrokes-only` skips that), then types one character into two large files
and deletes it again, many times, timing the index's incremental update (edit + reparse +
re-extraction of touched units and tags) against a bare tree-sitter reparse of the same edit (and
that reparse plus `changed_ranges`, which the index needs to know where the syntax changed) and
against a full re-extraction. It reports the resident memory with the warm index (after reading 500
files' text, as the prompt builder does) and the whole run's peak.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import tree_sitter

from hirope_lsp.index.document import Document, TextEdit
from hirope_lsp.index.languages import language_by_name
from hirope_lsp.index.outline import top_level_units
from hirope_lsp.index.repository import Repository
from hirope_lsp.index.tags import file_tags

KEYSTROKES = 200


def bench_scans(stdlib: Path, workers: int) -> None:
    with tempfile.TemporaryDirectory() as cache_dir:
        ignore = ["site-packages/", "__pycache__/"]
        started = time.perf_counter()
        cold = Repository(stdlib, cache_dir=Path(cache_dir), ignore_patterns=ignore, workers=workers)
        cold.scan()
        cold_seconds = time.perf_counter() - started
        files = cold.snapshot().files
        python_files = sum(path.suffix == ".py" for path in files)
        units = sum(len(file.units) for file in files.values())
        tags = sum(len(file.tags) for file in files.values())
        print(
            f"cold scan of {stdlib}: {cold_seconds:.2f} s, {len(files)} files ({python_files} .py), "
            f"{cold.files_parsed} parsed, {units} top-level units, {tags} tags, {workers} workers"
        )
        del cold, files
        gc.collect()
        started = time.perf_counter()
        warm = Repository(stdlib, cache_dir=Path(cache_dir), ignore_patterns=ignore, workers=workers)
        warm.scan()
        print(
            f"warm start from the disk cache: {time.perf_counter() - started:.2f} s, "
            f"{warm.files_parsed} files parsed, {len(warm.snapshot().files)} files"
        )
        read = sum(len(file.bytes) for file in list(warm.snapshot().files.values())[:500])  # as prompts do
        gc.collect()
        print(
            f"memory: {_resident_mb():.0f} MB resident with the warm index after reading {read / 2**20:.0f} MB "
            f"of text, {_peak_mb():.0f} MB peak (whole run)"
        )


def bench_keystroke(path: Path, anchor: bytes) -> None:
    data = path.read_bytes()
    offset = data.index(anchor, len(data) // 2) + len(anchor)
    repository = Repository(path.parent)  # never scanned: only the open document is used
    repository.open_document(str(path), data.decode(), version=0)
    probe = Document.from_bytes(str(path), data, None)
    line, column = probe.position(offset, "utf-16")
    insert, delete = TextEdit(line, column, line, column, "x"), TextEdit(line, column, line, column + 1, "")

    def index_update(step: int) -> None:
        repository.apply_edits(str(path), [insert if step % 2 == 0 else delete], "utf-16", version=step + 1)
        repository.snapshot()  # brings the open document's units and tags up to date

    records_read: list[int] = []

    def index_update_read(step: int) -> None:
        index_update(step)
        file = repository.snapshot().files[path]  # the same snapshot: nothing changed since
        # Units and tags are moved to where the edits put them when first read (index/shifted.py).
        records_read.append(len(file.units) + len(file.tags))

    def edit_only(step: int) -> None:
        repository.apply_edits(str(path), [insert if step % 2 == 0 else delete], "utf-16", version=step + 1)

    parser = tree_sitter.Parser(language_by_name("python").grammar)
    typed = data[:offset] + b"x" + data[offset:]
    point = probe.position(offset, "utf-8")  # the same as tree-sitter's point in a file without bare "\r"
    after = (point[0], point[1] + 1)
    trees = [parser.parse(data)]

    def bare_reparse(step: int) -> None:
        tree = trees[-1]
        if step % 2 == 0:
            tree.edit(offset, offset, offset + 1, point, point, after)
            trees.append(parser.parse(typed, tree))
        else:
            tree.edit(offset, offset + 1, offset, point, after, point)
            trees.append(parser.parse(data, tree))
        trees.pop(0)

    def bare_reparse_changed_ranges(step: int) -> None:
        old = trees[-1]
        bare_reparse(step)
        old.changed_ranges(trees[-1])

    document = Document.from_bytes(str(path), data, language_by_name("python"))

    def full_extraction(step: int) -> None:
        document.apply_edits([insert if step % 2 == 0 else delete], "utf-16")
        top_level_units(document)
        file_tags(document)

    print(f"one keystroke in {path} ({len(data):,} bytes), median / 95th percentile of {KEYSTROKES}:")
    for label, action in [
        ("index: apply_edits (edit + reparse)", edit_only),
        ("index: apply_edits + snapshot (+ touched units and tags)", index_update),
        ("index: apply_edits + snapshot + reading every unit and tag", index_update_read),
        ("bare tree-sitter (tree.edit + parse with the old tree)", bare_reparse),
        ("bare tree-sitter + changed_ranges", bare_reparse_changed_ranges),
        ("edit + reparse + full re-extraction (no reuse)", full_extraction),
    ]:
        median, p90 = _timings(action)
        print(f"  {label}: {median:.2f} ms / {p90:.2f} ms")


def _timings(action: Callable[[int], None]) -> tuple[float, float]:
    samples = []
    for step in range(KEYSTROKES):
        started = time.perf_counter()
        action(step)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), statistics.quantiles(samples, n=20)[-1]


def _resident_mb() -> float:
    """This process's resident memory now (Linux), else its peak."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return _peak_mb()
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    """This process's peak resident memory (ru_maxrss counts KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stdlib", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keystrokes-only", action="store_true", help="skip the cold and warm scans (~10 s)")
    arguments = parser.parse_args()
    if not arguments.keystrokes_only:
        bench_scans(arguments.stdlib, arguments.workers)
    bench_keystroke(arguments.stdlib / "pydoc_data" / "topics.py", b" the ")
    bench_keystroke(arguments.stdlib / "test" / "test_typing.py", b"def test_")


if __name__ == "__main__":
    main()
