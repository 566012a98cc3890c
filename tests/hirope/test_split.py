"""The critical-dimension rule and the band split."""

from __future__ import annotations

import math

import pytest

from hirope_lsp.hirope.split import HiropeGeometry, critical_ratio, split_band


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
