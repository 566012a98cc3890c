"""The windowed hierarchical attention against a float64 reference that builds every pair's rotation."""

from __future__ import annotations

import pytest
import torch

from hirope_lsp.hirope import attention
from hirope_lsp.hirope.attention import FarKeyCache, HiropeState, hirope_attention
from hirope_lsp.hirope.split import HiropeGeometry


class FakeLayer(torch.nn.Module):
    def __init__(self, layer_idx: int = 0) -> None:
        super().__init__()
        self.layer_idx = layer_idx


def rotate(x: torch.Tensor, position: torch.Tensor, inv_freq: torch.Tensor) -> torch.Tensor:
    """Rotate-half RoPE with one position per band: x [..., S, D], position [S, D/2]."""
    angle = position * inv_freq
    cos, sin = torch.cat([angle.cos(), angle.cos()], -1), torch.cat([angle.sin(), angle.sin()], -1)
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], -1)
    return x * cos + rotated * sin


def reference(q, k, v, units, window, split, inv_freq, scale):
    """Every pair (i, j <= i) rotated explicitly in float64: q [Hq, T, D] raw, k/v [Hkv, T, D] raw."""
    q, k, v, inv_freq = q.double(), k.double(), v.double(), inv_freq.double()
    heads, length, dim = q.shape
    groups = heads // k.shape[0]
    half = dim // 2
    out = torch.zeros_like(q)
    slow = torch.arange(half) >= split
    for i in range(length):
        scores = torch.full((heads, length), -torch.inf, dtype=torch.float64)
        for j in range(i + 1):
            if i - j < window:
                p_i, p_j = torch.full((half,), float(i)), torch.full((half,), float(j))
            else:
                p_i = torch.where(slow, float(units[i] + window - 1), float(i)).double()
                p_j = torch.where(slow, float(units[j]), float(j)).double()
            q_i = rotate(q[:, i : i + 1], p_i[None].double(), inv_freq)[:, 0]
            k_j = rotate(k[:, j : j + 1], p_j[None].double(), inv_freq)[:, 0]
            scores[:, j] = (q_i * k_j.repeat_interleave(groups, 0)).sum(-1) * scale
        probs = scores.softmax(-1)
        out[:, i] = torch.einsum("ht,htd->hd", probs, v.repeat_interleave(groups, 0))
    return out


def setup(length=40, heads=4, kv_heads=2, dim=16, seed=0):
    generator = torch.Generator().manual_seed(seed)
    q = torch.randn(heads, length, dim, generator=generator)
    k = torch.randn(kv_heads, length, dim, generator=generator)
    v = torch.randn(kv_heads, length, dim, generator=generator)
    steps = torch.randint(0, 2, (length,), generator=generator)
    steps[0] = 0
    units = torch.cumsum(steps, 0)
    inv_freq = 1.0 / (100.0 ** (torch.arange(0, dim, 2).float() / dim))
    t = torch.arange(length).float()[:, None].expand(length, dim // 2)
    q_stock, k_stock = rotate(q, t, inv_freq), rotate(k, t, inv_freq)  # what the model hands the attention
    return q, k, v, q_stock, k_stock, units, inv_freq


@pytest.mark.parametrize(("window", "split", "block"), [(8, 3, 128), (8, 3, 5), (5, 0, 7), (13, 6, 3)])
def test_prefill_matches_float64_reference(monkeypatch, window, split, block):
    monkeypatch.setattr(attention, "QUERY_BLOCK", block)  # blocks that straddle the window boundary
    q, k, v, q_stock, k_stock, units, inv_freq = setup()
    scale = q.shape[-1] ** -0.5
    state = HiropeState(units, inv_freq, HiropeGeometry(window, split))
    out, _ = hirope_attention(FakeLayer(), q_stock[None], k_stock[None], v[None], None, scaling=scale, hirope=state)
    expected = reference(q, k, v, units, window, split, inv_freq, scale)
    torch.testing.assert_close(out[0].transpose(0, 1).double(), expected, atol=1e-5, rtol=1e-5)


def test_decode_steps_with_far_key_cache_match_reference():
    q, k, v, q_stock, k_stock, units, inv_freq = setup(length=36)
    window, split, prefix = 6, 3, 20
    scale = q.shape[-1] ** -0.5
    expected = reference(q, k, v, units, window, split, inv_freq, scale)
    far_keys = FarKeyCache()
    geometry = HiropeGeometry(window, split)
    # a prefill of `prefix` tokens, then one token at a time, keys growing as a KV cache would
    state = HiropeState(units[:prefix], inv_freq, geometry, far_keys)
    first, _ = hirope_attention(
        FakeLayer(),
        q_stock[None, :, :prefix],
        k_stock[None, :, :prefix],
        v[None, :, :prefix],
        None,
        scale,
        hirope=state,
    )
    outputs = [first[0]]
    for i in range(prefix, 36):
        state = HiropeState(units[: i + 1], inv_freq, geometry, far_keys)
        step, _ = hirope_attention(
            FakeLayer(),
            q_stock[None, :, i : i + 1],
            k_stock[None, :, : i + 1],
            v[None, :, : i + 1],
            None,
            scale,
            hirope=state,
        )
        outputs.append(step[0])
    got = torch.cat(outputs, 0).transpose(0, 1).double()
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_far_key_cache_refuses_to_run_ahead_of_the_kv_cache():
    _, _, v, q_stock, k_stock, units, inv_freq = setup(length=20)
    far_keys = FarKeyCache()
    state = HiropeState(units, inv_freq, HiropeGeometry(4, 2), far_keys)
    hirope_attention(FakeLayer(), q_stock[None], k_stock[None], v[None], None, hirope=state)
    shorter = HiropeState(units[:10], inv_freq, HiropeGeometry(4, 2), far_keys)
    with pytest.raises(RuntimeError, match="crop both"):
        hirope_attention(
            FakeLayer(), q_stock[None, :, 9:10], k_stock[None, :, :10], v[None, :, :10], None, hirope=shorter
        )
