"""Prompt layout: pieces to token ids and hierarchical positions, and what typing may change."""

from __future__ import annotations

import pytest
from transformers import PreTrainedTokenizerFast

from hirope_lsp.hirope.positions import Positions
from hirope_lsp.prompt.budget import prompt_budget
from hirope_lsp.prompt.layout import build_prompt, encode_units
from hirope_lsp.prompt.tokens import CachedTokenizer, TransformersTokenizer
from tests.prompt.conftest import A_PY, CURSOR, Workspace


def words(text: str) -> list[int]:
    """A tokenizer of whitespace-separated words (the word's length is its id)."""
    return [len(word) for word in text.split()]


def test_ids_are_the_concatenation_and_each_piece_is_a_unit() -> None:
    ids, positions = encode_units(["import os\n", "def f():\n    return 1\n", "x = 2\n"], words)
    assert ids == (6, 2, 3, 4, 6, 1, 1, 1, 1)
    assert positions == Positions((0, 0, 1, 1, 1, 1, 2, 2, 2))


def test_empty_pieces_are_skipped() -> None:
    ids, positions = encode_units(["", "a b", "   \n", "", "c"], words)
    assert ids == (1, 1, 1)
    assert positions.unit == (0, 0, 1)  # a piece of no tokens starts no unit


def test_no_pieces() -> None:
    ids, positions = encode_units([], words)
    assert ids == () and len(positions) == 0


def test_empty_text_is_not_tokenized() -> None:
    seen: list[str] = []

    def tokenize(text: str) -> list[int]:
        seen.append(text)
        return [7]

    assert encode_units(["", "a"], tokenize) == ((7,), Positions((0,)))
    assert seen == ["a"]


# The whole prompt, on the fixture repository (tests/prompt/conftest.py).


def runs(values: tuple[int, ...]) -> list[tuple[int, int]]:
    """[start, end) of each run of equal values."""
    starts = [0] + [index for index in range(1, len(values)) if values[index] != values[index - 1]]
    return list(zip(starts, [*starts[1:], len(values)], strict=True))


def test_each_unit_is_one_unit_index_on_token_boundaries(
    shared_workspace: Workspace, tokens: CachedTokenizer, hf_tiny: PreTrainedTokenizerFast
) -> None:
    snapshot = shared_workspace.repository.snapshot()
    prompt = build_prompt(snapshot, shared_workspace.path, shared_workspace.offset, tokens, 100_000)
    unit_runs = runs(prompt.positions.unit)
    texts = [hf_tiny.decode(list(prompt.ids[start:end])) for start, end in unit_runs]
    assert "".join(texts) == hf_tiny.decode(list(prompt.ids))  # the units cut between tokens, nothing is lost
    assert prompt.positions.unit[0] == 0 and len(set(prompt.positions.unit)) == len(texts)  # u counts units
    headers = [text for text in texts if text.startswith("# file: ")]
    assert [header.strip().removeprefix("# file: ") for header in headers] == list(prompt.files)
    unit_texts = {file.text[unit.start_byte : unit.end_byte] for file in snapshot.files.values() for unit in file.units}
    cursor_unit = texts[-1]
    for text in texts[:-1]:
        assert text in headers or text in unit_texts, text  # a header or exactly one whole top-level unit
    assert cursor_unit.lstrip("\n").startswith("def read_headers(lines):") and cursor_unit.endswith(
        "parse_header(line)\n        "
    )
    assert prompt.positions.file is not None
    header_starts = [start for (start, _), text in zip(unit_runs, texts, strict=True) if text in headers]
    assert [start for start, _ in runs(prompt.positions.file)] == header_starts  # a file index per file


def test_prompt_fields(shared_workspace: Workspace, tokens: CachedTokenizer) -> None:
    snapshot = shared_workspace.repository.snapshot()
    prompt = build_prompt(snapshot, shared_workspace.path, shared_workspace.offset, tokens, 100_000)
    assert prompt.format == "plain"
    assert prompt.files[-1] == "pkg/a.py" and "pkg/b.py" in prompt.files
    assert prompt.line_prefix == " " * 8 and prompt.block_indent == 8
    assert 0 < prompt.context_tokens < len(prompt.ids)


def test_same_inputs_same_ids(
    shared_workspace: Workspace, tokens: CachedTokenizer, hf_tiny: PreTrainedTokenizerFast
) -> None:
    snapshot = shared_workspace.repository.snapshot()
    first = build_prompt(snapshot, shared_workspace.path, shared_workspace.offset, tokens, 1500)
    fresh_cache = CachedTokenizer(TransformersTokenizer(hf_tiny))
    again = build_prompt(
        shared_workspace.repository.snapshot(), shared_workspace.path, shared_workspace.offset, fresh_cache, 1500
    )
    assert first == again


@pytest.mark.parametrize("fim", [False, True])
@pytest.mark.parametrize("budget", [400, 1200, 100_000])
def test_typing_changes_only_the_tail(
    workspace: Workspace, tokens: CachedTokenizer, qwen_tokens: CachedTokenizer, budget: int, fim: bool
) -> None:
    tokenizer = qwen_tokens if fim else tokens
    before = build_prompt(workspace.repository.snapshot(), workspace.path, workspace.offset, tokenizer, budget)
    tail = len(tokenizer.encode(before.line_prefix))  # the cursor's line ...
    if fim:  # ... and the FIM suffix after it
        tail += len(before.ids) - before.ids.index(tokenizer.special_id("<|fim_suffix|>") or -1)
    head = len(before.ids) - tail
    assert before.context_tokens > 0
    for typed in ("h", "eaders[", "name] = format_header(", "va", "lue)"):
        workspace.type(typed)
        after = build_prompt(workspace.repository.snapshot(), workspace.path, workspace.offset, tokenizer, budget)
        assert before.shared_prefix(after) >= head >= before.context_tokens, typed
        assert after.line_prefix.endswith(typed)


def test_the_parts_of_a_split_unit_share_its_index(workspace: Workspace, tokens: CachedTokenizer) -> None:
    path = workspace.repository.root / "pkg" / "store.py"
    text = path.read_text()
    offset = len(text[: text.index("        return value", text.index("def get_20("))].encode())
    prompt = build_prompt(workspace.repository.snapshot(), path, offset, tokens, 600)  # not all of the class fits
    assert prompt.files[-1] == "pkg/store.py"
    header_start = prompt.positions.file.index(prompt.positions.file[-1]) if prompt.positions.file else -1
    units = set(prompt.positions.unit[header_start:])
    assert len(units) == 2  # the header, then the class: head, some methods and the cursor's, as one unit


@pytest.fixture(scope="module")
def real_tokenizer() -> PreTrainedTokenizerFast:
    from hirope_lsp.model.loader import load_model

    return load_model("default").tokenizer


@pytest.mark.slow
def test_with_the_default_models_tokenizer(workspace: Workspace, real_tokenizer: PreTrainedTokenizerFast) -> None:
    tokens = CachedTokenizer(TransformersTokenizer(real_tokenizer))
    budget = prompt_budget(8192, 96, "hirope", 4.0)
    before = build_prompt(workspace.repository.snapshot(), workspace.path, workspace.offset, tokens, budget)
    text = real_tokenizer.decode(list(before.ids))
    assert len(before.ids) <= budget
    assert "# file: pkg/b.py\n" in text and "def parse_header(line):" in text
    assert text.endswith("# file: pkg/a.py\n" + A_PY.split(CURSOR)[0])  # the tokens say exactly the source
    head = len(before.ids) - len(tokens.encode(before.line_prefix))
    for typed in ("head", "ers[name", "] = value"):
        workspace.type(typed)
        after = build_prompt(workspace.repository.snapshot(), workspace.path, workspace.offset, tokens, budget)
        assert before.shared_prefix(after) >= head
