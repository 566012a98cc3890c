"""What goes into the prompt for a cursor: rank the repository's pieces, keep what fits the budget.

Ranked best first (budget.py drops from the end):
1. the current file's pieces within NEAR_LINES above the cursor, nearest first;
2. the definitions of the names used near the cursor (in its piece and the lines around it): the
   current file's own when it defines the name, else those of other files in its language family;
   a name defined in more than COMMON_NAME_FILES files is too common to tell which one is meant
   unless the file imports it;
3. the rest of the current file above the cursor, nearest first;
4. the definitions of names the current file uses elsewhere (its tags), nearest use first;
5. the files it imports (imports.py), in import order;
6. recently edited files, most recent first;
7. the places that use the current file's definitions;
8. the other files of the current file's directory, by path.
The cursor's own piece, up to its line, is always in (cut from its start if it alone is too long).

Caching rule (DESIGN.md section 4): nothing here looks at the cursor's line, whose text changes
with every keystroke, so typing there leaves the selection as it was and changes only the tail of
the prompt. The result is ordered most-stable-first: other files by path with their pieces in file
order, then the current file in file order.

Pure and deterministic: the same snapshot and arguments give the same selection (the caches in
pieces.py and symbols.py only save work).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hirope_lsp.index.snapshot import FileSnapshot, RepositorySnapshot
from hirope_lsp.index.tags import Tag
from hirope_lsp.prompt.budget import Candidate, Fitted, fit
from hirope_lsp.prompt.imports import imported_files
from hirope_lsp.prompt.pieces import Piece, file_pieces, piece_at, piece_text
from hirope_lsp.prompt.symbols import SymbolTable, symbols_for

NEAR_LINES = 30  # lines above the cursor whose names and pieces rank first; a third as many below
NEAR_BYTES = 16_384  # at most this much text around the cursor is searched for names
COMMON_NAME_FILES = 4

_FAMILIES = {"typescript": "javascript", "tsx": "javascript", "cpp": "c"}  # languages that share names
_IDENTIFIER = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Selection:
    context: tuple[Piece, ...]  # other files' pieces: files by path, pieces in file order
    current: tuple[Piece, ...]  # the current file's, in file order, ending at the cursor's line
    cursor_unit: int  # the index (in its file) of the top-level unit that holds the cursor's line
    line_start: int  # the byte offset where the cursor's line starts
    tokens: int  # what the pieces and their files' headers cost


def select(
    snapshot: RepositorySnapshot,
    cursor_path: Path,
    cursor_offset: int,
    budget_tokens: int,
    count_tokens: Callable[[str], int],
    header_tokens: Callable[[Path], int],
) -> Selection:
    """The pieces for a cursor at byte `cursor_offset` of `cursor_path` (a file of the snapshot) that
    fit in `budget_tokens`, counting each piece's text with `count_tokens` and each file's header
    (an upper bound, whatever precedes it included) with `header_tokens`."""
    current = snapshot.files.get(cursor_path)
    if current is None:
        raise ValueError(f"{cursor_path} is not in the repository snapshot (open it in the index first)")
    data = current.bytes
    offset = min(max(cursor_offset, 0), len(data))
    line_start = data.rfind(b"\n", 0, offset) + 1
    line_end = data.find(b"\n", offset)
    line_end = len(data) if line_end < 0 else line_end + 1
    pieces = file_pieces(current)
    cursor_index = piece_at(pieces, line_start)

    def cost(piece: Piece) -> int:
        return count_tokens(piece_text(snapshot.files[piece.path], piece))

    spent = header_tokens(cursor_path)
    if spent > budget_tokens:
        raise ValueError(f"a budget of {budget_tokens} tokens cannot hold even the current file's header")
    fitted = Fitted([], spent, {cursor_path})
    above = pieces[: cursor_index or 0]  # the current file's whole pieces before the cursor's
    if cursor_index is not None and pieces[cursor_index].start < line_start:
        whole = pieces[cursor_index]
        up_to_line = Piece(cursor_path, whole.start, line_start, whole.unit, whole.part)
        cut = _cut_to_fit(current, up_to_line, budget_tokens - spent, cost)
        fitted = Fitted([cut], spent + cost(cut), {cursor_path})
        if cut != up_to_line:
            above = ()  # nothing above a cut: the current file keeps no gaps
    cursor_piece = None if cursor_index is None else pieces[cursor_index]
    ranking = _Ranking(snapshot, current, above, cursor_piece, (line_start, line_end))
    with symbols_for(snapshot) as symbols:
        fitted = fit(ranking.candidates(symbols), budget_tokens, cost, header_tokens, fitted)
    chosen = sorted(fitted.pieces, key=lambda piece: (piece.path != cursor_path, piece.path, piece.start))
    return Selection(
        context=tuple(piece for piece in chosen if piece.path != cursor_path),
        current=tuple(piece for piece in chosen if piece.path == cursor_path),
        cursor_unit=pieces[cursor_index].unit if cursor_index is not None else 0,
        line_start=line_start,
        tokens=fitted.tokens,
    )


class _Ranking:
    """The candidates in rank order for one cursor (see the module docstring)."""

    def __init__(
        self,
        snapshot: RepositorySnapshot,
        current: FileSnapshot,
        above: tuple[Piece, ...],
        cursor_piece: Piece | None,
        line: tuple[int, int],
    ) -> None:
        self.snapshot = snapshot
        self.current = current
        self.cursor_piece = cursor_piece  # whole, not cut at the cursor's line
        self.above = above  # the current file's pieces before it that may go in
        self.line = line  # the cursor's line, [start, end) in bytes: never looked at
        data = current.bytes
        self.near_start = _lines_before(data, line[0], NEAR_LINES)
        self.near_end = _lines_after(data, line[1], NEAR_LINES // 3)
        # Distances are in rows: a byte distance to code below the cursor would change as the user types.
        self.row = data.count(b"\n", 0, line[0])
        self.local_definitions: dict[str, list[Tag]] = {}
        for tag in current.tags:
            if tag.kind == "def" and not line[0] <= tag.start_byte < line[1]:
                self.local_definitions.setdefault(tag.name, []).append(tag)
        self.family = _family(current.language)
        self.imports = imported_files(current, snapshot.files, snapshot.root, line)
        self.imported = frozenset(self.imports)

    def candidates(self, symbols: SymbolTable) -> Iterator[Candidate]:
        if self.cursor_piece is not None:  # the head of the class the cursor is in, when that is split
            yield from (Candidate(head) for head in _heads(self.current, self.cursor_piece))
        near = [piece for piece in reversed(self.above) if piece.end > self.near_start]
        yield from (Candidate(piece, nearest_first=True) for piece in near)
        near_names = self._near_names()
        for name in near_names:
            yield from self._definitions(symbols, name)
        farther = reversed(self.above[: len(self.above) - len(near)])
        yield from (Candidate(piece, nearest_first=True) for piece in farther)
        for name in self._used_names(exclude=set(near_names)):
            yield from self._definitions(symbols, name)
        for path in self.imports:
            yield from self._whole_file(path)
        recent = sorted(self.snapshot.recently_edited.items(), key=lambda item: (-item[1], item[0]))
        for path, _ in recent:
            yield from self._whole_file(path)
        yield from self._users(symbols)
        for path in symbols.files_in(self.current.path.parent):
            yield from self._whole_file(path)

    def _near_names(self) -> list[str]:
        """Identifiers around the cursor (its line excluded), nearest line first."""
        data = self.current.bytes
        piece_start = self.line[0] if self.cursor_piece is None else self.cursor_piece.start
        start = max(min(piece_start, self.near_start), self.line[0] - NEAR_BYTES)
        lines = data[start : self.line[0]].splitlines()[::-1] + data[self.line[1] : self.near_end].splitlines()
        return list(dict.fromkeys(name.decode() for line in lines for name in _IDENTIFIER.findall(line)))

    def _used_names(self, exclude: set[str]) -> list[str]:
        """Names the current file's tags reference outside the cursor's line, nearest first."""
        uses = sorted(
            (abs(tag.line - self.row), tag.start_byte, tag.name)
            for tag in self.current.tags
            if tag.kind == "ref" and tag.category != "import" and not self.line[0] <= tag.start_byte < self.line[1]
        )
        return [name for name in dict.fromkeys(name for _, _, name in uses) if name not in exclude]

    def _definitions(self, symbols: SymbolTable, name: str) -> Iterator[Candidate]:
        if name in self.local_definitions:
            above_end = self.above[-1].end if self.above else 0
            offsets = [tag.start_byte for tag in self.local_definitions[name] if tag.start_byte < above_end]
            yield from self._pieces_at(self.current, offsets)
            return
        found = {path: offsets for path, offsets in symbols.definitions(name).items() if self._kin(path)}
        if len(found) > COMMON_NAME_FILES:
            found = {path: offsets for path, offsets in found.items() if path in self.imported}
        for path in sorted(found, key=lambda path: (path not in self.imported, path)):
            yield from self._pieces_at(self.snapshot.files[path], found[path])

    def _users(self, symbols: SymbolTable) -> Iterator[Candidate]:
        nearest = {name: min(abs(tag.line - self.row) for tag in tags) for name, tags in self.local_definitions.items()}
        for name in sorted(nearest, key=lambda name: (nearest[name], name)):
            if len(symbols.definitions(name)) > COMMON_NAME_FILES:
                continue
            users = symbols.references(name)
            for path in sorted(path for path in users if self._kin(path)):
                yield from self._pieces_at(self.snapshot.files[path], users[path])

    def _kin(self, path: Path) -> bool:
        """Whether `path` is another file in the current file's language family (where its names may be defined)."""
        language = self.snapshot.files[path].language
        return path != self.current.path and _family(language) == self.family

    def _whole_file(self, path: Path) -> Iterator[Candidate]:
        file = self.snapshot.files.get(path)
        if file is not None and path != self.current.path:
            yield from (Candidate(piece) for piece in _pieces(file))

    def _pieces_at(self, file: FileSnapshot, offsets: list[int] | tuple[int, ...]) -> Iterator[Candidate]:
        """The pieces holding these offsets, each followed by its unit's head when it is a part."""
        pieces = _pieces(file)
        indexes = (piece_at(pieces, offset) for offset in offsets)
        for piece in dict.fromkeys(pieces[index] for index in indexes if index is not None):
            yield Candidate(piece)
            yield from (Candidate(head) for head in _heads(file, piece))


def _family(language: str | None) -> str | None:
    return None if language is None else _FAMILIES.get(language, language)


def _pieces(file: FileSnapshot) -> tuple[Piece, ...]:
    try:
        return file_pieces(file)
    except OSError:  # deleted or unreadable since it was indexed: it offers nothing
        return ()


def _heads(file: FileSnapshot, part: Piece) -> list[Piece]:
    """[the head piece of part's unit] when part is a later part of a split unit, else []."""
    if part.part == 0:
        return []
    return [piece for piece in _pieces(file) if piece.unit == part.unit and piece.part == 0]


def _cut_to_fit(file: FileSnapshot, piece: Piece, available: int, cost: Callable[[Piece], int]) -> Piece:
    """`piece`, or its longest tail of whole lines that costs at most `available` tokens."""
    if cost(piece) <= available:
        return piece
    data = file.bytes
    starts = [piece.start] + [index + 1 for index in _newlines(data, piece.start, piece.end - 1)]
    low, high = 0, len(starts)  # the first start whose tail fits is in [low, high]; len(starts): none
    while low < high:
        middle = (low + high) // 2
        if cost(Piece(piece.path, starts[middle], piece.end, piece.unit, piece.part)) <= available:
            high = middle
        else:
            low = middle + 1
    return Piece(piece.path, starts[low] if low < len(starts) else piece.end, piece.end, piece.unit, piece.part)


def _newlines(data: bytes, start: int, end: int) -> Iterator[int]:
    index = data.find(b"\n", start, end)
    while index >= 0:
        yield index
        index = data.find(b"\n", index + 1, end)


def _lines_before(data: bytes, offset: int, count: int) -> int:
    """The start of the line `count` lines above the line that starts at `offset`."""
    for _ in range(count):
        if offset == 0:
            break
        offset = data.rfind(b"\n", 0, offset - 1) + 1
    return offset


def _lines_after(data: bytes, offset: int, count: int) -> int:
    """The end of the `count` lines from `offset` (a line start)."""
    for _ in range(count):
        line_end = data.find(b"\n", offset)
        if line_end < 0:
            return len(data)
        offset = line_end + 1
    return offset
