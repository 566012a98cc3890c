"""When to stop generating, decided on the text generated so far.

- single line: at the first newline (the line is what the editor shows as ghost text);
- multi-line: at the first complete line that starts to the left of the block being written (a dedent
  out of it). Blank lines do not count, and the first generated line (the rest of the cursor's line)
  never stops.

The rule sees text only; the engine applies it between decode steps.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StopRule:
    multiline: bool = False
    block_indent: int = 0  # columns; a later line indented less than this ends the completion

    def cut(self, text: str) -> str | None:
        """The completion to keep if generation should stop now, else None."""
        if not self.multiline:
            newline = text.find("\n")
            return None if newline < 0 else text[:newline]
        line_start = text.find("\n") + 1
        while line_start:
            line_end = text.find("\n", line_start)
            if line_end < 0:
                return None  # the line is not complete: its indentation may still grow
            line = text[line_start:line_end]
            if line.strip() and _indent(line) < self.block_indent:
                return text[: line_start - 1].rstrip()
            line_start = line_end + 1
        return None

    def finish(self, text: str) -> str:
        """The completion to keep when generation ended for another reason (EOS, token limit)."""
        cut = self.cut(text)
        if cut is not None:
            return cut
        if self.multiline:
            last_newline = text.rfind("\n")
            last_line = text[last_newline + 1 :]
            if last_newline >= 0 and last_line.strip() and _indent(last_line) < self.block_indent:
                return text[:last_newline].rstrip()
        return text.rstrip() if self.multiline else text


def _indent(line: str) -> int:
    expanded = line.expandtabs(4)
    return len(expanded) - len(expanded.lstrip(" "))
