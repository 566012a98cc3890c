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
bytes, not the statement (or the whole file) around it; and the tags after it are moved only when
read (shifted.py), not remade on every keystroke.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Literal, NamedTuple

import tree_sitter

from hirope_lsp.index.document import Document
from hirope_lsp.index.edits import ByteEdit, edited_regions, merged_spans, moved_by
from hirope_lsp.index.languages import Language
from hirope_lsp.index.shifted import Shifted


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


def update_tags(previous_tags: Shifted[Tag], document: Document) -> Shifted[Tag]:
    """The document's tags, reusing `previous_tags` (from before the document's pending edits) away from
    the edits: only the windows around the edits (see the module docstring) are queried again. The
    tags after the edits are moved when read (shifted.py), so this costs the same anywhere in a file."""
    edits = document.pending_edits
    if not edits:
        return previous_tags
    if document.tree is None:
        return shifted_tags(())
    rest = shift_untouched(previous_tags, edits)
    parts: list[Shifted[Tag] | list[Tag]] = []
    for low, high in _windows(document, edits):
        before, rest = rest.split(low)
        rest = rest.split(high)[1]  # the tags in [low, high) are queried again
        parts += [before, _query(document, low, high)]
    return shifted_tags(()).joined(*parts, rest)


def shifted_tags(tags: Sequence[Tag]) -> Shifted[Tag]:
    """`tags` (in order) as a sequence that `update_tags` and `shift_untouched` move lazily."""
    return Shifted.of(tags, _moved)


def shift_untouched(tags: Shifted[Tag], edits: Sequence[ByteEdit]) -> Shifted[Tag]:
    """The tags that `edits` did not touch, moved to where the edits put them, in order.

    Tags before every edit stay as they are and tags after every edit move by the edits' total shift
    (lazily), so only the few in between go through `moved_by` one by one."""
    first_start = min(edit.start for edit in edits)
    after, total_bytes, total_rows = 0, 0, 0  # a tag starting after `after` follows every edit
    for edit in edits:
        after = max(after, edit.old_end - total_bytes)
        total_bytes += edit.new_end - edit.old_end
        total_rows += edit.row_delta
    head, rest = tags.split(first_start)
    reaching = len(head)  # tags that start before the first edit but reach it
    while reaching > 0 and head[reaching - 1].end_byte >= first_start:
        reaching -= 1
    head, middle = head.split_index(reaching)
    between, following = rest.split(after + 1)
    kept = []
    for tag in (*middle, *between):
        shift = moved_by(tag.start_byte, tag.end_byte, edits)
        if shift is not None:
            kept.append(_moved(tag, shift.bytes, shift.rows))
    return head.joined(kept, following.shifted(total_bytes, total_rows))


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
    for low, high in edited_regions(edits):
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
    return merged_spans(windows)


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
