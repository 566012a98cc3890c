"""What the index keeps for a file that is not open in the editor, and how to build it from disk.

A FileIndex holds the file's units and tags, never its tree or text: trees are large and only
open documents need one. Building one reads the file, refuses what the index should not hold (too
large, binary, unreadable) with a reason for the log, and parses it once.

A FileIndex also has a plain form, nested tuples of str, int, bool and None, that the disk cache
stores with marshal and the scan's worker processes return: for the standard library (400k tags)
marshal reads it in 0.1 s where pickle needs 1.5 s for the records, and that was most of a warm
start.

`index_files` is the unit of work of those worker processes, so it does no logging (a child
process's log records would not reach the server's handlers); the caller logs the reasons it returns.
"""

from __future__ import annotations

import errno
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hirope_lsp.index.document import Document
from hirope_lsp.index.languages import language_by_name, language_name_for_path
from hirope_lsp.index.outline import Unit, top_level_units
from hirope_lsp.index.tags import Tag, file_tags

BINARY_PROBE_BYTES = 8192  # a NUL byte in this many first bytes marks a binary file, as git decides


@dataclass(frozen=True)
class FileIndex:
    """A file's extracted structure, and the stat values and language it was extracted with."""

    path: str  # absolute
    language: str | None  # a name from languages.LANGUAGE_NAMES; None for plain text
    units: tuple[Unit, ...]
    tags: tuple[Tag, ...]
    size: int
    mtime_ns: int
    valid_utf8: bool


@dataclass(frozen=True)
class Skipped:
    """A file the index does not hold, and why (said to the user in the log, at `level`)."""

    path: str
    reason: str
    level: int = logging.INFO


PlainFileIndex = tuple[Any, ...]  # see the module docstring


def looks_binary(data: bytes | str) -> bool:
    """A NUL among the first BINARY_PROBE_BYTES bytes (or characters, for text from the editor)."""
    if isinstance(data, str):
        return "\0" in data[:BINARY_PROBE_BYTES]
    return b"\0" in data[:BINARY_PROBE_BYTES]


def to_plain(record: FileIndex) -> PlainFileIndex:
    units = tuple(_plain_unit(unit) for unit in record.units)
    tags = tuple(tuple(tag) for tag in record.tags)
    return record.path, record.language, units, tags, record.size, record.mtime_ns, record.valid_utf8


def from_plain(plain: PlainFileIndex) -> FileIndex:
    path, language, units, tags, size, mtime_ns, valid_utf8 = plain
    return FileIndex(
        path,
        language,
        tuple(_unit(unit) for unit in units),
        tuple(Tag._make(tag) for tag in tags),
        size,
        mtime_ns,
        valid_utf8,
    )


def _plain_unit(unit: Unit) -> tuple[Any, ...]:
    children = tuple(_plain_unit(child) for child in unit.children)
    return unit.kind, unit.name, unit.start_byte, unit.end_byte, unit.depth, children


def _unit(plain: tuple[Any, ...]) -> Unit:
    kind, name, start_byte, end_byte, depth, children = plain
    return Unit(kind, name, start_byte, end_byte, depth, tuple(_unit(child) for child in children))


def index_files(paths: list[str], max_file_bytes: int) -> list[PlainFileIndex | Skipped]:
    """index_file for each path, in order, each record in its plain form."""
    results = (index_file(path, max_file_bytes) for path in paths)
    return [to_plain(result) if isinstance(result, FileIndex) else result for result in results]


def index_file(path: str, max_file_bytes: int) -> FileIndex | Skipped:
    """Read, check, parse and extract one file."""
    try:
        status = os.stat(path)
        if status.st_size > max_file_bytes:
            return Skipped(path, f"larger than the index's limit of {max_file_bytes:,} bytes ({status.st_size:,})")
        data = Path(path).read_bytes()
    except OSError as error:
        return Skipped(path, describe_os_error(error), logging.WARNING)
    if looks_binary(data):
        return Skipped(path, f"binary (a NUL byte in the first {BINARY_PROBE_BYTES:,} bytes)")
    return extract(path, data, status.st_size, status.st_mtime_ns)


def extract(path: str, data: bytes, size: int, mtime_ns: int) -> FileIndex:
    """The FileIndex of bytes read from `path`."""
    language_name = language_name_for_path(path, data[: data.find(b"\n")] if b"\n" in data else data)
    language = None if language_name is None else language_by_name(language_name)
    document = Document.from_bytes(path, data, language)
    try:
        data.decode("utf-8")
        valid_utf8 = True
    except UnicodeDecodeError:
        valid_utf8 = False
    return FileIndex(
        path, language_name, tuple(top_level_units(document)), file_tags(document), size, mtime_ns, valid_utf8
    )


def describe_os_error(error: OSError) -> str:
    """A short reason for the log, e.g. "permission denied" or "a symbolic link loop"."""
    if isinstance(error, PermissionError):
        return "permission denied (the index skips it; make it readable to include it)"
    if error.errno == errno.ELOOP:
        return "a symbolic link loop"
    if isinstance(error, FileNotFoundError):
        return "not found (deleted, or a broken symbolic link)"
    return f"unreadable: {error.strerror or error}"
