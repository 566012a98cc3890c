"""Nesting: a touched definition keeps the children the edits did not touch, and finds the rest anew."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hirope_lsp.index.document import Document, TextEdit
from hirope_lsp.index.languages import language_by_name
from hirope_lsp.index.outline import shifted_units, top_level_units, update_units


def test_an_edit_inside_one_method_reuses_the_other_methods(fixture_document: Callable[[str], Document]) -> None:
    document = fixture_document("inventory.py")
    before = top_level_units(document)
    line, column = document.position(document.bytes.index(b"+= count"), "utf-16")
    document.apply_edits([TextEdit(line, column, line, column, "x")], "utf-16")
    after = list(update_units(shifted_units(before), document))
    assert after == top_level_units(document)
    init, add, total = before[2].children
    assert after[2].children[0] is init  # before the edit: the very same object
    assert after[2].children[2] == total.shifted(1)
    assert after[2].children[1].end_byte == add.end_byte + 1


_TWO_CLASSES = '''class A:
    def f(self):
        return 1

    def g(self):
        return 2


class B:
    """Doc."""

    def h(self):
        """Doc."""
        return 3

    def i(self):
        return 4


def j():
    return 5
'''


@pytest.mark.parametrize("column", range(4, 17))
def test_a_string_opened_in_a_method_takes_the_definitions_it_swallows(column: int) -> None:
    """The opened string ends at B's docstring; what follows is parsed as A's body, so A gains children
    that were B's, although no edit touched them."""
    document = Document.from_text("a.py", _TWO_CLASSES, language_by_name("python"))
    units = shifted_units(top_level_units(document))
    document.apply_edits([TextEdit(2, column, 2, column, '"""')], "utf-8")
    assert list(update_units(units, document)) == top_level_units(document)
