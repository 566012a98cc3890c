"""eval prompts at toy scale: the removed line's names in the prompt, at complete's cursors."""

from __future__ import annotations

import json
from pathlib import Path

from hirope_lsp.eval import complete, prompts
from hirope_lsp.eval.metrics import code_names
from hirope_lsp.model.loader import LoadedModel
from tests.eval.args import eval_args
from tests.eval.toyrepo import MAIN, SHAPES


def test_prompts_at_completes_cursors_hold_the_names_the_repository_gives(
    tiny: LoadedModel, repo_root: Path, tmp_path: Path
) -> None:
    # The tiny model's training window is 64 tokens: flat:1 is a 60-token prompt, flat:64 holds the whole toy
    # repository.
    common = {"samples": 4, "repos": ["pkg"], "root": str(repo_root), "max_tokens": 4}
    results = prompts.run(eval_args(tmp_path / "prompts", budgets=["flat:1", "flat:64"], **common), tiny)
    written = json.loads((tmp_path / "prompts" / "prompts.json").read_text())
    assert (tmp_path / "prompts" / "prompts.png").stat().st_size > 1000
    assert written["summary"] == results["summary"] and written["eval"] == "prompts"
    rows = written["samples"]
    assert [row["budget"] for row in rows] == ["flat:1", "flat:64"] * 4

    complete.run(eval_args(tmp_path / "complete", budgets=["flat:1"], **common), tiny)
    completed = json.loads((tmp_path / "complete" / "complete.json").read_text())["samples"]
    assert [(row["file"], row["line"]) for row in rows[::2]] == [(row["file"], row["line"]) for row in completed]
    assert [row["names_in_prompt"] for row in rows[::2]] == [row["names_in_prompt"] for row in completed]

    for row in rows:
        assert row["names"] == sorted(code_names(row["expected"]))
        assert set(row["names_in_prompt"]) <= set(row["names"])
    for small, large in zip(rows[::2], rows[1::2], strict=True):
        assert small["prompt_tokens"] <= 60 < large["prompt_tokens"]
        other = MAIN if small["file"] == "shapes.py" else SHAPES
        # The whole repository is in the large prompt: the other file's names are all held there.
        assert set(large["names"]) & code_names(other) <= set(large["names_in_prompt"])
        assert set(small["names_in_prompt"]) <= set(large["names_in_prompt"])

    large_rows = rows[1::2]
    held = sum(len(row["names_in_prompt"]) for row in large_rows) / sum(len(row["names"]) for row in large_rows)
    summary = written["summary"]["flat:64"]
    assert summary["names_held"] == held and summary["count"] == 4
    assert summary["cursors_with_every_name"] == sum(row["names_in_prompt"] == row["names"] for row in large_rows)
    assert summary["names_held"] > written["summary"]["flat:1"]["names_held"]


def test_prompts_take_completes_new_names_cursors_and_truncate_budgets(
    tiny: LoadedModel, repo_root: Path, tmp_path: Path
) -> None:
    chosen = {"samples": 2, "repos": ["pkg"], "root": str(repo_root), "max_tokens": 4}
    chosen["new_names"] = ["flat:1", "flat:4"]
    budgets = ["flat:1", "truncate:4", "flat:4"]
    prompts.run(eval_args(tmp_path / "prompts", budgets=budgets, **chosen), tiny)
    rows = json.loads((tmp_path / "prompts" / "prompts.json").read_text())["samples"]
    complete.run(eval_args(tmp_path / "complete", budgets=["flat:1"], **chosen), tiny)
    completed = json.loads((tmp_path / "complete" / "complete.json").read_text())["samples"]
    assert [(row["file"], row["line"]) for row in rows[::3]] == [(row["file"], row["line"]) for row in completed]
    for small, cut, large in zip(rows[::3], rows[1::3], rows[2::3], strict=True):
        assert set(large["names_in_prompt"]) - set(small["names_in_prompt"])  # what --new-names chose
        assert cut["prompt_tokens"] == 60 and set(cut["names_in_prompt"]) <= set(large["names_in_prompt"])
