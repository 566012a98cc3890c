"""HiropeServer: the pygls LanguageServer subclass that holds the server's state.

State: the settings, the negotiated position encoding, the repository index, the model host, the
generation worker and the completion statistics. Handlers (lifecycle.py, sync.py, features.py,
custom.py) are thin functions over it.

Threads: the event loop alone talks to the client. Background threads (scan, model load, the
generation worker, watchdog) reach the client only through `call_soon`, which hops onto the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from hirope_lsp import __version__
from hirope_lsp.config import Settings
from hirope_lsp.index.coordinates import Encoding
from hirope_lsp.index.repository import Repository, file_path
from hirope_lsp.server.completion import Completer
from hirope_lsp.server.coordinates import DEFAULT_ENCODING
from hirope_lsp.server.logs import ClientLogHandler
from hirope_lsp.server.model_host import ModelHost
from hirope_lsp.server.protocol import HiropeProtocol
from hirope_lsp.server.worker import Worker

logger = logging.getLogger(__name__)

STATUS = "hirope/status"


class HiropeServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "hirope-lsp",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=HiropeProtocol,
        )
        self.settings = Settings()
        self.pending_problems: list[str] = []  # invalid initializationOptions, shown once initialized
        self.client_log = ClientLogHandler(self)
        self.encoding: Encoding = DEFAULT_ENCODING
        self.repository: Repository | None = None
        self.scan_root = False  # whether the workspace named a root to scan and watch
        self.indexing = False  # whether the initial scan is running
        self.indexed: set[str] = set()  # URIs of the documents open in the index (not binary, not too large)
        self.models = ModelHost(on_change=self.status_changed)
        self.completer = Completer(self.models, on_done=self.status_changed)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._worker: Worker | None = None
        self._status_sent: dict[str, Any] | None = None
        self._stopped = False

    @property
    def worker(self) -> Worker:
        """The generation worker (made on first use, on the running loop)."""
        if self._worker is None:
            self._worker = Worker(asyncio.get_running_loop())
        return self._worker

    def call_soon(self, callback: Callable[..., object], *args: object) -> None:
        """Run `callback(*args)` on the event loop; callable from any thread (dropped once the loop is gone)."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # closed between the check and the call
            loop.call_soon_threadsafe(callback, *args)

    def document_path(self, uri: str) -> Path | None:
        """The file a document URI names, as the index keys it; None for a URI that is not file:."""
        try:
            return file_path(uri)
        except ValueError:
            return None

    def status(self) -> dict[str, Any]:
        """The body of hirope/status."""
        ready = self.models.ready
        settings = self.models.settings
        split, window = settings.split, settings.window
        context = self.completer.context.status()
        if ready is not None:
            window = ready.engine.geometry.window
            split = round(ready.engine.geometry.split / ready.engine.facts.half_dim, 3)
        return {
            "model": self.models.name,
            "state": self.models.state,
            "error": self.models.error,
            "rope": settings.rope,
            "window": window,
            "split": split,
            "unitScale": settings.unit_scale,
            "unitTokens": settings.unit_tokens,
            "indexing": self.indexing,
            "filesIndexed": len(self.repository.snapshot().files) if self.repository else 0,
            "lastLatencyMs": self.completer.stats.last_latency_ms,
            "contextTokens": context[0] if context else None,  # the context grows to contextLimit (context.py)
            "contextLimit": context[1] if context else None,
        }

    def status_changed(self) -> None:
        """Send hirope/status if it changed; callable from any thread."""
        self.call_soon(self._publish_status)

    def _publish_status(self) -> None:
        status, sent = self.status(), self._status_sent or {}
        if status == sent:
            return
        self._status_sent = status
        self.protocol.notify(STATUS, status)
        if status["state"] == "error" and (sent.get("state"), sent.get("error")) != ("error", status["error"]):
            message = f"hirope: cannot load the model {status['model']!r}: {status['error']}"
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))

    def stop(self) -> None:
        """Stop the watcher and the worker (at shutdown, or when the connection ends without one)."""
        if self._stopped:
            return
        self._stopped = True
        if self._worker is not None:
            self._worker.shutdown()
        if self.repository is not None and self.scan_root:
            try:
                self.repository.stop_watching()
            except Exception:
                logger.exception("stopping the file watcher failed")

    def shutdown(self) -> None:
        self.stop()
        super().shutdown()  # type: ignore[no-untyped-call]
