"""Shared by the eval tests: the tiny random model of tests/model/tiny.py, and a two-file repository
(`repo_root`, its package `pkg`) for the evals at cursors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hirope_lsp.model.loader import LoadedModel
from tests.eval.toyrepo import MAIN, SHAPES
from tests.model.tiny import tiny_loaded


@pytest.fixture(scope="session")
def tiny() -> LoadedModel:
    return tiny_loaded()


@pytest.fixture()
def repo_root(tmp_path: Path) -> Path:
    package = tmp_path / "root" / "pkg"
    package.mkdir(parents=True)
    (package / "shapes.py").write_text(SHAPES)
    (package / "main.py").write_text(MAIN)
    return tmp_path / "root"
