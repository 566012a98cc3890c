"""eval symbols at toy scale: a tiny random model (training window 64) over stdlib code."""

from __future__ import annotations

import json
import random
from pathlib import Path

from hirope_lsp.eval.symbols import INSTRUCTION, build_context, run
from hirope_lsp.model.loader import LoadedModel
from tests.eval.args import eval_args


def test_context_holds_whole_units_and_their_definitions(tiny: LoadedModel) -> None:
    def tokenize(text: str) -> list[int]:
        return list(tiny.tokenizer.encode(text, add_special_tokens=False))

    context = build_context(("json",), tokenize, 3000, random.Random(1))
    assert len(context.ids) <= 3000 and len(context.ids) == len(context.positions)
    assert context.files and context.names
    assert list(context.name_starts) == sorted(context.name_starts)
    assert tiny.tokenizer.decode(list(context.ids)).endswith(INSTRUCTION)


def test_run_writes_json_and_png(tiny: LoadedModel, tmp_path: Path) -> None:
    args = eval_args(tmp_path, samples=1, lengths=[48, 400], modes=["flat", "truncate", "hirope"], max_tokens=8)
    results = run(args, tiny)
    written = json.loads((tmp_path / "symbols.json").read_text())
    assert (tmp_path / "symbols.png").stat().st_size > 1000
    assert set(written["summary"]) == {"48", "400"}
    assert len(written["samples"]) == 6
    long = [s for s in written["samples"] if s["length"] == 400]
    truncated = next(s for s in long if s["mode"] == "truncate")
    assert truncated["prompt_tokens"] <= 64 - 8 < next(s for s in long if s["mode"] == "hirope")["prompt_tokens"]
    assert results["summary"]["400"]["hirope"]["expected"] >= 0
