"""Which rotary bands follow the token level and which the unit level.

RoPE band k (k = 0..d/2-1) turns at theta_k = base^(-2k/d): low k turns fast, high k slowly. The slow
bands are the ones that never completed a turn within the training window, so distances beyond it put
them out of distribution; HiRoPE gives those bands the unit distance instead.

The default ratio is the paper's critical-dimension rule: band k has completed a turn within L_train
tokens when its wavelength 2*pi*base^(2k/d) <= L_train, i.e. 2k/d <= log_base(L_train / 2pi).
"""

from __future__ import annotations

import math
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


@dataclass(frozen=True)
class HiropeGeometry:
    """The two numbers the attention needs besides positions: window W and split band K."""

    window: int
    split: int

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ValueError(f"window must be >= 1, got {self.window}")
        if self.split < 0:
            raise ValueError(f"split band must be >= 0, got {self.split}")
