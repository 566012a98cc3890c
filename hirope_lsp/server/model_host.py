"""The model the server completes with: loaded, and reloaded when its settings change, off the event loop.

A load runs on a daemon thread of its own (a GGUF conversion takes tens of seconds, and a daemon
thread never holds up the process's exit). While it runs the state is "loading" and completions are
answered empty at once. A newer load supersedes an older one still running: only the newest
installs its model. The running generation keeps the engine it started with, so a swap never
happens under it.

torch and transformers are imported by the load, not when the server starts, so that the server
answers `initialize` at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from hirope_lsp.config import ModelSettings
from hirope_lsp.prompt.tokens import CachedTokenizer, TransformersTokenizer

if TYPE_CHECKING:
    from hirope_lsp.model.engine import Engine

logger = logging.getLogger(__name__)

ModelState = Literal["loading", "ready", "error"]
Report = Callable[[str], None]

# A change of any of these needs a new engine; the others (token limits) apply to the next request.
RELOAD_FIELDS = ("spec", "dtype", "decode_dtype", "rope", "window", "split", "unit_scale", "unit_tokens")


@dataclass(frozen=True)
class ReadyModel:
    engine: Engine
    tokenizer: CachedTokenizer
    settings: ModelSettings  # what it was loaded with


def needs_reload(old: ModelSettings, new: ModelSettings) -> bool:
    return any(getattr(old, name) != getattr(new, name) for name in RELOAD_FIELDS)


class ModelHost:
    """Holds the ready model (or why there is none) and loads new ones on a background thread."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        """`on_change` is called (on the loading thread) whenever `state` changes."""
        self._on_change = on_change
        self._lock = threading.Lock()
        self._generation = 0  # counts loads; only the newest may install its model
        self.state: ModelState = "loading"
        self.ready: ReadyModel | None = None
        self.error: str | None = None
        self.name = ""
        self.settings = ModelSettings()

    def load(self, settings: ModelSettings, report: Report, done: Report) -> None:
        """Start loading `settings.spec`; `report` and `done` receive progress messages (on the thread)."""
        with self._lock:
            self._generation += 1
            generation = self._generation
            self.state, self.ready, self.error = "loading", None, None
            self.name, self.settings = settings.spec, settings
        self._on_change()
        thread = threading.Thread(
            target=self._load, args=(generation, settings, report, done), name="hirope-load", daemon=True
        )
        thread.start()

    def _load(self, generation: int, settings: ModelSettings, report: Report, done: Report) -> None:
        started = time.monotonic()
        try:
            report(f"loading {settings.spec}")
            ready = _load_ready(settings)
        except Exception as error:  # a bad spec, a broken file, an unsupported architecture: say so, keep serving
            logger.error("cannot load the model %r: %s", settings.spec, error)
            with self._lock:
                if generation != self._generation:
                    return
                self.state, self.error = "error", str(error)
            done(f"failed: {error}")
            self._on_change()
            return
        with self._lock:
            if generation != self._generation:
                logger.info("dropped %s: a newer model load superseded it", settings.spec)
                return
            self.state, self.ready, self.name = "ready", ready, ready.engine.name
        seconds = time.monotonic() - started
        logger.info("model %s ready in %.1f s", ready.engine.name, seconds)
        done(f"{ready.engine.name} ready ({seconds:.1f} s)")
        self._on_change()


def _load_ready(settings: ModelSettings) -> ReadyModel:
    from hirope_lsp.model.engine import Engine, RopeSettings
    from hirope_lsp.model.loader import load_model
    from hirope_lsp.model.packed import FORMATS

    loaded = load_model(settings.spec, dtype=settings.dtype)
    rope = RopeSettings(
        mode=settings.rope,
        window=settings.window,
        split=settings.split,
        unit_scale=settings.unit_scale,
        unit_tokens=settings.unit_tokens,
    )
    engine = Engine(loaded, rope, decode_dtype=FORMATS[settings.decode_dtype])
    return ReadyModel(engine, CachedTokenizer(TransformersTokenizer(loaded.tokenizer)), settings)
