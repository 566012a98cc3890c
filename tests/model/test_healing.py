"""Token healing with the default model's real tokenizer."""

from __future__ import annotations

import pytest

from hirope_lsp.model.healing import TokenHealer
from hirope_lsp.model.loader import LoadedModel


@pytest.mark.slow
def test_allowed_tokens_agree_with_the_remaining_text(default_model: LoadedModel) -> None:
    tokenizer = default_model.tokenizer
    healer = TokenHealer(tokenizer)
    allowed = healer.allowed("    ")
    assert allowed.shape[0] == len(tokenizer)

    def token(text: str) -> int:
        ids = tokenizer.encode(text, add_special_tokens=False)
        assert len(ids) == 1, f"{text!r} is {len(ids)} tokens"
        return int(ids[0])

    for prefix in (" ", "  ", "   ", "    "):  # shorter than the remaining text: more tokens follow
        assert allowed[token(prefix)], repr(prefix)
    for longer in ("     ", "        ", "            "):  # starts with the remaining text
        assert allowed[token(longer)], repr(longer)
    for wrong in ("x", "\n", "\t", "return", " x"):
        assert not allowed[token(wrong)], repr(wrong)
    pieces = tokenizer.batch_decode([[i] for i in range(len(tokenizer))])
    for index in allowed.nonzero().flatten().tolist():
        piece = pieces[index]
        assert piece and (piece.startswith("    ") or "    ".startswith(piece)), repr(piece)


@pytest.mark.slow
def test_only_round_tripping_pieces_heal(default_model: LoadedModel) -> None:
    healer = TokenHealer(default_model.tokenizer)
    assert not healer.can_heal("")
    assert not healer.can_heal("\ufffd")
    assert not healer.can_heal("ab\ufffd")
    assert healer.can_heal("    ")
    first_byte_of_an_emoji = default_model.tokenizer.encode("🙂", add_special_tokens=False)[0]
    assert not healer.can_heal(healer.piece(first_byte_of_an_emoji))


@pytest.mark.slow
def test_a_whitespace_tail_split_across_tokens_is_healed_whole(default_model: LoadedModel) -> None:
    """Units are tokenized apart, so a newline and the next line's indentation can be two tokens."""
    tokenizer = default_model.tokenizer
    healer = TokenHealer(tokenizer)

    def encode(text: str) -> list[int]:
        return list(tokenizer.encode(text, add_special_tokens=False))

    split_tail = encode("def f(n):\n") + encode("    ")
    assert healer.tail(split_tail, set()) == ("\n    ", 2)
    code_tail = encode("    return x +")
    text, count = healer.tail(code_tail, set())
    assert count == 1 and text.strip() == "+"  # only whitespace joins the last token
    assert healer.tail(encode("x"), set()) == ("", 0)  # a one-token prompt keeps its token
