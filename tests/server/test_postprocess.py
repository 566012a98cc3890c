"""Post-processing of raw completions: shape from the cursor's context, trimming, the text after the cursor."""

from __future__ import annotations

import pytest

from hirope_lsp.server.postprocess import (
    MAX_VARIANTS,
    Suggestion,
    clean,
    first_line,
    fit_to_line,
    variants,
    wants_block,
)


@pytest.mark.parametrize(
    ("before", "after", "block"),
    [
        ("    ", "", True),  # an indented empty line
        ("", "", True),
        ("def f(x):", "", True),  # after a block opener
        ("    items = [", "", True),
        ("    value = compute(", ")", False),  # closing brackets after the cursor: the line
        ("    value = comp", "", False),  # mid-statement
        ("    return x", "  ", False),
    ],
)
def test_wants_block(before: str, after: str, block: bool) -> None:
    assert wants_block(before, after) is block


def test_clean_trims_trailing_whitespace() -> None:
    assert clean("a = 1   \n    b = 2\t\n\n  ") == "a = 1\n    b = 2"


@pytest.mark.parametrize(
    ("text", "rest", "expected"),
    [
        ("x + 1", "", Suggestion("x + 1", replaces_rest=False)),
        ("a, b)", ")", Suggestion("a, b", replaces_rest=False)),  # the typed-ahead bracket is not doubled
        ("x = 1  # note", "  # note", Suggestion("x = 1", replaces_rest=False)),
        ('"hi")  # greet', ")", Suggestion('"hi")  # greet', replaces_rest=True)),  # replace to the line's end
        ("a, b):\n    pass", "):", Suggestion("a, b):\n    pass", replaces_rest=True)),
        ("a, b", ")", Suggestion("a, b", replaces_rest=False)),  # the rest stays after the insertion
        (")", ")", None),  # nothing but the rest
        ("   \n  ", "", None),
    ],
)
def test_fit_to_line(text: str, rest: str, expected: Suggestion | None) -> None:
    assert fit_to_line(text, rest) == expected


def test_first_line_skips_the_break_after_an_opener() -> None:
    assert first_line("\n    return x\n    y") == "\n    return x"
    assert first_line("x + 1\ny") == "x + 1"


def test_variants_are_distinct_and_few() -> None:
    texts = ["a", "a  ", "b\nc", "d", "e", ""]
    assert [item.text for item in variants(texts, "")] == ["a", "b\nc", "d"][:MAX_VARIANTS]
