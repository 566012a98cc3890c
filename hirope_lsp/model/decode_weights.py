"""A half-precision copy of the linear layers' weights for single-token steps of families without a lean step.

A decode step multiplies one token by every weight matrix, so it is bound by reading the weights:
fp32 SmolLM2-135M reads ~540 MB per token (~90 ms per step on this 2-core CPU, one thread). A float16
copy halves that and the CPU's float16 matrix-vector kernels keep up: ~45 ms per step, the same greedy
text on our samples. Multi-token forwards (prefill) keep the full-precision weights, because float16
matrix-matrix products on a CPU without float16 arithmetic are ~10x slower than fp32 (a 2k-token
prefill took 126 s against 10 s). docs/BENCHMARKS.md has the numbers.

The engine runs the last prompt token as a single-token step too, so a warm request (which recomputes
a few tokens) and a cold one (which prefills everything) compute their first logits the same way.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


class DecodeLinear(torch.nn.Module):
    """A linear layer with a second, lower-precision weight used when the input is a single token."""

    decode_weight: torch.Tensor

    def __init__(self, full: torch.nn.Linear, dtype: torch.dtype) -> None:
        super().__init__()
        self.full = full
        self.register_buffer("decode_weight", full.weight.detach().to(dtype), persistent=False)
        self.decode_bias = None if full.bias is None else full.bias.detach().to(dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() >= 2 and x.shape[-2] == 1:  # [B, 1, hidden]: one token
            return F.linear(x.to(self.decode_weight.dtype), self.decode_weight, self.decode_bias).to(x.dtype)
        output: torch.Tensor = self.full(x)
        return output


def set_decode_weights(model: torch.nn.Module, dtype: torch.dtype | None) -> int:
    """Give every linear layer of `model` a `dtype` copy for single-token steps (None: remove the copies).

    This changes the model itself: every engine over it then decodes the same way. Layers whose weights
    are in `dtype` already are left alone. Returns how many layers carry a copy now.
    """
    wrapped = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, DecodeLinear):
                child = child.full
                setattr(parent, name, child)
            if isinstance(child, torch.nn.Linear) and dtype is not None and child.weight.dtype != dtype:
                setattr(parent, name, DecodeLinear(child, dtype))
                wrapped += 1
    return wrapped
