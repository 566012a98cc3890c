"""Where the server's logs go: stderr, an optional file, and the client (window/logMessage).

stdout carries the protocol and nothing else: `protect_stdout` points sys.stdout at stderr once the
protocol holds the real stream, so that a stray print (ours or a library's) cannot corrupt a message.

Levels: -v on the command line sets stderr and the file (warnings by default, -v info, -vv debug);
the `logLevel` setting sets what the client receives. Only the `hirope_lsp` loggers reach the client:
pygls logs every message it sends, and forwarding those would send a message about each message.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from typing import TYPE_CHECKING, BinaryIO

from lsprotocol import types

if TYPE_CHECKING:
    from hirope_lsp.server.server import HiropeServer

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
MESSAGE_TYPES = {
    logging.DEBUG: types.MessageType.Debug,
    logging.INFO: types.MessageType.Info,
    logging.WARNING: types.MessageType.Warning,
    logging.ERROR: types.MessageType.Error,
}


class ClientLogHandler(logging.Handler):
    """Sends log records to the client as window/logMessage (from any thread, through the event loop)."""

    def __init__(self, server: HiropeServer, level: str = "info") -> None:
        super().__init__(LEVELS[level])
        self._server = server
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def set_level(self, level: str) -> None:
        self.setLevel(LEVELS[level])

    def emit(self, record: logging.LogRecord) -> None:
        try:
            kind = MESSAGE_TYPES.get(record.levelno, types.MessageType.Error)
            params = types.LogMessageParams(type=kind, message=self.format(record))
            self._server.call_soon(self._server.window_log_message, params)
        except Exception:
            self.handleError(record)


def configure_logging(verbosity: int, log_file: str | None) -> None:
    """stderr (and `log_file`) at the level -v asks for; the hirope_lsp loggers pass everything on."""
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file))
    for handler in handlers:
        handler.setLevel(level)
        handler.setFormatter(logging.Formatter(FORMAT))
    logging.basicConfig(level=level, handlers=handlers, force=True)
    logging.getLogger("hirope_lsp").setLevel(logging.DEBUG)  # the handlers filter; the client's may want debug
    if verbosity < 2:
        logging.getLogger("pygls").setLevel(logging.WARNING)  # at info, pygls logs the body of every message
    # Third-party chatter (progress bars, advice) belongs to no one's log.
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if verbosity < 2:
        warnings.filterwarnings("ignore")


def protect_stdout() -> tuple[BinaryIO, BinaryIO]:
    """The real stdin and stdout for the protocol; sys.stdout is stderr from now on."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    return stdin, stdout
