"""Shared fixtures for the index tests: the fixture files, one small realistic file per language."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hirope_lsp.index.document import Document
from hirope_lsp.index.languages import language_for_path


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def fixture_document(fixtures_dir: Path) -> Callable[[str], Document]:
    """A factory: a fresh Document for a fixture file, by name."""

    def load(name: str) -> Document:
        path = fixtures_dir / name
        return Document.from_bytes(str(path), path.read_bytes(), language_for_path(path))

    return load
