"""Work-done progress ($/progress begin, report, end) for work that runs on background threads.

The server starts progress itself, so LSP wants the client's consent first: a
window/workDoneProgress/create request, sent only when the client's capabilities say it shows
progress (window.workDoneProgress). Without it, or when the request fails, progress is silently
not shown; the work runs the same.

The work starts before the client has answered (a model load must not wait on the editor), so it
may report or end before `begin` was sent. Everything is sent from the event loop, in order: reports
that come too early are dropped, and an early end is held until `begin` has gone out.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from hirope_lsp.server.server import HiropeServer

logger = logging.getLogger(__name__)


class ProgressBar:
    """One piece of work-done progress: make it, start the work, then await `begin`.

    `report` and `end` may be called from any thread."""

    def __init__(self, server: HiropeServer, title: str, message: str | None = None) -> None:
        self._server = server
        self._title = title
        self._message = message
        self._token: str | None = None  # set once begin has been sent
        self._early_end: str | None = None
        self._ended = False

    async def begin(self) -> None:
        window = self._server.client_capabilities.window
        if window is None or not window.work_done_progress:
            return
        token = f"hirope-{uuid.uuid4()}"
        try:
            await self._server.work_done_progress.create_async(token)
        except Exception as error:  # the client refused: go on without progress
            logger.info("no progress for %r: %s", self._title, error)
            return
        value = types.WorkDoneProgressBegin(title=self._title, message=self._message)
        self._server.work_done_progress.begin(token, value)
        self._token = token
        if self._early_end is not None:
            self._end(self._early_end)

    def report(self, message: str) -> None:
        self._server.call_soon(self._report, message)

    def end(self, message: str) -> None:
        self._server.call_soon(self._end, message)

    def _report(self, message: str) -> None:
        if self._token is not None and not self._ended:
            self._server.work_done_progress.report(self._token, types.WorkDoneProgressReport(message=message))

    def _end(self, message: str) -> None:
        if self._token is None:
            self._early_end = message
        elif not self._ended:
            self._ended = True
            self._server.work_done_progress.end(self._token, types.WorkDoneProgressEnd(message=message))
