"""The real server over stdio (pytest-lsp), a small repository on disk, and a tiny model saved to disk.

The tiny model is tests/model/tiny.py's random Llama with its weights set so that it always predicts
the token "x": completions are "xxx...", never end early, and so run exactly as many decode steps
as the token limit allows, which makes timing-dependent tests (cancellation, bursts) deterministic.
It loads in a fraction of a second, so that a settings change that reloads the model is fast.

The servers keep their index caches in a temporary directory (XDG_CACHE_HOME), not the user's
(each test's repository has a root of its own, so no cache entry serves two tests); only the
end-to-end test uses the user's cache, where the default model's converted copy lives.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
import torch
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.model.tiny import tiny_loaded

SERVER = [sys.executable, "-m", "hirope_lsp.cli", "--stdio"]
QUIET = {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}

A_PY = """from b import circle_area


def report(radius):
    area = circle_area(radius)
    print(area)
"""
B_PY = '''"""Shapes."""

PI = 3.14159


def circle_area(radius):
    """The area of a circle."""
    return PI * radius * radius
'''


def save_x_model(directory: Path, seed: int = 0) -> Path:
    """A tiny model that always predicts "x", saved with its tokenizer as a model directory."""
    loaded = tiny_loaded(seed)
    model, tokenizer = loaded.model, loaded.tokenizer
    (target,) = tokenizer.encode("x", add_special_tokens=False)
    with torch.no_grad():
        # Residual dimension 0 holds a large constant that no layer writes to, so the final norm's
        # output is positive there, and only "x" reads it.
        model.model.embed_tokens.weight[:, 0] = 100.0
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight[0, :] = 0.0
            layer.mlp.down_proj.weight[0, :] = 0.0
        model.lm_head.weight.zero_()
        model.lm_head.weight[target, 0] = 1.0
    model.save_pretrained(str(directory))
    tokenizer.save_pretrained(str(directory))
    return directory


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_x_model(tmp_path_factory.mktemp("tiny-x-model"))


@pytest.fixture(scope="session")
def other_tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_x_model(tmp_path_factory.mktemp("other-tiny-x-model"), seed=1)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """a.py calls circle_area, which b.py defines."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "a.py").write_text(A_PY)
    (root / "b.py").write_text(B_PY)
    return root


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=SERVER, server_env={**os.environ, **QUIET, "XDG_CACHE_HOME": tempfile.mkdtemp("-hirope-test")}
    )
)
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    """A client connected to a fresh server; the test initializes it (session.py)."""
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, server_env={**os.environ, **QUIET}))
async def user_cache_client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    """A client connected to a server that uses the user's cache (the default model's converted copy)."""
    yield
    await lsp_client.shutdown_session()
