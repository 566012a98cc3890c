"""Tiny random models built from configs, one per family HiRoPE is tested on (CPU, seconds)."""

from __future__ import annotations

import torch
from transformers import (
    AutoModelForCausalLM,
    LlamaConfig,
    MistralConfig,
    PretrainedConfig,
    Qwen2Config,
    Qwen3Config,
)

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

FAMILIES: dict[str, PretrainedConfig] = {
    "llama": LlamaConfig(**COMMON, rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
    "qwen2": Qwen2Config(**COMMON, rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
    "qwen3": Qwen3Config(**COMMON, head_dim=16, rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
    "mistral": MistralConfig(**COMMON, sliding_window=None, rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
}


def tiny_model(family: str, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(FAMILIES[family], dtype=torch.float32)
    return model.eval()
