"""The windowed hierarchical attention, as a function with transformers' attention-interface signature.

For query i and key j <= i (t = flat index, u = unit index, W = window, K = split band, G = unit scale):
- t_i - t_j < W: the stock score, every band at distance t_i - t_j;
- otherwise: bands k < K at distance t_i - t_j, bands k >= K at distance G * (u_i - u_j) + W - 1
  (G = 1 is DESIGN.md's rule; a larger G spreads the far units over the slow bands' trained range).
Optionally (geometry.logn_length N) a query at t >= N has its scores multiplied by ln(t + 1) / ln(N);
geometry.drop_far gives far pairs no attention at all (a sliding window of W, an evaluation baseline).
With geometry.local_fast (an evaluation variant) a far pair's bands k < K see (t_i - s(u_i)) - (t_j - s(u_j)),
s(u) = the first token of unit u among the keys, instead of t_i - t_j: one more turn, by -s(u), on those bands.
With geometry.file_split K2 (an evaluation variant, file > unit > token) the far rule's bands [K2, d/2)
see W - 1 + F * (f_i - f_j), f the file index, instead of the unit distance.

The rule depends on the pair, so it is not one rotation per token. The model rotates q and k by t as
usual (its rotary module, masks and cache untouched). Rotations compose, so the far score is the stock
q and k turned once more on the slow bands only: q by (G u_i + W - 1 - t_i), k by (G u_j - t_j). Those
far keys depend on j alone, so the engine caches them beside the KV cache (`FarKeyCache`).

Prefill never holds a T x T matrix: queries go in blocks; for a block, keys far from all its queries
get only the far score, keys near all of them only the stock one, and the band in between both, with
a mask picking one per pair. Scores and probabilities for one block are [B, H, block, S_k].

t is the key's index in the cache (DESIGN.md: t_i = 0..T-1), so only u travels with the call.

Invariants the tests pin against stock attention: W >= T, and s = 1 (K = d/2), give the stock logits.
DESIGN.md also lists u = t; under this rule it does not hold (beyond the window the slow bands then see
t_i - t_j + W - 1), so the far branch is pinned against a float64 reference instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from hirope_lsp.hirope import native
from hirope_lsp.hirope.buffer import GrowingBuffer
from hirope_lsp.hirope.split import HiropeGeometry

QUERY_BLOCK = 128  # queries per block: the doubly computed band is block + W keys wide, so keep it small
SCORE_BUDGET = 1 << 24  # elements of one block's score matrix (64 MiB in fp32)

Turn = tuple[torch.Tensor, torch.Tensor]  # cos, sin of per-token angles on the slow bands: [S, d/2 - K] each


class FarKeyCache:
    """Keys turned to their far positions, one growing buffer per layer, kept in step with the KV cache.

    It catches up lazily: while the context fits in the window no far key is needed, and the first call
    beyond it turns all the keys held so far. The engine crops it whenever it crops the KV cache.
    """

    def __init__(self) -> None:
        self._layers: dict[int, GrowingBuffer] = {}

    def keys(self, layer: int, key: torch.Tensor, state: HiropeState) -> torch.Tensor:
        """Far keys for all of `key` ([B, Hkv, Sk, D])."""
        buffer = self._layers.setdefault(layer, GrowingBuffer())
        held, k_len = buffer.length, key.shape[-2]
        if held > k_len:
            raise RuntimeError(f"layer {layer}: far-key cache holds {held} keys, the KV cache {k_len}; crop both")
        if held < k_len:
            turn = state.far_turn(held, k_len, queries=False, dtype=key.dtype)
            buffer.append(rotate_slow_bands(key[..., held:, :], turn, state.geometry.far_turned_from))
        far = buffer.view()
        assert far is not None
        return far

    def crop(self, length: int) -> None:
        for buffer in self._layers.values():
            buffer.crop(min(length, buffer.length))


@dataclass
class HiropeState:
    """What the attention needs besides q, k, v: passed as the `hirope` keyword of the forward call.

    units: [S_k] int64, the unit index of every key (the cached ones and the new ones).
    inv_freq: [d/2] float32, the model's own rotary frequencies (so rope scaling stays honoured).
    far_keys: the engine's far-key cache; None computes far keys for all keys on each call.
    files: [S_k] int64, the file index of every key; needed (only) when geometry.file_split is set, the
    three-level far rule (an evaluation variant: the engine passes none).
    """

    units: torch.Tensor
    inv_freq: torch.Tensor
    geometry: HiropeGeometry
    far_keys: FarKeyCache | None = None
    files: torch.Tensor | None = None
    _turns: dict[tuple[int, int, bool, torch.dtype], Turn] = field(default_factory=dict, repr=False)
    _unit_starts: torch.Tensor | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        file_split, half = self.geometry.file_split, self.inv_freq.shape[0]
        if file_split is not None:
            if self.files is None:
                raise ValueError(f"the geometry has a file level (file_split={file_split}) but the state no files")
            if file_split > half:
                raise ValueError(f"file split band {file_split} beyond the {half} rotary bands")
        if self.files is not None and self.files.shape != self.units.shape:
            raise ValueError(f"hirope files have shape {tuple(self.files.shape)}, units {tuple(self.units.shape)}")

    def unit_starts(self) -> torch.Tensor:
        """[S_k] s(u_t): the index of the first key of token t's unit (units never decrease)."""
        if self._unit_starts is None:
            index = torch.arange(self.units.shape[0], device=self.units.device)
            starts = torch.ones_like(self.units, dtype=torch.bool)
            starts[1:] = self.units[1:] != self.units[:-1]
            self._unit_starts = torch.cummax(torch.where(starts, index, 0), dim=0).values
        return self._unit_starts

    def far_turn(self, start: int, end: int, queries: bool, dtype: torch.dtype) -> Turn:
        """cos and sin ([S, d/2 - K]) of the extra turn of tokens start..end-1 to their far positions:
        G u + W - 1 - t for queries, G u - t for keys. With a file level (file_split K2) bands [K2, d/2)
        take F f + W - 1 - t and F f - t instead. With local_fast they cover every band ([S, d/2]),
        bands k < K turned by -s(u). Every layer needs the same ones, so they are made once per forward
        call (the state lives for one call)."""
        cache_key = (start, end, queries, dtype)
        if cache_key not in self._turns:
            geometry, half = self.geometry, self.inv_freq.shape[0]
            file_split = half if geometry.file_split is None else geometry.file_split
            flat = torch.arange(start, end, device=self.units.device)
            delta = self.units[start:end] * geometry.unit_scale - flat
            if queries:
                delta = delta + (geometry.window - 1)
            angle = delta.to(torch.float32)[:, None] * self.inv_freq[geometry.split : file_split].to(torch.float32)
            if file_split < half:
                assert self.files is not None  # __post_init__ refuses a file level without files
                file_delta = self.files[start:end] * geometry.file_scale - flat
                if queries:
                    file_delta = file_delta + (geometry.window - 1)
                file_angle = file_delta.to(torch.float32)[:, None] * self.inv_freq[file_split:].to(torch.float32)
                angle = torch.cat([angle, file_angle], dim=-1)
            if self.geometry.local_fast:
                starts = self.unit_starts()[start:end].to(torch.float32)[:, None]
                fast = -starts * self.inv_freq[: self.geometry.split].to(torch.float32)
                angle = torch.cat([fast, angle], dim=-1)
            self._turns[cache_key] = (angle.cos().to(dtype), angle.sin().to(dtype))
        return self._turns[cache_key]

    def query_temperature(self, start: int, end: int) -> torch.Tensor | None:
        """[S, 1] factors max(1, ln(t + 1) / ln(N)) for queries t = start..end-1; None when all are 1."""
        length = self.geometry.logn_length
        if length is None or end <= length:
            return None
        t = torch.arange(start, end, device=self.units.device, dtype=torch.float64)
        return (torch.log(t + 1) / math.log(length)).clamp(min=1.0).to(torch.float32)[:, None]


def hirope_attention(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    hirope: HiropeState | None = None,
    **kwargs: object,
) -> tuple[torch.Tensor, None]:
    """The AttentionInterface entry: q [B, Hq, Sq, D], k/v [B, Hkv, Sk, D] -> ([B, Sq, Hq, D], None).

    Causality comes from positions (the interface passes no mask for a custom implementation), so
    batches must be unpadded. Without a `hirope` state this is stock causal attention.
    """
    scale = query.shape[-1] ** -0.5 if scaling is None else scaling
    for unsupported in ("sliding_window", "softcap"):
        if kwargs.get(unsupported) is not None:
            raise ValueError(f"HiRoPE attention does not support {unsupported} (model {type(module).__name__})")
    if hirope is not None and key.shape[-2] > hirope.geometry.window:
        layer = getattr(module, "layer_idx", None)
        return windowed_attention(query, key, value, hirope, scale, layer), None
    q_len, k_len = query.shape[-2], key.shape[-2]
    if q_len == 1 or q_len < k_len:  # tokens after cached ones: CPU SDPA would copy the cache's strided views
        return cached_attention(query * scale, key, value, None, None), None
    return causal_attention(query, key, value, scale).transpose(1, 2).contiguous(), None


def cached_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    window: int | None,
    far: tuple[torch.Tensor, torch.Tensor] | None,
) -> torch.Tensor:
    """Queries (already scaled) that are the last Sq of the keys: [B, Sq, Hq, D]. Within `window` (None:
    unbounded) a pair gets q . k, beyond it far_q . far_k. A few queries go to the native kernel
    (native.py) where it runs; otherwise torch."""
    fused = native.attention(query, key, value, window, far)
    if fused is not None:
        return fused
    if query.shape[-2] == 1:
        far_end = 0 if window is None else max(0, key.shape[-2] - window)
        return single_query_attention(query, key, value, far if far_end else None, far_end)
    return blocked_attention(query, key, value, window, far)


def causal_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, scale: float) -> torch.Tensor:
    """Stock attention over a whole sequence (as many queries as keys): [B, Hq, S, D]. SDPA's fused kernel."""
    return F.scaled_dot_product_attention(
        query, key, value, is_causal=True, scale=scale, enable_gqa=query.shape[1] != key.shape[1]
    )


def rotate_slow_bands(x: torch.Tensor, turn: Turn, split: int) -> torch.Tensor:
    """Turn bands k >= split of x ([B, H, S, D], rotate-half layout) by the angles whose cos and sin are given."""
    half = x.shape[-1] // 2
    if split >= half:
        return x
    cos, sin = turn
    first, second = x[..., split:half], x[..., half + split :]
    turned = x.clone()
    turned[..., split:half] = first * cos - second * sin
    turned[..., half + split :] = second * cos + first * sin
    return turned


def windowed_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    state: HiropeState,
    scale: float,
    layer: int | None,
) -> torch.Tensor:
    """The hierarchical rule above: [B, Sq, Hq, D] (transformers' output order)."""
    q_len, dim, k_len = query.shape[-2], query.shape[-1], key.shape[-2]
    if state.units.shape[0] != k_len:
        raise ValueError(f"hirope units cover {state.units.shape[0]} tokens, the keys {k_len}")
    if 2 * state.inv_freq.shape[0] != dim:
        raise ValueError(
            f"partial rotary embeddings are not supported: {2 * state.inv_freq.shape[0]} of {dim} dims rotate"
        )
    window, split = state.geometry.window, state.geometry.far_turned_from
    offset = k_len - q_len  # t of the first query
    temperature = state.query_temperature(offset, k_len)
    if temperature is not None:
        query = query * temperature.to(query.dtype)  # [Sq, 1] against [B, Hq, Sq, D]

    if state.geometry.drop_far:  # a sliding window of W: the far rule's lower bound, for evaluation
        if q_len == 1:
            far_end = max(0, k_len - window)
            return single_query_attention(query * scale, key[..., far_end:, :], value[..., far_end:, :])
        return blocked_attention(query * scale, key, value, window, None)

    far_query = rotate_slow_bands(query, state.far_turn(offset, k_len, queries=True, dtype=query.dtype), split)
    if state.far_keys is None or layer is None:
        far_key = rotate_slow_bands(key, state.far_turn(0, k_len, queries=False, dtype=key.dtype), split)
    else:
        far_key = state.far_keys.keys(layer, key, state)

    return cached_attention(query * scale, key, value, window, (far_query * scale, far_key))


def blocked_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    window: int | None,
    far: tuple[torch.Tensor, torch.Tensor] | None,
) -> torch.Tensor:
    """Queries (already scaled) are the last Sq of the keys, taken block by block: [B, Sq, Hq, D].

    Within `window` (None: unbounded, the stock causal rule) a pair gets q . k; beyond it far_q . far_k.
    """
    batch, q_heads, q_len, dim = query.shape
    kv_heads, k_len = key.shape[1], key.shape[-2]
    offset = k_len - q_len  # t of the first query
    window = window if window is not None else k_len + 1
    # Queries as [B, Hkv, Sq, G, D]: a block of them is then one [B, Hkv, n * G, D] view for the matmuls,
    # and the output lands in the [B, Sq, Hq, D] order that transformers expects.
    groups = q_heads // kv_heads
    near_q = _grouped(query, kv_heads)
    far_q = None if far is None else _grouped(far[0], kv_heads)
    output = torch.empty_like(near_q)
    block = max(1, min(q_len, QUERY_BLOCK, SCORE_BUDGET // (q_heads * k_len)))
    for start in range(0, q_len, block):
        stop = min(q_len, start + block)
        rows = stop - start
        t_first, t_end = offset + start, offset + stop  # queries t_first .. t_end - 1
        far_end = max(0, t_end - window)  # keys [0, far_end) are far from some query of the block
        near_start = max(0, t_first - window + 1)  # keys [near_start, t_end) are near some query
        t_query = torch.arange(t_first, t_end, device=key.device)[:, None, None]  # [n, 1, 1] against [n, G, keys]

        near = near_q[:, :, start:stop].reshape(batch, kv_heads, rows * groups, dim) @ key[
            ..., near_start:t_end, :
        ].transpose(-1, -2)
        near = near.float().view(batch, kv_heads, rows, groups, -1)
        # One query sees every key in [near_start, t_end) as near; the others miss the last rows - 1 keys
        # (their future) and the first rows - 1 (beyond the window). Mask only those edges.
        edge = min(rows - 1, t_end - near_start)
        if edge > 0:
            future = torch.arange(t_end - edge, t_end, device=key.device)
            near[..., -edge:].masked_fill_(future > t_query, -torch.inf)
            early = torch.arange(near_start, near_start + edge, device=key.device)
            near[..., :edge].masked_fill_(t_query - early >= window, -torch.inf)
        parts = [(near, value[..., near_start:t_end, :])]
        if far_end > 0 and far is not None and far_q is not None:
            scores = far_q[:, :, start:stop].reshape(batch, kv_heads, rows * groups, dim) @ far[1][
                ..., :far_end, :
            ].transpose(-1, -2)
            scores = scores.float().view(batch, kv_heads, rows, groups, -1)
            if near_start < far_end:  # the band where a key is far from some queries, near to others
                mixed_key = torch.arange(near_start, far_end, device=key.device)
                scores[..., near_start:far_end].masked_fill_(t_query - mixed_key < window, -torch.inf)
            parts.append((scores, value[..., :far_end, :]))
        output[:, :, start:stop] = _softmax_weighted_sum(parts, value.dtype).view(batch, kv_heads, rows, groups, dim)
    return output.permute(0, 2, 1, 3, 4).reshape(batch, q_len, q_heads, dim)


def single_query_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    far: tuple[torch.Tensor, torch.Tensor] | None = None,
    far_end: int = 0,
) -> torch.Tensor:
    """A decode step, q already scaled: [B, 1, Hq, D].

    Keys [0, far_end) are scored against the far query and far keys (`far`), the rest against q and k.
    The two ranges tile the cache in order, so one softmax over the score rows side by side and one
    product with all the values do it, with no mask. Plain matmuls on the cache's strided views: torch's
    CPU SDPA copies non-contiguous keys first (3.4 ms against 0.4 ms per call at 2k keys, measured).
    The native kernel does the same in one pass, ~2x faster (`cached_attention`).
    """
    batch, q_heads, _, dim = query.shape
    kv_heads = key.shape[1]
    scores = query.view(batch, kv_heads, -1, dim) @ key[..., far_end:, :].transpose(-1, -2)  # [B, Hkv, G, keys]
    if far is not None and far_end:
        far_query, far_key = far
        far_scores = far_query.view(batch, kv_heads, -1, dim) @ far_key[..., :far_end, :].transpose(-1, -2)
        scores = torch.cat([far_scores, scores], dim=-1)
    probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(value.dtype)
    return (probs @ value).view(batch, 1, q_heads, dim)


def _grouped(x: torch.Tensor, kv_heads: int) -> torch.Tensor:
    """[B, Hq, S, D] -> contiguous [B, Hkv, S, G, D]; query head h belongs to kv head h // G."""
    batch, q_heads, length, dim = x.shape
    return x.view(batch, kv_heads, q_heads // kv_heads, length, dim).transpose(2, 3).contiguous()


def _softmax_weighted_sum(parts: list[tuple[torch.Tensor, torch.Tensor]], dtype: torch.dtype) -> torch.Tensor:
    """softmax over the keys of all parts together, times their values, without concatenating the scores.

    parts: (scores [B, Hkv, n, G, keys] float32, values [B, Hkv, keys, D]); the scores are used up.
    Returns [B, Hkv, n * G, D].
    """
    if len(parts) == 1:  # torch's fused softmax
        scores, values = parts[0]
        batch, kv_heads, rows, groups, keys = scores.shape
        probs = torch.softmax(scores, dim=-1).to(dtype).view(batch, kv_heads, rows * groups, keys)
        return probs @ values
    peak = torch.stack([scores.amax(dim=-1) for scores, _ in parts]).amax(dim=0, keepdim=False)[..., None]
    total: torch.Tensor | None = None
    denominator: torch.Tensor | None = None
    for scores, values in parts:
        weights = scores.sub_(peak).exp_()
        mass = weights.sum(dim=-1)
        batch, kv_heads, rows, groups, keys = weights.shape
        summed = weights.to(dtype).view(batch, kv_heads, rows * groups, keys) @ values
        total = summed if total is None else total + summed
        denominator = mass if denominator is None else denominator + mass
    assert total is not None and denominator is not None
    return total / denominator.view(total.shape[0], total.shape[1], -1, 1).to(total.dtype)
