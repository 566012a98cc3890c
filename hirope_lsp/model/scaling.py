"""transformers' rope-scaling variants (dynamic NTK, YaRN) switched on for a block of code, for evaluation.

`scaled_rope(model, kind, factor)` swaps the model's rotary module for a fresh one built from a copy of
its config with `rope_parameters` set to the variant, and puts the original back afterwards. Fresh per
use on purpose: transformers' dynamic NTK enlarges its frequencies in place when it sees a longer
sequence and keeps them for later, shorter calls; a new module per pass starts from the stock ones.

Attention is untouched, so this combines with the stock (flat) attention only: HiRoPE reads the
model's frequencies once, when it is enabled (rope.py).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import torch

ScalingKind = Literal["dynamic", "yarn"]


@contextmanager
def scaled_rope(model: Any, kind: ScalingKind, factor: float) -> Iterator[None]:
    """Run the block with the model's rotary embedding scaled by `factor` (> 1) in the given way.

    The variants are transformers' own (modeling_rope_utils): "dynamic" is dynamic NTK, whose base grows
    with the sequence length seen; "yarn" interpolates the slow bands by `factor` and scales attention.
    Both are anchored at the model's training window (max_position_embeddings).
    """
    if factor <= 1:
        raise ValueError(f"a rope scaling factor must be > 1, got {factor}")
    parent, name, rotary = _rotary_module(model)
    config = copy.deepcopy(rotary.config)
    parameters = dict(config.rope_parameters)
    train_length = int(parameters.get("original_max_position_embeddings") or config.max_position_embeddings)
    parameters.update(rope_type=kind, factor=float(factor), original_max_position_embeddings=train_length)
    config.rope_parameters = parameters
    device = rotary.inv_freq.device
    replacement = type(rotary)(config).to(device)
    setattr(parent, name, replacement)
    try:
        yield
    finally:
        setattr(parent, name, rotary)


def _rotary_module(model: torch.nn.Module) -> tuple[torch.nn.Module, str, Any]:
    """(parent, attribute name, module) of the model's one rotary embedding module."""
    for parent in model.modules():
        for name, child in parent.named_children():
            if isinstance(getattr(child, "inv_freq", None), torch.Tensor) and hasattr(child, "config"):
                return parent, name, child
    raise ValueError(f"{type(model).__name__} has no rotary embedding module with a config to scale")
