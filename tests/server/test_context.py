"""Context growth (context.py) with the real engine on a tiny random model and a real indexed repository.

The tiny model's training window is 64 tokens, so tiers of 64, 128, 256... tokens stand in for the
default model's 512, 1024, 2048...
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hirope_lsp.config import ModelSettings, PromptSettings, Settings
from hirope_lsp.index.document import TextEdit
from hirope_lsp.index.repository import Repository
from hirope_lsp.model.engine import Engine, RopeSettings
from hirope_lsp.model.stops import StopRule
from hirope_lsp.prompt.layout import build_prompt
from hirope_lsp.prompt.tokens import CachedTokenizer, TransformersTokenizer
from hirope_lsp.server import context
from hirope_lsp.server.context import GROW, SERVE, ContextGrowth, Cursor
from hirope_lsp.server.model_host import ReadyModel
from tests.model.tiny import tiny_loaded

MAX_TOKENS = 8
NEVER_STOP = StopRule(multiline=True, block_indent=0)
HELPERS = "".join(f"def helper_{i}(value):\n    return value * {i} + {i}\n\n\n" for i in range(12))
MAIN = "from helpers import helper_1, helper_2\n\n\ndef main(x):\n    y = helper_1(x)\n    return helper_2(y)\n"


@pytest.fixture
def model() -> ReadyModel:
    loaded = tiny_loaded()
    engine = Engine(loaded, RopeSettings(window=16), decode_dtype=None)
    return ReadyModel(engine, CachedTokenizer(TransformersTokenizer(loaded.tokenizer)), ModelSettings())


@pytest.fixture
def repository(tmp_path: Path) -> Repository:
    (tmp_path / "helpers.py").write_text(HELPERS)
    (tmp_path / "other.py").write_text("import os\n\n\ndef other():\n    return os.getcwd()\n")
    repository = Repository(tmp_path, cache_dir=tmp_path / ".cache")
    repository.scan()
    repository.open_document(tmp_path / "main.py", MAIN, 1)
    return repository


def settings(latency_ms: float = 1e9) -> Settings:
    return Settings(prompt=PromptSettings(context_multiple=20, cold_tokens=64, latency_ms=latency_ms))


def cursor_at_end(repository: Repository, name: str = "main.py") -> Cursor:
    snapshot = repository.snapshot()
    path = repository.root / name
    return Cursor(snapshot, path, len(snapshot.files[path].bytes), MAX_TOKENS)


def complete(growth: ContextGrowth, model: ReadyModel, settings: Settings, cursor: Cursor) -> int:
    """Run a request as the Completer does; return the prompt's length."""
    prompt = growth.prompt(model, settings, cursor)
    completion = model.engine.complete(prompt.ids, prompt.positions, NEVER_STOP, MAX_TOKENS, slot=SERVE)
    growth.completed(completion)
    return len(prompt.ids)


def type_at_end(repository: Repository, text: str, version: int) -> None:
    document = repository.snapshot().files[repository.root / "main.py"]
    line = document.bytes.count(b"\n")
    repository.apply_edits(repository.root / "main.py", [TextEdit(line, 0, line, 0, text)], "utf-8", version)


def test_the_context_starts_cold_and_doubles_while_idle(model: ReadyModel, repository: Repository) -> None:
    growth, options = ContextGrowth(), settings()
    assert growth.status() is None
    assert complete(growth, model, options, cursor_at_end(repository)) <= 64
    tier, limit = growth.status() or (0, 0)
    assert tier == 64 and limit == 64 * 20 - MAX_TOKENS
    growth.grow(lambda: False)
    assert growth.status() == (128, limit)
    type_at_end(repository, "z", 2)  # typing at the cursor: the grown prompt is still in the cache
    cursor = cursor_at_end(repository)
    prompt = growth.prompt(model, options, cursor)
    assert 64 < len(prompt.ids) <= 128
    assert len(prompt.ids) - model.engine.cached_tokens(prompt.ids, prompt.positions, SERVE) <= 8
    complete(growth, model, options, cursor)
    growth.grow(lambda: False)
    assert growth.status() == (256, limit)


def test_a_stopped_growth_keeps_what_it_computed(
    model: ReadyModel, repository: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(context, "CHUNK_SECONDS", 0.0)  # the smallest chunks: 16 tokens
    growth, options = ContextGrowth(), settings()
    complete(growth, model, options, cursor_at_end(repository))
    checks = iter([False, True])
    growth.grow(lambda: next(checks, True))  # a request arrived during the second chunk
    assert growth.status() == (64, 64 * 20 - MAX_TOKENS)
    cursor = cursor_at_end(repository)
    target = build_prompt(cursor.snapshot, cursor.path, cursor.offset, model.tokenizer, 128)
    partial = model.engine.cached_tokens(target.ids, target.positions, GROW)
    assert 0 < partial < len(target.ids) - 1
    growth.grow(lambda: False)
    assert growth.status() == (128, 64 * 20 - MAX_TOKENS)


def test_a_tier_too_slow_for_the_latency_target_is_given_back(model: ReadyModel, repository: Repository) -> None:
    growth, options = ContextGrowth(), settings(latency_ms=1e-3)  # nothing is fast enough
    complete(growth, model, options, cursor_at_end(repository))
    growth.grow(lambda: False)
    assert growth.status() == (128, 64 * 20 - MAX_TOKENS)
    complete(growth, model, options, cursor_at_end(repository))  # measures the new tier: too slow
    assert growth.status() == (64, 64 * 20 - MAX_TOKENS)
    cursor = cursor_at_end(repository)
    prompt = growth.prompt(model, options, cursor)  # the old tier's cache came back with it
    assert len(prompt.ids) - model.engine.cached_tokens(prompt.ids, prompt.positions, SERVE) <= 4  # healed tail
    growth.grow(lambda: False)
    assert growth.status() == (64, 64 * 20 - MAX_TOKENS)  # and it stays there


def test_another_file_starts_cold_again(model: ReadyModel, repository: Repository) -> None:
    growth, options = ContextGrowth(), settings()
    complete(growth, model, options, cursor_at_end(repository))
    growth.grow(lambda: False)
    complete(growth, model, options, cursor_at_end(repository))
    growth.grow(lambda: False)
    assert growth.status() == (256, 64 * 20 - MAX_TOKENS)
    repository.open_document(repository.root / "other.py", "import os\n\n\ndef other():\n    return os.", 1)
    assert complete(growth, model, options, cursor_at_end(repository, "other.py")) <= 64
    assert growth.status() == (64, 64 * 20 - MAX_TOKENS)


def test_new_settings_start_again(model: ReadyModel, repository: Repository) -> None:
    growth = ContextGrowth()
    complete(growth, model, settings(), cursor_at_end(repository))
    growth.grow(lambda: False)
    narrower = Settings(prompt=PromptSettings(context_multiple=2, cold_tokens=32))
    complete(growth, model, narrower, cursor_at_end(repository))
    assert growth.status() == (32, 64 * 2 - MAX_TOKENS)
