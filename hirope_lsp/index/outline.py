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

`update_units` is the incremental form. It redoes the split only between the units around the
document's pending edits (edits.py), from the one before the first touched unit to the one after
the last: the split is a left-to-right walk whose every decision looks at one neighbour, and those
two untouched units, found again where they were, show that it agrees with a walk of the whole
file (where they are not, it walks the whole file). Units before stay, units after move (lazily:
shifted.py), and a touched definition keeps the children the edits did not touch (nesting.py). A
keystroke thus costs the same anywhere in a file however many units follow it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from itertools import pairwise, takewhile
from typing import NamedTuple

import tree_sitter

from hirope_lsp.index.definitions import DefinitionRules
from hirope_lsp.index.document import Document
from hirope_lsp.index.edits import ByteEdit, edited_span, moved_by
from hirope_lsp.index.nesting import Unit, children_after_edits, definition_of, moved_unit, name_of
from hirope_lsp.index.shifted import Shifted

__all__ = ["Unit", "shifted_units", "top_level_units", "update_units"]


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
    if document.tree is None or document.language is None:
        return _paragraph_units(document.bytes)
    return _units(_whole_split(document), [], document)


def shifted_units(units: Iterable[Unit]) -> Shifted[Unit]:
    """`units` (in order) as a sequence that `update_units` moves lazily."""
    return Shifted.of(tuple(units), moved_unit)


def update_units(previous: Shifted[Unit], document: Document) -> Shifted[Unit]:
    """The document's units, reusing `previous` (the units before the document's pending edits) away
    from the edits (see the module docstring). It does not clear the pending edits: the tags may
    still need them."""
    edits = document.pending_edits
    if not edits:
        return previous
    if document.tree is None or document.language is None:
        return shifted_units(_paragraph_units(document.bytes))
    # Tree-sitter's changed ranges can miss a change in a tree with errors (seen: an empty ERROR node
    # far from the edit), so such a tree, like one whose units could not be cut, is split whole.
    if len(previous) and not document.tree.root_node.has_error:
        updated = _update_between(previous, document)
        if updated is not None:
            return updated
    return shifted_units(_units(_whole_split(document), list(previous), document))


def _update_between(previous: Shifted[Unit], document: Document) -> Shifted[Unit] | None:
    """The update by a split of only the units around the edits; None where that cannot be shown to
    agree with a split of the whole file."""
    edits = document.pending_edits
    first, after, _ = edited_span(edits)
    total = sum(edit.new_end - edit.old_end for edit in edits)
    head, rest = previous.split(first)
    head, around_first = head.split_index(max(len(head) - 2, 0))  # the unit holding `first`, one before
    touched, tail = rest.split(after + 1)
    around_after, tail = tail.split_index(1)  # one unit after the last touched one
    old = [*around_first, *touched, *around_after]
    low, high = old[0].start_byte, old[-1].end_byte + total
    middle = _split_between(document, low, high)
    if (
        middle is None
        or not (_same(middle[0], old[0], head, 0) and _same(middle[-1], old[-1], tail, total))
        or not (_moves_by(head, -1, 0, edits) and _moves_by(tail, 0, total, edits))
    ):
        return None
    return head.joined(_units(middle, old, document), tail.shifted(total, 0))


def _units(split: list[tuple[int, _Group]], old: Sequence[Unit], document: Document) -> list[Unit]:
    """The units of a split, reusing (moved) those of `old` that the document's pending edits did not
    touch, and the untouched children of a touched definition."""
    edits = document.pending_edits
    reusable = {}
    for unit in old:
        shift = moved_by(unit.start_byte, unit.end_byte, edits)
        if shift is not None:
            reusable[unit.start_byte + shift.bytes, unit.end_byte + shift.bytes, unit.kind, unit.name] = unit, shift
    units = []
    for start, group in split:
        reused = reusable.get((start, group.end, group.kind, group.name))
        if reused is not None:
            units.append(moved_unit(reused[0], reused[1].bytes, 0))
        else:
            units.append(_unit(start, group, old, document))
    return units


def _whole_split(document: Document) -> list[tuple[int, _Group]]:
    """(start, group) for the whole file."""
    assert document.tree is not None and document.language is not None
    data = document.bytes
    groups = _group(_items(document.tree.root_node.children, document.language.rules, data))
    return _partition(groups or [_Group("statements", None, 0, len(data))], data, 0, len(data))


def _split_between(document: Document, low: int, high: int) -> list[tuple[int, _Group]] | None:
    """(start, group) for the top-level nodes in [low, high), split as at the top of `top_level_units`;
    None where a node crosses an end or is transparent (its contents would count as top level)."""
    assert document.tree is not None and document.language is not None
    rules = document.language.rules
    nodes = _top_level_nodes(document.tree.root_node, low, high)
    crossing = not nodes or nodes[0].start_byte < low or nodes[-1].end_byte > high
    if crossing or any(node.type in rules.transparent for node in nodes):
        return None
    groups = _group(_items(nodes, rules, document.bytes))
    return _partition(groups, document.bytes, low, high) or None


def _top_level_nodes(root: tree_sitter.Node, low: int, high: int) -> list[tree_sitter.Node]:
    """The children of `root` from the first that ends after `low` to the last that starts before `high`."""
    cursor = root.walk()
    if cursor.goto_first_child_for_byte(low) is None:
        # A cursor over some grammars' trees (Go's) finds no child for a byte between two of them; the list
        # of all children (made in C: 12 us for 171) does. Not Node.first_child_for_byte and next_sibling:
        # in py-tree-sitter 0.26.1 they return a node that crashes the process past the last child.
        children = root.children
        index = bisect_right(children, low, key=lambda node: node.end_byte)
        return list(takewhile(lambda node: node.start_byte < high, children[index:]))
    nodes = []
    while cursor.node is not None and cursor.node.start_byte < high:
        nodes.append(cursor.node)
        if not cursor.goto_next_sibling():
            break
    return nodes


def _same(new: tuple[int, _Group], old: Unit, beyond: Shifted[Unit], shift: int) -> bool:
    """Whether a unit at an end of the redone split is `old` moved by `shift` (always true at the file's
    start or end, where no unit lies `beyond` it)."""
    if not len(beyond):
        return True
    start, group = new
    moved = old.start_byte + shift, old.end_byte + shift
    return (group.kind, group.name, start, group.end) == (old.kind, old.name, *moved)


def _moves_by(units: Shifted[Unit], index: int, shift: int, edits: Sequence[ByteEdit]) -> bool:
    """Whether units[index] (if any) is untouched by `edits` and moves by `shift`: a check that the cuts
    around the edits left every touched unit in between."""
    if not len(units):
        return True
    unit = units[index % len(units)]
    moved = moved_by(unit.start_byte, unit.end_byte, edits)
    return moved is not None and moved.bytes == shift


def _unit(start: int, group: _Group, old: Sequence[Unit], document: Document) -> Unit:
    """The unit of a group that starts at `start`, with its children (nesting.py; reusing those of the
    same definition in `old`, the units before the pending edits, that the edits did not touch)."""
    if group.definition is None:
        return Unit(group.kind, group.name, start, group.end)
    nested = children_after_edits(group.definition, group.kind, start, old, document)
    return Unit(group.kind, group.name, start, group.end, 0, nested)


def _items(nodes: Iterable[tree_sitter.Node], rules: DefinitionRules, data: bytes) -> list[_Item]:
    """The top-level items of `nodes` (top-level nodes, or a transparent node's contents), in order."""
    items: list[_Item] = []
    for node in nodes:
        if node.type in rules.transparent:
            body_field = rules.transparent[node.type]
            body = node.child_by_field_name(body_field) or node if body_field else node
            contents = _items(body.children, rules, data)
            if contents:  # the closing "}" or "#endif" goes with the last item inside
                items.extend(contents[:-1])
                items.append(contents[-1]._replace(end=node.end_byte))
            else:
                items.append(_Item(_Role.STATEMENT, node.start_byte, node.end_byte))
        elif not node.is_named:
            items.append(_Item(_Role.TRAILING, node.start_byte, node.end_byte))
        elif node.type in rules.leading:
            items.append(_Item(_Role.LEADING, node.start_byte, node.end_byte))
        elif (definition := definition_of(node, rules)) is not None:
            kind, name = rules.definitions[definition.type], name_of(definition, rules, data)
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


def _partition(groups: list[_Group], data: bytes, low: int, high: int) -> list[tuple[int, _Group]]:
    """(start, group) for each non-empty group: the first starts at `low`, each other where the one
    before ended, the last ends at `high` (the file's start and end, or those of a stretch of units
    redone), and a group that ends before a line break (with only blanks before it, and the next
    group on a later line) takes it, so units are whole lines where the source allows."""
    for group, following in pairwise(groups):
        if data[group.end - 1 : group.end] in (b"\n", b"\r"):
            continue  # already ends a line
        line_break = data.find(b"\n", group.end, following.start)
        if line_break >= 0 and not data[group.end : line_break].strip():
            group.end = line_break + 1
    if groups:
        groups[-1].end = high
    result: list[tuple[int, _Group]] = []
    start = low
    for group in groups:
        if group.end > start:
            result.append((start, group))
            start = group.end
    return result


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
    return [Unit(group.kind, None, start, group.end) for start, group in _partition(groups, data, 0, len(data))]
