"""From the model's raw completion to what the editor shows: pure functions on text.

The cursor's context picks the shape first (`wants_block`): right after a block opener, or on a line
with nothing but whitespace before the cursor, the completion is a block (multi-line, stopped at a
dedent, stops.py); in the middle of a statement it is the rest of the line.

Then `fit_to_line` makes the completion agree with the text after the cursor on its line (the
"rest", often closing brackets the editor typed ahead):
- no rest: insert at the cursor as is;
- a single-line completion ending with the rest: drop that ending and insert at the cursor (the rest
  stays where it is, so the line reads as the model wrote it);
- a completion that contains the rest in its first line otherwise: it replaces the rest of the line
  (the range then ends at the line's end), so that nothing is doubled;
- else insert at the cursor and keep the rest after it.
Trailing whitespace is trimmed everywhere: ghost text that ends in spaces only moves the caret.
"""

from __future__ import annotations

from dataclasses import dataclass

from hirope_lsp.prompt.cursor import BLOCK_OPENERS

MAX_VARIANTS = 3  # an explicitly invoked inline completion offers at most this many items


@dataclass(frozen=True)
class Suggestion:
    text: str
    replaces_rest: bool  # the item's range runs to the end of the cursor's line, not just the cursor


def wants_block(line_before: str, line_after: str) -> bool:
    """Whether the cursor's context asks for a multi-line completion."""
    if line_after.strip():
        return False
    code = line_before.strip()
    return not code or code.endswith(BLOCK_OPENERS)


def clean(text: str) -> str:
    """Trailing whitespace trimmed from every line and from the end."""
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip()


def fit_to_line(text: str, rest: str) -> Suggestion | None:
    """The suggestion for a completion given the text after the cursor on its line; None if nothing is left."""
    text = clean(text)
    tail = rest.rstrip()
    if tail.strip():
        first, newline, _ = text.partition("\n")
        if not newline and first.endswith(tail):
            text = first[: len(first) - len(tail)]
        elif tail.strip() in first:
            return Suggestion(text, replaces_rest=True) if text.strip() else None
    return Suggestion(text, replaces_rest=False) if text.strip() else None


def first_line(text: str) -> str:
    """The completion up to its first line with code (a block after an opener starts with a line break)."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.strip():
            return "\n".join(lines[: index + 1])
    return text


def variants(texts: list[str], rest: str) -> list[Suggestion]:
    """Distinct suggestions, in order, at most MAX_VARIANTS."""
    result: list[Suggestion] = []
    for text in texts:
        suggestion = fit_to_line(text, rest)
        if suggestion is not None and suggestion not in result:
            result.append(suggestion)
    return result[:MAX_VARIANTS]
