"""Decode weight formats: 4-bit packing only where the weights are 4-bit already, and it computes the
same products as the unpacked matrix up to bfloat16 rounding."""

from __future__ import annotations

import torch

from hirope_lsp.model.packed import GROUP, DecodeWeight, Int4Weight, decode_weight, four_bit_grid


def on_four_bit_grid(out_features: int, in_features: int, seed: int = 0) -> torch.Tensor:
    """A matrix like a GGUF Q4_1 layer's: every group of 32 is low + scale * level, levels 0..15 all used."""
    generator = torch.Generator().manual_seed(seed)
    levels = torch.randint(0, 16, (out_features, in_features // GROUP, GROUP), generator=generator)
    levels[..., 0], levels[..., 1] = 0, 15
    scale = torch.rand(out_features, in_features // GROUP, 1, generator=generator) * 0.01 + 1e-3
    low = -8 * scale + torch.randn(out_features, in_features // GROUP, 1, generator=generator) * 1e-3
    return (low + scale * levels).view(out_features, in_features)


def test_a_matrix_on_a_four_bit_grid_is_packed_and_multiplies_the_same() -> None:
    weight = on_four_bit_grid(96, 64)
    bias = torch.randn(96)
    packed = decode_weight([weight], [bias], "int4")
    assert isinstance(packed, Int4Weight)
    x = torch.randn(1, 1, 64)
    expected = torch.nn.functional.linear(x, weight, bias)
    result = packed(x)
    assert result.shape == expected.shape and result.dtype == torch.float32
    # bfloat16 activations and scales: ~3 significant digits
    assert float((result - expected).abs().max()) <= 2e-2 * float(expected.abs().max())


def test_stacked_matrices_are_one_product() -> None:
    first, second = on_four_bit_grid(32, 64, seed=1), on_four_bit_grid(64, 64, seed=2)
    stacked = decode_weight([first, second], None, "int4")
    x = torch.randn(64)
    halves = stacked(x).split([32, 64])
    for half, weight in zip(halves, (first, second), strict=True):
        expected = weight @ x
        assert float((half - expected).abs().max()) <= 2e-2 * float(expected.abs().max())


def test_other_matrices_keep_float16() -> None:
    random = torch.randn(96, 64)
    assert four_bit_grid(random) is None
    kept = decode_weight([random], None, "int4")
    assert type(kept) is DecodeWeight and kept.weight.dtype == torch.float16
    assert four_bit_grid(on_four_bit_grid(96, 64)[:, :48]) is None  # 48 inputs: not whole groups
    assert four_bit_grid(on_four_bit_grid(24, 64)) is None  # 24 outputs: the kernel wants multiples of 16


def test_plain_formats_copy_in_their_precision() -> None:
    weight = torch.randn(16, 32)
    for dtype in (torch.float32, torch.float16, torch.bfloat16):
        copy = decode_weight([weight], None, dtype)
        assert copy.weight.dtype == dtype
        assert copy(torch.randn(2, 32)).dtype == torch.float32
