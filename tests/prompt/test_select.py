"""Context selection on a real indexed repository: what is chosen, in what order, and what is not
allowed to matter (the cursor's line)."""

from __future__ import annotations

from pathlib import Path

from hirope_lsp.prompt.pieces import LARGE_UNIT_BYTES, Piece, file_pieces, piece_text
from hirope_lsp.prompt.select import Selection, select
from hirope_lsp.prompt.tokens import CachedTokenizer
from tests.prompt.conftest import Workspace


def choose(workspace: Workspace, tokens: CachedTokenizer, budget: int) -> Selection:
    return select(workspace.repository.snapshot(), workspace.path, workspace.offset, budget, tokens.count, lambda _: 8)


def texts(workspace: Workspace, pieces: tuple[Piece, ...]) -> list[str]:
    files = workspace.repository.snapshot().files
    return [piece_text(files[piece.path], piece) for piece in pieces]


def relative(workspace: Workspace, pieces: tuple[Piece, ...]) -> list[str]:
    return [piece.path.relative_to(workspace.repository.root).as_posix() for piece in pieces]


def test_the_definition_the_cursor_uses_is_chosen_first(workspace: Workspace, tokens: CachedTokenizer) -> None:
    everything = choose(workspace, tokens, 100_000)
    definition = piece_text_of(workspace, "parse_header")
    assert definition in texts(workspace, everything.context)
    # Room for the current file, parse_header's piece and two headers: parse_header is all the context.
    current = sum(tokens.count(text) for text in texts(workspace, everything.current))
    tight = choose(workspace, tokens, current + tokens.count(definition) + 2 * 8)
    assert texts(workspace, tight.context) == [definition]
    assert tight.current == everything.current


def piece_text_of(workspace: Workspace, name: str) -> str:
    files = workspace.repository.snapshot().files
    for file in files.values():
        for piece in file_pieces(file):
            if f"def {name}(" in piece_text(file, piece):
                return piece_text(file, piece)
    raise AssertionError(name)


def test_related_files_imports_and_users(workspace: Workspace, tokens: CachedTokenizer) -> None:
    chosen = set(relative(workspace, choose(workspace, tokens, 100_000).context))
    assert {"pkg/b.py", "pkg/c.py", "pkg/store.py"} <= chosen  # imported, a user of read_headers, same directory
    assert "web/util.ts" not in chosen and "web/main.ts" not in chosen  # another language, unrelated


def test_order_is_most_stable_first(workspace: Workspace, tokens: CachedTokenizer) -> None:
    selection = choose(workspace, tokens, 100_000)
    keys = [(piece.path, piece.start) for piece in selection.context]
    assert keys == sorted(keys)  # files by path, pieces in file order
    assert all(piece.path == workspace.path for piece in selection.current)
    starts = [piece.start for piece in selection.current]
    assert starts == sorted(starts)
    assert selection.current[-1].end == selection.line_start  # the current file runs up to the cursor's line


def test_the_current_file_loses_its_farthest_code_first(workspace: Workspace, tokens: CachedTokenizer) -> None:
    full = choose(workspace, tokens, 100_000)
    assert texts(workspace, full.current)[0].startswith('"""Reading messages."""')
    for budget in range(40, full.tokens, 7):
        current = choose(workspace, tokens, budget).current
        whole = file_pieces(workspace.repository.snapshot().files[workspace.path])
        kept = [piece.start for piece in current]
        expected = [piece.start for piece in whole if piece.start >= kept[0] and piece.end <= full.line_start]
        assert kept[: len(expected)] == expected[: len(kept)], budget  # a contiguous run up to the cursor


def test_typing_on_the_cursor_line_does_not_change_the_choice(workspace: Workspace, tokens: CachedTokenizer) -> None:
    for budget in (300, 1000, 100_000):
        before = choose(workspace, tokens, budget)
        for text in ("x = ", "format_header(", "Store().get_3", "  # parse", " [k.l", " {'a': ", ' "unclosed'):
            workspace.type(text)
            after = choose(workspace, tokens, budget)
            assert (after.context, after.current, after.tokens) == (before.context, before.current, before.tokens)


def test_same_inputs_same_selection(workspace: Workspace, tokens: CachedTokenizer) -> None:
    assert choose(workspace, tokens, 700) == choose(workspace, tokens, 700)


def test_never_over_the_budget(workspace: Workspace, tokens: CachedTokenizer) -> None:
    for budget in range(30, 2000, 37):
        assert choose(workspace, tokens, budget).tokens <= budget


def test_a_large_class_is_offered_in_parts(workspace: Workspace) -> None:
    file = workspace.repository.snapshot().files[workspace.repository.root / "pkg" / "store.py"]
    pieces = file_pieces(file)
    assert len(file.bytes) > LARGE_UNIT_BYTES
    assert {piece.unit for piece in pieces} == {0} and [piece.part for piece in pieces] == list(range(len(pieces)))
    assert len(pieces) == 1 + 31  # the head (the class line) and one part per method, __init__ included
    assert b"".join(file.bytes[piece.start : piece.end] for piece in pieces) == file.bytes
    assert all(file.bytes[piece.start - 1 : piece.start] == b"\n" for piece in pieces[1:])  # whole lines


def test_cursor_at_the_top_of_an_empty_file(tmp_path: Path, tokens: CachedTokenizer) -> None:
    from hirope_lsp.index.repository import Repository

    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "empty.py").write_text("")
    repository = Repository(tmp_path / "repo", cache_dir=tmp_path / "cache")
    repository.scan()
    path = tmp_path / "repo" / "empty.py"
    selection = select(repository.snapshot(), path, 0, 100, tokens.count, lambda _: 8)
    assert selection == Selection((), (), 0, 0, 8)


def test_a_cursor_piece_too_long_for_the_budget_keeps_its_last_lines(
    workspace: Workspace, tokens: CachedTokenizer
) -> None:
    selection = choose(workspace, tokens, 40)
    (piece,) = selection.current
    text = texts(workspace, selection.current)[0]
    assert piece.end == selection.line_start and text.endswith("parse_header(line)\n")
    assert not text.lstrip("\n").startswith("def read_headers") and text.startswith("    ")  # whole lines
    assert selection.context == () and tokens.count(text) + 8 <= 40


def test_a_cursor_on_the_first_line_of_a_piece(workspace: Workspace, tokens: CachedTokenizer) -> None:
    path = workspace.repository.root / "pkg" / "store.py"
    text = path.read_text()
    offset = len(text[: text.index("    def get_5(")].encode())
    selection = select(workspace.repository.snapshot(), path, offset, 100_000, tokens.count, lambda _: 8)
    assert selection.current[-1].end == selection.line_start == offset  # no piece cut at the cursor's line
    files = {piece.path for piece in selection.context}
    costs = sum(tokens.count(text) for text in texts(workspace, selection.context + selection.current))
    assert selection.tokens == costs + 8 * (len(files) + 1)  # one header per file, the current file's once
