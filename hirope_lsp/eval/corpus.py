"""Real code nobody here wrote: the installed standard library's packages, as the evaluations' text.

A *group* is a few stdlib packages taken as one repository. Its sequence is every .py file of those
packages, whole, in sorted path order, each after a one-line header (`# file: asyncio/events.py`, the
prompt builder's plain layout), tokenized unit by unit as the prompt builder does: the header is one
unit, and each top-level unit of the file's tree-sitter outline (index/outline.py) one more. So the
positions are files > units > tokens: the unit level is what the attention uses, and the file level (the
file index of each token, Positions.file) feeds the three-level evaluation variant (eval/ppl.py, `file`).
"""

from __future__ import annotations

import sysconfig
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hirope_lsp.hirope.positions import Positions
from hirope_lsp.index.document import Document
from hirope_lsp.index.languages import language_for_path
from hirope_lsp.index.outline import Unit, top_level_units

Tokenize = Callable[[str], Sequence[int]]

# Each at least 32k tokens of SmolLM2's tokenizer; the first three are the default samples. The last six
# were added on 2026-12-03 as fresh held-out groups (docs/RESULTS.md section 1c); new groups go at the end,
# so that --first-group keeps naming the same ones.
GROUPS: tuple[tuple[str, ...], ...] = (
    ("asyncio",),
    ("email",),
    ("json", "concurrent", "http"),
    ("multiprocessing",),
    ("xml",),
    ("importlib", "urllib"),
    ("unittest",),
    ("logging", "sqlite3", "tomllib", "wsgiref"),
    ("idlelib",),
    ("tkinter",),
    ("distutils",),
    ("lib2to3",),
    ("re", "xmlrpc"),
    ("ctypes", "collections", "zoneinfo", "curses", "dbm", "venv"),
)
# Directories of test suites inside a package, at any depth: they are not the library.
TEST_DIRECTORIES = frozenset({"test", "tests", "idle_test"})


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def group_name(packages: Sequence[str]) -> str:
    return "+".join(packages)


def group_files(packages: Sequence[str], root: Path | None = None) -> list[Path]:
    """The .py files of the packages, sorted by path (test suites left out: they are not the library)."""
    base = root or stdlib_root()
    files: list[Path] = []
    for package in packages:
        directory = base / package
        if not directory.is_dir():
            raise FileNotFoundError(f"no package {package!r} under {base}")
        files.extend(
            path
            for path in directory.rglob("*.py")
            if TEST_DIRECTORIES.isdisjoint(path.relative_to(directory).parts[:-1])
        )
    return sorted(files)


def file_units(path: Path) -> tuple[bytes, tuple[Unit, ...]]:
    data = path.read_bytes()
    document = Document.from_bytes(str(path), data, language_for_path(path))
    return data, tuple(top_level_units(document))


def header(relative: str) -> str:
    return f"# file: {relative}\n"


@dataclass(frozen=True)
class TokenSequence:
    """Token ids of a group with their unit and file positions."""

    name: str
    ids: tuple[int, ...]
    positions: Positions

    def window(self, end: int, length: int) -> tuple[list[int], Positions]:
        """The `length` tokens ending before `end`, with unit (and file, if known) positions shifted to start at 0."""
        start = end - length
        if start < 0 or end > len(self.ids):
            raise ValueError(f"{self.name} has {len(self.ids)} tokens, not {length} ending at {end}")
        units = self.positions.unit[start:end]
        files = None if self.positions.file is None else self.positions.file[start:end]
        shifted_files = None if not files else tuple(f - files[0] for f in files)
        return list(self.ids[start:end]), Positions(tuple(u - units[0] for u in units), shifted_files)


def group_sequence(
    packages: Sequence[str], tokenize: Tokenize, max_tokens: int, root: Path | None = None
) -> TokenSequence:
    """The group's first `max_tokens` tokens (whole files until the last, which is cut), with unit and
    file positions."""
    base = root or stdlib_root()
    ids: list[int] = []
    lengths: list[int] = []
    files: list[int] = []  # the file index of every token: files that gave no token are skipped, like units
    for path in group_files(packages, base):
        data, units = file_units(path)
        pieces = [header(path.relative_to(base).as_posix())]
        pieces.extend(data[unit.start_byte : unit.end_byte].decode("utf-8", "replace") for unit in units)
        for piece in pieces:
            tokens = tokenize(piece)
            ids.extend(tokens)
            lengths.append(len(tokens))
        if len(ids) > len(files):
            files.extend([files[-1] + 1 if files else 0] * (len(ids) - len(files)))
        if len(ids) >= max_tokens:
            break
    if len(ids) < max_tokens:
        raise ValueError(f"{group_name(packages)} has only {len(ids)} tokens, fewer than {max_tokens}")
    positions = Positions(Positions.from_unit_lengths(lengths).unit, tuple(files))[:max_tokens]
    return TokenSequence(group_name(packages), tuple(ids[:max_tokens]), positions)
