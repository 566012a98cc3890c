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


def hirope_lsp(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    command = [str(SCRIPT)] if SCRIPT.is_file() else [sys.executable, "-m", "hirope_lsp.cli"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False)


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


def test_stdio_server_says_it_is_not_built_and_keeps_stdout_clean() -> None:
    result = hirope_lsp("--stdio")
    assert result.returncode == 2
    assert_one_line_error(result, "not built yet")
