"""eval ppl at toy scale: a tiny random model (training window 64) over stdlib code."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch

from hirope_lsp.eval.corpus import GROUPS, group_sequence
from hirope_lsp.eval.ppl import Method, run, table, target_scores, two_unit_scales
from hirope_lsp.hirope.positions import Positions
from hirope_lsp.hirope.split import DEFAULT_UNIT_SCALE, fitted_file_scale
from hirope_lsp.model.engine import Engine
from hirope_lsp.model.loader import LoadedModel
from tests.eval.args import eval_args
from tests.model.tiny import tiny_loaded


def run_on_1200_tokens(tiny: LoadedModel, tmp_path: Path, methods: list[str], samples: int = 1) -> dict[str, Any]:
    """`eval ppl` on the first 1,200 tokens of each group with the tiny model (N = 64): one 256-token bucket
    ending there (asyncio's spans units 3 and 4 of this tokenizer, email's three units), 32 scored tokens."""
    args = eval_args(
        tmp_path, lengths=[256], samples=samples, methods=methods, variants=False, score_tokens=32,
        truncate_chunk=16, sequence_tokens=1200,
    )  # fmt: skip
    result: dict[str, Any] = run(args, tiny)["methods"]
    return result


def test_run_writes_json_and_png_with_every_method_and_length(tiny: LoadedModel, tmp_path: Path) -> None:
    args = eval_args(
        tmp_path,
        lengths=[32, 128],
        samples=1,
        methods=["flat", "truncate", "hirope", "dynamic", "yarn"],
        variants=True,
        score_tokens=32,
        truncate_chunk=16,
        sequence_tokens=160,
    )
    results = run(args, tiny)
    written = json.loads((tmp_path / "ppl.json").read_text())
    assert (tmp_path / "ppl.png").stat().st_size > 1000
    assert written["seed"] == 0 and written["samples"] == 1 and written["eval"] == "ppl"
    methods = written["methods"]
    assert set(methods) == {
        "flat",
        "truncate",
        "hirope",
        "dynamic",
        "yarn",
        "hirope-w128",
        "hirope-w2048",
        "hirope-w512",
        "hirope-s0.50",
        "hirope-s0.75",
    }
    for name, method in methods.items():
        for length in ("32", "128"):
            last = method["by_length"][length]["last"]
            assert last["tokens"] == min(32, int(length) - 1), name  # the first token has no context
            assert math.isclose(last["ppl"], math.exp(last["loss"]))
    # inside the training window (64) truncation and the scaling variants are flat itself
    assert methods["truncate"]["by_length"]["32"]["same_as"] == "flat"
    assert methods["yarn"]["by_length"]["32"]["last"] == methods["flat"]["by_length"]["32"]["last"]
    # beyond it they are computed, and differ from flat
    assert methods["yarn"]["by_length"]["128"]["last"]["loss"] != methods["flat"]["by_length"]["128"]["last"]["loss"]
    assert methods["truncate"]["by_length"]["128"]["all"] is None
    assert results["train_length"] == 64
    rows = list(table(results))
    assert "| method" not in rows[1] and rows[1].startswith("| perplexity, last 32 tokens | 32 |")
    assert any(row.startswith("| truncate |") and "n/a" in row for row in rows)


def test_hirope_with_a_window_covering_the_bucket_scores_as_flat(tiny: LoadedModel, tmp_path: Path) -> None:
    args = eval_args(
        tmp_path,
        lengths=[48],
        samples=1,
        methods=["flat", "hirope"],
        variants=False,
        score_tokens=32,
        truncate_chunk=16,
        sequence_tokens=64,
        window=64,
    )
    methods = run(args, tiny)["methods"]
    assert methods["hirope"]["by_length"]["48"]["last"]["loss"] == pytest.approx(
        methods["flat"]["by_length"]["48"]["last"]["loss"], rel=1e-5
    )


def test_target_scores_match_the_full_logits(tiny: LoadedModel) -> None:
    ids = list(range(5, 45))
    losses, correct = target_scores(tiny.model, ids, 30, None)
    logits = tiny.model(torch.tensor([ids])).logits[0].float()
    expected = torch.nn.functional.cross_entropy(logits[29:-1], torch.tensor(ids[30:]), reduction="none")
    assert torch.allclose(losses, expected, atol=1e-5)
    assert torch.equal(correct, logits[29:-1].argmax(-1) == torch.tensor(ids[30:]))


def test_method_names_parse_to_variants() -> None:
    assert Method.parse("hirope-w128", 512, None) == Method("hirope-w128", "hirope", 128, None)
    assert Method.parse("hirope-s0.50", 512, None).ratio == 0.5
    assert Method.parse("hirope-w4096-g64", None, None) == Method("hirope-w4096-g64", "hirope", 4096, None, 64)
    assert Method.parse("hirope-logn", 512, 0.5) == Method("hirope-logn", "hirope", 512, 0.5, logn=True)
    assert Method.parse("hirope", None, None).unit_scale == DEFAULT_UNIT_SCALE  # the server's far rule
    assert Method.parse("hirope-w8192-g1", None, None).unit_scale == 1
    assert Method.parse("hirope-nofar", None, None).drop_far
    assert Method.parse("hirope-w6144-gfit", None, None) == Method(
        "hirope-w6144-gfit", "hirope", 6144, None, DEFAULT_UNIT_SCALE, fit_unit_scale=True
    )
    assert Method.parse("hirope-g48-gfit", None, None).unit_scale == 48  # gG is then the cap
    assert not Method.parse("hirope-w6144-g24", None, None).fit_unit_scale
    assert Method.parse("hirope-w6144-gfit-local", None, None).local_fast
    for wrong in ("alibi", "hirope-", "hirope-g", "hirope-w4096-x", "hirope-sx", "hirope-gfitx", "yarn-w512"):
        with pytest.raises(ValueError, match="unknown method"):
            Method.parse(wrong, 512, None)


def test_far_rule_options_reach_the_geometry(tiny: LoadedModel, tmp_path: Path) -> None:
    methods = run_on_1200_tokens(
        tiny,
        tmp_path,
        ["hirope-w32-g1", "hirope-w32", "hirope-w32-g8", "hirope-w32-g1-logn", "hirope-w32-g1-local"],
        samples=1,
    )
    assert methods["hirope-w32-g8"]["unit_scale"] == 8 and methods["hirope-w32-g1"]["unit_scale"] == 1
    assert methods["hirope-w32"]["unit_scale"] == DEFAULT_UNIT_SCALE  # the server's
    assert methods["hirope-w32-g1-logn"]["logn_length"] == 64 and methods["hirope-w32-g1"]["logn_length"] is None
    loss = {name: method["by_length"]["256"]["all"]["loss"] for name, method in methods.items()}
    assert len({loss["hirope-w32-g1"], loss["hirope-w32"], loss["hirope-w32-g8"]}) == 3  # G changes the scores
    assert loss["hirope-w32-g1-logn"] != loss["hirope-w32-g1"]
    assert methods["hirope-w32-g1-local"]["local_fast"] and not methods["hirope-w32-g1"]["local_fast"]
    assert loss["hirope-w32-g1-local"] != loss["hirope-w32-g1"]


def test_methods_run_without_flat_compute_their_own_in_window_scores(tiny: LoadedModel, tmp_path: Path) -> None:
    args = eval_args(
        tmp_path,
        lengths=[48],
        samples=1,
        methods=["yarn"],
        variants=False,
        score_tokens=32,
        truncate_chunk=16,
        sequence_tokens=64,
    )
    with_flat = run(eval_args(tmp_path, **{**vars(args), "methods": ["flat"], "out": str(tmp_path)}), tiny)
    alone = run(args, tiny)["methods"]
    assert set(alone) == {"yarn"} and alone["yarn"]["by_length"]["48"]["same_as"] is None
    assert alone["yarn"]["by_length"]["48"]["last"] == with_flat["methods"]["flat"]["by_length"]["48"]["last"]


def test_first_group_picks_which_samples_run(tiny: LoadedModel, tmp_path: Path) -> None:
    args = eval_args(
        tmp_path,
        lengths=[32],
        samples=1,
        first_group=1,
        methods=["flat"],
        variants=False,
        score_tokens=32,
        truncate_chunk=16,
        sequence_tokens=64,
    )
    assert [s["name"] for s in run(args, tiny)["sequences"]] == ["email"]
    with pytest.raises(ValueError, match="--first-group"):
        run(eval_args(tmp_path, **{**vars(args), "first_group": len(GROUPS)}), tiny)


def test_gfit_fits_the_unit_scale_to_each_sequence_and_records_it(tiny: LoadedModel, tmp_path: Path) -> None:
    methods = run_on_1200_tokens(
        tiny,
        tmp_path,
        ["hirope-w32-g24", "hirope-w32-g16", "hirope-w32-gfit", "hirope-w32-g8-gfit", "truncate"],
        samples=2,
    )
    # The tiny model's window N = 64 and W = 32 leave 32 slow-band positions beyond the window: G = 32 // span.
    tokenize = lambda text: list(tiny.tokenizer.encode(text, add_special_tokens=False))  # noqa: E731
    spans = []
    for group in GROUPS[:2]:
        units = group_sequence(group, tokenize, 1200).window(1200, 256)[1].unit
        spans.append(units[-1] - units[0])
    assert spans == [1, 2]  # asyncio's last 256 tokens span two units, email's three
    fitted, capped = methods["hirope-w32-gfit"], methods["hirope-w32-g8-gfit"]
    assert fitted["unit_scale_fit"] is True and methods["hirope-w32-g16"]["unit_scale_fit"] is False
    assert fitted["unit_scale"] == DEFAULT_UNIT_SCALE and capped["unit_scale"] == 8  # the caps
    assert fitted["by_length"]["256"]["unit_scales"] == [24, 16]  # min(24, 32 // 1), min(24, 32 // 2)
    assert capped["by_length"]["256"]["unit_scales"] == [8, 8]
    assert methods["hirope-w32-g16"]["by_length"]["256"]["unit_scales"] == [16, 16]
    assert methods["truncate"]["by_length"]["256"]["unit_scales"] is None
    ppl = {name: method["by_length"]["256"]["per_sample_last_ppl"] for name, method in methods.items()}
    assert ppl["hirope-w32-gfit"] == [ppl["hirope-w32-g24"][0], ppl["hirope-w32-g16"][1]]  # each sample's G
    assert ppl["hirope-w32-g24"][1] != ppl["hirope-w32-g16"][1]


def test_chunk_units_replace_the_outline_and_gfit_counts_chunks(tiny: LoadedModel, tmp_path: Path) -> None:
    assert Method.parse("hirope-w6144-gfit-c256", None, None).chunk_tokens == 256
    assert Method.parse("hirope-w6144-gfit", None, None).chunk_tokens is None
    for wrong in ("hirope-c0", "hirope-c", "hirope-cx"):
        with pytest.raises(ValueError, match="unknown method"):
            Method.parse(wrong, 512, None)
    outline = Positions((3, 3, 4, 4, 4), (0, 0, 0, 1, 1))
    assert outline.chunked(2) == Positions((0, 0, 1, 1, 2), (0, 0, 0, 1, 1))
    methods = run_on_1200_tokens(
        tiny, tmp_path, ["hirope-w32-gfit", "hirope-w32-gfit-c16", "hirope-w32-g2-c16"], samples=1
    )
    # 256 tokens in chunks of 16 span 15 units: G = (N - W) // 15 = 32 // 15 = 2, where the outline's 1 gives 24.
    assert methods["hirope-w32-gfit-c16"]["by_length"]["256"]["unit_scales"] == [2]
    assert methods["hirope-w32-gfit"]["by_length"]["256"]["unit_scales"] == [24]
    assert methods["hirope-w32-gfit-c16"]["chunk_tokens"] == 16 and methods["hirope-w32-gfit"]["chunk_tokens"] is None
    ppl = {name: method["by_length"]["256"]["per_sample_last_ppl"] for name, method in methods.items()}
    assert ppl["hirope-w32-gfit-c16"] == ppl["hirope-w32-g2-c16"]  # the fitted G, on the chunks
    assert ppl["hirope-w32-gfit-c16"] != ppl["hirope-w32-gfit"]


def test_two_unit_scales_keep_g_near_the_end_and_fit_the_older_units_into_the_rest() -> None:
    units = (0, 0, 1, 1, 2, 2, 3, 3, 3, 4)
    # The last 4 tokens start in unit 3: near span 1 at G = min(24, 32 // 1) = 24; 32 - 24 = 8 positions
    # are left for the older span of 3, so G2 = 8 // 3 = 2; the farthest pair sits at 3 * 2 + 24 = 30 <= 32.
    near = two_unit_scales(units, 4, window=32, train_length=64, cap=24)
    assert (near.near_scale, near.far_scale) == (24, 2)
    assert near.coordinates == (0, 0, 2, 2, 4, 4, 6, 6, 6, 30)
    whole = two_unit_scales(units, 10, window=32, train_length=64, cap=24)  # every unit near: gfit's G
    assert whole.near_scale == whole.far_scale == 32 // 4 == 8 and whole.coordinates == tuple(8 * u for u in units)
    tight = two_unit_scales(units, 4, window=32, train_length=64, cap=40)  # nothing left: G2 bottoms out at 1
    assert (tight.near_scale, tight.far_scale) == (32, 1)
    assert Method.parse("hirope-w6144-near16384", None, None) == Method(
        "hirope-w6144-near16384", "hirope", 6144, None, DEFAULT_UNIT_SCALE, fit_unit_scale=True, near_tokens=16384
    )
    for wrong in ("hirope-near", "hirope-near0", "hirope-nearx", "hirope-old25", "hirope-near64-old0"):
        with pytest.raises(ValueError, match="unknown method"):
            Method.parse(wrong, 512, None)


def test_older_share_splits_the_far_positions_with_real_valued_scales() -> None:
    units = (0, 0, 1, 1, 2, 2, 3, 3, 3, 4)
    # 25% of N - W = 32 for the older span of 3, 75% (24) for the near span of 1: G = 24, G2 = 8 / 3; the
    # coordinates 8 - (8 / 3) * (3 - u) round down to 0, 2, 5 for units 0-2, then 8 and 8 + 24.
    shared = two_unit_scales(units, 4, window=32, train_length=64, cap=24, older_share=25)
    assert (shared.near_scale, shared.far_scale) == (24, 2.667)
    assert shared.coordinates == (0, 0, 2, 2, 5, 5, 8, 8, 8, 32)
    capped = two_unit_scales(units, 4, window=32, train_length=64, cap=4, older_share=25)  # G at its cap
    assert (capped.near_scale, capped.far_scale) == (4, 4) and capped.coordinates == tuple(4 * u for u in units)
    whole = two_unit_scales(units, 10, window=32, train_length=64, cap=24, older_share=25)  # no older units
    assert whole.near_scale == whole.far_scale == 8 and whole.coordinates == tuple(8 * u for u in units)
    assert Method.parse("hirope-w4096-s0-c8-near16384-old25", None, None) == Method(
        "hirope-w4096-s0-c8-near16384-old25",
        "hirope",
        4096,
        0.0,
        DEFAULT_UNIT_SCALE,
        fit_unit_scale=True,
        chunk_tokens=8,
        near_tokens=16384,
        older_share=25,
    )


def test_near_runs_with_its_two_scales_and_equals_gfit_when_all_units_are_near(
    tiny: LoadedModel, tmp_path: Path
) -> None:
    methods = run_on_1200_tokens(
        tiny,
        tmp_path,
        ["hirope-w32-gfit", "hirope-w32-near256", "hirope-w32-g32-near64", "hirope-w32-g32-near64-old10"],
        samples=2,
    )
    tokenize = lambda text: list(tiny.tokenizer.encode(text, add_special_tokens=False))  # noqa: E731
    expected = [
        two_unit_scales(group_sequence(group, tokenize, 1200).window(1200, 256)[1].unit, 64, 32, 64, 32)
        for group in GROUPS[:2]
    ]
    near = methods["hirope-w32-g32-near64"]["by_length"]["256"]
    assert near["unit_scales"] == [e.near_scale for e in expected]
    assert near["far_unit_scales"] == [e.far_scale for e in expected]
    assert any(e.far_scale < e.near_scale for e in expected)  # the case worth testing occurs
    ppl = {name: method["by_length"]["256"]["per_sample_last_ppl"] for name, method in methods.items()}
    assert ppl["hirope-w32-near256"] == pytest.approx(ppl["hirope-w32-gfit"], rel=1e-4)
    assert methods["hirope-w32-near256"]["by_length"]["256"]["far_unit_scales"] == [24, 16]  # = G: no older units
    assert ppl["hirope-w32-g32-near64"] != ppl["hirope-w32-gfit"]
    shared = methods["hirope-w32-g32-near64-old10"]["by_length"]["256"]
    expected_shared = [
        two_unit_scales(group_sequence(group, tokenize, 1200).window(1200, 256)[1].unit, 64, 32, 64, 32, 10)
        for group in GROUPS[:2]
    ]
    assert shared["far_unit_scales"] == [e.far_scale for e in expected_shared]
    assert ppl["hirope-w32-g32-near64-old10"] != ppl["hirope-w32-g32-near64"]


def test_the_file_option_parses_to_three_levels() -> None:
    assert Method.parse("hirope-w6144-gfit-file", None, None) == Method(
        "hirope-w6144-gfit-file", "hirope", 6144, None, DEFAULT_UNIT_SCALE, fit_unit_scale=True, file_level=True
    )
    assert Method.parse("hirope-file", None, None).file_level
    assert Method.parse("hirope-w32-g4-file-local", None, None).local_fast
    assert not Method.parse("hirope-w6144-gfit", None, None).file_level
    for wrong in ("hirope-files", "hirope-w6144-filex", "file"):
        with pytest.raises(
            ValueError,
            match=r"unknown method.*local, file, cN chunk units, nearL two unit scales, oldP their shares with nearL\)",
        ):
            Method.parse(wrong, 512, None)


def test_file_level_fits_the_file_scale_per_sequence_and_records_it(tiny: LoadedModel, tmp_path: Path) -> None:
    args = eval_args(
        tmp_path,
        lengths=[1200],
        samples=3,
        methods=["hirope-w32-g4", "hirope-w32-g4-file", "flat"],
        variants=False,
        score_tokens=32,
        truncate_chunk=16,
        sequence_tokens=1200,
    )
    run(args, tiny)
    methods = json.loads((tmp_path / "ppl.json").read_text())["methods"]
    tokenize = lambda text: list(tiny.tokenizer.encode(text, add_special_tokens=False))  # noqa: E731
    spans = []
    for group in GROUPS[:3]:
        files = group_sequence(group, tokenize, 1200).window(1200, 1200)[1].file
        assert files is not None and files[0] == 0
        spans.append(files[-1])
    assert spans == [1, 0, 2]  # asyncio's first 1200 tokens span two files, email's one, json+...'s three
    three, two = methods["hirope-w32-g4-file"], methods["hirope-w32-g4"]
    # The tiny model: d/2 = 8 bands, K = 2 (critical ratio at N = 64), so K2 = 2 + (8 - 2) // 2 = 5; F's cap is
    # N - W = 32, and W - 1 + F * span <= N - 1 gives F = 32 // span.
    assert (three["split_band"], three["file_split"], three["file_scale"]) == (2, 5, 32)
    assert two["file_split"] is None and two["file_scale"] == 1 and methods["flat"]["file_split"] is None
    cell = three["by_length"]["1200"]
    assert cell["file_scales"] == [32, 32, 16] == [fitted_file_scale(span, 32, 64, 32) for span in spans]
    assert cell["unit_scales"] == [4, 4, 4] and two["by_length"]["1200"]["file_scales"] is None
    assert methods["flat"]["by_length"]["1200"]["file_scales"] is None
    ppl = {name: method["by_length"]["1200"]["per_sample_last_ppl"] for name, method in methods.items()}
    assert all(a != b for a, b in zip(ppl["hirope-w32-g4-file"], ppl["hirope-w32-g4"], strict=True))


def test_the_engine_beyond_two_training_windows_is_near_2n_old25_at_multiples_of_a_quarter_window() -> None:
    """What `eval ppl` measures as hirope-w32-s0-c8-near128-old25 is the engine's default rule for a tiny model
    (N = 64: W = 32, units of 8 tokens) at lengths that are multiples of N / 4, 32k for the default model."""
    engine = Engine(tiny_loaded())
    for length in (144, 256, 400):
        units = Positions.flat(length).chunked(8).unit
        measured = two_unit_scales(units, 128, window=32, train_length=64, cap=DEFAULT_UNIT_SCALE, older_share=25)
        assert engine.far_positions(Positions.flat(length)).unit == measured.coordinates
