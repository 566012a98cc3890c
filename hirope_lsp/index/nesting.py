"""The Unit record, and the named definitions nested in a top-level one (its children), found or updated.

A top-level definition's children are the definitions inside it (methods, nested classes and
functions, recursively) that have a name; they do not partition anything. Finding them queries
the whole definition, which for a large class (test_typing.py's GenericTests: 32 KB, 166 nested
definitions) cost more than the rest of a keystroke. `children_after_edits` queries again only a window
around the edits: each edited region widened to the outermost definition (or wrapper, such as a
decorated definition) below the top-level one that holds either end, so every definition that an
edit may have changed lies wholly inside a window; the other children only move. Should the new tree
disagree (a definition found across a window's edge, a kept one inside a window), it finds them all anew.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import tree_sitter

from hirope_lsp.index.definitions import DefinitionRules
from hirope_lsp.index.document import Document
from hirope_lsp.index.edits import ByteEdit, edited_regions, edited_span, merged_spans, moved_by, moved_offset
from hirope_lsp.index.languages import Language

# A function defined directly inside one of these is a method.
_METHOD_PARENTS = frozenset({"class", "interface", "impl", "trait", "struct", "enum"})
_NAME_DEPTH_LIMIT = 8  # steps from a definition to its name node, enough for C's nested declarators


@dataclass(frozen=True, slots=True)
class Unit:
    """A span of a file: a definition (with its nested definitions as children) or a run of statements."""

    kind: str  # "function", "class", "method", ..., "statements" or "paragraph"
    name: str | None  # None for statements, paragraphs and anonymous definitions
    start_byte: int
    end_byte: int
    depth: int = 0  # 0 at top level, 1 for a method of a top-level class, ...
    children: tuple[Unit, ...] = ()

    def shifted(self, by: int) -> Unit:
        """The same unit `by` bytes further on."""
        children = tuple(child.shifted(by) for child in self.children)
        return Unit(self.kind, self.name, self.start_byte + by, self.end_byte + by, self.depth, children)


def moved_unit(unit: Unit, byte_shift: int, row_shift: int) -> Unit:
    """`unit` moved by `byte_shift` bytes (units have no rows), for shifted.Shifted."""
    return unit.shifted(byte_shift) if byte_shift else unit


def definition_of(node: tree_sitter.Node, rules: DefinitionRules) -> tree_sitter.Node | None:
    """The definition `node` is, or stands for through wrappers; None for an ordinary statement."""
    if node.type in rules.definitions:
        if node.type not in rules.body_required or node.child_by_field_name("body") is not None:
            return node
        return None
    if node.type in rules.wrappers:
        for child in node.named_children:
            definition = definition_of(child, rules)
            if definition is not None:
                return definition
    return None


def name_of(definition: tree_sitter.Node, rules: DefinitionRules, data: bytes) -> str | None:
    """The definition's name, or that of the nearest wrapper around it with one (`const f = () => 1`)."""
    node: tree_sitter.Node | None = definition
    while node is not None and (node is definition or node.type in rules.wrappers):
        name = _own_name(node, data)
        if name is not None:
            return name
        node = node.parent
    return None


def _own_name(node: tree_sitter.Node, data: bytes) -> str | None:
    """Follow `name`, else `declarator`, else `type` down to a leaf; None if the node has none of them."""
    for step in range(_NAME_DEPTH_LIMIT):
        child = next(
            (found for field_name in ("name", "declarator", "type") if (found := node.child_by_field_name(field_name))),
            None,
        )
        if child is None and step > 0 and node.named_child_count:
            child = node.named_children[0]  # e.g. C++'s `double& at()`: a reference_declarator has no field
        if child is None:
            return data[node.start_byte : node.end_byte].decode("utf-8", "replace") if step > 0 else None
        node = child
    return None


def children_after_edits(
    top: tree_sitter.Node, kind: str, start: int, before: Sequence[Unit], document: Document
) -> tuple[Unit, ...]:
    """The children of the top-level definition `top`, a unit of `kind` that starts at `start`: updated
    from the unit of `before` (the units before the document's pending edits) that was the same
    definition (of its kind, its start untouched by the edits), else found anew."""
    assert document.language is not None
    edits = document.pending_edits
    for unit in before:
        if unit.kind == kind:
            shift = moved_by(unit.start_byte, unit.start_byte, edits)
            if shift is not None and unit.start_byte + shift.bytes == start:
                return _updated_children(top, unit, edits, document.language, document.bytes)
    return _children(top, kind, document.language, document.bytes)


def _children(top: tree_sitter.Node, kind: str, language: Language, data: bytes) -> tuple[Unit, ...]:
    """The named definitions inside the top-level definition `top` (of unit kind `kind`), nested as in the source."""
    found = _found(top, language, data, None)
    return _nest(found, 0, top.end_byte, kind, 1)[0]


def _updated_children(
    top: tree_sitter.Node, old: Unit, edits: Sequence[ByteEdit], language: Language, data: bytes
) -> tuple[Unit, ...]:
    """`_children(top, old.kind, ...)`, reusing those of `old` (the same definition before `edits`) that the
    edits did not touch; see the module docstring."""
    # What `top` holds past where `old` ended (a string opened in it may swallow what followed) is new
    # to it, and queried like an edit.
    old_end = moved_offset(old.end_byte, edits)
    grown = [(old_end, top.end_byte)] if old_end < top.end_byte else []
    windows = _windows(top, [*edited_regions(edits), *grown], language.rules)
    # Siblings are disjoint and in order: those before the first edit stay, those after the last one
    # move by the edits' total, and only the few between go through `moved_by`.
    first, after, _ = edited_span(edits)
    total = sum(edit.new_end - edit.old_end for edit in edits)
    siblings = old.children
    before, following = bisect_left(siblings, first, key=_end), bisect_right(siblings, after, key=_start)
    following = max(following, before)
    kept = list(siblings[:before])
    for child in siblings[before:following]:
        shift = moved_by(child.start_byte, child.end_byte, edits)
        if shift is not None:
            kept.append(child.shifted(shift.bytes) if shift.bytes else child)
    kept.extend(child.shifted(total) if total else child for child in siblings[following:])
    # The tree may disagree with the edits: a definition that no edit touched may have left `top` (whose
    # end moved), or lie where a window says definitions changed. Then find them all anew.
    if kept and (kept[0].start_byte < top.start_byte or kept[-1].end_byte > top.end_byte):
        return _children(top, old.kind, language, data)
    for low, high in windows:
        index = bisect_right(kept, low, key=_end)
        if index < len(kept) and kept[index].start_byte < high:
            return _children(top, old.kind, language, data)
    found: list[tuple[int, int, str, str]] = []
    for low, high in windows:
        for entry in _found(top, language, data, (low, high)):
            if not low <= entry[0] <= entry[1] <= high:
                return _children(top, old.kind, language, data)
            found.append(entry)
    found.sort(key=lambda entry: (entry[0], -entry[1]))
    return tuple(sorted((*kept, *_nest(found, 0, top.end_byte, old.kind, 1)[0]), key=lambda unit: unit.start_byte))


def _start(unit: Unit) -> int:
    return unit.start_byte


def _end(unit: Unit) -> int:
    return unit.end_byte


def _windows(
    top: tree_sitter.Node, regions: Sequence[tuple[int, int]], rules: DefinitionRules
) -> list[tuple[int, int]]:
    """Sorted, disjoint byte ranges inside `top` that hold every nested definition that reaches into the
    `regions` (where the edits put their text)."""
    nested = rules.definitions.keys() | rules.wrappers
    windows = []
    for low, high in regions:
        # One byte more each side: text typed right next to a definition may join it.
        low, high = max(low - 1, top.start_byte), min(high + 1, top.end_byte)
        if low >= high:
            continue
        for end in (low, high - 1):
            node = top.descendant_for_byte_range(end, end)
            while node is not None and node != top:
                if node.type in nested:
                    low, high = min(low, node.start_byte), max(high, node.end_byte)
                node = node.parent
        windows.append((low, high))
    return merged_spans(windows)


def _found(
    top: tree_sitter.Node, language: Language, data: bytes, window: tuple[int, int] | None
) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, name) of the named definitions below `top` (that reach into `window`), sorted."""
    rules = language.rules
    cursor = tree_sitter.QueryCursor(language.definitions_query)
    if window is not None:
        cursor.set_byte_range(*window)
    found: list[tuple[int, int, str, str]] = []
    for node in cursor.captures(top).get("definition", []):
        if node == top or definition_of(node, rules) is not node:
            continue
        name = name_of(node, rules, data)
        if name is None:  # an anonymous callback or class expression is not a unit of its own
            continue
        outer = node  # a decorated method starts at its decorator
        while outer.parent is not None and outer.parent.type in rules.wrappers and outer.parent != top:
            outer = outer.parent
        found.append((outer.start_byte, outer.end_byte, rules.definitions[node.type], name))
    found.sort(key=lambda entry: (entry[0], -entry[1]))
    return found


def _nest(
    found: list[tuple[int, int, str, str]], index: int, parent_end: int, parent_kind: str, depth: int
) -> tuple[tuple[Unit, ...], int]:
    """Units for found[index:] up to the first one past parent_end, each with its own nested ones."""
    units = []
    while index < len(found) and found[index][0] < parent_end:
        start, end, kind, name = found[index]
        if kind == "function" and parent_kind in _METHOD_PARENTS:
            kind = "method"
        grandchildren, index = _nest(found, index + 1, end, kind, depth + 1)
        units.append(Unit(kind, name, start, end, depth, grandchildren))
    return tuple(units), index
