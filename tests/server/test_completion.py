"""completion.py in-process: the real index and prompt builder, a scripted engine that records what it sees."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hirope_lsp.config import ModelSettings, Settings
from hirope_lsp.hirope.positions import Positions
from hirope_lsp.index.repository import Repository
from hirope_lsp.model.engine import Completion
from hirope_lsp.model.stops import StopRule
from hirope_lsp.prompt.tokens import CachedTokenizer, TransformersTokenizer
from hirope_lsp.server.completion import Completer, CompletionRequest
from hirope_lsp.server.model_host import ModelHost, ReadyModel
from hirope_lsp.server.postprocess import Suggestion
from tests.model.tiny import tiny_tokenizer
from tests.server.conftest import A_PY, B_PY


@dataclass
class ScriptedEngine:
    """Answers every prompt with `text` (cut by the stop rule, as the engine would) and records the calls."""

    text: str
    name: str = "scripted"
    train_length: int = 2048
    calls: list[tuple[Sequence[int], Positions, StopRule, int]] = field(default_factory=list)

    def complete(
        self,
        ids: Sequence[int],
        positions: Positions,
        stop: StopRule,
        max_tokens: int,
        cancel: Callable[[], bool],
        slot: str = "main",
    ) -> Completion:
        self.calls.append((ids, positions, stop, max_tokens))
        if cancel():
            return Completion("", [], "cancelled", len(ids), 0, 0.0, 0.0)
        cut = stop.cut(self.text)
        text = stop.finish(self.text) if cut is None else cut
        return Completion(text, [1, 2, 3], "stop" if cut is not None else "eos", len(ids), 0, 0.0, 0.0)

    def cached_tokens(self, ids: Sequence[int], positions: Positions, slot: str = "main") -> int:
        return 0  # every prompt is new to it


@pytest.fixture(scope="module")
def tokenizer() -> CachedTokenizer:
    return CachedTokenizer(TransformersTokenizer(tiny_tokenizer()))


@pytest.fixture
def repository(tmp_path: Path) -> Repository:
    (tmp_path / "b.py").write_text(B_PY)
    repository = Repository(tmp_path, cache_dir=tmp_path / ".cache")
    repository.scan()
    return repository


def completer_with(engine: ScriptedEngine, tokenizer: CachedTokenizer) -> Completer:
    host = ModelHost(on_change=lambda: None)
    host.state, host.ready = "ready", ReadyModel(engine, tokenizer, ModelSettings())  # type: ignore[arg-type]
    return Completer(host, on_done=lambda: None)


def request_at(repository: Repository, text: str, marker: str, **kwargs: object) -> CompletionRequest:
    """A request with the cursor where `marker` is in `text` (a.py, opened with the marker removed)."""
    path = repository.root / "a.py"
    offset = len(text[: text.index(marker)].encode())
    repository.open_document(path, text.replace(marker, ""), 1)
    return CompletionRequest(repository.snapshot(), path, offset, Settings(), **kwargs)  # type: ignore[arg-type]


def test_block_context_generates_a_block(repository: Repository, tokenizer: CachedTokenizer) -> None:
    engine = ScriptedEngine("result = area * 2\n    return result\nprint('dedented')")
    completer = completer_with(engine, tokenizer)
    text = A_PY.replace("    print(area)\n", "    <|>\n")
    suggestions = completer.complete(request_at(repository, text, "<|>"), lambda: False)
    assert [s.text for s in suggestions] == ["result = area * 2\n    return result"]
    (_, _, stop, max_tokens) = engine.calls[0]
    assert stop == StopRule(multiline=True, block_indent=4) and max_tokens == ModelSettings().max_tokens
    assert completer.stats.last_prompt["files"] == ["b.py", "a.py"] and completer.stats.completed == 1


def test_invoked_at_a_line_end_offers_the_line_and_the_block(
    repository: Repository, tokenizer: CachedTokenizer
) -> None:
    engine = ScriptedEngine(" * 2\n    print(area)\ny = 1")
    completer = completer_with(engine, tokenizer)
    text = A_PY.replace("circle_area(radius)", "circle_area(radius)<|>")
    suggestions = completer.complete(request_at(repository, text, "<|>", variants=True), lambda: False)
    assert [s.text for s in suggestions] == [" * 2", " * 2\n    print(area)"]
    assert engine.calls[0][2] == StopRule(multiline=True, block_indent=4)


def test_automatic_mid_line_is_one_line(repository: Repository, tokenizer: CachedTokenizer) -> None:
    engine = ScriptedEngine("2 * radius)\n    print(area)")
    completer = completer_with(engine, tokenizer)
    text = A_PY.replace("circle_area(radius)", "circle_area(<|>radius)")
    suggestions = completer.complete(request_at(repository, text, "<|>"), lambda: False)
    assert suggestions == [Suggestion("2 * ", replaces_rest=False)]  # "radius)" is there already
    assert not engine.calls[0][2].multiline and engine.calls[0][3] == ModelSettings().max_line_tokens


@pytest.mark.parametrize(("policy", "multiline"), [("line", False), ("block", True)])
def test_the_multiline_setting_fixes_the_shape(
    repository: Repository, tokenizer: CachedTokenizer, policy: str, multiline: bool
) -> None:
    engine = ScriptedEngine("result = area * 2\n    return result")
    completer = completer_with(engine, tokenizer)
    options = Settings(model=ModelSettings(multiline=policy))  # type: ignore[arg-type]
    for text in (A_PY.replace("    print(area)\n", "    <|>\n"), A_PY.replace("circle_area(radius)", "circle_<|>")):
        request = request_at(repository, text, "<|>", variants=True)
        completer.complete(dataclasses.replace(request, settings=options), lambda: False)
        assert engine.calls[-1][2].multiline is multiline
        assert engine.calls[-1][3] == (ModelSettings().max_tokens if multiline else ModelSettings().max_line_tokens)


def test_selected_item_is_part_of_the_prompt(repository: Repository, tokenizer: CachedTokenizer) -> None:
    engine = ScriptedEngine("(radius)")
    completer = completer_with(engine, tokenizer)
    text = A_PY.replace("    print(area)\n", "    circ<|>\n")
    plain = completer.complete(request_at(repository, text, "<|>"), lambda: False)
    continued = completer.complete(request_at(repository, text, "<|>", continuation="le_area"), lambda: False)
    assert [s.text for s in plain] == [s.text for s in continued] == ["(radius)"]
    (ids, positions, _, _), (ids_after, positions_after, _, _) = engine.calls
    extra = tokenizer.encode("le_area")
    assert tuple(ids_after) == (*ids, *extra) and positions_after == positions.extend(len(extra))


def test_cancelled_and_modelless_requests_are_empty(repository: Repository, tokenizer: CachedTokenizer) -> None:
    engine = ScriptedEngine("x")
    completer = completer_with(engine, tokenizer)
    request = request_at(repository, A_PY + "<|>", "<|>")
    assert completer.complete(request, lambda: True) == [] and engine.calls == []  # cancelled before generating
    completer.models.ready = None
    assert completer.complete(request, lambda: False) == []
