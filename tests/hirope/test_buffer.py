"""The growing buffer behind the KV cache and the far-key cache."""

from __future__ import annotations

import pytest
import torch

from hirope_lsp.hirope.buffer import GrowingBuffer

LAYOUTS = pytest.mark.parametrize("transposed", [False, True], ids=["rows", "transposed"])


def chunk(length: int, start: int = 0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """[1, 2, length, 4] with distinct values so that misplaced data shows."""
    return (torch.arange(start, start + length * 8, dtype=dtype) + 1).view(1, 2, 4, length).transpose(-1, -2)


@LAYOUTS
def test_append_view_and_crop(transposed: bool) -> None:
    buffer = GrowingBuffer(transposed)
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


@LAYOUTS
def test_crop_rejects_lengths_outside_what_is_held(transposed: bool) -> None:
    buffer = GrowingBuffer(transposed)
    buffer.append(chunk(3))
    with pytest.raises(ValueError, match="cannot crop"):
        buffer.crop(4)
    with pytest.raises(ValueError, match="cannot crop"):
        buffer.crop(-1)
    buffer.crop(0)
    assert buffer.length == 0


@LAYOUTS
def test_growth_keeps_the_data(transposed: bool) -> None:
    buffer = GrowingBuffer(transposed)
    parts = [chunk(100, start=1000 * i) for i in range(7)]  # past the initial capacity, twice
    for part in parts:
        held = buffer.append(part)
    torch.testing.assert_close(held, torch.cat(parts, dim=-2))
    assert buffer.length == 700
    one_at_a_time = GrowingBuffer(transposed)
    whole = chunk(300)
    for i in range(300):
        one_at_a_time.append(whole[..., i : i + 1, :])
    torch.testing.assert_close(one_at_a_time.view(), whole)


@LAYOUTS
def test_appended_tensor_is_copied(transposed: bool) -> None:
    buffer = GrowingBuffer(transposed)
    part = chunk(2)
    buffer.append(part)
    part.zero_()
    assert buffer.view() is not None and float(buffer.view().abs().sum()) > 0


@LAYOUTS
def test_layout_change_with_data_raises_and_without_data_restarts(transposed: bool) -> None:
    buffer = GrowingBuffer(transposed)
    buffer.append(chunk(2))
    with pytest.raises(ValueError, match="cannot append"):
        buffer.append(chunk(2, dtype=torch.float64))
    with pytest.raises(ValueError, match="cannot append"):
        buffer.append(torch.zeros(1, 3, 1, 4))
    buffer.crop(0)
    wider = torch.ones(1, 3, 2, 4, dtype=torch.float64)
    torch.testing.assert_close(buffer.append(wider), wider)


def test_transposed_keys_give_row_major_products() -> None:
    """What the attention multiplies, k^T, is a row-major [D, S] view per head."""
    buffer = GrowingBuffer(transposed=True)
    keys = buffer.append(chunk(5))
    assert keys.transpose(-1, -2).stride(-1) == 1
