"""The lean decode step against transformers' own one-token forward, for every family it runs."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM, GemmaConfig, LlamaConfig

from hirope_lsp.hirope.attention import FarKeyCache, HiropeState
from hirope_lsp.model.decode_step import DecodeStep, decode_step, unsupported_reason
from hirope_lsp.model.decode_weights import set_decode_weights
from hirope_lsp.model.kv_cache import GrowingCache
from hirope_lsp.model.packed import Int4Weight
from hirope_lsp.model.rope import enable_hirope
from tests.model.tiny import COMMON, FAMILIES, ROPE, snap_to_four_bits, tiny_model

PROMPT = 24  # tokens before the steps: beyond a window of 8, so the far branch runs
STEPS = 3


def logits_after_prompt(model: torch.nn.Module, step: DecodeStep | None, window: int | None) -> list[torch.Tensor]:
    """Prefill a fixed prompt with transformers' forward, then STEPS one-token steps, each through `step`
    (None: transformers' forward); the logits of every step."""
    facts = enable_hirope(model)
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(0, model.config.vocab_size, (PROMPT + STEPS,), generator=generator).tolist()
    units = torch.arange(PROMPT + STEPS) // 5  # units of five tokens
    cache, far_keys = GrowingCache(), FarKeyCache()

    def state(length: int) -> HiropeState | None:
        if window is None:
            return None
        return HiropeState(units[:length], facts.inv_freq, facts.geometry(window, None), far_keys)

    seen = []
    with torch.inference_mode():
        model(torch.tensor([ids[:PROMPT]]), cache=cache, use_cache=True, hirope=state(PROMPT))
        for position in range(PROMPT, PROMPT + STEPS):
            if step is None:
                output = model(torch.tensor([[ids[position]]]), cache=cache, use_cache=True, hirope=state(position + 1))
                seen.append(output.logits[0, -1].float())
            else:
                seen.append(step([ids[position]], cache, state(position + 1)))
    return seen


@pytest.mark.parametrize("window", [None, 8], ids=["stock", "hirope-window-8"])
@pytest.mark.parametrize("family", FAMILIES)
def test_lean_step_equals_transformers_forward(family: str, window: int | None) -> None:
    model = tiny_model(family)
    expected = logits_after_prompt(model, None, window)
    lean = logits_after_prompt(model, DecodeStep(model, None), window)
    for position, (a, b) in enumerate(zip(lean, expected, strict=True)):
        assert float((a - b).abs().max()) <= 1e-4, f"{family}, step {position}"


@pytest.mark.parametrize("window", [None, 8], ids=["stock", "hirope-window-8"])
@pytest.mark.parametrize("family", FAMILIES)
def test_a_few_tokens_at_once_equal_transformers_forward(family: str, window: int | None) -> None:
    """A prompt's tail runs through the lean step several tokens at a time; so does a cold prompt of a few."""
    model = tiny_model(family)
    facts = enable_hirope(model)
    ids = torch.randint(0, model.config.vocab_size, (PROMPT + 5,), generator=torch.Generator().manual_seed(2)).tolist()
    units = torch.arange(PROMPT + 5) // 5

    def state(length: int, far_keys: FarKeyCache) -> HiropeState | None:
        if window is None:
            return None
        return HiropeState(units[:length], facts.inv_freq, facts.geometry(window, None), far_keys)

    step = DecodeStep(model, None)
    for start in (0, PROMPT):  # five tokens on an empty cache, and after a prefilled prompt
        results = []
        for lean in (True, False):
            cache, far_keys = GrowingCache(), FarKeyCache()
            with torch.inference_mode():
                if start:
                    model(torch.tensor([ids[:start]]), cache=cache, use_cache=True, hirope=state(start, far_keys))
                tail, hirope = ids[start:], state(len(ids), far_keys)
                if lean:
                    results.append(step(tail, cache, hirope))
                else:
                    output = model(torch.tensor([tail]), cache=cache, use_cache=True, hirope=hirope)
                    results.append(output.logits[0, -1].float())
            assert cache.get_seq_length() == len(ids)
        assert float((results[0] - results[1]).abs().max()) <= 1e-4, f"{family}, after {start} tokens"


def test_half_precision_step_stays_close_to_the_half_precision_forward() -> None:
    """In float16 both paths round the same products; only the order of operations differs."""
    model = tiny_model("qwen2")  # q/k/v biases
    lean = logits_after_prompt(model, DecodeStep(model, torch.float16), 8)
    set_decode_weights(model, torch.float16)
    expected = logits_after_prompt(model, None, 8)
    for a, b in zip(lean, expected, strict=True):
        assert float((a - b).abs().max()) <= 2e-3
        assert int(a.argmax()) == int(b.argmax())


def test_int4_step_on_four_bit_weights_stays_close_to_float32() -> None:
    model = tiny_model("llama")
    snap_to_four_bits(model)
    step = DecodeStep(model, "int4")
    assert all(isinstance(layer.gate_up, Int4Weight) for layer in step.layers)
    expected = logits_after_prompt(model, None, 8)
    for a, b in zip(logits_after_prompt(model, step, 8), expected, strict=True):
        assert float((a - b).abs().max()) <= 3e-2 * float(b.abs().max())


@pytest.mark.parametrize("chosen", [torch.float16, "int4"], ids=["float16-copies", "int4"])
def test_a_bfloat16_model_keeps_its_precision_through_the_step(chosen: torch.dtype | str) -> None:
    """A bfloat16 model (the eval default) with float16 decode copies: bfloat16 + float16 promotes to float32,
    which the bfloat16 cache refused on the next layer's keys before the step cast back to x's precision."""
    model = tiny_model("llama")
    snap_to_four_bits(model.model.layers[0])
    model.to(torch.bfloat16)  # off the exact grid: "int4" keeps float16 copies, as for the default model's 8-bit head
    step = DecodeStep(model, chosen)  # type: ignore[arg-type]
    expected = logits_after_prompt(model, None, 8)
    for a, b in zip(logits_after_prompt(model, step, 8), expected, strict=True):
        assert a.dtype == torch.float32
        assert float((a - b).abs().max()) <= 5e-2 * float(b.abs().max())


def test_engines_over_one_model_share_its_copies() -> None:
    model = tiny_model("llama")
    assert decode_step(model, torch.float16) is decode_step(model, torch.float16)
    assert decode_step(model, torch.float16) is not decode_step(model, None)


def test_other_families_and_shapes_keep_transformers_forward() -> None:
    gemma = AutoModelForCausalLM.from_config(GemmaConfig(**COMMON, head_dim=16, rope_parameters=ROPE))
    assert "'gemma'" in (unsupported_reason(gemma) or "")
    assert decode_step(gemma, torch.float16) is None
    biased = AutoModelForCausalLM.from_config(LlamaConfig(**COMMON, attention_bias=True, rope_parameters=ROPE))
    assert "biases" in (unsupported_reason(biased) or "")
    with pytest.raises(ValueError, match="biases"):
        DecodeStep(biased, None)
