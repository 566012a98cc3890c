"""Tags: definitions and references from the tags queries, for every language, and their incremental update."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hirope_lsp.index.document import Document, TextEdit
from hirope_lsp.index.outline import shifted_units, top_level_units, update_units
from hirope_lsp.index.tags import file_tags, shifted_tags, update_tags

# (kind, category, name) that each fixture must have, among others.
EXPECTED = {
    "inventory.py": {
        ("def", "class", "Item"),
        ("def", "class", "Inventory"),
        ("def", "function", "add"),
        ("def", "function", "report"),
        ("def", "constant", "DEFAULT_LOCATION"),
        ("ref", "import", "dataclasses"),
        ("ref", "import", "collections"),
        ("ref", "call", "defaultdict"),
    },
    "cart.js": {
        ("def", "class", "LineItem"),
        ("def", "method", "subtotal"),
        ("def", "function", "cartTotal"),
        ("def", "function", "describe"),
        ("ref", "call", "formatPrice"),
        ("ref", "class", "LineItem"),
    },
    "queue.ts": {
        ("def", "interface", "Job"),
        ("def", "class", "JobQueue"),
        ("def", "method", "enqueue"),
        ("def", "function", "createQueue"),
        ("def", "type", "JobState"),
        ("def", "enum", "Priority"),
        ("ref", "type", "Job"),
        ("ref", "call", "emit"),
    },
    "greeting.tsx": {
        ("def", "interface", "GreetingProps"),
        ("def", "function", "Greeting"),
        ("def", "function", "Farewell"),
    },
    "server.go": {
        ("def", "type", "Store"),
        ("def", "function", "NewStore"),
        ("def", "method", "Get"),
        ("ref", "call", "Fprintln"),
        ("ref", "type", "Store"),
    },
    "shapes.rs": {
        ("def", "class", "Point"),
        ("def", "interface", "Shape"),
        ("def", "method", "area"),
        ("def", "function", "total_area"),
        ("ref", "implementation", "Shape"),
        ("ref", "call", "write"),
    },
    "Account.java": {
        ("def", "class", "Account"),
        ("def", "method", "deposit"),
        ("def", "interface", "Auditor"),
        ("ref", "call", "mapToLong"),
    },
    "ring.c": {
        ("def", "class", "ring"),
        ("def", "type", "ring_t"),
        ("def", "function", "ring_push"),
        ("ref", "call", "ring_index"),
    },
    "ring.h": {("def", "function", "ring_push"), ("def", "function", "ring_pop")},
    "matrix.cpp": {
        ("def", "class", "Matrix"),
        ("def", "function", "at"),
        ("def", "function", "square"),
        ("def", "module", "linalg"),
        ("ref", "call", "square"),
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_tags(name: str, fixture_document: Callable[[str], Document]) -> None:
    document = fixture_document(name)
    tags = file_tags(document)
    assert EXPECTED[name] <= {(tag.kind, tag.category, tag.name) for tag in tags}
    for tag in tags:
        assert document.bytes[tag.start_byte : tag.end_byte].decode() == tag.name
        assert document.bytes.count(b"\n", 0, tag.start_byte) == tag.line
    assert list(tags) == sorted(tags, key=lambda tag: (tag.start_byte, tag.kind))


def test_a_name_tagged_by_two_patterns_keeps_the_specific_one(fixture_document: Callable[[str], Document]) -> None:
    area_tags = [tag for tag in file_tags(fixture_document("shapes.rs")) if tag.name == "area" and tag.kind == "def"]
    assert [tag.category for tag in area_tags] == ["method"]


def test_plain_text_has_no_tags() -> None:
    assert file_tags(Document.from_text("notes.txt", "def f(): pass\n", None)) == ()


_SNIPPETS = st.sampled_from(["x", "\n", "f(y)\n", "def g():\n    h()\n", "class K:\n    pass\n", "(", "é😀", "\r\n"])


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(sorted(EXPECTED)),
    st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 10), st.lists(_SNIPPETS, max_size=5).map("".join), st.booleans()),
        min_size=1,
        max_size=6,
    ),
)
def test_incremental_tags_equal_a_full_extraction(
    fixture_document: Callable[[str], Document], name: str, edits: list[tuple[float, int, str, bool]]
) -> None:
    """Also when several batches of edits pile up before an update."""
    document = fixture_document(name)
    units = shifted_units(top_level_units(document))
    tags = shifted_tags(file_tags(document))
    for index, (where, length, new_text, update_now) in enumerate(edits):
        line, column = document.position(int(where * len(document)), "utf-16")
        document.apply_edits([TextEdit(line, column, line, column + length, new_text)], "utf-16")
        if update_now or index == len(edits) - 1:
            new_units = update_units(units, document)
            tags, units = update_tags(tags, document), new_units
            document.clear_pending()
            assert tuple(tags) == file_tags(document)
