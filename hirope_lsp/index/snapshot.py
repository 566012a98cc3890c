"""Immutable views of the index, for the prompt builder: nothing in them changes after they are made.

A FileSnapshot of an open document carries the document's bytes as they were at that moment; one
of a file on disk carries only its units and tags and reads the file when asked for its text.
Pitfall: a file on disk may have changed since it was indexed (the watcher catches up within
moments), so its bytes may not match its units exactly; the bytes of an open document always do.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from hirope_lsp.index.coordinates import Encoding, LineIndex
from hirope_lsp.index.outline import Unit
from hirope_lsp.index.tags import Tag


@dataclass(frozen=True)
class FileSnapshot:
    """One file's language, units and tags, and its text (held for an open document, else read on demand)."""

    path: Path
    language: str | None  # a name from languages.LANGUAGE_NAMES; None for plain text
    units: tuple[Unit, ...]
    tags: tuple[Tag, ...]
    version: int | None = None  # the editor's version of an open document; None for a file on disk
    data: builtins.bytes | None = field(default=None, repr=False)  # an open document's bytes

    @property
    def is_open(self) -> bool:
        return self.version is not None

    @cached_property
    def bytes(self) -> builtins.bytes:
        """The file's bytes: the open document's, else read from disk once (OSError if that fails)."""
        return self.data if self.data is not None else self.path.read_bytes()

    @cached_property
    def text(self) -> str:
        """The file's text; bytes that are not valid UTF-8 read as U+FFFD."""
        return self.bytes.decode("utf-8", "replace")

    def offset(self, line: int, column: int, encoding: Encoding) -> int:
        """The byte offset of an editor position (coordinates.py states the rule)."""
        return self._lines.offset(self.bytes, line, column, encoding)

    def position(self, offset: int, encoding: Encoding) -> tuple[int, int]:
        """The editor position (line, column in code units of `encoding`) of a byte offset."""
        return self._lines.position(self.bytes, offset, encoding)

    @cached_property
    def _lines(self) -> LineIndex:
        return LineIndex(self.bytes)


@dataclass(frozen=True)
class RepositorySnapshot:
    """Every indexed file at one moment, and when the editor last changed each recently edited one."""

    root: Path
    files: Mapping[Path, FileSnapshot]
    recently_edited: Mapping[Path, float]  # path -> time.monotonic() of its last edit in the editor
