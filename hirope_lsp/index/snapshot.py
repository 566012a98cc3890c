"""Immutable views of the index, for the prompt builder: nothing in them changes after they are made.

A FileSnapshot of an open document carries the document's bytes as they were at that moment; one
of a file on disk carries only its units and tags and reads the file when asked for its text.
The repository keeps the snapshots of files on disk for as long as it holds the files, so those
never keep the text themselves: it goes to a small cache of recently read files (keyed on the path
and the mtime the file was indexed with), and an index of the standard library stays small however
many of its files the prompt builder has read.
An open document's units and tags may come as shifted.Shifted sequences: records made before the
latest edits, moved to where the edits put them when `units` or `tags` is first read, so that a
keystroke does not remake every record after it; the moved records are kept and are the same on
every later read.
Pitfall: a file on disk may have changed since it was indexed (the watcher catches up within
moments), so its bytes may not match its units exactly; the bytes of an open document always do.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from hirope_lsp.index.coordinates import Encoding, LineIndex
from hirope_lsp.index.outline import Unit
from hirope_lsp.index.shifted import Shifted
from hirope_lsp.index.tags import Tag

DISK_FILES_CACHED = 64  # files on disk whose text stays in memory after a read


class _Contents:
    """A file's bytes, and its text and line index once asked for."""

    def __init__(self, data: builtins.bytes) -> None:
        self.bytes = data

    @cached_property
    def text(self) -> str:
        return self.bytes.decode("utf-8", "replace")

    @cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.bytes)


@dataclass(frozen=True)
class FileSnapshot:
    """One file's language, units and tags, and its text (held for an open document, else read on demand)."""

    path: Path
    language: str | None  # a name from languages.LANGUAGE_NAMES; None for plain text
    _units: tuple[Unit, ...] | Shifted[Unit] = field(repr=False)  # the records, or ones to move when read
    _tags: tuple[Tag, ...] | Shifted[Tag] = field(repr=False)
    version: int | None = None  # the editor's version of an open document; None for a file on disk
    data: builtins.bytes | None = field(default=None, repr=False)  # an open document's bytes
    mtime_ns: int | None = None  # a file on disk's mtime when it was indexed

    @property
    def units(self) -> tuple[Unit, ...]:
        """The top-level units, in order (outline.py); moved into place on the first read."""
        return self._units if isinstance(self._units, tuple) else self._units.materialize()

    @property
    def tags(self) -> tuple[Tag, ...]:
        """The tags, in order (tags.py); moved into place on the first read."""
        return self._tags if isinstance(self._tags, tuple) else self._tags.materialize()

    @property
    def is_open(self) -> bool:
        return self.version is not None

    @property
    def bytes(self) -> builtins.bytes:
        """The file's bytes: the open document's, else read from disk (OSError if that fails)."""
        return self._contents.bytes

    @property
    def text(self) -> str:
        """The file's text; bytes that are not valid UTF-8 read as U+FFFD."""
        return self._contents.text

    def offset(self, line: int, column: int, encoding: Encoding) -> int:
        """The byte offset of an editor position (coordinates.py states the rule)."""
        contents = self._contents
        return contents.lines.offset(contents.bytes, line, column, encoding)

    def position(self, offset: int, encoding: Encoding) -> tuple[int, int]:
        """The editor position (line, column in code units of `encoding`) of a byte offset."""
        contents = self._contents
        return contents.lines.position(contents.bytes, offset, encoding)

    @property
    def _contents(self) -> _Contents:
        if self.data is None:
            return _read(self.path, self.mtime_ns)
        return self._open_contents

    @cached_property
    def _open_contents(self) -> _Contents:
        assert self.data is not None
        return _Contents(self.data)


@lru_cache(maxsize=DISK_FILES_CACHED)
def _read(path: Path, mtime_ns: int | None) -> _Contents:
    """A file on disk's contents; `mtime_ns` keys the cache only (a changed file is indexed anew)."""
    return _Contents(path.read_bytes())


@dataclass(frozen=True)
class RepositorySnapshot:
    """Every indexed file at one moment, and when the editor last changed each recently edited one."""

    root: Path
    files: Mapping[Path, FileSnapshot]
    recently_edited: Mapping[Path, float]  # path -> time.monotonic() of its last edit in the editor
