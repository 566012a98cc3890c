"""One file's bytes and syntax tree, updated incrementally as the editor sends changes.

The document owns its buffer (UTF-8 bytes, kept as read even when they are not valid UTF-8) and,
for a language with a grammar, a tree-sitter tree. A batch of LSP content changes is applied one
by one, each in the coordinates left by the one before (as LSP orders them): convert the range
once (coordinates.py), splice the buffer, tell the old tree what moved (byte offsets and byte
columns), and after the batch reparse once with the old tree, so that tree-sitter reuses every
subtree the edits did not touch. The edits, and the ranges where the syntax changed, pile up in
`pending_edits` (edits.py) until whoever keeps units and tags up to date has used them and calls
`clear_pending()`; extraction can thus run once for many keystrokes.

The new tree equals a fresh parse of the new text whenever that text parses without errors. With
syntax errors it may not: tree-sitter's error recovery can settle differently when it reuses old
subtrees (a bare tree-sitter reparse does the same). Both trees are valid recoveries; forcing a
fresh parse on every erroneous keystroke would cost a whole parse while the user types.

Pitfalls: the parser reads the buffer in place, so `Node.text` of our trees may show later edits;
slice `Document.bytes` by the node's byte offsets instead. A Document is not thread-safe; its owner
serializes access.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import NamedTuple

import tree_sitter

from hirope_lsp.index.coordinates import Encoding, LineIndex
from hirope_lsp.index.edits import ByteEdit
from hirope_lsp.index.languages import Language


class TextEdit(NamedTuple):
    """An LSP content change with a range: replace (start..end) by `text`; columns in code units."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    text: str


class Document:
    """A file's bytes and tree; build one with `from_bytes` or `from_text`."""

    def __init__(self, path: str, buffer: bytearray, language: Language | None) -> None:
        self.path = path
        self.language = language
        self._buffer = buffer
        self._lines = LineIndex(buffer)
        self._parser = tree_sitter.Parser(language.grammar) if language else None
        self.tree: tree_sitter.Tree | None = self._parser.parse(buffer) if self._parser else None
        self.revision = 0  # counts the batches of edits applied
        self.changed_ranges: tuple[tuple[int, int], ...] = ()  # where the last batch changed the syntax
        self._pending: list[ByteEdit] = []
        self._pending_text: list[ByteEdit] = []  # the same, without the syntax-changed ranges
        self._bytes_cache: tuple[int, builtins.bytes] | None = None
        self._text_cache: tuple[int, str] | None = None

    @classmethod
    def from_bytes(cls, path: str, data: builtins.bytes, language: Language | None) -> Document:
        """A document for a file's bytes as read from disk (path or URI; any bytes, even invalid UTF-8)."""
        return cls(path, bytearray(data), language)

    @classmethod
    def from_text(cls, path: str, text: str, language: Language | None) -> Document:
        """A document for text from the editor."""
        return cls(path, bytearray(_encode(text)), language)

    @property
    def bytes(self) -> builtins.bytes:
        if self._bytes_cache is None or self._bytes_cache[0] != self.revision:
            self._bytes_cache = (self.revision, bytes(self._buffer))
        return self._bytes_cache[1]

    @property
    def text(self) -> str:
        """The text; bytes that are not valid UTF-8 read as U+FFFD."""
        if self._text_cache is None or self._text_cache[0] != self.revision:
            self._text_cache = (self.revision, self._buffer.decode("utf-8", "replace"))
        return self._text_cache[1]

    @property
    def pending_edits(self) -> tuple[ByteEdit, ...]:
        """The edits since the last clear_pending(), in order, with each reparse's changed ranges as
        edits that keep their length."""
        return tuple(self._pending)

    @property
    def pending_text_edits(self) -> tuple[ByteEdit, ...]:
        """The edits of the text since the last clear_pending(), in order (no syntax-changed ranges)."""
        return tuple(self._pending_text)

    def clear_pending(self) -> None:
        """The pending edits have been used (the units and tags are up to date with the text)."""
        self._pending.clear()
        self._pending_text.clear()

    def __len__(self) -> int:
        return len(self._buffer)

    def offset(self, line: int, column: int, encoding: Encoding) -> int:
        """The byte offset of an editor position; see coordinates.py for the rule."""
        return self._lines.offset(self._buffer, line, column, encoding)

    def position(self, offset: int, encoding: Encoding) -> tuple[int, int]:
        """The editor position (line, column in code units of `encoding`) of a byte offset."""
        return self._lines.position(self._buffer, offset, encoding)

    def apply_edits(self, changes: Iterable[TextEdit | str], encoding: Encoding) -> None:
        """Apply LSP content changes in order: a TextEdit replaces a range, a str replaces everything."""
        edits: list[ByteEdit] = []
        reparse_from_scratch = False
        for change in changes:
            if isinstance(change, str):
                edits.append(self._replace_all(_encode(change)))
                reparse_from_scratch = True
            elif (edit := self._replace_range(change, encoding, not reparse_from_scratch)) is not None:
                edits.append(edit)
        if not edits:
            return
        self.revision += 1
        self._pending.extend(edits)
        self._pending_text.extend(edits)
        self.changed_ranges = ((0, len(self._buffer)),)
        if self._parser is None:
            return
        if reparse_from_scratch or self.tree is None:
            self.tree = self._parser.parse(self._buffer)
        else:
            old_tree, self.tree = self.tree, self._parser.parse(self._buffer, self.tree)
            self.changed_ranges = tuple(
                (changed.start_byte, changed.end_byte) for changed in old_tree.changed_ranges(self.tree)
            )
            self._pending.extend(ByteEdit(start, end, end, 0) for start, end in self.changed_ranges)

    def _replace_range(self, change: TextEdit, encoding: Encoding, update_tree: bool) -> ByteEdit | None:
        """Apply one ranged change to the buffer and (unless a full reparse follows) the tree; None if a no-op."""
        start = self.offset(change.start_line, change.start_column, encoding)
        old_end = self.offset(change.end_line, change.end_column, encoding)
        start, old_end = min(start, old_end), max(start, old_end)
        new_bytes = _encode(change.text)
        if start == old_end and not new_bytes:
            return None
        start_point = self._lines.point(self._buffer, start)
        old_end_point = self._lines.point(self._buffer, old_end)
        self._lines.replace(self._buffer, start, old_end, new_bytes)
        new_end = start + len(new_bytes)
        new_end_point = self._lines.point(self._buffer, new_end)
        if update_tree and self.tree is not None:
            self.tree.edit(start, old_end, new_end, start_point, old_end_point, new_end_point)
        return ByteEdit(start, old_end, new_end, new_end_point[0] - old_end_point[0])

    def _replace_all(self, new_bytes: builtins.bytes) -> ByteEdit:
        old_rows = self._buffer.count(b"\n")
        edit = ByteEdit(0, len(self._buffer), len(new_bytes), new_bytes.count(b"\n") - old_rows)
        self._buffer = bytearray(new_bytes)
        self._lines = LineIndex(self._buffer)
        return edit


def _encode(text: str) -> builtins.bytes:
    # A str from JSON may hold a lone surrogate, which UTF-8 cannot encode; "?" keeps its one UTF-16 unit.
    return text.encode("utf-8", "replace")
