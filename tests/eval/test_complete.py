"""eval complete at toy scale: a tiny random model over a two-file repository."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from hirope_lsp.eval.complete import (
    Budget,
    Cursor,
    body_lines,
    candidate_cursors,
    names_held,
    run,
    sample_cursors,
    string_lines,
)
from hirope_lsp.eval.metrics import code_names
from hirope_lsp.eval.report import engines_by_mode
from hirope_lsp.index.document import Document
from hirope_lsp.index.languages import language_for_path
from hirope_lsp.index.outline import top_level_units
from hirope_lsp.index.repository import Repository
from hirope_lsp.model.loader import LoadedModel
from hirope_lsp.prompt.tokens import CachedTokenizer, TransformersTokenizer
from tests.eval.args import eval_args
from tests.eval.toyrepo import SHAPES


def test_cursors_are_code_lines_of_function_bodies(repo_root: Path, tmp_path: Path) -> None:
    repository = Repository(repo_root / "pkg", cache_dir=tmp_path / "cache")
    repository.scan()
    cursors = sample_cursors(repository, 8, random.Random(0))
    expected = {
        "squared = radius ** 2",
        "return math.pi * squared",
        "self.name = name",
        'text = f"{self.name} of area {area(1)}"',
        "return text.upper()",
        "shapes = [Shape(name) for name in names]",
        "for shape in shapes:",
        "print(shape.describe())",
        "return len(shapes)",
    }
    assert {cursor.expected for cursor in cursors} <= expected
    with pytest.raises(ValueError, match="candidate lines"):
        sample_cursors(repository, 50, random.Random(0))


def test_code_lines_leave_out_the_lines_inside_a_docstring(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    source = (
        'def f(x):\n    """Return the value\n    of x doubled, for everyone.\n    """\n'
        "    value = x * 2\n    return value\n"
    )
    (package / "doc.py").write_text(source)
    repository = Repository(package, cache_dir=tmp_path / "cache")
    repository.scan()
    assert [c.expected for c in candidate_cursors(repository)] == [
        "of x doubled, for everyone.",
        "value = x * 2",
        "return value",
    ]
    assert [c.expected for c in candidate_cursors(repository, code_lines=True)] == ["value = x * 2", "return value"]
    assert string_lines('x = 1\ns = """a\nb\nc"""\n') == {2, 3}  # 0-based: the lines after the string's first
    assert string_lines('s = """never closed\n') == frozenset()  # untokenizable: nothing left out


def test_cut_text_keeps_the_indentation_and_puts_the_cursor_after_it(tmp_path: Path) -> None:
    cursor = Cursor(tmp_path, tmp_path / "a.py", 2, "    ", "return 1")
    cut, offset = cursor.cut_text("def f():\n    x = 1\n    return 1\n")
    assert cut == "def f():\n    x = 1\n    \n"
    assert cut[:offset] == "def f():\n    x = 1\n    "


def test_body_lines_skip_the_definition_line() -> None:
    data = SHAPES.encode()
    units = tuple(top_level_units(Document.from_bytes("s.py", data, language_for_path(Path("s.py")))))
    lines = SHAPES.split("\n")
    assert [lines[i].strip() for i in body_lines(data, units)][:3] == [
        '"""The area."""',
        "squared = radius ** 2",
        "return math.pi * squared",
    ]


def test_budgets_parse_and_reject_unknown_modes() -> None:
    assert Budget.parse("hirope:2") == Budget("hirope:2", "hirope", 2.0, truncate=False)
    assert Budget.parse("truncate:2") == Budget("truncate:2", "flat", 2.0, truncate=True)
    for label in ("yarn:2", "flat:0", "hirope", "flat:x"):
        with pytest.raises(ValueError, match="MODE:MULTIPLE"):
            Budget.parse(label)


def test_a_truncate_budget_is_the_larger_prompt_cut_to_the_window(
    tiny: LoadedModel, repo_root: Path, tmp_path: Path
) -> None:
    repository = Repository(repo_root / "pkg", cache_dir=tmp_path / "cache")
    repository.scan()
    tokenizer = CachedTokenizer(TransformersTokenizer(tiny.tokenizer))
    cursor = next(c for c in candidate_cursors(repository) if c.path.name == "main.py")
    full = Budget.parse("hirope:4").prompt(repository, cursor, tokenizer, 64, 4)
    cut = Budget.parse("truncate:4").prompt(repository, cursor, tokenizer, 64, 4)
    assert len(full.ids) > 60 and cut.ids == full.ids[-60:] and cut.positions == full.positions[-60:]
    dropped = len(full.ids) - 60
    assert cut.context_tokens == max(0, full.context_tokens - dropped)
    assert cut.files == full.files[len(full.files) - len(cut.files) :] and cut.files[-1] == "main.py"
    text = tiny.tokenizer.decode(list(cut.ids))
    assert all(name in text for name in cut.files[1:])  # the first kept file may have lost its header
    assert all(name not in text for name in full.files[: len(full.files) - len(cut.files)])
    short = Budget.parse("truncate:0.5").prompt(repository, cursor, tokenizer, 64, 4)
    assert short == Budget.parse("flat:0.5").prompt(repository, cursor, tokenizer, 64, 4)  # within the window


def test_run_writes_json_and_png(tiny: LoadedModel, repo_root: Path, tmp_path: Path) -> None:
    args = eval_args(
        tmp_path / "out", samples=3, repos=["pkg"], root=str(repo_root), budgets=["flat:2", "hirope:4"], max_tokens=6
    )
    results = run(args, tiny)
    written = json.loads((tmp_path / "out" / "complete.json").read_text())
    assert (tmp_path / "out" / "complete.png").stat().st_size > 1000
    assert written["summary"] == results["summary"]
    assert len(written["samples"]) == 6
    for label in ("flat:2", "hirope:4"):
        row = written["summary"][label]
        assert row["count"] == 3 and 0 <= row["exact_match"] <= 1 and 0 <= row["edit_similarity"] <= 1
    assert all(sample["prompt_tokens"] > 0 and sample["seconds"] > 0 for sample in written["samples"])
    for sample in written["samples"]:
        assert sample["names"] == sorted(code_names(sample["expected"]))
        assert set(sample["names_in_prompt"]) <= set(sample["names"])


def test_names_held_are_the_lines_names_that_the_prompt_mentions() -> None:
    names, held = names_held("total = area(radius) + self.count", "def area(radius):\n    return radius_squared")
    assert names == ["area", "count", "radius", "self", "total"]
    assert held == ["area", "radius"]  # whole identifiers: radius_squared is not radius


def test_the_runs_units_reach_every_hirope_engine(tiny: LoadedModel, repo_root: Path, tmp_path: Path) -> None:
    engines = engines_by_mode(tiny, ["flat", "hirope", "flat"], eval_args(tmp_path, unit_tokens=4))
    assert list(engines) == ["flat", "hirope"]
    assert engines["flat"].rope.mode == "flat" and engines["hirope"].rope.mode == "hirope"
    assert engines["hirope"].rope.unit_tokens == 4 and engines["hirope"].rope.window == 16
    assert engines_by_mode(tiny, ["hirope"], eval_args(tmp_path, unit_tokens=None))["hirope"].rope.unit_tokens is None
    args = eval_args(
        tmp_path / "out",
        samples=1,
        repos=["pkg"],
        root=str(repo_root),
        budgets=["hirope:4"],
        max_tokens=4,
        unit_tokens=4,
    )
    run(args, tiny)
    assert json.loads((tmp_path / "out" / "complete.json").read_text())["settings"]["unit_tokens"] == 4


def test_new_names_keeps_the_cursors_whose_larger_prompt_holds_a_name_the_smaller_lacks(
    tiny: LoadedModel, repo_root: Path, tmp_path: Path
) -> None:
    # The tiny model's training window is 64 tokens: flat:1 is a 60-token prompt, flat:64 the whole repository.
    common = {"repos": ["pkg"], "root": str(repo_root), "budgets": ["flat:1", "flat:64"], "max_tokens": 4}
    run(eval_args(tmp_path / "out", samples=2, new_names=["flat:1", "flat:64"], **common), tiny)
    written = json.loads((tmp_path / "out" / "complete.json").read_text())
    assert written["settings"]["new_names"] == ["flat:1", "flat:64"]
    samples = written["samples"]
    assert len(samples) == 4
    for small, large in zip(samples[::2], samples[1::2], strict=True):
        assert (small["budget"], large["budget"]) == ("flat:1", "flat:64") and small["line"] == large["line"]
        assert set(large["names_in_prompt"]) - set(small["names_in_prompt"])
    with pytest.raises(ValueError, match="qualify"):
        run(eval_args(tmp_path / "none", samples=1, new_names=["flat:64", "flat:1"], **common), tiny)
