"""The real default model, loaded once per session into a fresh cache directory.

The first `load_model` converts the GGUF into that directory; the second reads the converted copy, which
is what a user's second start does. Tests that use these fixtures are marked slow.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from typing import NamedTuple

import pytest

from hirope_lsp.model.loader import LoadedModel, load_model


class DefaultLoads(NamedTuple):
    first: LoadedModel  # converted the GGUF
    second: LoadedModel  # read the converted cache
    first_stderr: str  # what the first load wrote to sys.stderr (the server's log stream)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hirope-cache")


@pytest.fixture(scope="session")
def default_loads(model_cache: Path) -> DefaultLoads:
    os.environ["HF_HUB_OFFLINE"] = "1"
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        first = load_model("default", cache_dir=model_cache)
    second = load_model("default", cache_dir=model_cache)
    return DefaultLoads(first, second, stderr.getvalue())


@pytest.fixture(scope="session")
def default_model(default_loads: DefaultLoads) -> LoadedModel:
    return default_loads.second
