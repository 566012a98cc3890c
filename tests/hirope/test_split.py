"""The critical-dimension rule and the band split."""

from __future__ import annotations

import math

import pytest

from hirope_lsp.hirope.split import (
    DEFAULT_UNIT_SCALE,
    HiropeGeometry,
    critical_ratio,
    fitted_file_scale,
    fitted_unit_scale,
    split_band,
)


def test_critical_ratio_matches_the_paper() -> None:
    assert round(critical_ratio(10000, 2048), 2) == 0.63
    assert critical_ratio(1e5, 8192) == pytest.approx(0.623, abs=0.005)  # SmolLM2's base and window
    assert critical_ratio(10000, 2048) == pytest.approx(math.log(2048 / (2 * math.pi), 10000))


def test_critical_ratio_is_clipped_to_the_unit_interval() -> None:
    assert critical_ratio(10000, 3) == 0.0  # shorter than one turn of the fastest band
    assert critical_ratio(10, 10**6) == 1.0  # every band turned within the window
    assert 0.0 < critical_ratio(10000, 64) < 1.0


@pytest.mark.parametrize(("base", "length"), [(1.0, 2048), (0.5, 2048), (10000, 0), (10000, -1)])
def test_critical_ratio_rejects_invalid_inputs(base: float, length: int) -> None:
    with pytest.raises(ValueError, match="base > 1"):
        critical_ratio(base, length)


def test_split_band_rounds_to_the_nearest_band() -> None:
    assert split_band(0.63, 64) == 40  # 40.32
    assert split_band(0.623, 32) == 20  # 19.94
    assert split_band(0.5, 8) == 4
    assert split_band(0.0, 32) == 0
    assert split_band(1.0, 32) == 32


@pytest.mark.parametrize("ratio", [-0.01, 1.01, math.nan])
def test_split_band_rejects_ratios_outside_the_unit_interval(ratio: float) -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        split_band(ratio, 32)


def test_geometry_rejects_invalid_values() -> None:
    assert HiropeGeometry(1, 0) == HiropeGeometry(window=1, split=0)
    with pytest.raises(ValueError, match="window"):
        HiropeGeometry(0, 4)
    with pytest.raises(ValueError, match="split"):
        HiropeGeometry(8, -1)
    with pytest.raises(ValueError, match="unit scale"):
        HiropeGeometry(8, 4, unit_scale=0)
    with pytest.raises(ValueError, match="logn length"):
        HiropeGeometry(8, 4, logn_length=7)  # within the window the model must stay stock
    assert HiropeGeometry(8, 4) == HiropeGeometry(8, 4, unit_scale=1, logn_length=None)


@pytest.mark.parametrize(
    ("span", "window", "train", "cap", "expected"),
    [
        (94, 6144, 8192, 24, 21),  # 21 * 94 = 1974 <= 2048 < 22 * 94 = 2068 (asyncio's 32k tokens)
        (139, 6144, 8192, 24, 14),  # 14 * 139 = 1946 <= 2048 < 15 * 139 = 2085 (email's)
        (89, 6144, 8192, 24, 23),  # 23 * 89 = 2047: the farthest pair lands on 6143 + 2047 = 8190
        (64, 6144, 8192, 24, 24),  # 2048 / 64 = 32, capped
        (64, 4096, 8192, 128, 64),  # 4096 / 64 = 64 exactly: the farthest pair on 4095 + 4096 = 8191
        (33, 4096, 8192, 128, 124),  # 124 * 33 = 4092 <= 4096 < 125 * 33 = 4125
        (33, 4096, 8192, 64, 64),  # 124, capped
        (1024, 6144, 8192, 24, 2),
        (2049, 6144, 8192, 24, 1),  # not even G = 1 fits: at least 1
        (0, 6144, 8192, 24, 24),  # one unit: no unit distance to scale
        (10, 8192, 8192, 24, 1),  # the window leaves no room beyond it
        (10, 9000, 8192, 24, 1),
        (3, 10, 16, 5, 2),  # 2 * 3 = 6 = 16 - 10
    ],
)
def test_fitted_unit_scale_keeps_the_farthest_pair_in_the_training_window(
    span: int, window: int, train: int, cap: int, expected: int
) -> None:
    scale = fitted_unit_scale(span, window, train, cap)
    assert scale == expected
    if expected > 1 and span:
        assert window - 1 + scale * span <= train - 1 < window - 1 + (scale + 1) * span or scale == cap


def test_fitted_unit_scale_caps_at_the_default_and_rejects_invalid_inputs() -> None:
    assert fitted_unit_scale(1, 6144, 8192) == DEFAULT_UNIT_SCALE
    for args in ((-1, 6144, 8192, 24), (5, 0, 8192, 24), (5, 6144, 0, 24), (5, 6144, 8192, 0)):
        with pytest.raises(ValueError, match="unit_span"):
            fitted_unit_scale(*args)


@pytest.mark.parametrize(
    ("span", "window", "train", "cap", "expected"),
    [
        (3, 6144, 8192, 2048, 682),  # 682 * 3 = 2046 <= 2048 < 683 * 3 = 2049
        (7, 6144, 8192, 2048, 292),  # 292 * 7 = 2044 <= 2048 < 293 * 7 = 2051
        (1, 6144, 8192, 2048, 2048),  # the farthest pair lands on 6143 + 2048 = 8191
        (2, 6144, 8192, 500, 500),  # 1024, capped
        (0, 6144, 8192, 2048, 2048),  # one file: no file distance to scale
        (4096, 6144, 8192, 2048, 1),  # not even F = 1 fits: at least 1
        (5, 8192, 8192, 1, 1),  # the window leaves no room beyond it
        (2, 32, 64, 32, 16),  # the tiny eval model: 16 * 2 = 32 = 64 - 32
        (3, 32, 64, 32, 10),  # 10 * 3 = 30 <= 32 < 11 * 3 = 33
    ],
)
def test_fitted_file_scale_keeps_the_farthest_file_pair_in_the_training_window(
    span: int, window: int, train: int, cap: int, expected: int
) -> None:
    assert fitted_file_scale(span, window, train, cap) == expected


def test_fitted_file_scale_rejects_invalid_inputs() -> None:
    for args in ((-1, 6144, 8192, 24), (5, 0, 8192, 24), (5, 6144, 0, 24), (5, 6144, 8192, 0)):
        with pytest.raises(ValueError, match="file_span"):
            fitted_file_scale(*args)


def test_geometry_file_level_is_validated() -> None:
    assert HiropeGeometry(8, 4).file_split is None and HiropeGeometry(8, 4).file_scale == 1  # two levels
    assert HiropeGeometry(8, 4, file_split=4, file_scale=9).file_split == 4  # K2 = K: no unit bands
    with pytest.raises(ValueError, match="file split band must be at least the split band"):
        HiropeGeometry(8, 4, file_split=3)
    with pytest.raises(ValueError, match="file scale must be >= 1"):
        HiropeGeometry(8, 4, file_split=6, file_scale=0)
    with pytest.raises(ValueError, match="needs a file split band"):
        HiropeGeometry(8, 4, file_scale=2)
