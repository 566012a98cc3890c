"""The `hirope-lsp eval` command line: its defaults (sized for a 2-core CPU) and its parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from hirope_lsp.cli import _parser
from hirope_lsp.eval.corpus import GROUPS, TokenSequence, group_files
from hirope_lsp.hirope.positions import Positions


def test_eval_defaults() -> None:
    ppl = _parser().parse_args(["eval", "ppl"])
    assert (ppl.command, ppl.eval, ppl.lengths, ppl.samples, ppl.dtype) == (
        "eval",
        "ppl",
        [2048, 8192, 16384],
        1,
        "bfloat16",
    )
    assert ppl.methods == ["flat", "truncate", "hirope", "dynamic", "yarn"] and not ppl.variants
    complete = _parser().parse_args(["eval", "complete", "--budgets", "hirope:4", "--device", "cuda", "--seed", "7"])
    assert (complete.budgets, complete.device, complete.seed, complete.out) == (["hirope:4"], "cuda", 7, "eval-results")
    assert (complete.samples, complete.repos, complete.max_tokens, complete.unit_tokens) == (2, ["email"], 32, 8)
    prompts = _parser().parse_args(["eval", "prompts", "--seed", "3", "--samples", "10", "--repos", "email", "asyncio"])
    assert (prompts.seed, prompts.samples, prompts.repos, prompts.max_tokens) == (3, 10, ["email", "asyncio"], 32)
    assert prompts.budgets == ["flat:0.0625", "flat:0.25", "flat:1", "hirope:2"]
    lines = _parser().parse_args(["eval", "line-loss", "--new-names", "flat:1", "hirope:2", "--repos", "asyncio"])
    assert not complete.code_lines and _parser().parse_args(["eval", "prompts", "--code-lines"]).code_lines
    assert (lines.budgets, lines.new_names, lines.repos, lines.unit_tokens) == (
        ["flat:1", "hirope:2"],
        ["flat:1", "hirope:2"],
        ["asyncio"],
        8,
    )
    symbols = _parser().parse_args(["eval", "symbols", "--lengths", "8192", "32768"])
    assert symbols.lengths == [8192, 32768] and symbols.modes == ["truncate", "hirope"] and symbols.samples == 1


def test_eval_needs_an_evaluation_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["eval"])
    assert "EVAL" in capsys.readouterr().err


def test_a_bucket_is_the_tokens_ending_at_the_end_with_units_from_zero() -> None:
    sequence = TokenSequence("g", tuple(range(10)), Positions((0, 0, 1, 1, 1, 2, 3, 3, 4, 4)))
    ids, positions = sequence.window(10, 4)
    assert ids == [6, 7, 8, 9] and positions.unit == (0, 0, 1, 1)
    with pytest.raises(ValueError):
        sequence.window(10, 11)
    assert len(GROUPS) == 14


def test_group_files_leave_out_test_suites_at_any_depth(tmp_path: Path) -> None:
    for relative in ("pkg/__init__.py", "pkg/core.py", "pkg/sub/x.py", "pkg/test/t.py", "pkg/sub/tests/t.py",
                     "pkg/idle_test/t.py", "pkg/testing.py", "other/y.py"):  # fmt: skip
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x = 1\n")
    files = [path.relative_to(tmp_path).as_posix() for path in group_files(("pkg",), tmp_path)]
    assert files == ["pkg/__init__.py", "pkg/core.py", "pkg/sub/x.py", "pkg/testing.py"]
    with pytest.raises(FileNotFoundError, match="no package 'missing'"):
        group_files(("missing",), tmp_path)
