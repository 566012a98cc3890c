"""LSP positions <-> the index's byte offsets: the one place where the server converts coordinates.

The rule is the index's (hirope_lsp/index/coordinates.py): columns count code units of the position
encoding agreed at initialize (utf-8 bytes, utf-16 units or utf-32 characters); a column past the end
of its line means the line's end; a line past the last line means the end of the document. This
module only translates between lsprotocol's types and the index's: it converts with the document's
own FileSnapshot and never counts code units itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import get_args

from lsprotocol import types

from hirope_lsp.index.coordinates import Encoding
from hirope_lsp.index.document import TextEdit
from hirope_lsp.index.snapshot import FileSnapshot

DEFAULT_ENCODING: Encoding = "utf-16"  # what LSP assumes when the client names none


def negotiated_encoding(chosen: object) -> Encoding:
    """The index's name for the encoding pygls chose from the client's general.positionEncodings."""
    value = getattr(chosen, "value", chosen)
    for encoding in get_args(Encoding):
        if value == encoding:
            return encoding  # type: ignore[no-any-return]
    return DEFAULT_ENCODING


def content_changes(
    changes: Sequence[types.TextDocumentContentChangeEvent],
) -> Iterable[TextEdit | str]:
    """didChange's content changes as the index takes them: a ranged TextEdit, or a whole new text."""
    for change in changes:
        if isinstance(change, types.TextDocumentContentChangePartial):
            start, end = change.range.start, change.range.end
            yield TextEdit(start.line, start.character, end.line, end.character, change.text)
        else:
            yield change.text


def cursor_offset(file: FileSnapshot, position: types.Position, encoding: Encoding) -> int:
    """The byte offset of an LSP position in the document (clamped to the document, as LSP says)."""
    return file.offset(position.line, position.character, encoding)


def lsp_position(file: FileSnapshot, offset: int, encoding: Encoding) -> types.Position:
    """The LSP position of a byte offset."""
    line, character = file.position(offset, encoding)
    return types.Position(line=line, character=character)


def line_end_offset(data: bytes, offset: int) -> int:
    """The byte offset where the line holding `offset` ends, before its line break."""
    end = len(data)
    for brk in (b"\n", b"\r"):
        found = data.find(brk, offset)
        if 0 <= found < end:
            end = found
    return end


def lsp_range(file: FileSnapshot, start: int, end: int, encoding: Encoding) -> types.Range:
    """The LSP range of the bytes [start, end)."""
    return types.Range(start=lsp_position(file, start, encoding), end=lsp_position(file, end, encoding))
