"""Definitions and references of a file, from the language's tags query (as in aider's repomap).

A tags query marks the name of each thing with `@name` and the thing itself with
`@definition.<category>` or `@reference.<category>` (`@definition.function`, `@reference.call`);
that is data, in the wheels' queries/tags.scm files and ours (languages.py). A match with a name
but no such capture (Go's package clause) is not a tag. When two patterns tag the same name the
same way (Rust's "method" and "function" both match a function in an impl), the earlier pattern,
the more specific one, wins.

`update_tags` is the incremental form. It queries again only a window around each edit: the
smallest node holding the edit (and a byte either side), widened to every ancestor that a pattern
rooted at that ancestor's type could reach from it (the patterns' depths, read once from the query
source), but never past a top-level node. A match that an edit changed has a node at or above the
edit, so its root and names lie in the window; every other tag only moves. As before, a match is
assumed not to span two top-level nodes. A keystroke in a 750 KB file thus queries a few hundred
bytes, not the statement (or the whole file) around it.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import Literal, NamedTuple

import tree_sitter

from hirope_lsp.index.document import Document
from hirope_lsp.index.edits import ByteEdit, moved_by
from hirope_lsp.index.languages import Language


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


def update_tags(previous_tags: Sequence[Tag], document: Document) -> tuple[Tag, ...]:
    """The document's tags, reusing `previous_tags` (from before the document's pending edits) away from
    the edits: only the windows around the edits (see the module docstring) are queried again."""
    edits = document.pending_edits
    if not edits:
        return tuple(previous_tags)
    if document.tree is None:
        return ()
    windows = _windows(document, edits)
    kept = shift_untouched(previous_tags, edits)
    tags: list[Tag] = []
    position = 0
    for low, high in windows:
        while position < len(kept) and kept[position].start_byte < low:
            tags.append(kept[position])
            position += 1
        while position < len(kept) and kept[position].start_byte < high:
            position += 1  # queried again below
        tags.extend(_query(document, low, high))
    tags.extend(kept[position:])
    return tuple(tags)


def shift_untouched(tags: Sequence[Tag], edits: Sequence[ByteEdit]) -> list[Tag]:
    """The tags that `edits` did not touch, moved to where the edits put them, in order.

    Tags before every edit stay as they are and tags after every edit move by the edits' total shift,
    so only the few in between go through `moved_by` one by one."""
    first_start = min(edit.start for edit in edits)
    after, total_bytes, total_rows = 0, 0, 0  # a tag starting after `after` follows every edit
    for edit in edits:
        after = max(after, edit.old_end - total_bytes)
        total_bytes += edit.new_end - edit.old_end
        total_rows += edit.row_delta
    before = bisect_left(tags, first_start, key=_start)
    while before > 0 and tags[before - 1].end_byte >= first_start:
        before -= 1
    following = max(bisect_right(tags, after, key=_start), before)
    kept = list(tags[:before])
    for tag in tags[before:following]:
        shift = moved_by(tag.start_byte, tag.end_byte, edits)
        if shift is not None:
            kept.append(_moved(tag, shift.bytes, shift.rows))
    if total_bytes == total_rows == 0:
        kept.extend(tags[following:])
    else:
        kept.extend(_moved(tag, total_bytes, total_rows) for tag in tags[following:])
    return kept


def _start(tag: Tag) -> int:
    return tag.start_byte


def _moved(tag: Tag, byte_shift: int, row_shift: int) -> Tag:
    name, kind, category, start, end, line = tag
    return _new_tag(Tag, (name, kind, category, start + byte_shift, end + byte_shift, line + row_shift))


_new_tag = tuple.__new__  # Tag's own __new__ is a Python function, several times slower


def _windows(document: Document, edits: Sequence[ByteEdit]) -> list[tuple[int, int]]:
    """Sorted, disjoint byte ranges of the current text that hold every tag the edits may have changed."""
    assert document.tree is not None and document.language is not None
    root = document.tree.root_node
    reach = _reach(document.language)
    farthest = max(reach.values(), default=0)
    size = len(document)
    windows = []
    for low, high in _edited_regions(edits):
        # One byte more each side: text typed right next to a name may join it.
        low, high = max(low - 1, 0), min(high + 1, size)
        node = root.descendant_for_byte_range(low, high) or root
        outer, climbed = node, 0
        while node.parent is not None and node.parent.parent is not None and climbed < farthest:
            node, climbed = node.parent, climbed + 1
            if max(reach.get(node.type, -1), reach.get("", -1)) >= climbed:
                outer = node
        if outer == root:  # the edits span top-level nodes: take the ones at either end whole
            low = min(low, _top_level_node(root, low, low).start_byte)
            high = max(high, _top_level_node(root, max(high - 1, low), high).end_byte)
        else:
            low, high = min(low, outer.start_byte), max(high, outer.end_byte)
        windows.append((low, high))
    windows.sort()
    merged: list[tuple[int, int]] = []
    for low, high in windows:
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _top_level_node(root: tree_sitter.Node, offset: int, default: int) -> _Span:
    """The span of the child of `root` that holds byte `offset`, else an empty one at `default`."""
    node = root.descendant_for_byte_range(offset, offset) or root
    if node == root:
        return _Span(default, default)
    while node.parent is not None and node.parent != root:
        node = node.parent
    return _Span(node.start_byte, node.end_byte)


class _Span(NamedTuple):
    start_byte: int
    end_byte: int


def _edited_regions(edits: Sequence[ByteEdit]) -> list[tuple[int, int]]:
    """Where each edit's new text (or the gap a deletion left) lies in the text after all of them."""
    regions: list[tuple[int, int]] = []
    for edit in edits:
        delta = edit.new_end - edit.old_end
        moved = []
        for low, high in regions:
            if high < edit.start:
                moved.append((low, high))
            elif low > edit.old_end:
                moved.append((low + delta, high + delta))
            else:  # overlaps the edit: grows to cover it
                moved.append((min(low, edit.start), max(high + delta, edit.new_end)))
        regions = [*moved, (edit.start, edit.new_end)]
    return regions


def _reach(language: Language) -> dict[str, int]:
    """Per node type, how many levels above a node a tags pattern rooted at that type can see it
    (its depth less one); "" for patterns whose root is any node or a group of siblings."""
    if language.name in _REACHES:
        return _REACHES[language.name]
    reach = _REACHES[language.name] = {}
    source = language.tags_source
    query = language.tags_query
    for pattern in range(query.pattern_count):
        text = _COMMENT.sub("", source[query.start_byte_for_pattern(pattern) : query.end_byte_for_pattern(pattern)])
        text = _STRING.sub('""', text)
        root = _ROOT.match(text)
        root_type = root.group(1) if root is not None and root.group(1) != "_" else ""
        depth = level = 0
        for match in _PAREN.finditer(text):
            if match.group() == ")":
                level -= 1
            elif not match.group().startswith("(#"):
                level += 1
                depth = max(depth, level)
            else:
                level += 1  # a predicate: a level of parentheses that is not a node
        reach[root_type] = max(reach.get(root_type, 0), depth - 1)
    return reach


_REACHES: dict[str, dict[str, int]] = {}  # by language name
_COMMENT = re.compile(r";[^\n]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_ROOT = re.compile(r"\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)")
_PAREN = re.compile(r"\(#|\(|\)")


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
