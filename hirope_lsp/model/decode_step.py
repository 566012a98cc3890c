"""A lean forward of a few tokens for the Llama-like families (Llama, Mistral, Qwen2, Qwen3): decode steps
and a prompt's last few tokens.

On a CPU a decode step of a small model is bound by reading the weights and by Python: transformers'
forward runs ~100 small operations per layer (module calls, casts, mask and position bookkeeping),
which cost SmolLM2-135M ~15 ms of a ~40 ms step. This runs the same arithmetic with ~20 operations a
layer, in the spirit of gpt-fast: q/k/v and gate/up fused into one matrix each, copied once in the decode
format (model/packed.py: 4-bit groups where the model is 4-bit already, else float16), `F.rms_norm`,
one rotary call for q and k together. Attention is the very function transformers calls
(`hirope_attention`, with its far keys), over the same KV cache, so tokens run here and tokens run
through transformers' forward leave the same cache behind; tests pin the logits against it.

It takes a few tokens at once as well as one (the engine runs a prompt's last 1-8 tokens here, so that a
keystroke recomputes them on the decode weights; engine.py). Long forwards (prefill) keep transformers'
forward and the full-precision weights: a half or 4-bit matrix-matrix product with many rows is slower
than fp32 on a CPU without half arithmetic.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel

from hirope_lsp.hirope.attention import HiropeState, hirope_attention
from hirope_lsp.model.kv_cache import GrowingCache
from hirope_lsp.model.packed import DecodeWeight, Format, decode_weight

# Families whose decoder layer is exactly: x += o(attn(rope(norm_qk(qkv(rms(x)))))); x += down(silu(gate) * up)
FAMILIES = frozenset({"llama", "mistral", "qwen2", "qwen3"})


@dataclass(frozen=True)
class _Layer:
    attention: Any  # transformers' attention module: layer_idx and scaling for hirope_attention
    input_norm: torch.Tensor  # [hidden]
    post_norm: torch.Tensor  # [hidden]
    qkv: DecodeWeight  # [(Hq + 2 Hkv) D, hidden], with Qwen2's biases
    out: DecodeWeight  # [hidden, Hq D]
    gate_up: DecodeWeight  # [2 I, hidden]
    down: DecodeWeight  # [hidden, I]
    q_norm: torch.Tensor | None  # [D] (Qwen3: RMSNorm over each head before the rotation)
    k_norm: torch.Tensor | None


class DecodeStep:
    """Runs one token after a GrowingCache's tokens and returns its logits ([vocab], float32)."""

    def __init__(self, model: PreTrainedModel, chosen: Format | None) -> None:
        """chosen: format of the weight copies (packed.py; None: the model's own precision)."""
        config = model.config
        reason = unsupported_reason(model)
        if reason is not None:
            raise ValueError(reason)
        decoder = model.model
        self.format: Format = chosen or model.lm_head.weight.dtype
        self.heads = config.num_attention_heads
        self.kv_heads = config.num_key_value_heads
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // self.heads
        self.eps = float(config.rms_norm_eps)
        self.embedding = decoder.embed_tokens.weight
        self.rotary = decoder.rotary_emb
        self.final_norm = decoder.norm.weight
        self.head = decode_weight([model.lm_head.weight], None, self.format)
        self.layers = [self._layer(layer) for layer in decoder.layers]

    def _layer(self, layer: Any) -> _Layer:  # a decoder layer of one of FAMILIES
        attention, mlp = layer.self_attn, layer.mlp
        projections = [attention.q_proj, attention.k_proj, attention.v_proj]
        biases = [p.bias for p in projections if p.bias is not None]
        q_norm, k_norm = getattr(attention, "q_norm", None), getattr(attention, "k_norm", None)
        return _Layer(
            attention=attention,
            input_norm=layer.input_layernorm.weight,
            post_norm=layer.post_attention_layernorm.weight,
            qkv=decode_weight([p.weight for p in projections], biases, self.format),
            out=decode_weight([attention.o_proj.weight], None, self.format),
            gate_up=decode_weight([mlp.gate_proj.weight, mlp.up_proj.weight], None, self.format),
            down=decode_weight([mlp.down_proj.weight], None, self.format),
            q_norm=None if q_norm is None else q_norm.weight,
            k_norm=None if k_norm is None else k_norm.weight,
        )

    def __call__(self, tokens: Sequence[int], cache: GrowingCache, hirope: HiropeState | None) -> torch.Tensor:
        """The logits ([vocab], float32) of the last of `tokens`, which follow the cache's tokens (a decode
        step, or a prompt's last few tokens); the cache gains their keys and values."""
        return self.logits(self.hidden(tokens, cache, hirope)[-1])

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """The logits ([vocab], float32) of one token's final hidden state ([hidden], from `hidden`)."""
        return self.head(hidden).float()

    def hidden(self, tokens: Sequence[int], cache: GrowingCache, hirope: HiropeState | None) -> torch.Tensor:
        """The final (normed) hidden states of `tokens` ([S, hidden]), which follow the cache's tokens; the
        cache gains their keys and values. The output head is `logits`, for the rows that are needed."""
        count, start = len(tokens), cache.get_seq_length()
        x = self.embedding[torch.tensor(tokens)].view(1, count, -1)  # [B, S, hidden], the model's precision
        positions = torch.arange(start, start + count).view(1, count)
        cos, sin = self.rotary(x, positions)  # [1, S, D] each, attention scaling included
        half = self.head_dim // 2  # rotate-half: x * cos + cat(-x2, x1) * sin = x * cos + roll(x) * cat(-sin1, sin2)
        cos, sin = cos.view(count, 1, -1), torch.cat((-sin[..., :half], sin[..., half:]), dim=-1).view(count, 1, -1)
        q_rows, k_rows, dim = self.heads, self.kv_heads, self.head_dim
        # Normed activations and attention's output go to the products in the precision they read (no copy
        # inside them); the residual stream, q/k and the gated activation keep the model's precision.
        for index, layer in enumerate(self.layers):
            h = F.rms_norm(x, (x.shape[-1],), layer.input_norm, self.eps).to(layer.qkv.activations)
            qkv = layer.qkv(h).to(x.dtype).view(count, -1, dim)
            q, k, v = torch.split(qkv, [q_rows, k_rows, k_rows], dim=1)  # [S, heads, D] each
            if layer.q_norm is not None and layer.k_norm is not None:
                q = F.rms_norm(q, (dim,), layer.q_norm, self.eps)
                k = F.rms_norm(k, (dim,), layer.k_norm, self.eps)
            qk = torch.cat((q, k), dim=1)  # q and k turned in one go: [S, heads, D]
            qk = (qk * cos + qk.roll(half, dims=-1) * sin).transpose(0, 1)
            keys, values = cache.update(qk[q_rows:].unsqueeze(0), v.transpose(0, 1).unsqueeze(0), index)
            attended, _ = hirope_attention(
                layer.attention,
                qk[:q_rows].unsqueeze(0),
                keys,
                values,
                None,
                scaling=float(layer.attention.scaling),
                hirope=hirope,
            )  # [B, S, Hq, D]
            # A product returns the precision it read; back to x's, since bfloat16 + float16 promotes to float32
            # (a bfloat16 model with float16 copies of its non-4-bit matrices): its keys would not fit the cache.
            x = x + layer.out(attended.reshape(1, count, -1).to(layer.out.activations)).to(x.dtype)
            h = F.rms_norm(x, (x.shape[-1],), layer.post_norm, self.eps).to(layer.gate_up.activations)
            gate, up = layer.gate_up(h).to(x.dtype).chunk(2, dim=-1)
            x = x + layer.down(F.silu(gate) * up).to(x.dtype)
        return F.rms_norm(x[0], (x.shape[-1],), self.final_norm, self.eps)


def unsupported_reason(model: torch.nn.Module) -> str | None:
    """Why DecodeStep cannot run `model` (then the engine keeps transformers' forward), or None."""
    config = getattr(model, "config", None)
    model_type = getattr(config, "model_type", type(model).__name__)
    if model_type not in FAMILIES:
        return f"model type {model_type!r} has no lean decode step (families: {', '.join(sorted(FAMILIES))})"
    activation = getattr(config, "hidden_act", "silu")
    if activation != "silu":
        return f"model type {model_type!r} uses activation {activation!r}, the lean decode step only silu"
    for layer in getattr(getattr(model, "model", None), "layers", []):
        attention, mlp = layer.self_attn, layer.mlp
        qkv_biases = {p.bias is None for p in (attention.q_proj, attention.k_proj, attention.v_proj)}
        others = (attention.o_proj, mlp.gate_proj, mlp.up_proj, mlp.down_proj)
        if len(qkv_biases) > 1 or any(p.bias is not None for p in others):
            return f"model type {model_type!r} has biases the lean decode step does not carry"
    return None


_STEPS: weakref.WeakKeyDictionary[torch.nn.Module, dict[Format | None, DecodeStep]] = weakref.WeakKeyDictionary()


def decode_step(model: PreTrainedModel, chosen: Format | None) -> DecodeStep | None:
    """The model's DecodeStep with weights in `chosen` format, shared by every engine over the model (one
    set of copies), or None if its family has none."""
    if unsupported_reason(model) is not None:
        return None
    steps = _STEPS.setdefault(model, {})
    if chosen not in steps:
        steps[chosen] = DecodeStep(model, chosen)
    return steps[chosen]
