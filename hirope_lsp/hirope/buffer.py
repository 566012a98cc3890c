"""A tensor that grows along its sequence dimension without copying on every step.

`torch.cat` per decode step copies the whole cache (tens of MB per layer at long context, most of a
decode step on a CPU). This buffer keeps spare capacity, grows by half when full, and hands out views;
cropping is O(1). Used for the KV cache and for HiRoPE's far-rotated keys.

Storage is [B, H, capacity, D] and views are [B, H, S, D]: rows of D with unit stride, what the native
decode kernel reads (native.py). Keys were once stored transposed, [B, H, D, capacity], for torch's score
products; with the kernel, rows read ~1.4-1.9x faster and torch's products were no slower on them
(docs/BENCHMARKS.md, 2026-12-01).
"""

from __future__ import annotations

import torch

SEQ_DIM = -2  # views are [B, H, S, D]


class GrowingBuffer:
    def __init__(self) -> None:
        self._data: torch.Tensor | None = None
        self.length = 0

    def append(self, new: torch.Tensor) -> torch.Tensor:
        """Append `new` ([B, H, S_new, D]) and return a view of everything held ([B, H, S, D])."""
        end = self.length + new.shape[SEQ_DIM]
        if self._data is not None and not self._same_layout(new):
            if self.length:
                raise ValueError(f"cannot append {tuple(new.shape)} {new.dtype} to {self.view_shape()}")
            self._data = None
        if self._data is None or end > self._data.shape[SEQ_DIM]:
            self._grow(new, end)
        assert self._data is not None
        self._data[..., self.length : end, :].copy_(new)
        self.length = end
        return self._data[..., :end, :]

    def view(self) -> torch.Tensor | None:
        return None if self._data is None else self._data[..., : self.length, :]

    def view_shape(self) -> str:
        held = self.view()
        return "an empty buffer" if held is None else f"{tuple(held.shape)} {held.dtype}"

    def crop(self, length: int) -> None:
        if not 0 <= length <= self.length:
            raise ValueError(f"cannot crop a buffer of {self.length} to {length}")
        self.length = length

    def _grow(self, new: torch.Tensor, needed: int) -> None:
        held = 0 if self._data is None else self._data.shape[SEQ_DIM]
        capacity = max(needed, held * 3 // 2, 256)  # 1.5x: amortized appends, at most half the memory spare
        data = torch.empty((*new.shape[:SEQ_DIM], capacity, new.shape[-1]), dtype=new.dtype, device=new.device)
        if self._data is not None:
            data[..., : self.length, :].copy_(self._data[..., : self.length, :])
        self._data = data

    def _same_layout(self, new: torch.Tensor) -> bool:
        held = self._data
        assert held is not None
        return (
            held.shape[:SEQ_DIM] == new.shape[:SEQ_DIM]
            and held.shape[-1] == new.shape[-1]
            and held.dtype == new.dtype
            and held.device == new.device
        )
