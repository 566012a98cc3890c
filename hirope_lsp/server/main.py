"""Entry points: build the server and serve it on stdio or TCP.

`hirope-lsp` (cli.py) and `python -m hirope_lsp.server` both end here; they parse the arguments
themselves, because pygls' own command-line helper rejects the `--stdio` flag that
vscode-languageclient passes.
"""

from __future__ import annotations

import logging

from hirope_lsp.server import custom, features, lifecycle, sync
from hirope_lsp.server.logs import configure_logging, protect_stdout
from hirope_lsp.server.server import HiropeServer

logger = logging.getLogger(__name__)


def create_server() -> HiropeServer:
    """A server with every handler registered and its log records forwarded to the client."""
    server = HiropeServer()
    for module in (lifecycle, sync, features, custom):
        module.register(server)
    logging.getLogger("hirope_lsp").addHandler(server.client_log)
    return server


def parse_address(address: str) -> tuple[str, int]:
    """HOST:PORT (HOST may be empty for localhost)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, got {address!r}")
    return host or "127.0.0.1", int(port)


def serve_stdio(verbosity: int = 0, log_file: str | None = None) -> int:
    """Speak LSP on stdin and stdout until the client says exit (or closes the stream); the exit status."""
    configure_logging(verbosity, log_file)
    stdin, stdout = protect_stdout()
    server = create_server()
    server.start_io(stdin, stdout)
    return 0


def serve_tcp(host: str, port: int, verbosity: int = 0, log_file: str | None = None) -> int:
    """Speak LSP to one client on a TCP socket; the exit status."""
    configure_logging(verbosity, log_file)
    protect_stdout()
    server = create_server()
    logger.info("listening on %s:%d", host, port)
    server.start_tcp(host, port)
    return 0
