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
from hirope_lsp.model.engine import SMALL_FORWARD, Engine, RopeSettings
from hirope_lsp.model.stops import StopRule
from hirope_lsp.prompt.layout import Prompt, build_prompt
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
    model.engine.complete(prompt.ids, prompt.positions, NEVER_STOP, MAX_TOKENS, slot=SERVE)
    return len(prompt.ids)


class Growth:
    """A ContextGrowth whose `grow` can be told how many tiers to add before it is stopped, as a request would."""

    def __init__(self) -> None:
        self.changes = 0
        self.context = ContextGrowth(on_change=self._changed)

    def _changed(self) -> None:
        self.changes += 1

    def grow(self, tiers: int = 1) -> None:
        stop_at = self.changes + tiers
        self.context.grow(lambda: self.changes >= stop_at)


def type_at_end(repository: Repository, text: str, version: int) -> None:
    document = repository.snapshot().files[repository.root / "main.py"]
    line = document.bytes.count(b"\n")
    repository.apply_edits(repository.root / "main.py", [TextEdit(line, 0, line, 0, text)], "utf-8", version)


LIMIT = 64 * 20 - MAX_TOKENS  # the full budget: 20 training windows, less the tokens to generate
# A request served from the cache recomputes the prompt's lean tail (engine.full_precision_end) and the
# few tokens typing re-tokenized.
RETYPED = SMALL_FORWARD + 4


def uncached(model: ReadyModel, prompt: Prompt) -> int:
    return len(prompt.ids) - model.engine.cached_tokens(prompt.ids, prompt.positions, SERVE)


def test_the_context_starts_cold_and_doubles_while_idle(model: ReadyModel, repository: Repository) -> None:
    growth, options = Growth(), settings()
    assert growth.context.status() is None
    assert complete(growth.context, model, options, cursor_at_end(repository)) <= 64
    assert growth.context.status() == (64, LIMIT)
    growth.grow(tiers=1)
    assert growth.context.status() == (128, LIMIT)
    type_at_end(repository, "z", 2)  # typing at the cursor: the grown prompt is still in the cache
    prompt = growth.context.prompt(model, options, cursor_at_end(repository))
    assert 64 < len(prompt.ids) <= 128
    assert uncached(model, prompt) <= RETYPED
    growth.grow(tiers=100)  # idle for long: it grows until the repository has no more to offer
    tier, _ = growth.context.status() or (0, 0)
    everything = growth.context.prompt(model, options, cursor_at_end(repository))
    assert tier >= 512 and len(everything.ids) < tier  # the whole repository fits
    assert uncached(model, everything) <= RETYPED


def test_a_stopped_growth_keeps_what_it_computed(
    model: ReadyModel, repository: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(context, "CHUNK_SECONDS", 0.0)  # the smallest chunks: 16 tokens
    growth, options = Growth(), settings()
    complete(growth.context, model, options, cursor_at_end(repository))
    checks = iter([False, False, True])
    growth.context.grow(lambda: next(checks, True))  # a request arrived during the second chunk
    assert growth.context.status() == (64, LIMIT)
    cursor = cursor_at_end(repository)
    target = build_prompt(cursor.snapshot, cursor.path, cursor.offset, model.tokenizer, 128)
    partial = model.engine.cached_tokens(target.ids, target.positions, GROW)
    assert 0 < partial < len(target.ids) - 1
    growth.grow(tiers=1)
    assert growth.context.status() == (128, LIMIT)


def test_growth_stops_where_a_line_would_be_too_slow(model: ReadyModel, repository: Repository) -> None:
    growth, options = Growth(), settings(latency_ms=1e-3)  # no tier is fast enough
    complete(growth.context, model, options, cursor_at_end(repository))
    growth.grow(tiers=100)
    assert growth.context.status() == (64, LIMIT)
    prompt = growth.context.prompt(model, options, cursor_at_end(repository))  # still served from its cache
    assert uncached(model, prompt) <= RETYPED


def test_another_file_starts_cold_again(model: ReadyModel, repository: Repository) -> None:
    growth, options = Growth(), settings()
    complete(growth.context, model, options, cursor_at_end(repository))
    growth.grow(tiers=2)
    assert growth.context.status() == (256, LIMIT)
    repository.open_document(repository.root / "other.py", "import os\n\n\ndef other():\n    return os.", 1)
    assert complete(growth.context, model, options, cursor_at_end(repository, "other.py")) <= 64
    assert growth.context.status() == (64, LIMIT)


def test_new_settings_start_again(model: ReadyModel, repository: Repository) -> None:
    growth = Growth()
    complete(growth.context, model, settings(), cursor_at_end(repository))
    growth.grow(tiers=1)
    narrower = Settings(prompt=PromptSettings(context_multiple=2, cold_tokens=32))
    complete(growth.context, model, narrower, cursor_at_end(repository))
    assert growth.context.status() == (32, 64 * 2 - MAX_TOKENS)
