"""model/scaling.py, as the ppl eval uses it: transformers' rope variants on for a block, and off after."""

from __future__ import annotations

import pytest
import torch

from hirope_lsp.model.loader import LoadedModel
from hirope_lsp.model.scaling import ScalingKind, scaled_rope
from tests.model.tiny import tiny_loaded


def logits(loaded: LoadedModel, length: int) -> torch.Tensor:
    with torch.inference_mode():
        result: torch.Tensor = loaded.model(torch.arange(length)[None] % 300 + 3).logits[0]
        return result


@pytest.mark.parametrize("kind", ["dynamic", "yarn"])
def test_scaling_changes_long_inputs_and_is_undone_after_the_block(kind: ScalingKind) -> None:
    loaded = tiny_loaded()  # its own copy: the block swaps a module of the model
    stock = logits(loaded, 128)  # training window 64
    with scaled_rope(loaded.model, kind, 2.0):
        scaled = logits(loaded, 128)
    assert not torch.allclose(stock, scaled, atol=1e-4)
    assert torch.equal(logits(loaded, 128), stock)


def test_dynamic_ntk_starts_from_the_stock_frequencies_in_each_block() -> None:
    loaded = tiny_loaded()
    with scaled_rope(loaded.model, "dynamic", 2.0):
        short = logits(loaded, 32)
    with scaled_rope(loaded.model, "dynamic", 2.0):
        logits(loaded, 128)  # enlarges the block's frequencies
    with scaled_rope(loaded.model, "dynamic", 2.0):
        assert torch.equal(logits(loaded, 32), short)


def test_a_factor_of_one_or_less_is_refused() -> None:
    with pytest.raises(ValueError, match="> 1"), scaled_rope(tiny_loaded().model, "yarn", 1.0):
        pass
