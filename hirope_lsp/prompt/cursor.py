"""What the cursor's line says about the completion: where a multi-line completion's block sits.

A multi-line completion ends at the first line that starts to the left of its block (a dedent out of
it). The block's indentation comes from the text before the cursor on its line:
- only whitespace (an empty or indented body line): the block is at the cursor's column;
- code ending with a block opener (`:`, `{`, `(`, `[`, `=>`): the block is deeper than that line;
- other code: the block is the line's own indentation.
"""

from __future__ import annotations

BLOCK_OPENERS = (":", "{", "(", "[", "=>")
TAB_WIDTH = 4


def block_indent(line_before_cursor: str) -> int:
    """The smallest indentation (in columns) that a line of the completion may have."""
    expanded = line_before_cursor.expandtabs(TAB_WIDTH)
    indent = len(expanded) - len(expanded.lstrip(" "))
    code = expanded.strip()
    if not code:
        return indent
    return indent + 1 if code.endswith(BLOCK_OPENERS) else indent
