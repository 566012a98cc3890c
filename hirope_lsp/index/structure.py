"""An open document's units and tags, held steady while the user types through a syntax error.

Typing `[` leaves a bracket open until the `]`; until then tree-sitter's error recovery may fold
the rest of the file into one ERROR node. Retyping one line of the standard library's
email/message.py (`return name.lower() in [k.lower() for k, v in self._headers]`) took the file
from 9 units to 1 for 22 of its 60 keystrokes, and the methods and tags after the cursor with it.
The prompt builder picks from units and tags, so each such keystroke changed the prompt far from
the cursor, and the engine's prefix cache was lost (a new cold prefill, seconds to minutes).

The rule: when a reparse loses structure that no text edit touched (a unit, a nested definition
or a tag that should only have moved), the last accepted structure is held. That takes more than
syntax errors: an opening triple quote typed above a docstring pairs the file's quotes anew, without an
error, until its closing one is typed.
The snapshot then shows those units moved through the text edits (the unit around an edit grows or
shrinks with it; none vanish) and those tags minus the ones the edits touched. The document's
pending edits pile up meanwhile; as soon as a reparse loses nothing, the usual incremental update
(outline.py, tags.py) runs over all of them at once. A hold that outlasts HOLD_EDIT_LIMIT edits is
given up, so that a file left broken does not keep a stale structure forever, or make each update
walk an ever longer list of edits.

Cost: the check cuts the (lazily moved: shifted.py) units and tags at the edits and looks only
between, so a keystroke that keeps its structure costs the same anywhere in a file. A held structure
is remade whole on each update (every unit carried through the edits), which is O(file) but lasts only
while a hold does.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence

from hirope_lsp.index.document import Document
from hirope_lsp.index.edits import ByteEdit, edited_span, moved_by, moved_offset
from hirope_lsp.index.outline import Unit, shifted_units, top_level_units, update_units
from hirope_lsp.index.shifted import Shifted
from hirope_lsp.index.tags import Tag, file_tags, shift_untouched, shifted_tags, update_tags

HOLD_EDIT_LIMIT = 512  # pending text edits (about keystrokes) after which a hold is given up


class OpenStructure:
    """The units and tags of one open document; `update` brings them up to date with its edits."""

    def __init__(self, document: Document) -> None:
        # What the document's pending edits start from: the structure last accepted.
        self._base_units = shifted_units(top_level_units(document))
        self._base_tags = shifted_tags(file_tags(document))
        self.units, self.tags = self._base_units, self._base_tags  # what the snapshot shows
        self.holding = False  # whether the last update held the structure

    def update(self, document: Document) -> None:
        """Use the document's pending edits: accept the new structure (and clear the edits), or hold."""
        if not document.pending_edits:
            return
        units = update_units(self._base_units, document)
        tags = update_tags(self._base_tags, document)
        text_edits = document.pending_text_edits
        self.holding = (
            document.tree is not None
            and len(text_edits) <= HOLD_EDIT_LIMIT
            and _loses_structure(self._base_units, self._base_tags, units, tags, document.pending_edits, text_edits)
        )
        if self.holding:
            self.units = shifted_units(_moved_units(self._base_units, text_edits))
            self.tags = shift_untouched(self._base_tags, text_edits)
            return
        self.units = self._base_units = units
        self.tags = self._base_tags = tags
        document.clear_pending()


def _loses_structure(
    units: Shifted[Unit],
    tags: Shifted[Tag],
    new_units: Shifted[Unit],
    new_tags: Shifted[Tag],
    edits: Sequence[ByteEdit],
    text_edits: Sequence[ByteEdit],
) -> bool:
    """Whether a unit, nested definition or tag that `text_edits` did not touch is missing from the new ones.

    Only what lies between the first and the last of all pending `edits` (syntax-changed ranges
    included) is looked at: the incremental updates reuse everything else as it was, shifted. A unit
    counts as kept where one of its kind and name starts where it moved to: its end may move on its own,
    as when a body is typed under a function that had none."""
    first, after, grown = edited_span(edits)
    found = {_unit_key(unit) for unit in _overlapping(_reaching(new_units, first, after + grown), first, after + grown)}
    for unit in _overlapping(_reaching(units, first, after), first, after):
        moved = moved_by(unit.start_byte, unit.end_byte, text_edits)
        if moved is not None and _unit_key(unit, moved.bytes) not in found:
            return True
    middle = _starting_between(tags, first - _LONGEST_NAME, after)
    if not len(middle):
        return False
    new_middle = _starting_between(new_tags, first - _LONGEST_NAME, after + grown)
    return not set(shift_untouched(middle, text_edits)) <= set(new_middle)


_LONGEST_NAME = 1024  # bytes: a tag starting this far before the first edit cannot reach it


def _starting_between(tags: Shifted[Tag], low: int, high: int) -> Shifted[Tag]:
    """The tags that start in [low, high]."""
    return tags.split(low)[1].split(high + 1)[0]


def _unit_key(unit: Unit, shift: int = 0) -> tuple[str, str | None, int, int]:
    """What must match for a unit moved by `shift` to count as kept."""
    return unit.kind, unit.name, unit.start_byte + shift, unit.depth


def _reaching(units: Shifted[Unit], low: int, high: int) -> list[Unit]:
    """The top-level units that reach into [low, high]: they partition the file, so those from the one
    before the first that starts at `low` or later (found by a cut, not a walk over every unit)."""
    before, rest = units.split(low)
    return [*before.split_index(max(len(before) - 1, 0))[1], *rest.split(high + 1)[0]]


def _overlapping(units: Sequence[Unit], low: int, high: int) -> Iterator[Unit]:
    """The units, and nested definitions, that reach into [low, high]. Siblings are disjoint and in
    order, so a cut finds the first of them (a large class's methods are not walked one by one)."""
    for index in range(bisect_left(units, low, key=_unit_end), len(units)):
        unit = units[index]
        if unit.start_byte > high:
            break
        yield unit
        yield from _overlapping(unit.children, low, high)


def _unit_end(unit: Unit) -> int:
    return unit.end_byte


def _moved_units(units: Iterable[Unit], text_edits: Sequence[ByteEdit]) -> Iterator[Unit]:
    """`units` with their bounds carried through the edits: none vanishes unless an edit deleted all of it."""
    for unit in units:
        start, end = moved_offset(unit.start_byte, text_edits), moved_offset(unit.end_byte, text_edits)
        if start < end:
            children = tuple(_moved_units(unit.children, text_edits))
            yield Unit(unit.kind, unit.name, start, end, unit.depth, children)
