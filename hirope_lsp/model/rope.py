"""Wiring HiRoPE into a transformers model: register the attention function, read the model's rotary
frequencies, and refuse clearly what the attention cannot do.

The attention runs for every forward call once a model is switched to "hirope"; a call without the
`hirope` keyword is stock causal attention, so flat RoPE needs no switch back.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import AttentionInterface, PreTrainedModel

from hirope_lsp.hirope.attention import HiropeState, hirope_attention
from hirope_lsp.hirope.split import (
    DEFAULT_UNIT_SCALE,
    HiropeGeometry,
    critical_ratio,
    default_window,
    split_band,
)

ATTENTION_NAME = "hirope"


class UnsupportedModelError(ValueError):
    """The model cannot run with HiRoPE; the message names the model type and the reason."""


@dataclass(frozen=True)
class RopeFacts:
    """What HiRoPE needs to know about a model's rotary embedding."""

    inv_freq: torch.Tensor  # [d/2], float32
    base: float
    train_length: int

    @property
    def half_dim(self) -> int:
        return int(self.inv_freq.shape[0])

    def geometry(
        self,
        window: int | None,
        ratio: float | None,
        unit_scale: int = DEFAULT_UNIT_SCALE,
        logn: bool = False,
        drop_far: bool = False,
    ) -> HiropeGeometry:
        """Window W (None: hirope.split.default_window) and split band K (the ratio defaults to the
        critical-dimension rule), unit scale G, whether queries beyond the training window get the logn
        temperature, and whether far pairs are dropped (hirope/split.py)."""
        chosen = critical_ratio(self.base, self.train_length) if ratio is None else ratio
        window = window or default_window(self.train_length)
        return HiropeGeometry(
            window=window,
            split=split_band(chosen, self.half_dim),
            unit_scale=unit_scale,
            logn_length=max(window, self.train_length) if logn else None,
            drop_far=drop_far,
        )


def enable_hirope(model: PreTrainedModel) -> RopeFacts:
    """Route the model's attention through HiRoPE's function and return its rotary facts."""
    config = model.config
    model_type = getattr(config, "model_type", type(model).__name__)
    rotary = next((m for m in model.modules() if isinstance(getattr(m, "inv_freq", None), torch.Tensor)), None)
    if rotary is None:
        raise UnsupportedModelError(f"model type {model_type!r} has no rotary embedding module with inv_freq")
    inv_freq = rotary.inv_freq.detach().to(torch.float32).cpu()
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    if 2 * inv_freq.shape[0] != head_dim:
        raise UnsupportedModelError(
            f"model type {model_type!r} rotates {2 * inv_freq.shape[0]} of {head_dim} head dimensions "
            "(partial rotary embedding), which HiRoPE does not support"
        )
    if any(kind != "full_attention" for kind in getattr(config, "layer_types", None) or []):
        raise UnsupportedModelError(
            f"model type {model_type!r} uses sliding-window layers, which HiRoPE does not support"
        )
    if getattr(config, "sliding_window", None) and getattr(config, "use_sliding_window", True):
        raise UnsupportedModelError(f"model type {model_type!r} uses sliding-window attention, unsupported by HiRoPE")
    AttentionInterface.register(ATTENTION_NAME, hirope_attention)
    try:
        model.set_attn_implementation(ATTENTION_NAME)
    except (ValueError, KeyError) as error:
        raise UnsupportedModelError(
            f"model type {model_type!r} cannot use a custom attention function: {error}"
        ) from error
    facts = RopeFacts(inv_freq=inv_freq, base=_rope_base(config, inv_freq), train_length=train_length_of(config))
    _check_attention_is_routed(model, facts, model_type)
    return facts


def _rope_base(config: object, inv_freq: torch.Tensor) -> float:
    parameters = getattr(config, "rope_parameters", None) or {}
    base = parameters.get("rope_theta") if isinstance(parameters, dict) else None
    if base is None:
        base = getattr(config, "rope_theta", None)
    if base is None:  # theta_1 = base^(-2/d)
        base = float(inv_freq[1]) ** (-inv_freq.shape[0])
    return float(base)


def train_length_of(config: object) -> int:
    """The model's training window: rope scaling's original length where there is one, else its largest
    position (2,048 if the config names neither)."""
    parameters = getattr(config, "rope_parameters", None) or {}
    original = parameters.get("original_max_position_embeddings") if isinstance(parameters, dict) else None
    length = original or getattr(config, "max_position_embeddings", None) or 2048
    return int(length)


def _check_attention_is_routed(model: PreTrainedModel, facts: RopeFacts, model_type: str) -> None:
    """Run two tokens through the model and make sure every attention layer called our function."""
    calls: list[int] = []

    def counting(module: torch.nn.Module, *args: object, **kwargs: object) -> object:
        calls.append(getattr(module, "layer_idx", -1))
        return hirope_attention(module, *args, **kwargs)  # type: ignore[arg-type]

    state = HiropeState(units=torch.zeros(2, dtype=torch.long), inv_freq=facts.inv_freq, geometry=HiropeGeometry(1, 0))
    AttentionInterface.register(ATTENTION_NAME, counting)
    try:
        with torch.inference_mode():
            model(torch.tensor([[1, 2]]), hirope=state, use_cache=False)
    finally:
        AttentionInterface.register(ATTENTION_NAME, hirope_attention)
    layers = getattr(model.config, "num_hidden_layers", None)
    if not calls or (layers is not None and len(calls) != layers):
        raise UnsupportedModelError(
            f"model type {model_type!r} does not route attention through transformers' AttentionInterface "
            f"({len(calls)} of {layers} layers called it)"
        )
