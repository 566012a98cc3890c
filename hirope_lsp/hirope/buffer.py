"""A tensor that grows along its sequence dimension without copying on every step.

`torch.cat` per decode step copies the whole cache (tens of MB per layer at long context, most of a
decode step on a CPU). This buffer keeps spare capacity, grows by half when full, and hands out views;
cropping is O(1). Used for the KV cache and for HiRoPE's far-rotated keys.

Views are always [B, H, S, D]. Keys are stored transposed, [B, H, D, capacity], so that the view's
transpose (what q @ k^T multiplies) is a row-major [D, S] matrix per head: on this CPU a decode step's
score products ran ~1.4x faster that way than over [S, D] rows (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import torch

SEQ_DIM = -2  # views are [B, H, S, D]


class GrowingBuffer:
    def __init__(self, transposed: bool = False) -> None:
        """transposed: store [B, H, D, capacity] (keys)."""
        self._data: torch.Tensor | None = None
        self.length = 0
        self.transposed = transposed
        self._seq = -1 if transposed else SEQ_DIM  # the sequence dimension of the storage

    def append(self, new: torch.Tensor) -> torch.Tensor:
        """Append `new` ([B, H, S_new, D]) and return a view of everything held ([B, H, S, D])."""
        end = self.length + new.shape[SEQ_DIM]
        if self._data is not None and not self._same_layout(new):
            if self.length:
                raise ValueError(f"cannot append {tuple(new.shape)} {new.dtype} to {self.view_shape()}")
            self._data = None
        if self._data is None or end > self._data.shape[self._seq]:
            self._grow(new, end)
        assert self._data is not None
        self._stored(self._data, self.length, end).copy_(new)
        self.length = end
        return self._stored(self._data, 0, end)

    def view(self) -> torch.Tensor | None:
        return None if self._data is None else self._stored(self._data, 0, self.length)

    def view_shape(self) -> str:
        held = self.view()
        return "an empty buffer" if held is None else f"{tuple(held.shape)} {held.dtype}"

    def crop(self, length: int) -> None:
        if not 0 <= length <= self.length:
            raise ValueError(f"cannot crop a buffer of {self.length} to {length}")
        self.length = length

    def _stored(self, data: torch.Tensor, start: int, end: int) -> torch.Tensor:
        """Positions start..end-1 of `data` as a [B, H, S, D] view."""
        if self.transposed:
            return data[..., start:end].transpose(-1, -2)
        return data[..., start:end, :]

    def _grow(self, new: torch.Tensor, needed: int) -> None:
        held = 0 if self._data is None else self._data.shape[self._seq]
        capacity = max(needed, held * 3 // 2, 256)  # 1.5x: amortized appends, at most half the memory spare
        inner = (new.shape[-1], capacity) if self.transposed else (capacity, new.shape[-1])
        data = torch.empty((*new.shape[:SEQ_DIM], *inner), dtype=new.dtype, device=new.device)
        if self._data is not None:
            self._stored(data, 0, self.length).copy_(self._stored(self._data, 0, self.length))
        self._data = data

    def _same_layout(self, new: torch.Tensor) -> bool:
        held = self._data
        assert held is not None
        width = held.shape[-2] if self.transposed else held.shape[-1]
        return (
            held.shape[:SEQ_DIM] == new.shape[:SEQ_DIM]
            and width == new.shape[-1]
            and held.dtype == new.dtype
            and held.device == new.device
        )
