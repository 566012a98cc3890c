"""Holding an open document's structure while the user types through a syntax error (structure.py).

The main case is real: retyping a line of the standard library's email/message.py, whose open `[`
makes tree-sitter fold the rest of the file into one error for most of the line's keystrokes.
"""

from __future__ import annotations

import email.message
from pathlib import Path

import pytest

from hirope_lsp.index import structure
from hirope_lsp.index.document import Document, TextEdit
from hirope_lsp.index.languages import language_by_name
from hirope_lsp.index.outline import Unit, top_level_units
from hirope_lsp.index.repository import Repository
from hirope_lsp.index.structure import OpenStructure
from hirope_lsp.index.tags import Tag, file_tags
from tests.index.test_outline import assert_partition

MESSAGE_PY = Path(email.message.__file__).read_text(encoding="utf-8")
LINE = "        return name.lower() in [k.lower() for k, v in self._headers]"

CLASSES = '''class A:
    def first(self):
        return 1


class B:
    """B."""

    def second(self):
        return 2
'''


def python(text: str) -> Document:
    return Document.from_text("a.py", text, language_by_name("python"))


def type_at(document: Document, line: int, column: int, text: str) -> None:
    document.apply_edits([TextEdit(line, column, line, column, text)], "utf-8")


def fresh(document: Document) -> tuple[list[Unit], tuple[Tag, ...]]:
    again = python(document.text)
    return top_level_units(again), file_tags(again)


def after(items: list[Unit] | tuple[Tag, ...], offset: int) -> list[tuple[object, ...]]:
    """What lies after `offset`, relative to it (so that the same code at another offset compares equal)."""
    found: list[tuple[object, ...]] = []
    for item in items:
        if isinstance(item, Unit) and item.start_byte > offset:
            found.append((item.kind, item.name, item.start_byte - offset, item.end_byte - offset))
        elif isinstance(item, Tag) and item.start_byte > offset:
            found.append((item.name, item.kind, item.start_byte - offset))
    return found


def test_retyping_a_line_with_an_open_bracket_keeps_everything_after_it() -> None:
    assert LINE + "\n" in MESSAGE_PY
    lines = MESSAGE_PY.split("\n")
    row = lines.index(LINE)
    indent = len(LINE) - len(LINE.lstrip())
    lines[row] = LINE[:indent]
    document = python("\n".join(lines))
    opened = OpenStructure(document)
    line_end = document.offset(row, indent, "utf-8")
    units_after, tags_after = after(list(opened.units), line_end), after(tuple(opened.tags), line_end)
    assert len(units_after) >= 1 and len(tags_after) > 100
    held = 0
    for column in range(indent, len(LINE)):
        type_at(document, row, column, LINE[column])
        opened.update(document)
        held += opened.holding
        cursor = document.offset(row, column + 1, "utf-8")
        assert_partition(list(opened.units), len(document))
        # The class around the cursor grows; the units after it and every tag after the cursor only move.
        assert after(list(opened.units), cursor)[-len(units_after) :] == units_after
        assert after(tuple(opened.tags), cursor) == tags_after, LINE[: column + 1]
    assert held > 10  # the hold did something: the bracket was open for most of the line
    assert not opened.holding
    assert (list(opened.units), tuple(opened.tags)) == fresh(document)
    assert not document.pending_edits


def test_a_triple_quote_opened_above_a_docstring_is_held_until_it_closes() -> None:
    document = python('def f():\n    return 1\n\n\ndef g():\n    """G."""\n    return 2\n')
    opened = OpenStructure(document)
    units = opened.units
    type_at(document, 2, 0, '"""')  # pairs with g's opening quotes: g's name becomes string, without an error
    opened.update(document)
    assert opened.holding
    assert [(unit.kind, unit.name) for unit in opened.units] == [(unit.kind, unit.name) for unit in units]
    type_at(document, 2, 3, 'Notes."""')
    opened.update(document)
    assert not opened.holding
    assert (list(opened.units), tuple(opened.tags)) == fresh(document)


def test_new_structure_that_loses_nothing_is_taken_at_once() -> None:
    document = python(CLASSES)
    opened = OpenStructure(document)
    type_at(document, 3, 0, "\ndef helper(x):\n    return x\n")
    opened.update(document)
    assert not opened.holding
    assert [unit.name for unit in opened.units] == ["A", "helper", "B"]
    assert (list(opened.units), tuple(opened.tags)) == fresh(document)


def test_a_deleted_unit_is_gone_even_while_held() -> None:
    document = python(CLASSES)
    opened = OpenStructure(document)
    type_at(document, 3, 0, '"""')  # pairs with B's docstring: B is a string now
    opened.update(document)
    assert opened.holding
    start, end = opened.units[0].start_byte, opened.units[0].end_byte
    document.apply_edits([TextEdit(*document.position(start, "utf-8"), *document.position(end, "utf-8"), "")], "utf-8")
    opened.update(document)
    assert [unit.name for unit in opened.units] == ["B"]
    assert_partition(list(opened.units), len(document))


def test_a_hold_is_given_up_after_the_edit_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(structure, "HOLD_EDIT_LIMIT", 1)  # the third quote starts the hold
    document = python(CLASSES)
    opened = OpenStructure(document)
    for column, character in enumerate('"""'):
        type_at(document, 3, column, character)
        opened.update(document)
    assert opened.holding
    type_at(document, 3, 3, "x")
    opened.update(document)
    assert not opened.holding
    assert (list(opened.units), tuple(opened.tags)) == fresh(document)


_CLASS = "import os\n\n\nclass A:\n    def f(self):\n        return os.sep\n"
_CLASS_EDITS = [(0, 9, "x"), (1, 0, "\n"), (4, 7, "y"), (5, 9, "g"), (6, 17, "x"), (0, 0, "\n"), (8, 0, "z = 1\n")]


@pytest.mark.parametrize(
    ("text", "edits"), [("# only a comment\n", [(0, 2, "x"), (1, 0, "\n"), (0, 0, "\n")]), (_CLASS, _CLASS_EDITS)]
)
def test_snapshots_read_between_keystrokes_equal_a_fresh_extraction(
    tmp_path: Path, text: str, edits: list[tuple[int, int, str]]
) -> None:
    """The units and tags of an open document are moved when first read (shifted.py); reading some
    snapshots and not others must not change what later ones hold. (The edits keep the text valid, so
    that no structure is held: structure.py.)"""
    repository = Repository(tmp_path, cache_dir=tmp_path / "cache")
    path = tmp_path / "app.py"
    repository.open_document(str(path), text, version=0)
    old = repository.snapshot().files[path]
    old_units, old_tags = old.units, old.tags
    for step, (line, column, new_text) in enumerate(edits):
        repository.apply_edits(str(path), [TextEdit(line, column, line, column, new_text)], "utf-8", step + 1)
        if step % 2:
            continue
        current = repository.snapshot().files[path]
        expected = Document.from_text(str(path), current.text, language_by_name("python"))
        assert (list(current.units), current.tags) == (top_level_units(expected), file_tags(expected))
    assert (old.units, old.tags) == (old_units, old_tags)
