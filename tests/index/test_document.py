"""Document: incremental edits in every LSP position encoding equal a string edit and a fresh parse."""

from __future__ import annotations

import re
from collections.abc import Callable

import tree_sitter
from hypothesis import event, given, settings
from hypothesis import strategies as st

from hirope_lsp.index.coordinates import Encoding
from hirope_lsp.index.document import Document, TextEdit
from hirope_lsp.index.edits import ByteEdit
from hirope_lsp.index.languages import language_by_name

_BREAK = re.compile(r"\r\n|\r|\n")


def _units(character: str, encoding: Encoding) -> int:
    if encoding == "utf-8":
        return len(character.encode())
    return 2 if encoding == "utf-16" and ord(character) > 0xFFFF else 1


def _line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end before the break) of each line, in characters: an independent reference."""
    spans, start = [], 0
    for match in _BREAK.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    return [*spans, (start, len(text))]


def _reference_offset(text: str, line: int, column: int, encoding: Encoding) -> int:
    spans = _line_spans(text)
    if line >= len(spans):
        return len(text)
    index, end = spans[line]
    units = 0
    while index < end and units + _units(text[index], encoding) <= column:
        units += _units(text[index], encoding)
        index += 1
    return index


def _reference_position(text: str, offset: int, encoding: Encoding) -> tuple[int, int]:
    for line, (start, end) in reversed(list(enumerate(_line_spans(text)))):
        if start <= offset:
            return line, sum(_units(character, encoding) for character in text[start : min(offset, end)])
    raise AssertionError("unreachable")


def _nodes(tree: tree_sitter.Tree) -> list[tuple[object, ...]]:
    """Every node of the tree as (type, bytes, points, missing), by a cursor walk."""
    nodes: list[tuple[object, ...]] = []
    cursor = tree.walk()
    while True:
        node = cursor.node
        assert node is not None
        nodes.append((node.type, node.start_byte, node.end_byte, node.start_point, node.end_point, node.is_missing))
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return nodes


def _assert_matches_fresh_parse(document: Document, reference: str) -> bool:
    """Text and bytes equal the reference; the tree equals a fresh parse unless the text has syntax
    errors, where tree-sitter's error recovery may settle differently (see document.py). True if compared."""
    assert document.text == reference
    assert document.bytes == reference.encode()
    fresh = Document.from_text(document.path, reference, document.language)
    assert document.tree is not None and fresh.tree is not None
    if fresh.tree.root_node.has_error:
        return False
    assert _nodes(document.tree) == _nodes(fresh.tree)
    return True


_FRAGMENTS = [
    "def f(x):\n    return x\n",
    "class Á:\n    é = '漢字'\n",
    "# 😀 note\n",
    "x = (1,\r\n 2)\n",
    "if x:\n  y\n",
    "\r\n",
    "\r",
    "\n",
    "(",
    ")",
    '"',
    "'",
    ":",
    " ",
    "\t",
    "😀",
    "é",
    "漢",
    "pass",
    "lambda y: y",
    "a",
]
_SOURCE = st.lists(st.sampled_from(_FRAGMENTS), max_size=25).map("".join)
_EDIT = st.tuples(
    st.floats(0, 1), st.floats(0, 1), _SOURCE, st.sampled_from([0, 0, 0, 3]), st.booleans()
)  # where, where, new text, columns past the line end, replace all


@settings(max_examples=60, deadline=None)
@given(_SOURCE, st.sampled_from(["utf-8", "utf-16", "utf-32"]), st.lists(_EDIT, min_size=1, max_size=8))
def test_random_edits_equal_string_edits_and_a_fresh_parse(
    initial: str, encoding: Encoding, edits: list[tuple[float, float, str, int, bool]]
) -> None:
    document = Document.from_text("a.py", initial, language_by_name("python"))
    reference = initial
    compared = 0
    for where_a, where_b, new_text, overshoot, replace_all in edits:
        if replace_all:
            document.apply_edits([new_text], encoding)
            reference = new_text
            compared += _assert_matches_fresh_parse(document, reference)
            continue
        a, b = sorted((int(where_a * len(reference)), int(where_b * len(reference))))
        (start_line, start_column), (end_line, end_column) = (
            _reference_position(reference, a, encoding),
            _reference_position(reference, b, encoding),
        )
        start_column, end_column = start_column + overshoot, end_column + overshoot
        document.apply_edits([TextEdit(start_line, start_column, end_line, end_column, new_text)], encoding)
        start = _reference_offset(reference, start_line, start_column, encoding)
        end = _reference_offset(reference, end_line, end_column, encoding)
        reference = reference[:start] + new_text + reference[end:]
        compared += _assert_matches_fresh_parse(document, reference)
    event(f"error-free trees compared: {min(compared, 3)}")


def test_edits_that_keep_the_file_valid_keep_the_tree_equal_to_a_fresh_parse(
    fixture_document: Callable[[str], Document],
) -> None:
    document = fixture_document("inventory.py")
    reference = document.text
    for old, new in [("levels", "stock"), ("sku", "código"), ("Item", "Artículo"), ("\n\n\n", "\n\n# ✓ 😀\n")]:
        while old in reference:
            offset = reference.index(old)
            line, column = _reference_position(reference, offset, "utf-16")
            end_line, end_column = _reference_position(reference, offset + len(old), "utf-16")
            document.apply_edits([TextEdit(line, column, end_line, end_column, new)], "utf-16")
            reference = reference.replace(old, new, 1)
            assert _assert_matches_fresh_parse(document, reference)


def test_a_batch_applies_each_change_after_the_one_before() -> None:
    document = Document.from_text("a.py", "x = 1\n", language_by_name("python"))
    document.apply_edits([TextEdit(0, 0, 0, 1, "yy"), TextEdit(0, 2, 0, 2, "z")], "utf-16")
    assert document.text == "yyz = 1\n"
    assert document.pending_edits[:2] == (ByteEdit(0, 1, 2, 0), ByteEdit(2, 2, 3, 0))
    document.clear_pending()
    assert document.pending_edits == ()
    assert document.revision == 1


def test_emoji_columns_in_utf16() -> None:
    document = Document.from_text("a.js", "let s = '😀x';\n", language_by_name("javascript"))
    assert document.offset(0, 11, "utf-16") == len("let s = '😀".encode())
    document.apply_edits([TextEdit(0, 11, 0, 12, "y")], "utf-16")  # replace the x after the emoji
    _assert_matches_fresh_parse(document, "let s = '😀y';\n")
    assert document.position(len(document), "utf-16") == (1, 0)


def test_changed_ranges_cover_the_syntax_change() -> None:
    document = Document.from_text("a.py", "x = 1\n\ndef f():\n    pass\n", language_by_name("python"))
    document.apply_edits([TextEdit(0, 4, 0, 5, '"')], "utf-16")  # an unclosed string
    assert document.changed_ranges
    assert max(end for _, end in document.changed_ranges) > 5


def test_invalid_utf8_is_kept_and_read_with_replacement() -> None:
    data = b"x = '\xff\xfe'\n"
    document = Document.from_bytes("bad.py", data, language_by_name("python"))
    assert document.bytes == data
    assert document.text == "x = '\ufffd\ufffd'\n"
    assert document.tree is not None


def test_plain_text_has_no_tree_and_still_edits() -> None:
    document = Document.from_text("notes.txt", "héllo\nwörld\n", None)
    document.apply_edits([TextEdit(1, 1, 1, 2, "o")], "utf-16")
    assert document.tree is None
    assert document.text == "héllo\nworld\n"
    assert document.changed_ranges == ((0, len(document)),)


def test_an_empty_batch_changes_nothing() -> None:
    document = Document.from_text("a.py", "x\n", language_by_name("python"))
    document.apply_edits([], "utf-16")
    assert document.revision == 0
