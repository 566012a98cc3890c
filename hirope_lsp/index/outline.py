"""A file's units: the top-level definitions and runs of statements that HiRoPE numbers.

`top_level_units` partitions the file: the units are contiguous, in order, non-empty, and cover
every byte, so the prompt builder can give each one an index. The rules, for a file with a grammar:

- each top-level definition (definitions.py says which node types are) is one unit;
- a run of consecutive other top-level statements (imports, assignments, calls) is one
  "statements" unit;
- comments, decorators and attributes join what follows them; blank space between units joins
  the unit after it; trailing space and a dangling `;` join the unit before;
- the contents of a namespace or include guard are laid out as if they were top level.

A file without a grammar splits into "paragraph" units at blank lines, by the same joining rules.
A definition's children are the named definitions inside it (methods, nested classes and
functions, recursively); they do not partition anything.

`update_units` is the incremental form: it recomputes the cheap top-level split and reuses, shifted,
every unit that the document's pending edits did not touch (edits.py), so the expensive part,
finding children, runs only where the text or its syntax changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from itertools import pairwise
from typing import NamedTuple

import tree_sitter

from hirope_lsp.index.definitions import DefinitionRules
from hirope_lsp.index.document import Document
from hirope_lsp.index.edits import moved_by
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


class _Role(Enum):
    DEFINITION = "definition"
    STATEMENT = "statement"
    LEADING = "leading"  # joins the item after it
    TRAILING = "trailing"  # joins the item before it


class _Item(NamedTuple):
    """A top-level node and what it is to the partition."""

    role: _Role
    start: int
    end: int
    kind: str = "statements"
    name: str | None = None
    definition: tree_sitter.Node | None = None  # for a definition: the node that is one (inside wrappers)


@dataclass(slots=True)
class _Group:
    """A unit in the making: a definition or a run of statements, with the items that joined it."""

    kind: str
    name: str | None
    start: int  # where its first item (a leading comment, say) starts
    end: int
    definition: tree_sitter.Node | None = None


def top_level_units(document: Document) -> list[Unit]:
    """The units that partition the document; an empty document has none."""
    return update_units((), document)


def update_units(previous: Sequence[Unit], document: Document) -> list[Unit]:
    """The document's units, reusing those of `previous` (the units before the document's pending
    edits) that the pending edits did not touch; with no previous units, a full extraction. It does
    not clear the pending edits: the tags may still need them."""
    data = document.bytes
    if document.tree is None or document.language is None:
        return _paragraph_units(data)
    rules = document.language.rules
    edits = document.pending_edits
    reusable: dict[tuple[int, int, str, str | None], Unit] = {}
    for unit in previous:
        shift = moved_by(unit.start_byte, unit.end_byte, edits)
        if shift is not None:
            moved = unit.start_byte + shift.bytes, unit.end_byte + shift.bytes, unit.kind, unit.name
            reusable[moved] = unit.shifted(shift.bytes) if shift.bytes else unit
    units = []
    groups = _group(_items(document.tree.root_node, rules, data)) or [_Group("statements", None, 0, len(data))]
    for start, group in _partition(groups, data):
        reused = reusable.get((start, group.end, group.kind, group.name))
        if reused is not None:
            units.append(reused)
        else:
            children = () if group.definition is None else _children(group, document.language, rules, data)
            units.append(Unit(group.kind, group.name, start, group.end, 0, children))
    return units


def _items(parent: tree_sitter.Node, rules: DefinitionRules, data: bytes) -> list[_Item]:
    """The top-level items under `parent`, in order."""
    items: list[_Item] = []
    for node in parent.children:
        if node.type in rules.transparent:
            body_field = rules.transparent[node.type]
            contents = _items(node.child_by_field_name(body_field) or node if body_field else node, rules, data)
            if contents:  # the closing "}" or "#endif" goes with the last item inside
                items.extend(contents[:-1])
                items.append(contents[-1]._replace(end=node.end_byte))
            else:
                items.append(_Item(_Role.STATEMENT, node.start_byte, node.end_byte))
        elif not node.is_named:
            items.append(_Item(_Role.TRAILING, node.start_byte, node.end_byte))
        elif node.type in rules.leading:
            items.append(_Item(_Role.LEADING, node.start_byte, node.end_byte))
        elif (definition := _definition(node, rules)) is not None:
            kind, name = rules.definitions[definition.type], _name(definition, rules, data)
            items.append(_Item(_Role.DEFINITION, node.start_byte, node.end_byte, kind, name, definition))
        else:
            items.append(_Item(_Role.STATEMENT, node.start_byte, node.end_byte))
    return items


def _group(items: list[_Item]) -> list[_Group]:
    groups: list[_Group] = []
    leading_start: int | None = None  # where the leading items waiting for their item start
    for item in items:
        if item.role is _Role.LEADING:
            leading_start = item.start if leading_start is None else leading_start
            continue
        start = item.start if leading_start is None else leading_start
        if item.role is _Role.TRAILING and groups and leading_start is None:
            groups[-1].end = item.end
        elif item.role is _Role.DEFINITION:
            groups.append(_Group(item.kind, item.name, start, item.end, item.definition))
        elif groups and groups[-1].definition is None:
            groups[-1].end = item.end
        else:
            groups.append(_Group("statements", None, start, item.end))
        leading_start = None
    if leading_start is not None:  # comments at the end of the file
        if groups:
            groups[-1].end = items[-1].end
        else:
            groups.append(_Group("statements", None, leading_start, items[-1].end))
    return groups


def _partition(groups: list[_Group], data: bytes) -> list[tuple[int, _Group]]:
    """(start, group) for each non-empty group: each starts where the one before ended, the last ends
    the file, and a group that ends before a line break (with only blanks before it, and the next
    group on a later line) takes it, so units are whole lines where the source allows."""
    for group, following in pairwise(groups):
        if data[group.end - 1 : group.end] in (b"\n", b"\r"):
            continue  # already ends a line
        line_break = data.find(b"\n", group.end, following.start)
        if line_break >= 0 and not data[group.end : line_break].strip():
            group.end = line_break + 1
    if groups:
        groups[-1].end = len(data)
    result: list[tuple[int, _Group]] = []
    start = 0
    for group in groups:
        if group.end > start:
            result.append((start, group))
            start = group.end
    return result


def _definition(node: tree_sitter.Node, rules: DefinitionRules) -> tree_sitter.Node | None:
    """The definition `node` is, or stands for through wrappers; None for an ordinary statement."""
    if node.type in rules.definitions:
        if node.type not in rules.body_required or node.child_by_field_name("body") is not None:
            return node
        return None
    if node.type in rules.wrappers:
        for child in node.named_children:
            definition = _definition(child, rules)
            if definition is not None:
                return definition
    return None


def _name(definition: tree_sitter.Node, rules: DefinitionRules, data: bytes) -> str | None:
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


def _children(group: _Group, language: Language, rules: DefinitionRules, data: bytes) -> tuple[Unit, ...]:
    """The named definitions inside a top-level definition, nested as in the source."""
    top = group.definition
    assert top is not None
    found: list[tuple[int, int, str, str]] = []
    for node in tree_sitter.QueryCursor(language.definitions_query).captures(top).get("definition", []):
        if node == top or _definition(node, rules) is not node:
            continue
        name = _name(node, rules, data)
        if name is None:  # an anonymous callback or class expression is not a unit of its own
            continue
        outer = node  # a decorated method starts at its decorator
        while outer.parent is not None and outer.parent.type in rules.wrappers and outer.parent != top:
            outer = outer.parent
        found.append((outer.start_byte, outer.end_byte, rules.definitions[node.type], name))
    found.sort(key=lambda entry: (entry[0], -entry[1]))
    return _nest(found, 0, top.end_byte, group.kind, 1)[0]


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


def _paragraph_units(data: bytes) -> list[Unit]:
    """Plain text: a unit per paragraph; blank lines join the paragraph after them."""
    ends = []
    offset = 0
    previous_blank = True
    for line in data.splitlines(keepends=True):
        blank = not line.strip()
        if blank and not previous_blank:
            ends.append(offset)
        previous_blank = blank
        offset += len(line)
    if not previous_blank or (data and not ends):
        ends.append(len(data))
    groups = [_Group("paragraph", None, end, end) for end in ends]  # ends are line starts: no extension
    return [Unit(group.kind, None, start, group.end) for start, group in _partition(groups, data)]
