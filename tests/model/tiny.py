"""Tiny random models built from configs, one per family HiRoPE is tested on (CPU, seconds)."""

from __future__ import annotations

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    AutoModelForCausalLM,
    LlamaConfig,
    MistralConfig,
    PretrainedConfig,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen3Config,
)

from hirope_lsp.model.loader import LoadedModel
from hirope_lsp.model.packed import GROUP

COMMON = {
    "vocab_size": 128,
    "hidden_size": 64,
    "intermediate_size": 96,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 64,
    "tie_word_embeddings": False,
}

ROPE = {"rope_type": "default", "rope_theta": 10000.0}

FAMILIES: dict[str, PretrainedConfig] = {
    "llama": LlamaConfig(**COMMON, rope_parameters=ROPE),
    "qwen2": Qwen2Config(**COMMON, rope_parameters=ROPE),
    "qwen3": Qwen3Config(**COMMON, head_dim=16, rope_parameters=ROPE),
    "mistral": MistralConfig(**COMMON, sliding_window=None, rope_parameters=ROPE),
}


def tiny_model(family: str, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(FAMILIES[family], dtype=torch.float32)
    return model.eval()


TRAINING_TEXT = [
    "import math\n\n\ndef fibonacci(n):\n    if n < 2:\n        return n\n"
    "    return fibonacci(n - 1) + fibonacci(n - 2)\n",
    "def area(radius):\n    return math.pi * radius ** 2\n\n\nclass Shape:\n    def __init__(self, name):\n"
    "        self.name = name\n\n    def describe(self):\n        return f'{self.name} with area {self.area()}'\n",
    "for index, value in enumerate(values):\n    if value is None:\n        continue\n    total += value * index\n",
    "while queue:\n    item = queue.pop()\n    print(item)\n",
]
EOS = "<|endoftext|>"


def tiny_tokenizer(vocab_size: int = 384) -> PreTrainedTokenizerFast:
    """A real byte-level BPE tokenizer trained in memory on a few lines of Python (no network)."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[EOS], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator(TRAINING_TEXT, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token=EOS)


def tiny_loaded(seed: int = 0) -> LoadedModel:
    """A tiny random Llama with a tokenizer whose vocabulary is exactly the model's."""
    tokenizer = tiny_tokenizer()
    config = LlamaConfig(
        **{**COMMON, "vocab_size": len(tokenizer)},
        eos_token_id=tokenizer.eos_token_id,
        rope_parameters=ROPE,
    )
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32).eval()
    return LoadedModel(model=model, tokenizer=tokenizer, name="tiny-llama", source="config")


def snap_to_four_bits(model: torch.nn.Module) -> None:
    """Put every linear weight on a 4-bit grid of groups of 32, as a GGUF Q4_1 model's layers are."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Linear):
                weight = module.weight
                groups = weight.view(weight.shape[0], -1, GROUP)
                low, high = groups.amin(-1, keepdim=True), groups.amax(-1, keepdim=True)
                scale = (high - low) / 15
                weight.copy_((((groups - low) / scale).round() * scale + low).view_as(weight))
