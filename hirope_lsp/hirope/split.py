"""Which rotary bands follow the token level and which the unit level.

RoPE band k (k = 0..d/2-1) turns at theta_k = base^(-2k/d): low k turns fast, high k slowly. The slow
bands are the ones that never completed a turn within the training window, so distances beyond it put
them out of distribution; HiRoPE gives those bands the unit distance instead.

The default ratio is the paper's critical-dimension rule: band k has completed a turn within L_train
tokens when its wavelength 2*pi*base^(2k/d) <= L_train, i.e. 2k/d <= log_base(L_train / 2pi).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass


def critical_ratio(base: float, train_length: int) -> float:
    """s = log_base(L_train / 2pi), clipped to [0, 1]: 0.63 for 2k tokens at base 10000."""
    if base <= 1 or train_length <= 0:
        raise ValueError(f"need base > 1 and a positive training length, got {base} and {train_length}")
    return min(1.0, max(0.0, math.log(train_length / (2 * math.pi)) / math.log(base)))


def split_band(ratio: float, half_dim: int) -> int:
    """K = round(s * d/2): bands k < K use token positions, bands k >= K unit positions."""
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"split ratio must lie in [0, 1], got {ratio}")
    return round(ratio * half_dim)


# The defaults of the far rule (docs/RESULTS.md). The engine's: prompts within the training window N run
# the stock model; longer ones see units of 8 consecutive tokens on every band beyond a window of N / 2, G
# fitted per prompt (section 1c: on the default model at 16k, 1.9% below truncation to N on the stdlib
# groups the rule was chosen on, 1.2% below it over twenty-six groups, p ~ 0.07). With the outline's units
# the window is 3/4 of N and the split the critical-dimension rule (section 1b); `eval ppl`'s methods default
# to that window.
DEFAULT_UNIT_TOKENS = 8
TOKEN_UNITS_WINDOW_RATIO = 0.5
DEFAULT_WINDOW_RATIO = 0.75
DEFAULT_UNIT_SCALE = 24
# Beyond TWO_SCALE_WINDOWS training windows one G no longer serves: at 32k tokens it is 1 for every far pair,
# and the same rule did better given only the last 16k (section 1c). There the engine gives the units of the
# last TWO_SCALE_WINDOWS * N tokens a finer scale than the older ones, which get OLDER_PERCENT of the far
# positions N - W (`TwoScales`; section 1c, 2026-12-03: at 32k lower than one scale on 9 of 13 groups).
TWO_SCALE_WINDOWS = 2
OLDER_PERCENT = 25


def default_window(train_length: int, ratio: float = DEFAULT_WINDOW_RATIO) -> int:
    """W when none is set: `ratio` of the training window (3/4: the outline units' window)."""
    return max(1, int(train_length * ratio))


def fitted_unit_scale(unit_span: int, window: int, train_length: int, cap: int = DEFAULT_UNIT_SCALE) -> int:
    """The largest G <= cap with W - 1 + G * unit_span <= train_length - 1, and at least 1.

    unit_span = u_last - u_first of a prompt: the farthest pair's slow bands then see at most the training
    window's last position, whatever the prompt's length. No unit boundary (span 0) leaves G = cap; a window
    at or beyond the training window leaves no room, so G = 1.
    """
    return _fitted_scale("unit_span", unit_span, window, train_length, cap)


def fitted_file_scale(file_span: int, window: int, train_length: int, cap: int) -> int:
    """The largest F <= cap with W - 1 + F * file_span <= train_length - 1, and at least 1: fitted_unit_scale's
    rule for the file level (file_span = f_last - f_first of a prompt), so the farthest pair's file bands see
    at most the training window's last position. One file (span 0) leaves F = cap."""
    return _fitted_scale("file_span", file_span, window, train_length, cap)


@dataclass(frozen=True)
class TwoScales:
    """A far rule with two unit scales, as a map from units to coordinates that the attention then reads as
    units at G = 1 (a far pair sees W - 1 + c(u_i) - c(u_j)): units from `boundary` on step by `near`, the
    ones before it by `far` <= `near`, coordinates rounded down, the first unit at 0. Real-valued scales are
    what let the older units share few positions (G2 = 0.5 at 32k), where an integer G2 has no room."""

    first: int
    boundary: int
    near: float
    far: float

    @classmethod
    def fitted(cls, first: int, boundary: int, last: int, room: int, cap: int, older_percent: int) -> TwoScales:
        """Scales for units first..last with the near ones from `boundary`: the older units get
        `older_percent`% of the `room` (N - W far positions) and the near ones the rest, G = min(cap, near
        room / near span), G2 = min(G, what is left / older span); so G * (near span) + G2 * (older span) <=
        room and the farthest pair stays within the training window."""
        if not first <= boundary <= last or room < 0 or cap < 1 or not 0 <= older_percent <= 100:
            raise ValueError(
                f"need first <= boundary <= last, room >= 0, cap >= 1 and a percent; got {first}, {boundary}, "
                f"{last}, {room}, {cap}, {older_percent}"
            )
        near_span, far_span = last - boundary, boundary - first
        near_room = room if far_span == 0 else room * (100 - older_percent) / 100
        near = cap if near_span == 0 else min(cap, near_room / near_span)
        far = near if far_span == 0 else min(near, (room - near * near_span) / far_span)
        return cls(first, boundary, near, far)

    def coordinates(self, units: Iterable[int]) -> tuple[int, ...]:
        """Each unit's coordinate, rounded down (a running maximum keeps float rounding from ever making
        them decrease)."""
        origin, boundary = self.far * (self.boundary - self.first), self.boundary
        raw = (
            math.floor(origin + self.near * (u - boundary) if u >= boundary else origin - self.far * (boundary - u))
            for u in units
        )
        return tuple(itertools.accumulate(raw, max))


def _fitted_scale(name: str, span: int, window: int, train_length: int, cap: int) -> int:
    if span < 0 or window < 1 or train_length < 1 or cap < 1:
        raise ValueError(
            f"need {name} >= 0 and window, train_length, cap >= 1; got {span}, {window}, {train_length}, {cap}"
        )
    if span == 0:
        return cap
    return max(1, min(cap, (train_length - window) // span))


@dataclass(frozen=True)
class HiropeGeometry:
    """What the attention needs besides positions: window W, split band K, and the far-rule options.

    unit_scale G: tokens per unit step on the slow bands, so a far pair's slow bands see
    W - 1 + G * (u_i - u_j); G = 1 is the rule of DESIGN.md section 3.
    logn_length N: if set, a query at index t >= N has all its scores multiplied by ln(t + 1) / ln(N)
    (Qwen's "logn" attention: keeps the attention's entropy as the keys outnumber the training window's).
    It must be at least W, so that a prompt within the window stays the stock model exactly.
    drop_far: far pairs get no attention (a sliding window of W), the limit of discounting the far context;
    an evaluation baseline for the far rule, not a HiRoPE setting.
    local_fast: a far pair's fast bands see the difference of within-unit offsets,
    (t_i - s(u_i)) - (t_j - s(u_j)) with s(u) the first token of unit u, instead of t_i - t_j (the HiRoPE
    paper's token-within-function level); an evaluation variant, off in the engine.
    file_split K2 and file_scale F: a third, coarser level (file > unit > token), an evaluation variant off in
    the engine. A far pair's bands [K, K2) then see W - 1 + G * (u_i - u_j) and bands [K2, d/2) see
    W - 1 + F * (f_i - f_j), f the file index; K <= K2 <= d/2 (the upper bound is checked where d is known,
    HiropeState). None: two levels, every band k >= K on the unit level.
    """

    window: int
    split: int
    unit_scale: int = 1
    logn_length: int | None = None
    drop_far: bool = False
    local_fast: bool = False
    file_split: int | None = None
    file_scale: int = 1

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ValueError(f"window must be >= 1, got {self.window}")
        if self.split < 0:
            raise ValueError(f"split band must be >= 0, got {self.split}")
        if self.unit_scale < 1:
            raise ValueError(f"unit scale must be >= 1, got {self.unit_scale}")
        if self.logn_length is not None and self.logn_length < self.window:
            raise ValueError(f"logn length must be at least the window ({self.window}), got {self.logn_length}")
        if self.file_split is not None and self.file_split < self.split:
            raise ValueError(f"file split band must be at least the split band ({self.split}), got {self.file_split}")
        if self.file_scale < 1:
            raise ValueError(f"file scale must be >= 1, got {self.file_scale}")
        if self.file_split is None and self.file_scale != 1:
            raise ValueError(f"file scale {self.file_scale} needs a file split band (the file level is off)")

    @property
    def far_turned_from(self) -> int:
        """The first band that far queries and keys turn beyond the stock rotation: K, or 0 with local_fast."""
        return 0 if self.local_fast else self.split
