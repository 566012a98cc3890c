"""Prompt formats: plain path comments, or Qwen2.5-Coder's repository-level fill-in-the-middle."""

from __future__ import annotations

from transformers import PreTrainedTokenizerFast

from hirope_lsp.prompt.formats import detect_format
from hirope_lsp.prompt.layout import build_prompt
from hirope_lsp.prompt.tokens import CachedTokenizer, TransformersTokenizer
from tests.model.tiny import tiny_tokenizer
from tests.prompt.conftest import A_PY, CURSOR, QWEN_SPECIALS, Workspace


def test_detect_the_format_from_special_tokens(tokens: CachedTokenizer, qwen_tokens: CachedTokenizer) -> None:
    assert detect_format(tokens).name == "plain"
    assert detect_format(qwen_tokens).name == "fim-qwen"
    smollm_like = tiny_tokenizer()
    smollm_like.add_special_tokens({"additional_special_tokens": ["<repo_name>", "<file_sep>"]})
    assert detect_format(TransformersTokenizer(smollm_like)).name == "plain"  # no FIM tokens: not an infiller
    partial = tiny_tokenizer()
    partial.add_special_tokens({"additional_special_tokens": QWEN_SPECIALS[:-1]})  # no <|fim_middle|>
    assert detect_format(TransformersTokenizer(partial)).name == "plain"


def test_plain_headers_are_comments_of_the_files_language(
    workspace: Workspace, tokens: CachedTokenizer, hf_tiny: PreTrainedTokenizerFast
) -> None:
    main = workspace.repository.root / "web" / "main.ts"
    prompt = build_prompt(workspace.repository.snapshot(), main, len(main.read_bytes()), tokens, 10_000)
    assert prompt.files == ("web/util.ts", "web/main.ts")
    text = hf_tiny.decode(list(prompt.ids))
    assert text.startswith("// file: web/util.ts\nexport function greet(")
    assert "}\n// file: web/main.ts\nimport { greet }" in text
    assert text.endswith('  return greet("world");\n}\n')


def test_fim_places_the_suffix(
    workspace: Workspace, qwen_tokens: CachedTokenizer, hf_qwen_like: PreTrainedTokenizerFast
) -> None:
    prompt = build_prompt(workspace.repository.snapshot(), workspace.path, workspace.offset, qwen_tokens, 100_000)
    special = {token: hf_qwen_like.convert_tokens_to_ids(token) for token in QWEN_SPECIALS}
    ids = list(prompt.ids)
    assert prompt.format == "fim-qwen"
    assert ids[0] == special["<|repo_name|>"] and ids[-1] == special["<|fim_middle|>"]
    assert ids.count(special["<|file_sep|>"]) == len(prompt.files)
    prefix_at = ids.index(special["<|fim_prefix|>"])
    suffix_at = ids.index(special["<|fim_suffix|>"])
    assert hf_qwen_like.decode(ids[1:prefix_at]).startswith("repo\n<|file_sep|>pkg/b.py\n")
    last_file_at = max(index for index in range(prefix_at) if ids[index] == special["<|file_sep|>"])
    assert hf_qwen_like.decode(ids[last_file_at:prefix_at]) == "<|file_sep|>pkg/a.py\n"
    prefix = hf_qwen_like.decode(ids[prefix_at + 1 : suffix_at])
    suffix = hf_qwen_like.decode(ids[suffix_at + 1 : -1])
    before, after = A_PY.split(CURSOR)
    assert before.endswith(prefix) and prefix.startswith('"""Reading messages."""')
    assert suffix == after  # all of the rest of the file, from the cursor on
    assert prompt.positions.unit[suffix_at:] == (prompt.positions.unit[-1],) * (len(ids) - suffix_at)  # cursor's unit


def test_fim_suffix_is_cut_at_whole_lines(
    workspace: Workspace, qwen_tokens: CachedTokenizer, hf_qwen_like: PreTrainedTokenizerFast
) -> None:
    budget = 400
    prompt = build_prompt(workspace.repository.snapshot(), workspace.path, workspace.offset, qwen_tokens, budget)
    ids = list(prompt.ids)
    suffix_at = ids.index(hf_qwen_like.convert_tokens_to_ids("<|fim_suffix|>"))
    suffix = hf_qwen_like.decode(ids[suffix_at + 1 : -1])
    after = A_PY.split(CURSOR)[1]
    assert len(prompt.ids) <= budget
    assert suffix and after.startswith(suffix) and suffix != after and suffix.endswith("\n")
    assert len(ids) - suffix_at - 2 <= budget // 8


def test_the_plain_format_has_no_suffix(
    workspace: Workspace, tokens: CachedTokenizer, hf_tiny: PreTrainedTokenizerFast
) -> None:
    prompt = build_prompt(workspace.repository.snapshot(), workspace.path, workspace.offset, tokens, 100_000)
    text = hf_tiny.decode(list(prompt.ids))
    assert text.endswith(A_PY.split(CURSOR)[0].rsplit("\n", 2)[-2] + "\n        ")
    assert "def finish(" not in text.split("# file: pkg/a.py\n")[-1]
