"""The `hirope-lsp` console script, run as a user runs it: stdout carries only the result, and an error
is one line on stderr with a non-zero exit status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hirope_lsp import __version__

FIB = Path(__file__).parent / "fixtures" / "fib.py"
SCRIPT = Path(sys.executable).with_name("hirope-lsp")


def command_line() -> list[str]:
    return [str(SCRIPT)] if SCRIPT.is_file() else [sys.executable, "-m", "hirope_lsp.cli"]


def hirope_lsp(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [*command_line(), *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_version_and_help() -> None:
    version = hirope_lsp("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"hirope-lsp {__version__}"
    for args in (["--help"], ["complete", "--help"]):
        shown = hirope_lsp(*args)
        assert shown.returncode == 0 and "usage: hirope-lsp" in shown.stdout and shown.stderr == ""
    assert "FILE:LINE:COL" in hirope_lsp("complete", "--help").stdout


@pytest.mark.slow
def test_complete_prints_a_function_body() -> None:
    result = hirope_lsp("complete", f"{FIB}:5:5", "--multiline", "--max-tokens", "24")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), result
    assert "Traceback" not in result.stderr


def test_missing_file(tmp_path: Path) -> None:
    assert_one_line_error(hirope_lsp("complete", f"{tmp_path / 'nope.py'}:1:1"), "no such file", "nope.py")


def test_line_past_the_end() -> None:
    assert_one_line_error(hirope_lsp("complete", f"{FIB}:40:1"), "line 40", "past the end", "9 lines")


@pytest.mark.parametrize("location", ["fib.py", "fib.py:3", "fib.py:0:1", "fib.py:1:x"])
def test_malformed_location(location: str) -> None:
    assert_one_line_error(hirope_lsp("complete", location), "LINE")


def test_binary_file(tmp_path: Path) -> None:
    binary = tmp_path / "image.py"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)))
    assert_one_line_error(hirope_lsp("complete", f"{binary}:1:1"), "binary file", "image.py")


def test_directory(tmp_path: Path) -> None:
    assert_one_line_error(hirope_lsp("complete", f"{tmp_path}:1:1"), "is a directory")


def test_unknown_model() -> None:
    assert_one_line_error(hirope_lsp("complete", f"{FIB}:5:5", "--model", "bogus"), "unknown model 'bogus'")


def test_non_positive_window() -> None:
    assert_one_line_error(hirope_lsp("complete", f"{FIB}:5:5", "--window", "0"), "--window")


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_index_prints_files_units_and_tags_per_language(tmp_path: Path) -> None:
    write_tree(
        tmp_path / "project",
        {
            "app.py": "import os\n\n\ndef main():\n    return run()\n\n\ndef run():\n    return 0\n",
            "lib/util.py": "class Tool:\n    def use(self):\n        pass\n",
            "web/main.ts": "export function greet(name: string): string {\n  return name;\n}\n",
            "README.md": "A project.\n\nTwo paragraphs.\n",
            "build/out.py": "x = 1\n",
            ".gitignore": "build/\n",
        },
    )
    result = subprocess.run(
        [*command_line(), "index", str(tmp_path / "project")],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress line when stderr is not a terminal
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[1:-1]}
    # app.py: the import, main, run; util.py: the class. Tags: os (import), main, run (defs), run (call); Tool, use.
    assert rows["python"] == ["2", "4", "6"]
    assert rows["typescript"] == ["1", "1", "1"]
    assert rows["text"] == ["2", "3", "0"]  # README.md (two paragraphs) and .gitignore
    assert rows["total"][0] == "5"  # build/ is ignored
    assert result.stdout.splitlines()[-1].startswith("indexed ") and result.stdout.rstrip().endswith(" s")


def test_index_of_a_missing_directory(tmp_path: Path) -> None:
    assert_one_line_error(hirope_lsp("index", str(tmp_path / "nope")), "not a directory")


@pytest.mark.slow
def test_complete_uses_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_tree(
        repo,
        {
            "headers.py": "def parse_header(line):\n    name, _, value = line.partition(':')\n"
            "    return name.strip().lower(), value.strip()\n",
            "reader.py": "from headers import parse_header\n\n\ndef read(lines):\n    result = {}\n"
            "    for line in lines:\n        name, value = parse_header(line)\n        \n    return result\n",
        },
    )
    (repo / ".git").mkdir()  # the root of the work tree
    result = hirope_lsp("complete", f"{repo / 'reader.py'}:8:9", "--max-tokens", "8", "-vv")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "from 2 files" in next(line for line in result.stderr.splitlines() if "prompt:" in line)
    assert "prompt files, in prompt order: headers.py, reader.py" in result.stderr
