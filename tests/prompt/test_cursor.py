"""Where a multi-line completion's block sits, from the cursor's line."""

from __future__ import annotations

import pytest

from hirope_lsp.prompt.cursor import block_indent


@pytest.mark.parametrize(
    ("line", "indent"),
    [
        ("", 0),
        ("    ", 4),  # an indented empty body line: the block is at the cursor
        ("  ", 2),
        ("def f():", 1),  # a block opener: anything deeper than the line
        ("    if x:", 5),
        ("    x = 1", 4),  # other code: the line's own indentation
        ("x = 1", 0),
        ("\t", 4),  # a tab is four columns
        ("\tif x:", 5),
        ("\t\tx = 1", 8),
        ("  \t", 4),  # tab stops, not tab widths
        ("    items = [", 5),
        ("function f() {", 1),
        ("    const g = () =>", 5),
        ("    call(", 5),
    ],
)
def test_block_indent(line: str, indent: int) -> None:
    assert block_indent(line) == indent
