"""Turn the chosen pieces into the model's prompt: token ids and hierarchical positions.

Each piece is tokenized on its own (through the LRU of tokens.py), so that unit boundaries fall on
token boundaries and every token belongs to exactly one unit (DESIGN.md section 3). Unit indices:
each file's header starts a new unit (and a new file index), each top-level unit of a file one
more; the parts of a split unit share theirs. The cursor's line, the FIM suffix and the FIM middle
token continue the cursor's unit, as generated tokens will.

The budget is split before anything is chosen, so that the repository context never depends on
the cursor's line: LINE_TOKENS for the text before the cursor on its line (its last tokens if it is
longer), a share for the FIM suffix, the format's fixed tokens, and the rest for the pieces
(select.py). The parts that typing changes are the last ones in the prompt.

Pitfall: joining separately tokenized pieces can split a token that a whole-text tokenization would
have merged across the boundary; pieces start at line starts, where that is rare.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from hirope_lsp.hirope.positions import Positions
from hirope_lsp.index.snapshot import RepositorySnapshot
from hirope_lsp.prompt.cursor import block_indent
from hirope_lsp.prompt.formats import PromptFormat, detect_format
from hirope_lsp.prompt.pieces import file_pieces, piece_text
from hirope_lsp.prompt.select import Selection, select
from hirope_lsp.prompt.tokens import CachedTokenizer

Tokenize = Callable[[str], Sequence[int]]

LINE_TOKENS = 96  # room for the text before the cursor on its line
SUFFIX_SHARE = 8  # a FIM suffix gets up to 1/SUFFIX_SHARE of the budget ...
SUFFIX_TOKENS = 2048  # ... and at most this many tokens


@dataclass(frozen=True)
class Prompt:
    ids: tuple[int, ...]
    positions: Positions
    files: tuple[str, ...]  # the files whose code is in the prompt (relative to the root), in prompt order
    block_indent: int  # where a multi-line completion's block sits (cursor.py)
    line_prefix: str  # the text before the cursor on its line
    context_tokens: int  # the tokens before the current file's header: the repository context
    format: str  # "plain" or "fim-<family>"

    def shared_prefix(self, other: Prompt) -> int:
        """How many leading ids the two prompts share: what the engine's KV cache can reuse."""
        return next(
            (i for i, (a, b) in enumerate(zip(self.ids, other.ids, strict=False)) if a != b),
            min(len(self.ids), len(other.ids)),
        )


def encode_units(units: Sequence[str], tokenize: Tokenize) -> tuple[tuple[int, ...], Positions]:
    """Token ids of the units in order, and positions with one unit index per (non-empty) unit."""
    ids: list[int] = []
    lengths: list[int] = []
    for text in units:
        tokens = tokenize(text) if text else []
        ids.extend(tokens)
        lengths.append(len(tokens))
    return tuple(ids), Positions.from_unit_lengths(lengths)


def build_prompt(
    snapshot: RepositorySnapshot,
    cursor_path: Path,
    cursor_offset: int,
    tokenizer: CachedTokenizer,
    budget_tokens: int,
    prompt_format: PromptFormat | None = None,
) -> Prompt:
    """The prompt for a cursor at byte `cursor_offset` of `cursor_path`, at most `budget_tokens` long
    (budget.prompt_budget says how many); the format is detected from the tokenizer unless given."""
    form = prompt_format or detect_format(tokenizer)
    fixed = (
        len(form.preamble(snapshot.root.name))
        + len(form.prefix_start())
        + len(form.suffix_start())
        + len(form.middle())
    )
    line_budget = min(LINE_TOKENS, budget_tokens // 4)
    suffix_budget = min(budget_tokens // SUFFIX_SHARE, SUFFIX_TOKENS) if form.fills_middle else 0
    pieces_budget = budget_tokens - fixed - line_budget - suffix_budget

    def header_cost(path: Path) -> int:
        return len(form.line_break()) + len(
            form.file_header(_relative(snapshot.root, path), snapshot.files[path].language)
        )

    selection = select(snapshot, cursor_path, cursor_offset, pieces_budget, tokenizer.count, header_cost)
    current = snapshot.files[cursor_path]
    offset = min(max(cursor_offset, 0), len(current.bytes))
    line_prefix = current.bytes[selection.line_start : offset].decode("utf-8", "replace")
    line_ids = tokenizer.encode(line_prefix)[-line_budget:] if line_budget else ()
    suffix = _suffix(snapshot, cursor_path, offset, tokenizer, suffix_budget) if form.fills_middle else []
    return _lay_out(snapshot, selection, cursor_path, form, tokenizer, line_ids, suffix, line_prefix)


def _lay_out(
    snapshot: RepositorySnapshot,
    selection: Selection,
    cursor_path: Path,
    form: PromptFormat,
    tokenizer: CachedTokenizer,
    line_ids: Sequence[int],
    suffix: list[Sequence[int]],
    line_prefix: str,
) -> Prompt:
    out = _Assembler()
    out.start_file()
    out.add(form.preamble(snapshot.root.name))
    files: list[str] = []
    ends_line = True
    group: tuple[Path, int] | None = None
    context_tokens = 0
    for piece in (*selection.context, *selection.current):
        if group is None or group[0] != piece.path:
            if piece.path == cursor_path:
                context_tokens = len(out.ids)
            _start_file(out, form, snapshot, piece.path, ends_line, cursor_path)
            files.append(_relative(snapshot.root, piece.path))
        if group != (piece.path, piece.unit):
            out.start_unit()
        text = piece_text(snapshot.files[piece.path], piece)
        out.add(tokenizer.encode(text))
        ends_line = text.endswith("\n")
        group = (piece.path, piece.unit)
    if group is None or group[0] != cursor_path:  # nothing of the current file before the cursor's line
        context_tokens = len(out.ids)
        _start_file(out, form, snapshot, cursor_path, ends_line, cursor_path)
        files.append(_relative(snapshot.root, cursor_path))
    if group != (cursor_path, selection.cursor_unit):
        out.start_unit()
    for ids in (line_ids, form.suffix_start(), *suffix, form.middle()):
        out.add(ids)
    return Prompt(
        ids=tuple(out.ids),
        positions=Positions(tuple(out.unit), tuple(out.file)),
        files=tuple(files),
        block_indent=block_indent(line_prefix),
        line_prefix=line_prefix,
        context_tokens=context_tokens,
        format=form.name,
    )


def _start_file(
    out: _Assembler, form: PromptFormat, snapshot: RepositorySnapshot, path: Path, ends_line: bool, cursor_path: Path
) -> None:
    """Emit a file's header (after a line break if the text before it does not end a line)."""
    if not ends_line:
        out.add(form.line_break())
    out.start_file()
    out.add(form.file_header(_relative(snapshot.root, path), snapshot.files[path].language))
    if path == cursor_path:
        out.add(form.prefix_start())


def _suffix(
    snapshot: RepositorySnapshot, path: Path, offset: int, tokenizer: CachedTokenizer, budget: int
) -> list[Sequence[int]]:
    """The ids of the text after the cursor, in pieces, as much as fits in `budget` (whole lines at the cut)."""
    file = snapshot.files[path]
    data = file.bytes
    line_end = data.find(b"\n", offset)
    line_end = len(data) if line_end < 0 else line_end + 1
    bounds = [offset, line_end, *(piece.end for piece in file_pieces(file) if piece.end > line_end)]
    result: list[Sequence[int]] = []
    for start, end in pairwise(bounds):
        text = data[start:end].decode("utf-8", "replace")
        ids = tokenizer.encode(text)
        if len(ids) > budget:
            result.append(_whole_lines(text, budget, tokenizer))
            break
        result.append(ids)
        budget -= len(ids)
    return result


def _whole_lines(text: str, budget: int, tokenizer: CachedTokenizer) -> Sequence[int]:
    """The ids of the longest run of whole lines from the start of `text` that fits in `budget`."""
    ends = [index + 1 for index, char in enumerate(text) if char == "\n"]
    low, high = 0, len(ends)  # how many lines fit
    while low < high:
        middle = (low + high + 1) // 2
        if tokenizer.count(text[: ends[middle - 1]]) <= budget:
            low = middle
        else:
            high = middle - 1
    return tokenizer.encode(text[: ends[low - 1]]) if low else ()


class _Assembler:
    """Ids with their unit and file indices; a new unit or file begins at the next non-empty ids."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.unit: list[int] = []
        self.file: list[int] = []
        self._unit = self._file = -1
        self._new_unit = self._new_file = False

    def start_file(self) -> None:
        self._new_file = self._new_unit = True

    def start_unit(self) -> None:
        self._new_unit = True

    def add(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        if self._new_file:
            self._file += 1
        if self._new_unit:
            self._unit += 1
        self._new_unit = self._new_file = False
        self.ids.extend(ids)
        self.unit.extend([self._unit] * len(ids))
        self.file.extend([self._file] * len(ids))


@lru_cache(maxsize=65_536)
def _relative(snapshot_root: Path, path: Path) -> str:
    """The path as a header names it: relative to the root (pathlib is slow enough to cache this)."""
    return path.relative_to(snapshot_root).as_posix() if path.is_relative_to(snapshot_root) else str(path)
