"""Weight matrices for one-token products: a plain copy in some precision, or 4-bit groups.

A decode step multiplies one token by every matrix, so its cost is reading them: 540 MB per token for
SmolLM2-135M in float32, 270 MB in float16, ~75 MB in 4 bits. torch ships a CPU kernel for 4-bit
weights in groups of 32 along the input dimension, each group with a scale and an offset
(`_weight_int4pack_mm_for_cpu`, the one gpt-fast uses), fed bfloat16 activations. On this 2-core CPU it
ran the 30 layers' products in 7.5 ms on one thread against 13.8 ms in float16 (docs/BENCHMARKS.md).

The default model's GGUF stores exactly this shape (Q4_1: blocks of 32 weights w = d * q + m, q in
0..15), so re-quantizing its dequantized weights min-to-max per group finds the same grid: the only
loss is the scale and offset rounded to bfloat16. For full-precision models "int4" is a real
quantization, chosen only when the user asks for it.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

from hirope_lsp.model.loader import DTYPES

Format = torch.dtype | Literal["int4"]
FORMATS: dict[str, Format] = {**DTYPES, "int4": "int4"}  # the setting's names
GROUP = 32  # weights per 4-bit group along the input dimension (GGUF Q4_0/Q4_1 blocks hold 32)


class DecodeWeight:
    """y = x W^T + b for activations x [..., K] of any precision; y in x's precision. `activations` is the
    precision the product reads: activations given in it are not copied."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None, dtype: torch.dtype) -> None:
        self.weight = weight.detach().to(dtype).contiguous()  # no copy when it is in that precision already
        self.bias = None if bias is None else bias.detach().to(dtype)
        self.activations = dtype

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x.to(self.weight.dtype), self.weight, self.bias).to(x.dtype)


def four_bit_grid(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """(levels [N, K] int32 in 0..15, scale, low [N, K / GROUP, 1]) if every group of GROUP weights of the
    [N, K] matrix is low + scale * level exactly (up to float32 rounding), else None."""
    out_features, in_features = weight.shape
    if weight.device.type != "cpu" or in_features % GROUP or out_features % 16:  # the kernel's shapes
        return None
    groups = weight.detach().float().view(out_features, in_features // GROUP, GROUP)
    low, high = groups.amin(-1, keepdim=True), groups.amax(-1, keepdim=True)
    scale = ((high - low) / 15).clamp(min=torch.finfo(torch.float32).tiny)
    levels = ((groups - low) / scale).round().clamp(0, 15)
    if float(((levels * scale + low - groups).abs() / scale).max()) > 1e-3:
        return None
    return levels.to(torch.int32).view(out_features, in_features), scale, low


class Int4Weight(DecodeWeight):
    """W in 4-bit groups of GROUP: w = (q - 8) * scale + zero, torch's int4 layout (q in 0..15)."""

    def __init__(self, grid: tuple[torch.Tensor, torch.Tensor, torch.Tensor], bias: torch.Tensor | None) -> None:
        levels, scale, low = grid
        out_features, in_features = levels.shape
        self.packed = torch.ops.aten._convert_weight_to_int4pack_for_cpu(levels, 1)
        # [K / GROUP, N, 2]: (scale, zero) per group, zero the value of level 8
        scales_and_zeros = torch.cat([scale, low + 8 * scale], dim=-1).transpose(0, 1)
        self.scales_and_zeros = scales_and_zeros.to(torch.bfloat16).contiguous()  # the kernel reads it densely
        self.bias = None if bias is None else bias.detach().to(torch.bfloat16)
        self.shape = (out_features, in_features)
        self.activations = torch.bfloat16

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, self.shape[1]).to(torch.bfloat16)
        y: torch.Tensor = torch.ops.aten._weight_int4pack_mm_for_cpu(rows, self.packed, GROUP, self.scales_and_zeros)
        if self.bias is not None:
            y = y + self.bias
        return y.view(*x.shape[:-1], self.shape[0]).to(x.dtype)


def decode_weight(weights: list[torch.Tensor], biases: list[torch.Tensor] | None, chosen: Format) -> DecodeWeight:
    """The matrices stacked along the output dimension (one product for q, k and v, say) in `chosen`
    format. "int4" packs only a matrix that lies on a 4-bit grid already (a GGUF Q4 model's layers), so
    it loses nothing but the bfloat16 rounding of scales and activations; any other matrix (the default
    model's 8-bit embedding and output head, a full-precision model) keeps float16."""
    joined = weights[0] if len(weights) == 1 else torch.cat([weight.detach() for weight in weights])
    bias = None if not biases else torch.cat([b.detach() for b in biases])
    if chosen == "int4":
        grid = four_bit_grid(joined)
        return DecodeWeight(joined, bias, torch.float16) if grid is None else Int4Weight(grid, bias)
    return DecodeWeight(joined, bias, chosen)
