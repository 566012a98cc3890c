"""eval line-loss at toy scale: the removed line's token losses after each budget's prompt, at complete's cursors."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from hirope_lsp.eval import complete, lineloss
from hirope_lsp.eval.metrics import code_names
from hirope_lsp.index.repository import Repository
from hirope_lsp.model.engine import Engine, RopeSettings
from hirope_lsp.model.healing import TokenHealer
from hirope_lsp.model.loader import LoadedModel
from hirope_lsp.prompt.tokens import CachedTokenizer, TransformersTokenizer
from tests.eval.args import eval_args


def test_token_names_are_the_name_spans_each_token_overlaps() -> None:
    text = "    return self.total(x, None)"
    # Identifiers at 4-10 (return, a keyword), 11-15 self, 16-21 total, 22-23 x, 25-29 None (a keyword).
    assert lineloss.name_spans(text) == [(11, 15, "self"), (16, 21, "total"), (22, 23, "x")]
    offsets = [(0, 4), (4, 10), (10, 15), (15, 16), (16, 19), (19, 22), (22, 23), (23, 30)]
    assert lineloss.token_names(offsets, lineloss.name_spans(text)) == [
        None,
        None,
        "self",
        None,
        "total",
        "total",
        "x",
        None,
    ]


def test_line_loss_at_completes_cursors_scores_the_removed_line(
    tiny: LoadedModel, repo_root: Path, tmp_path: Path
) -> None:
    # The tiny model's training window is 64 tokens: flat:1 is a 60-token prompt, hirope:4 holds the toy repository,
    # truncate:4 is its last 60 tokens.
    common = {"samples": 2, "repos": ["pkg"], "root": str(repo_root), "max_tokens": 4}
    chosen = {"new_names": ["flat:1", "hirope:4"], **common}
    budgets = ["flat:1", "truncate:4", "hirope:4"]
    results = lineloss.run(eval_args(tmp_path / "lines", budgets=budgets, **chosen), tiny)
    written = json.loads((tmp_path / "lines" / "line-loss.json").read_text())
    assert (tmp_path / "lines" / "line-loss.png").stat().st_size > 1000
    assert written["eval"] == "line-loss" and written["settings"]["new_names"] == ["flat:1", "hirope:4"]
    assert written["summary"] == results["summary"]
    rows = written["samples"]
    assert [row["budget"] for row in rows] == budgets * 2
    assert [row["prompt_tokens"] for row in rows[1::3]] == [60, 60]

    complete.run(eval_args(tmp_path / "complete", budgets=["flat:1"], **chosen), tiny)
    completed = json.loads((tmp_path / "complete" / "complete.json").read_text())["samples"]
    assert [(row["file"], row["line"]) for row in rows[::3]] == [(row["file"], row["line"]) for row in completed]

    for row in rows:
        assert "".join(row["tokens"]).endswith(row["expected"])  # the healed tail, then the line
        assert len(row["tokens"]) == len(row["losses"]) == len(row["token_names"])
        assert row["line_loss"] == pytest.approx(statistics.fmean(row["losses"]))
        assert row["names"] == sorted(code_names(row["expected"]))
        assert {name for name in row["token_names"] if name} == set(row["names"])  # every name, scored

    def far_losses(row: dict[str, object]) -> list[float]:
        pairs = zip(row["losses"], row["token_names"], strict=True)  # type: ignore[call-overload]
        return [loss for loss, name in pairs if name in row["far_names"]]  # type: ignore[operator]

    pairs = list(zip(rows[::3], rows[2::3], strict=True))  # flat:1 and hirope:4 at each cursor
    for first, last in pairs:
        far = sorted(set(last["names_in_prompt"]) - set(first["names_in_prompt"]))
        assert far  # --new-names chose the cursors so
        for row in rows:
            if row["line"] == first["line"] and row["file"] == first["file"]:
                assert row["far_names"] == far and row["far_name_loss"] == pytest.approx(
                    statistics.fmean(far_losses(row))
                )

    summary = written["summary"]["hirope:4"]
    assert summary["line_loss"] == pytest.approx(statistics.fmean(row["line_loss"] for row in rows[2::3]))
    assert summary["far_name_loss"] == pytest.approx(statistics.fmean(x for row in rows[2::3] for x in far_losses(row)))
    assert summary["cursors_with_far_names"] == 2 and summary["count"] == 2
    paired = written["against_first"]["hirope:4"]
    changes = [b["line_loss"] - a["line_loss"] for a, b in pairs]
    assert paired["pairs"] == 2 and paired["line_loss"]["mean_change"] == pytest.approx(statistics.fmean(changes))
    far_changes = [statistics.fmean(far_losses(b)) - statistics.fmean(far_losses(a)) for a, b in pairs]
    assert paired["far_name_loss"]["mean_change"] == pytest.approx(statistics.fmean(far_changes))

    with pytest.raises(ValueError, match="two budgets or --new-names"):
        lineloss.run(eval_args(tmp_path / "one", budgets=["flat:1"], **common), tiny)


@pytest.mark.parametrize("mode", ["flat", "hirope"])
def test_the_losses_are_the_models_own_after_the_healed_prompt(
    tiny: LoadedModel, repo_root: Path, tmp_path: Path, mode: str
) -> None:
    """score_line against the model's logits over the healed prompt and the line, the line's tokens placed as
    generated ones: in the cursor's unit (the outline's units here)."""
    engine = Engine(tiny, RopeSettings(mode="hirope" if mode == "hirope" else "flat", window=16, unit_tokens=None))
    repository = Repository(repo_root / "pkg", cache_dir=tmp_path / "cache")
    repository.scan()
    cursor = complete.candidate_cursors(repository)[0]
    tokenizer = CachedTokenizer(TransformersTokenizer(tiny.tokenizer))
    prompt = complete.prompt_at(repository, cursor, tokenizer, 4 * engine.train_length)
    assert len(prompt.ids) > engine.train_length  # beyond the window: HiRoPE differs from flat here
    healer = TokenHealer(tiny.tokenizer)
    scored = lineloss.score_line(engine, healer, prompt, cursor.expected)

    healed, count = healer.tail(prompt.ids, engine.stop_ids)
    kept = len(prompt.ids) - count
    line = tiny.tokenizer(healed + cursor.expected, add_special_tokens=False)["input_ids"]
    ids = list(prompt.ids[:kept]) + line
    positions = prompt.positions[:kept].extend(len(line)) if mode == "hirope" else None
    logits = engine.prompt_logits(ids, positions).float()
    expected = F.cross_entropy(logits[kept - 1 : -1], torch.tensor(line), reduction="none")
    assert scored.losses == pytest.approx(expected.tolist(), abs=1e-4)
    assert "".join(scored.tokens) == healed + cursor.expected
