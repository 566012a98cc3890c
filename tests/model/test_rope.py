"""HiRoPE attention inside real transformers models against their stock sdpa attention.

Invariants (DESIGN.md section 3): a window covering the prompt, or every band on token positions
(s = 1), gives the stock logits; a call without the `hirope` keyword is stock attention. A control
checks that the hierarchical rule does change the logits when it should, so that a no-op would fail.
"""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM, MistralConfig, PhiConfig

from hirope_lsp.hirope.attention import HiropeState
from hirope_lsp.hirope.positions import Positions
from hirope_lsp.hirope.split import HiropeGeometry
from hirope_lsp.model.loader import LoadedModel
from hirope_lsp.model.rope import RopeFacts, UnsupportedModelError, enable_hirope
from hirope_lsp.prompt.layout import encode_units
from tests.model.tiny import COMMON, FAMILIES, ROPE, tiny_model

TOLERANCE = 1e-4

SOURCE_UNITS = [
    "import math\nimport os\nfrom collections import defaultdict\n\n\n",
    'def read_lines(path):\n    """Return the lines of a file without their newlines."""\n'
    "    with open(path) as handle:\n        return [line.rstrip('\\n') for line in handle]\n\n\n",
    "class Counter:\n    def __init__(self):\n        self.counts = defaultdict(int)\n\n"
    "    def add(self, word):\n        self.counts[word] += 1\n\n"
    "    def most_common(self, n):\n        ranked = sorted(self.counts.items(), key=lambda item: -item[1])\n"
    "        return ranked[:n]\n\n\n",
    "def count_words(path):\n    counter = Counter()\n    for line in read_lines(path):\n"
    "        for word in line.split():\n            counter.add(word.lower())\n    return counter\n\n\n",
    "def circle_area(radius):\n    return math.pi * radius ** 2\n\n\n",
    "def merge_counts(first, second):\n    merged = defaultdict(int)\n    for counts in (first, second):\n"
    "        for word, count in counts.items():\n            merged[word] += count\n    return dict(merged)\n\n\n",
    "def main():\n    for name in os.listdir('.'):\n        if name.endswith('.txt'):\n"
    "            print(name, count_words(name).most_common(3))\n\n\n",
    "if __name__ == '__main__':\n    main()\n",
]


def logits(model: torch.nn.Module, ids: torch.Tensor, state: HiropeState | None = None) -> torch.Tensor:
    with torch.inference_mode():
        kwargs = {} if state is None else {"hirope": state}
        return model(ids[None], use_cache=False, **kwargs).logits[0]


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max())


def check_invariants(
    model: torch.nn.Module, ids: torch.Tensor, positions: Positions, window: int, control_split: int
) -> RopeFacts:
    model.set_attn_implementation("sdpa")
    stock = logits(model, ids)
    facts = enable_hirope(model)
    units = torch.tensor(positions.unit, dtype=torch.long)
    length = ids.shape[0]
    assert units[-1] > 4 and len(set(positions.unit)) < length  # several units of several tokens each

    def hirope(window: int, split: int) -> torch.Tensor:
        return logits(model, ids, HiropeState(units, facts.inv_freq, HiropeGeometry(window, split)))

    assert max_diff(logits(model, ids), stock) <= TOLERANCE, "flat mode (no hirope keyword) differs from stock"
    assert max_diff(hirope(length, control_split), stock) <= TOLERANCE, "window >= T differs from stock"
    assert max_diff(hirope(window, facts.half_dim), stock) <= TOLERANCE, "s = 1 differs from stock"
    assert max_diff(hirope(window, control_split), stock) > 10 * TOLERANCE, "hierarchical positions changed nothing"
    return facts


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_tiny_models_match_stock_attention(family: str) -> None:
    model = tiny_model(family)
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(0, COMMON["vocab_size"], (52,), generator=generator)
    positions = Positions.from_unit_lengths(torch.randint(2, 9, (20,), generator=generator).tolist())[:52]
    facts = check_invariants(model, ids, positions, window=8, control_split=2)
    assert facts.half_dim == 8


@pytest.mark.slow
def test_default_model_matches_stock_attention(default_model: LoadedModel) -> None:
    tokenize = default_model.tokenizer.encode
    ids, positions = encode_units(SOURCE_UNITS, lambda text: list(tokenize(text, add_special_tokens=False)))
    assert 250 <= len(ids) <= 350
    facts = check_invariants(default_model.model, torch.tensor(ids), positions, window=64, control_split=20)
    assert facts.half_dim == 32 and facts.base == 100000.0 and facts.train_length == 8192


def test_partial_rotary_model_is_refused() -> None:
    torch.manual_seed(0)
    config = PhiConfig(
        vocab_size=128,
        hidden_size=64,
        intermediate_size=96,
        num_hidden_layers=2,
        num_attention_heads=4,
        partial_rotary_factor=0.5,
    )
    model = AutoModelForCausalLM.from_config(config).eval()
    with pytest.raises(UnsupportedModelError, match=r"'phi'.*partial rotary"):
        enable_hirope(model)


def test_model_without_rotary_embedding_is_refused() -> None:
    from transformers import GPT2Config

    config = GPT2Config(vocab_size=128, n_embd=64, n_layer=2, n_head=4, n_positions=64, bos_token_id=0, eos_token_id=0)
    model = AutoModelForCausalLM.from_config(config).eval()
    with pytest.raises(UnsupportedModelError, match=r"'gpt2'.*rotary"):
        enable_hirope(model)


def test_sliding_window_model_is_refused() -> None:
    config = MistralConfig(**COMMON, sliding_window=16, rope_parameters=ROPE)
    model = AutoModelForCausalLM.from_config(config).eval()
    with pytest.raises(UnsupportedModelError, match=r"'mistral'.*sliding-window"):
        enable_hirope(model)
