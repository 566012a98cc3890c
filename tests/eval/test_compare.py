"""`hirope-lsp eval compare`: pairing two methods' samples across result files, with hand-computed stats."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from hirope_lsp.cli import main
from hirope_lsp.eval.compare import compare


def ppl_file(path: Path, names: list[str], methods: dict[str, dict[int, list[float]]]) -> Path:
    """The parts of an `eval ppl` JSON that compare reads."""
    data = {
        "eval": "ppl",
        "sequences": [{"name": name, "tokens": 100} for name in names],
        "methods": {
            method: {"by_length": {str(length): {"per_sample_last_ppl": values} for length, values in rows.items()}}
            for method, rows in methods.items()
        },
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def complete_file(path: Path, rows: list[tuple[str, int, str, float, bool]]) -> Path:
    """The parts of an `eval complete` JSON that compare reads: (file, line, budget, similarity, exact)."""
    samples: list[dict[str, Any]] = [
        {"repository": "email", "file": file, "line": line, "budget": budget, "similarity": similarity, "exact": exact}
        for file, line, budget, similarity, exact in rows
    ]
    path.write_text(json.dumps({"eval": "complete", "samples": samples}), encoding="utf-8")
    return path


def test_ppl_pairs_by_sequence_across_files_with_the_paired_t(tmp_path: Path) -> None:
    first = ppl_file(tmp_path / "a.json", ["x", "y"], {"truncate": {32: [4.0, 5.0]}, "hirope": {32: [3.8, 5.5]}})
    second = ppl_file(tmp_path / "b.json", ["z"], {"truncate": {32: [10.0]}, "hirope": {32: [9.0]}})
    comparison = compare([first, second], "truncate", "hirope")
    assert [a.key for a, _ in comparison.pairs] == [("x",), ("y",), ("z",)]
    # Changes -5%, +10%, -10%: mean -5/3; deviations -10/3, 35/3, -25/3 give sd sqrt((100 + 1225 + 625) / 9 / 2).
    assert comparison.changes() == pytest.approx([-5.0, 10.0, -10.0])
    summary = comparison.summary()
    sd = math.sqrt(1950 / 9 / 2)
    assert summary["mean_change"] == pytest.approx(-5 / 3)
    assert summary["sd"] == pytest.approx(sd)
    assert summary["t"] == pytest.approx((-5 / 3) / (sd / math.sqrt(3)))
    assert (summary["better"], summary["worse"], summary["same"]) == (2, 1, 0)  # lower perplexity is better
    assert summary["mean_a"] == pytest.approx(19 / 3) and summary["mean_b"] == pytest.approx(18.3 / 3)


def test_ppl_lengths_pair_a_method_with_itself_at_another_length(tmp_path: Path) -> None:
    both = ppl_file(tmp_path / "p.json", ["x", "y"], {"hirope": {16: [4.0, 5.0], 32: [4.4, 5.0]}})
    with pytest.raises(ValueError, match="2 lengths: pass --length"):
        compare([both], "hirope", "truncate")
    comparison = compare([both], "hirope@16", "hirope", length=32)
    assert comparison.changes() == pytest.approx([10.0, 0.0])
    assert comparison.summary()["same"] == 1
    with pytest.raises(ValueError, match="count of tokens"):
        compare([both], "hirope@x", "hirope", length=32)
    with pytest.raises(ValueError, match="no sample scored by both"):
        compare([both], "hirope@16", "hirope@64")


def test_complete_pairs_cursors_and_each_side_can_read_its_own_files(tmp_path: Path) -> None:
    old = complete_file(
        tmp_path / "old.json",
        [("a.py", 3, "flat:1", 0.5, False), ("a.py", 3, "hirope:2", 0.9, False), ("b.py", 7, "flat:1", 1.0, True)],
    )
    new = complete_file(
        tmp_path / "new.json", [("a.py", 3, "hirope:2", 0.75, False), ("b.py", 7, "hirope:2", 1.0, True)]
    )
    with pytest.raises(ValueError, match=r"0\.9 in .*old\.json but 0\.75 in .*new\.json"):
        compare([old, new], "flat:1", "hirope:2")  # hirope:2 means two rules in the two runs
    comparison = compare([], "flat:1", "hirope:2", a_paths=[old], b_paths=[new])
    assert comparison.changes() == pytest.approx([0.25, 0.0])  # higher similarity is better
    summary = comparison.summary()
    assert (summary["better"], summary["worse"], summary["same"]) == (1, 0, 1)
    assert (summary["exact_a"], summary["exact_b"]) == (1, 1)
    with pytest.raises(ValueError, match="not a mix"):
        compare([old, ppl_file(tmp_path / "p.json", ["x"], {"flat": {8: [2.0]}})], "flat:1", "hirope:2")


def test_line_loss_pairs_cursors_and_lower_is_better(tmp_path: Path) -> None:
    samples = [
        {"file": "a.py", "line": 3, "budget": "flat:1", "line_loss": 2.0, "losses": [1.0, 3.0], "far_names": ["x"]},
        {"file": "a.py", "line": 3, "budget": "hirope:2", "line_loss": 1.5, "losses": [2.0, 1.0], "far_names": ["x"]},
        {"file": "b.py", "line": 7, "budget": "flat:1", "line_loss": 1.0, "losses": [1.0, 1.0], "far_names": []},
        {"file": "b.py", "line": 7, "budget": "hirope:2", "line_loss": 1.25, "losses": [1.0, 1.5], "far_names": []},
    ]
    for sample in samples:
        sample.update(repository="email", token_names=[None, "x"])
    path = tmp_path / "line-loss.json"
    path.write_text(json.dumps({"eval": "line-loss", "samples": samples}), encoding="utf-8")
    comparison = compare([path], "flat:1", "hirope:2")
    assert comparison.changes() == pytest.approx([-0.5, 0.25])
    other = complete_file(tmp_path / "c.json", [("a.py", 3, "flat:1", 0.5, False)])
    with pytest.raises(ValueError, match=r"reads line-loss\.json files"):
        compare([other], "flat:1", "hirope:2", value="far_name_loss")
    summary = comparison.summary()
    assert (summary["better"], summary["worse"], summary["same"]) == (1, 1, 0)  # a lower loss is better
    assert "exact_a" not in summary
    far = compare([path], "flat:1", "hirope:2", value="far_name_loss")  # the token of name x; b.py has no far name
    assert [a.key for a, _ in far.pairs] == [("email", "a.py", "3")] and far.changes() == pytest.approx([-2.0])


def test_the_command_prints_the_pairs_and_fails_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = ppl_file(tmp_path / "a.json", ["x", "y"], {"truncate": {32: [4.0, 5.0]}, "hirope": {32: [3.8, 5.5]}})
    assert main(["eval", "compare", "--a", "truncate", "--b", "hirope", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split() == ["x", "4.0000", "3.8000", "-5.00%"]
    assert out[-1].startswith("2 pairs: mean 4.5000 -> 4.6500; change +2.500% (sd 10.607%, paired t = +0.33")
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\xff\xfe not json")
    assert main(["eval", "compare", "--a", "truncate", "--b", "hirope", str(garbage)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("hirope-lsp: error:") and "not a readable result file" in err and "\n" not in err
    hollow = tmp_path / "hollow.json"
    hollow.write_text(json.dumps({"eval": "ppl", "methods": {"truncate": {"by_length": {"32": {}}}}}), encoding="utf-8")
    assert main(["eval", "compare", "--a", "truncate", "--b", "hirope", str(hollow)]) == 1
    assert "not the layout of `eval ppl` results" in capsys.readouterr().err
    missing = str(tmp_path / "missing.json")
    assert main(["eval", "compare", "--a", "truncate", "--b", "hirope", str(path), "--a-files", missing]) == 1
    assert "No such file" in capsys.readouterr().err
