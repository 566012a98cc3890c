"""The windowed hierarchical attention against a float64 reference that builds every pair's rotation."""

from __future__ import annotations

import math

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


def reference(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    units: torch.Tensor,
    window: int,
    split: int,
    inv_freq: torch.Tensor,
    scale: float,
    unit_scale: int = 1,
    logn_length: int | None = None,
    drop_far: bool = False,
    local_fast: bool = False,
    files: torch.Tensor | None = None,
    file_split: int | None = None,
    file_scale: int = 1,
) -> torch.Tensor:
    """Every pair (i, j <= i) rotated explicitly in float64: q [Hq, T, D] raw, k/v [Hkv, T, D] raw.

    Far slow bands at unit_scale * (u_i - u_j) + window - 1; with logn_length N, query i's scores times
    max(1, ln(i + 1) / ln(N)); with drop_far, far pairs get no attention; with local_fast, far fast bands at
    (i - s(u_i)) - (j - s(u_j)), s(u) the first token of unit u; with file_split K2 (and files f), far bands
    k >= K2 at file_scale * (f_i - f_j) + window - 1 instead.
    """
    q, k, v, inv_freq = q.double(), k.double(), v.double(), inv_freq.double()
    heads, length, dim = q.shape
    groups = heads // k.shape[0]
    half = dim // 2
    out = torch.zeros_like(q)
    slow = torch.arange(half) >= split
    file_band = torch.arange(half) >= (half if file_split is None else file_split)
    file_of = [0] * length if files is None else [int(f) for f in files]
    first = {int(u): units.tolist().index(int(u)) for u in units}  # s(u)
    local = [t - first[int(units[t])] if local_fast else t for t in range(length)]
    for i in range(length):
        scores = torch.full((heads, length), -torch.inf, dtype=torch.float64)
        for j in range(i + 1):
            if i - j >= window and drop_far:
                continue
            if i - j < window:
                p_i, p_j = torch.full((half,), float(i)), torch.full((half,), float(j))
            else:
                far_i = torch.where(
                    file_band, float(file_scale * file_of[i] + window - 1), float(unit_scale * units[i] + window - 1)
                )
                far_j = torch.where(file_band, float(file_scale * file_of[j]), float(unit_scale * units[j]))
                p_i = torch.where(slow, far_i, float(local[i])).double()
                p_j = torch.where(slow, far_j, float(local[j])).double()
            q_i = rotate(q[:, i : i + 1], p_i[None].double(), inv_freq)[:, 0]
            k_j = rotate(k[:, j : j + 1], p_j[None].double(), inv_freq)[:, 0]
            scores[:, j] = (q_i * k_j.repeat_interleave(groups, 0)).sum(-1) * scale
        if logn_length is not None:
            scores *= max(1.0, math.log(i + 1) / math.log(logn_length))
        probs = scores.softmax(-1)
        out[:, i] = torch.einsum("ht,htd->hd", probs, v.repeat_interleave(groups, 0))
    return out


def setup(
    length: int = 40, heads: int = 4, kv_heads: int = 2, dim: int = 16, seed: int = 0
) -> tuple[torch.Tensor, ...]:
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


@pytest.mark.parametrize(
    ("window", "split", "block", "unit_scale", "logn_length"),
    [
        (8, 3, 128, 1, None),
        (8, 3, 5, 1, None),
        (5, 0, 7, 1, None),
        (13, 6, 3, 1, None),
        (8, 3, 5, 3, None),  # far units spread: slow bands at 3 (u_i - u_j) + W - 1
        (13, 6, 3, 7, 16),  # and queries t >= 16 tempered by ln(t + 1) / ln(16)
        (5, 2, 128, 1, 24),
    ],
)
def test_prefill_matches_float64_reference(
    monkeypatch: pytest.MonkeyPatch, window: int, split: int, block: int, unit_scale: int, logn_length: int | None
) -> None:
    monkeypatch.setattr(attention, "QUERY_BLOCK", block)  # blocks that straddle the window boundary
    q, k, v, q_stock, k_stock, units, inv_freq = setup()
    scale = q.shape[-1] ** -0.5
    state = HiropeState(units, inv_freq, HiropeGeometry(window, split, unit_scale, logn_length))
    out, _ = hirope_attention(FakeLayer(), q_stock[None], k_stock[None], v[None], None, scaling=scale, hirope=state)
    expected = reference(q, k, v, units, window, split, inv_freq, scale, unit_scale, logn_length)
    torch.testing.assert_close(out[0].transpose(0, 1).double(), expected, atol=1e-5, rtol=1e-5)


def prefill_then_steps(
    q_stock: torch.Tensor,
    k_stock: torch.Tensor,
    v: torch.Tensor,
    units: torch.Tensor,
    inv_freq: torch.Tensor,
    geometry: HiropeGeometry,
    scale: float,
    prefix: int,
    files: torch.Tensor | None = None,
) -> torch.Tensor:
    """A prefill of `prefix` tokens, then one token at a time, keys growing as a KV cache would, far keys in a
    FarKeyCache: the outputs of all tokens as [H, S, D] float64, as the reference gives them."""
    far_keys = FarKeyCache()

    def attend(start: int, end: int) -> torch.Tensor:
        state = HiropeState(units[:end], inv_freq, geometry, far_keys, None if files is None else files[:end])
        queries, keys, values = q_stock[None, :, start:end], k_stock[None, :, :end], v[None, :, :end]
        output, _ = hirope_attention(FakeLayer(), queries, keys, values, None, scale, hirope=state)
        return output[0]

    outputs = [attend(0, prefix)] + [attend(i, i + 1) for i in range(prefix, q_stock.shape[1])]
    return torch.cat(outputs, 0).transpose(0, 1).double()


@pytest.mark.parametrize(("unit_scale", "logn_length"), [(1, None), (4, None), (4, 24)])
def test_decode_steps_with_far_key_cache_match_reference(unit_scale: int, logn_length: int | None) -> None:
    q, k, v, q_stock, k_stock, units, inv_freq = setup(length=36)
    window, split, prefix = 6, 3, 20
    scale = q.shape[-1] ** -0.5
    expected = reference(q, k, v, units, window, split, inv_freq, scale, unit_scale, logn_length)
    geometry = HiropeGeometry(window, split, unit_scale, logn_length)
    got = prefill_then_steps(q_stock, k_stock, v, units, inv_freq, geometry, scale, prefix)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_far_key_cache_refuses_to_run_ahead_of_the_kv_cache() -> None:
    _, _, v, q_stock, k_stock, units, inv_freq = setup(length=20)
    far_keys = FarKeyCache()
    state = HiropeState(units, inv_freq, HiropeGeometry(4, 2), far_keys)
    hirope_attention(FakeLayer(), q_stock[None], k_stock[None], v[None], None, hirope=state)
    shorter = HiropeState(units[:10], inv_freq, HiropeGeometry(4, 2), far_keys)
    with pytest.raises(RuntimeError, match="crop both"):
        hirope_attention(
            FakeLayer(), q_stock[None, :, 9:10], k_stock[None, :, :10], v[None, :, :10], None, hirope=shorter
        )


def test_unit_scale_one_and_no_temperature_are_the_default_rule() -> None:
    _, _, v, q_stock, k_stock, units, inv_freq = setup()
    default = HiropeState(units, inv_freq, HiropeGeometry(8, 3))
    spelled = HiropeState(units, inv_freq, HiropeGeometry(8, 3, unit_scale=1, logn_length=None))
    out_default, _ = hirope_attention(FakeLayer(), q_stock[None], k_stock[None], v[None], None, hirope=default)
    out_spelled, _ = hirope_attention(FakeLayer(), q_stock[None], k_stock[None], v[None], None, hirope=spelled)
    assert torch.equal(out_default, out_spelled)


def test_temperature_leaves_queries_within_its_length_alone() -> None:
    _, _, _, _, _, units, inv_freq = setup()
    state = HiropeState(units, inv_freq, HiropeGeometry(8, 3, logn_length=16))
    assert state.query_temperature(0, 16) is None
    factors = state.query_temperature(10, 20)
    assert factors is not None and factors.shape == (10, 1)
    assert torch.all(factors[:6] == 1.0) and factors[6, 0] > 1.0  # t = 10..15 within, t = 16 beyond
    assert factors[-1, 0] == pytest.approx(math.log(20) / math.log(16))


@pytest.mark.parametrize("block", [5, 128])
def test_dropping_far_pairs_is_a_sliding_window(monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(attention, "QUERY_BLOCK", block)
    q, k, v, q_stock, k_stock, units, inv_freq = setup()
    window, split = 8, 3
    scale = q.shape[-1] ** -0.5
    expected = reference(q, k, v, units, window, split, inv_freq, scale, drop_far=True)
    state = HiropeState(units, inv_freq, HiropeGeometry(window, split, drop_far=True))
    out, _ = hirope_attention(FakeLayer(), q_stock[None], k_stock[None], v[None], None, scaling=scale, hirope=state)
    torch.testing.assert_close(out[0].transpose(0, 1).double(), expected, atol=1e-5, rtol=1e-5)
    last, _ = hirope_attention(
        FakeLayer(), q_stock[None, :, -1:], k_stock[None], v[None], None, scaling=scale, hirope=state
    )  # a decode step
    torch.testing.assert_close(last[0, 0].double(), expected[:, -1], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("window", "split", "block", "unit_scale"), [(8, 3, 5, 3), (13, 6, 128, 1), (5, 8, 3, 2)])
def test_local_fast_bands_match_float64_reference(
    monkeypatch: pytest.MonkeyPatch, window: int, split: int, block: int, unit_scale: int
) -> None:
    """Far pairs' fast bands at within-unit offsets, in prefill and in decode steps with the far-key cache."""
    monkeypatch.setattr(attention, "QUERY_BLOCK", block)
    q, k, v, q_stock, k_stock, units, inv_freq = setup()
    scale = q.shape[-1] ** -0.5
    geometry = HiropeGeometry(window, split, unit_scale, local_fast=True)
    expected = reference(q, k, v, units, window, split, inv_freq, scale, unit_scale, local_fast=True)
    state = HiropeState(units, inv_freq, geometry)
    out, _ = hirope_attention(FakeLayer(), q_stock[None], k_stock[None], v[None], None, scaling=scale, hirope=state)
    torch.testing.assert_close(out[0].transpose(0, 1).double(), expected, atol=1e-5, rtol=1e-5)
    if split < q.shape[-1] // 2:  # the fast bands' offsets change the far scores
        plain = reference(q, k, v, units, window, split, inv_freq, scale, unit_scale)
        assert not torch.allclose(plain, expected, atol=1e-3)
    got = prefill_then_steps(q_stock, k_stock, v, units, inv_freq, geometry, scale, prefix=24)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_unit_starts_are_each_units_first_token() -> None:
    units = torch.tensor([0, 0, 1, 1, 1, 3, 4, 4])
    state = HiropeState(units, torch.ones(2), HiropeGeometry(4, 1, local_fast=True))
    assert state.unit_starts().tolist() == [0, 0, 2, 2, 2, 5, 6, 6]
    assert HiropeGeometry(4, 1, local_fast=True).far_turned_from == 0 and HiropeGeometry(4, 1).far_turned_from == 1


def files_of(units: torch.Tensor) -> torch.Tensor:
    """A coarser level over setup()'s units: a new file every few units (files start at unit starts)."""
    return (units * 2) // 5


@pytest.mark.parametrize(
    ("window", "split", "file_split", "block", "unit_scale", "file_scale", "local_fast"),
    [
        (8, 3, 6, 5, 1, 1, False),
        (8, 3, 5, 128, 3, 7, False),
        (13, 2, 4, 3, 2, 5, False),  # blocks of 3 straddle the window boundary
        (5, 0, 4, 7, 1, 3, False),  # every band far: [0, 4) units, [4, 8) files
        (8, 3, 3, 5, 3, 4, False),  # K2 = K: every slow band on the file level
        (8, 3, 6, 5, 3, 9, True),  # with far fast bands at within-unit offsets
    ],
)
def test_three_levels_match_float64_reference(
    monkeypatch: pytest.MonkeyPatch,
    window: int,
    split: int,
    file_split: int,
    block: int,
    unit_scale: int,
    file_scale: int,
    local_fast: bool,
) -> None:
    """Far bands [K, K2) at W - 1 + G (u_i - u_j), [K2, d/2) at W - 1 + F (f_i - f_j): prefill in blocks and
    decode steps with the far-key cache."""
    monkeypatch.setattr(attention, "QUERY_BLOCK", block)
    q, k, v, q_stock, k_stock, units, inv_freq = setup()
    files = files_of(units)
    scale = q.shape[-1] ** -0.5
    geometry = HiropeGeometry(
        window, split, unit_scale, local_fast=local_fast, file_split=file_split, file_scale=file_scale
    )
    expected = reference(
        q, k, v, units, window, split, inv_freq, scale, unit_scale, local_fast=local_fast,
        files=files, file_split=file_split, file_scale=file_scale,
    )  # fmt: skip
    state = HiropeState(units, inv_freq, geometry, files=files)
    out, _ = hirope_attention(FakeLayer(), q_stock[None], k_stock[None], v[None], None, scaling=scale, hirope=state)
    torch.testing.assert_close(out[0].transpose(0, 1).double(), expected, atol=1e-5, rtol=1e-5)
    two_levels = reference(q, k, v, units, window, split, inv_freq, scale, unit_scale, local_fast=local_fast)
    assert not torch.allclose(two_levels, expected, atol=1e-3)  # the file level changes the far scores
    got = prefill_then_steps(q_stock, k_stock, v, units, inv_freq, geometry, scale, prefix=24, files=files)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("file_split", [3, 5, 8])
def test_files_equal_to_units_at_the_unit_scale_are_two_levels(file_split: int) -> None:
    _, _, v, q_stock, k_stock, units, inv_freq = setup()
    two = HiropeState(units, inv_freq, HiropeGeometry(8, 3, 4))
    three = HiropeState(units, inv_freq, HiropeGeometry(8, 3, 4, file_split=file_split, file_scale=4), files=units)
    out_two, _ = hirope_attention(FakeLayer(), q_stock[None], k_stock[None], v[None], None, hirope=two)
    out_three, _ = hirope_attention(FakeLayer(), q_stock[None], k_stock[None], v[None], None, hirope=three)
    torch.testing.assert_close(out_three, out_two, atol=1e-6, rtol=1e-6)


def test_a_file_level_needs_files_that_cover_the_units() -> None:
    _, _, _, _, _, units, inv_freq = setup()
    with pytest.raises(ValueError, match="no files"):
        HiropeState(units, inv_freq, HiropeGeometry(8, 3, file_split=5))
    with pytest.raises(ValueError, match="beyond the 8 rotary bands"):
        HiropeState(units, inv_freq, HiropeGeometry(8, 3, file_split=9), files=units)
    with pytest.raises(ValueError, match="files have shape"):
        HiropeState(units, inv_freq, HiropeGeometry(8, 3, file_split=5), files=units[:-1])
    two_levels = HiropeState(units, inv_freq, HiropeGeometry(8, 3), files=files_of(units))  # files unused
    assert two_levels.far_turn(0, 4, queries=True, dtype=torch.float32)[0].shape == (4, 5)
