"""The growing buffer behind the KV cache and the far-key cache."""

from __future__ import annotations

import pytest
import torch

from hirope_lsp.hirope.buffer import GrowingBuffer


def chunk(length: int, start: int = 0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """[1, 2, length, 4] with distinct values so that misplaced data shows."""
    return (torch.arange(start, start + length * 8, dtype=dtype) + 1).view(1, 2, 4, length).transpose(-1, -2)


def test_append_view_and_crop() -> None:
    buffer = GrowingBuffer()
    assert buffer.view() is None and buffer.length == 0
    first, second = chunk(3), chunk(2, start=100)
    held = buffer.append(first)
    torch.testing.assert_close(held, first)
    held = buffer.append(second)
    torch.testing.assert_close(held, torch.cat([first, second], dim=-2))
    buffer.crop(2)
    view = buffer.view()
    assert view is not None and buffer.length == 2
    torch.testing.assert_close(view, first[..., :2, :])
    third = chunk(1, start=200)
    torch.testing.assert_close(buffer.append(third), torch.cat([first[..., :2, :], third], dim=-2))


def test_crop_rejects_lengths_outside_what_is_held() -> None:
    buffer = GrowingBuffer()
    buffer.append(chunk(3))
    with pytest.raises(ValueError, match="cannot crop"):
        buffer.crop(4)
    with pytest.raises(ValueError, match="cannot crop"):
        buffer.crop(-1)
    buffer.crop(0)
    assert buffer.length == 0


def test_growth_keeps_the_data() -> None:
    buffer = GrowingBuffer()
    parts = [chunk(100, start=1000 * i) for i in range(7)]  # past the initial capacity, twice
    for part in parts:
        held = buffer.append(part)
    torch.testing.assert_close(held, torch.cat(parts, dim=-2))
    assert buffer.length == 700
    one_at_a_time = GrowingBuffer()
    whole = chunk(300)
    for i in range(300):
        one_at_a_time.append(whole[..., i : i + 1, :])
    torch.testing.assert_close(one_at_a_time.view(), whole)


def test_appended_tensor_is_copied() -> None:
    buffer = GrowingBuffer()
    part = chunk(2)
    buffer.append(part)
    part.zero_()
    assert buffer.view() is not None and float(buffer.view().abs().sum()) > 0


def test_layout_change_with_data_raises_and_without_data_restarts() -> None:
    buffer = GrowingBuffer()
    buffer.append(chunk(2))
    with pytest.raises(ValueError, match="cannot append"):
        buffer.append(chunk(2, dtype=torch.float64))
    with pytest.raises(ValueError, match="cannot append"):
        buffer.append(torch.zeros(1, 3, 1, 4))
    buffer.crop(0)
    wider = torch.ones(1, 3, 2, 4, dtype=torch.float64)
    torch.testing.assert_close(buffer.append(wider), wider)


def test_views_are_rows_with_unit_stride() -> None:
    """The native decode kernel reads keys and values as rows of D (hirope/native.py)."""
    buffer = GrowingBuffer()
    buffer.append(chunk(300))  # past the initial capacity: the rows are strided by the capacity
    view = buffer.append(chunk(5))
    assert view.stride(-1) == 1 and view.stride(-2) == view.shape[-1]
