"""The tiny random model of tests/model/tiny.py, shared by the eval tests."""

from __future__ import annotations

import pytest

from hirope_lsp.model.loader import LoadedModel
from tests.model.tiny import tiny_loaded


@pytest.fixture(scope="session")
def tiny() -> LoadedModel:
    return tiny_loaded()
