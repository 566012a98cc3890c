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
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence

from hirope_lsp.index.document import Document
from hirope_lsp.index.edits import ByteEdit, moved_by
from hirope_lsp.index.outline import Unit, top_level_units, update_units
from hirope_lsp.index.tags import Tag, file_tags, shift_untouched, update_tags

HOLD_EDIT_LIMIT = 512  # pending text edits (about keystrokes) after which a hold is given up


class OpenStructure:
    """The units and tags of one open document; `update` brings them up to date with its edits."""

    def __init__(self, document: Document) -> None:
        # What the document's pending edits start from: the structure last accepted.
        self._base_units: tuple[Unit, ...] = tuple(top_level_units(document))
        self._base_tags: tuple[Tag, ...] = file_tags(document)
        self.units, self.tags = self._base_units, self._base_tags  # what the snapshot shows
        self.holding = False  # whether the last update held the structure

    def update(self, document: Document) -> None:
        """Use the document's pending edits: accept the new structure (and clear the edits), or hold."""
        if not document.pending_edits:
            return
        units = tuple(update_units(self._base_units, document))
        tags = update_tags(self._base_tags, document)
        text_edits = document.pending_text_edits
        self.holding = (
            document.tree is not None
            and len(text_edits) <= HOLD_EDIT_LIMIT
            and _loses_structure(self._base_units, self._base_tags, units, tags, document.pending_edits, text_edits)
        )
        if self.holding:
            self.units = tuple(_moved_units(self._base_units, text_edits))
            self.tags = tuple(shift_untouched(self._base_tags, text_edits))
            return
        self.units = self._base_units = units
        self.tags = self._base_tags = tags
        document.clear_pending()


def _loses_structure(
    units: Sequence[Unit],
    tags: Sequence[Tag],
    new_units: Sequence[Unit],
    new_tags: Sequence[Tag],
    edits: Sequence[ByteEdit],
    text_edits: Sequence[ByteEdit],
) -> bool:
    """Whether a unit, nested definition or tag that `text_edits` did not touch is missing from the new ones.

    Only what lies between the first and the last of all pending `edits` (syntax-changed ranges
    included) is looked at: the incremental updates reuse everything else as it was, shifted. A unit
    counts as kept where one of its kind and name starts where it moved to: its end may move on its own,
    as when a body is typed under a function that had none."""
    first, after, grown = _edited_span(edits)
    found = {_unit_key(unit) for unit in _overlapping(new_units, first, after + grown)}
    for unit in _overlapping(units, first, after):
        moved = moved_by(unit.start_byte, unit.end_byte, text_edits)
        if moved is not None and _unit_key(unit.shifted(moved.bytes)) not in found:
            return True
    middle = tags[bisect_left(tags, first - _LONGEST_NAME, key=_tag_start) : bisect_right(tags, after, key=_tag_start)]
    low, high = (
        bisect_left(new_tags, first - _LONGEST_NAME, key=_tag_start),
        bisect_right(new_tags, after + grown, key=_tag_start),
    )
    return bool(middle) and not set(shift_untouched(middle, text_edits)) <= set(new_tags[low:high])


_LONGEST_NAME = 1024  # bytes: a tag starting this far before the first edit cannot reach it


def _edited_span(edits: Sequence[ByteEdit]) -> tuple[int, int, int]:
    """(first, after, grown): of the text before the edits, what lies before `first` or after `after` was
    untouched by them; nothing the edits moved went more than `grown` bytes further on."""
    first = min(edit.start for edit in edits)
    after = shift = grown = 0
    for edit in edits:
        after = max(after, edit.old_end - shift)
        shift += edit.new_end - edit.old_end
        grown += max(edit.new_end - edit.old_end, 0)
    return first, after, grown


def _tag_start(tag: Tag) -> int:
    return tag.start_byte


def _unit_key(unit: Unit) -> tuple[str, str | None, int, int]:
    return unit.kind, unit.name, unit.start_byte, unit.depth


def _overlapping(units: Sequence[Unit], low: int, high: int) -> Iterator[Unit]:
    """The units, and nested definitions, that reach into [low, high]."""
    for unit in units:
        if unit.end_byte >= low and unit.start_byte <= high:
            yield unit
            yield from _overlapping(unit.children, low, high)


def _moved_units(units: Sequence[Unit], text_edits: Sequence[ByteEdit]) -> Iterator[Unit]:
    """`units` with their bounds carried through the edits: none vanishes unless an edit deleted all of it."""
    for unit in units:
        start, end = _moved_offset(unit.start_byte, text_edits), _moved_offset(unit.end_byte, text_edits)
        if start < end:
            children = tuple(_moved_units(unit.children, text_edits))
            yield Unit(unit.kind, unit.name, start, end, unit.depth, children)


def _moved_offset(offset: int, text_edits: Sequence[ByteEdit]) -> int:
    """Where a unit boundary at `offset` goes: text inserted at a boundary joins the unit after it, and a
    boundary inside replaced text goes to the replacement's end. The same rule for every boundary keeps
    a partition a partition."""
    for edit in text_edits:
        if offset > edit.start:
            offset = edit.new_end if offset < edit.old_end else offset + edit.new_end - edit.old_end
    return offset
