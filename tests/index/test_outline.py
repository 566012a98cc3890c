"""Outline: units partition every file exactly, name the definitions, and update incrementally."""

from __future__ import annotations

import dataclasses
import email.message
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hirope_lsp.index.document import Document, TextEdit
from hirope_lsp.index.languages import language_by_name
from hirope_lsp.index.outline import Unit, shifted_units, top_level_units, update_units


def assert_partition(units: list[Unit], size: int) -> None:
    """Contiguous, in order, non-empty, covering [0, size); children inside their parents."""
    if size == 0:
        assert units == []
        return
    assert units[0].start_byte == 0
    assert units[-1].end_byte == size
    for before, after in pairwise(units):
        assert before.end_byte == after.start_byte
    for unit in units:
        assert unit.start_byte < unit.end_byte
        _assert_nested(unit)


def _assert_nested(unit: Unit) -> None:
    for child in unit.children:
        assert unit.start_byte <= child.start_byte < child.end_byte <= unit.end_byte
        assert child.depth == unit.depth + 1
        _assert_nested(child)


def _outline(units: list[Unit] | tuple[Unit, ...]) -> list[tuple[object, ...]]:
    return [(unit.kind, unit.name, *([_outline(unit.children)] if unit.children else [])) for unit in units]


EXPECTED = {
    "inventory.py": [
        ("statements", None),
        ("class", "Item", [("method", "label")]),
        ("class", "Inventory", [("method", "__init__"), ("method", "add"), ("method", "total")]),
        ("function", "report", [("function", "line")]),
        ("statements", None),
    ],
    "cart.js": [
        ("statements", None),
        ("class", "LineItem", [("method", "constructor"), ("method", "subtotal")]),
        ("function", "cartTotal"),
        ("function", "describe"),
        ("statements", None),
    ],
    "queue.ts": [
        ("statements", None),
        ("interface", "Job", [("method", "run")]),
        ("type", "JobState"),
        ("class", "JobQueue", [("method", "enqueue"), ("method", "drain")]),
        ("function", "createQueue"),
        ("enum", "Priority"),
    ],
    "greeting.tsx": [
        ("statements", None),
        ("interface", "GreetingProps"),
        ("function", "Greeting"),
        ("function", "Farewell"),
    ],
    "server.go": [
        ("statements", None),
        ("type", "Store"),
        ("function", "NewStore"),
        ("method", "Get"),
        ("method", "ServeHTTP"),
    ],
    "shapes.rs": [
        ("statements", None),
        ("struct", "Point"),
        ("trait", "Shape", [("method", "area")]),
        ("struct", "Circle"),
        ("impl", "Circle", [("method", "area")]),
        ("impl", "Circle", [("method", "fmt")]),
        ("function", "total_area"),
    ],
    "Account.java": [
        ("statements", None),
        ("class", "Account", [("method", "Account"), ("method", "deposit"), ("method", "balance")]),
        ("interface", "Auditor", [("method", "audit")]),
    ],
    "ring.c": [
        ("statements", None),
        ("struct", "ring"),
        ("type", "ring_t"),
        ("function", "ring_index"),
        ("function", "ring_push"),
        ("function", "ring_pop"),
    ],
    "ring.h": [("statements", None), ("type", "ring_t"), ("statements", None)],
    "matrix.cpp": [
        ("statements", None),
        ("class", "Matrix", [("method", "Matrix"), ("method", "at"), ("method", "rows")]),
        ("function", "square"),
        ("function", "main"),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_outline(name: str, fixture_document: Callable[[str], Document]) -> None:
    document = fixture_document(name)
    units = top_level_units(document)
    assert _outline(units) == EXPECTED[name]
    assert_partition(units, len(document))


def test_every_fixture_has_an_expected_outline(fixtures_dir: Path) -> None:
    assert {path.name for path in fixtures_dir.iterdir()} == set(EXPECTED)


def test_leading_comments_and_decorators_join_the_definition_after_them(
    fixture_document: Callable[[str], Document],
) -> None:
    document = fixture_document("inventory.py")
    data = document.bytes
    item, inventory, report = top_level_units(document)[1:4]
    assert data[item.start_byte : item.end_byte].lstrip().startswith(b"@dataclasses.dataclass")
    assert data[report.start_byte : report.end_byte].lstrip().startswith(b"# The report")
    assert data[inventory.start_byte : inventory.end_byte].endswith(b"return sum(self.levels.values())\n")


def test_a_decorated_method_starts_at_its_decorator(fixture_document: Callable[[str], Document]) -> None:
    document = fixture_document("inventory.py")
    total = top_level_units(document)[2].children[2]
    assert document.bytes[total.start_byte : total.end_byte].startswith(b"@property")


def test_a_dangling_semicolon_and_the_line_break_join_the_definition_before_them(
    fixture_document: Callable[[str], Document],
) -> None:
    document = fixture_document("ring.c")
    struct = top_level_units(document)[1]
    assert document.bytes[struct.start_byte : struct.end_byte].endswith(b"};\n")


def test_empty_file_has_no_units() -> None:
    assert top_level_units(Document.from_text("empty.py", "", language_by_name("python"))) == []
    assert top_level_units(Document.from_text("empty.txt", "", None)) == []


def test_whitespace_only_and_comment_only_files_are_one_unit() -> None:
    for text in ["\n\n  \n", "# just a comment\n\n"]:
        units = top_level_units(Document.from_text("a.py", text, language_by_name("python")))
        assert [(unit.kind, unit.start_byte, unit.end_byte) for unit in units] == [("statements", 0, len(text))]


def test_plain_text_splits_into_paragraphs() -> None:
    text = "\n\nFirst paragraph,\nstill first.\n\n\nSecond.\n  \nThird.\n\n"
    units = top_level_units(Document.from_text("notes.txt", text, None))
    assert_partition(units, len(text.encode()))
    assert [text[unit.start_byte : unit.end_byte] for unit in units] == [
        "\n\nFirst paragraph,\nstill first.\n",
        "\n\nSecond.\n",
        "  \nThird.\n\n",
    ]
    assert {unit.kind for unit in units} == {"paragraph"}


_PYTHONISH = st.lists(
    st.sampled_from(
        [
            "import os\n",
            "x = 1\n",
            "print(x)\n",
            "# comment\n",
            "\n",
            "@decorator\n",
            "def f(a):\n",
            "    return a\n",
            "class C(Base):\n",
            "    def m(self):\n",
            "        pass\n",
            "    y = 2\n",
            "async def g():\n",
            "  ",
            "if x:\n",
            "é = '漢😀'\n",
            "(",
            ")",
            ":",
            '"""',
            "\r\n",
            "\t",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=100, deadline=None)
@given(_PYTHONISH)
def test_units_partition_random_python(source: str) -> None:
    document = Document.from_text("a.py", source, language_by_name("python"))
    assert_partition(top_level_units(document), len(document))


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(sorted(EXPECTED)),
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 12), _PYTHONISH, st.booleans()), min_size=1, max_size=6),
)
def test_incremental_units_equal_a_full_extraction(
    fixture_document: Callable[[str], Document], name: str, edits: list[tuple[float, int, str, bool]]
) -> None:
    """Also when several batches of edits pile up before an update."""
    document = fixture_document(name)
    units = shifted_units(top_level_units(document))
    for where, length, new_text, update_now in edits:
        line, column = document.position(int(where * len(document)), "utf-16")
        document.apply_edits([TextEdit(line, column, line, column + length, new_text)], "utf-16")
        if update_now:
            units = update_units(units, document)
            document.clear_pending()
            assert list(units) == top_level_units(document)
    units = update_units(units, document)
    assert list(units) == top_level_units(document)
    assert_partition(list(units), len(document))


_LARGE_FILES = [Path(dataclasses.__file__), Path(email.message.__file__)]  # classes of many methods
_TYPED = st.sampled_from(['"""', "'", "(", ")", "[", "\n", "    ", "x", "@d\n", "def g(self):\n        pass\n"])


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(_LARGE_FILES),
    st.floats(0, 1),
    st.lists(
        st.tuples(st.integers(-300, 300), st.integers(0, 40), st.lists(_TYPED, max_size=3).map("".join)),
        min_size=1,
        max_size=10,
    ),
)
def test_incremental_units_near_one_place_equal_a_full_extraction(
    path: Path, where: float, edits: list[tuple[int, int, str]]
) -> None:
    """Edits near one place of a large file, as typing makes them, with open strings and brackets: the
    update redoes only the units (and the children) around them, and must still agree with a full
    extraction on the same tree (tree-sitter's changed ranges can miss a change where the tree has
    errors, and an opened string moves definitions from one class to another)."""
    document = Document.from_bytes(str(path), path.read_bytes(), language_by_name("python"))
    units = shifted_units(top_level_units(document))
    center = int(where * len(document))
    for offset, length, new_text in edits:
        line, column = document.position(min(max(center + offset, 0), len(document)), "utf-16")
        document.apply_edits([TextEdit(line, column, line, column + length, new_text)], "utf-16")
        units = update_units(units, document)
        document.clear_pending()
        assert list(units) == top_level_units(document)


def test_an_edit_inside_one_function_reuses_the_others(fixture_document: Callable[[str], Document]) -> None:
    document = fixture_document("inventory.py")
    before = top_level_units(document)
    line, column = document.position(document.bytes.index(b"return sum"), "utf-16")
    document.apply_edits([TextEdit(line, column, line, column, "total = 0\n        ")], "utf-16")
    after = list(update_units(shifted_units(before), document))
    assert after == top_level_units(document)
    assert after[1] is before[1]  # before the edit: the very same object
    assert after[3] == before[3].shifted(len("total = 0\n        "))
