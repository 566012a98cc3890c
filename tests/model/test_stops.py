"""Stop rules on generated text."""

from __future__ import annotations

from hirope_lsp.model.stops import StopRule

SINGLE = StopRule()
BLOCK = StopRule(multiline=True, block_indent=4)


def test_single_line_cuts_at_the_first_newline() -> None:
    assert SINGLE.cut("x = 1") is None
    assert SINGLE.cut("x = 1\ny = 2") == "x = 1"
    assert SINGLE.cut("\nx") == ""
    assert SINGLE.finish("x = 1  ") == "x = 1  "  # a single line is kept as generated


def test_multiline_stops_at_the_first_complete_dedented_line() -> None:
    text = "if n < 2:\n        return n\n    return fib(n - 1)\n\ndef area(r):\n"
    assert BLOCK.cut(text) == "if n < 2:\n        return n\n    return fib(n - 1)"
    assert BLOCK.cut("a\n    b\nde") is None  # the last line is not complete: its indent may still grow
    assert BLOCK.cut("a\n    b\n  c\n") == "a\n    b"


def test_blank_lines_and_the_first_line_never_stop() -> None:
    assert BLOCK.cut("x = 1\n\n   \n    y = 2\n") is None
    assert StopRule(multiline=True, block_indent=8).cut("return 1\n") is None  # the rest of the cursor's line
    assert BLOCK.cut("return 1\n\n\nclass A:\n") == "return 1"


def test_tabs_count_as_four_columns() -> None:
    assert BLOCK.cut("a\n\tb\n") is None
    assert StopRule(multiline=True, block_indent=5).cut("a\n\tb\n") == "a"


def test_finish_on_end_of_sequence_or_token_limit() -> None:
    assert BLOCK.finish("x = 1\n    y = 2\n\n") == "x = 1\n    y = 2"  # trailing whitespace trimmed
    assert BLOCK.finish("x = 1\n    y = 2\nz") == "x = 1\n    y = 2"  # an incomplete last line out of the block
    assert BLOCK.finish("x = 1\n    y = 2\n  ") == "x = 1\n    y = 2"
    assert BLOCK.finish("x = 1\n    y") == "x = 1\n    y"
    assert BLOCK.finish("x = 1\nz = 2\n    w") == "x = 1"  # a complete dedented line still cuts
    assert BLOCK.finish("") == ""
