"""Definitions and references of a file, from the language's tags query (as in aider's repomap).

A tags query marks the name of each thing with `@name` and the thing itself with
`@definition.<category>` or `@reference.<category>` (`@definition.function`, `@reference.call`);
that is data, in the wheels' queries/tags.scm files and ours (languages.py). A match with a name
but no such capture (Go's package clause) is not a tag. When two patterns tag the same name the
same way (Rust's "method" and "function" both match a function in an impl), the earlier pattern,
the more specific one, wins.

`update_tags` is the incremental form: tags inside top-level units that the document's pending edits
did not touch are shifted, and only the touched units are queried again, restricted to their bytes.
"""

from __future__ import annotations

import sys
from bisect import bisect_left
from collections.abc import Sequence
from typing import Literal, NamedTuple

import tree_sitter

from hirope_lsp.index.document import Document
from hirope_lsp.index.edits import moved_by
from hirope_lsp.index.outline import Unit


class Tag(NamedTuple):
    """A name defined or referenced in a file; offsets and row are those of the name itself."""

    name: str
    kind: Literal["def", "ref"]
    category: str  # "function", "class", "method", "call", "import", ...
    start_byte: int
    end_byte: int
    line: int  # tree-sitter row, 0-based


def file_tags(document: Document) -> tuple[Tag, ...]:
    """Every tag of the document, in order; none for plain text."""
    return tuple(_query(document, 0, len(document)))


def update_tags(
    previous_tags: Sequence[Tag], previous_units: Sequence[Unit], units: Sequence[Unit], document: Document
) -> tuple[Tag, ...]:
    """The document's tags, reusing `previous_tags` inside `previous_units` (both from before the
    document's pending edits) that the pending edits did not touch. `units` are the current ones."""
    edits = document.pending_edits
    moved = {}
    for unit in previous_units:
        shift = moved_by(unit.start_byte, unit.end_byte, edits)
        if shift is not None:
            moved[(unit.start_byte + shift.bytes, unit.end_byte + shift.bytes)] = (unit, shift)
    previous_starts = [tag.start_byte for tag in previous_tags]
    tags: list[Tag] = []
    for unit in units:
        if (unit.start_byte, unit.end_byte) not in moved:
            tags.extend(_query(document, unit.start_byte, unit.end_byte))
            continue
        old, shift = moved[(unit.start_byte, unit.end_byte)]
        first = bisect_left(previous_starts, old.start_byte)
        last = bisect_left(previous_starts, old.end_byte)
        if shift.bytes == shift.rows == 0:
            tags.extend(previous_tags[first:last])
        else:
            byte_shift, row_shift = shift.bytes, shift.rows
            tags.extend(
                Tag(name, kind, category, start + byte_shift, end + byte_shift, line + row_shift)
                for name, kind, category, start, end, line in previous_tags[first:last]
            )
    return tuple(tags)


def _query(document: Document, start: int, end: int) -> list[Tag]:
    """The tags whose name starts in [start, end), in order."""
    if document.tree is None or document.language is None:
        return []
    cursor = tree_sitter.QueryCursor(document.language.tags_query)
    cursor.set_byte_range(start, end)
    data = document.bytes
    best: dict[tuple[int, int, str], tuple[int, Tag]] = {}  # per name and kind: (pattern index, tag)
    for pattern, captures in cursor.matches(document.tree.root_node):
        role = next((capture for capture in captures if capture.startswith(("definition.", "reference."))), None)
        if role is None:
            continue
        kind: Literal["def", "ref"] = "def" if role.startswith("definition.") else "ref"
        for node in captures.get("name", []):
            if not start <= node.start_byte < end:
                continue
            key = (node.start_byte, node.end_byte, kind)
            if key not in best or pattern < best[key][0]:
                # Interned: a name recurs across files, and the disk cache pickles each distinct object once.
                name = sys.intern(data[node.start_byte : node.end_byte].decode("utf-8", "replace"))
                category = sys.intern(role.partition(".")[2])
                tag = Tag(name, kind, category, node.start_byte, node.end_byte, node.start_point.row)
                best[key] = (pattern, tag)
    return sorted((tag for _, tag in best.values()), key=lambda tag: (tag.start_byte, tag.kind))
