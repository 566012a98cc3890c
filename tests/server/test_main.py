"""The entry points as processes: stdout carries only the protocol, logs go to stderr and --log-file, TCP works."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.server.conftest import QUIET

MODULE = [sys.executable, "-m", "hirope_lsp.cli"]


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def session(root: Path) -> bytes:
    """initialize, initialized, shutdown, exit; the model spec fails fast (no such directory)."""
    options = {"model": {"spec": str(root / "no-model")}}
    return b"".join(
        [
            frame(
                {
                    "id": 1,
                    "method": "initialize",
                    "params": {"capabilities": {}, "rootUri": root.as_uri(), "initializationOptions": options},
                }
            ),
            frame({"method": "initialized", "params": {}}),
            frame({"id": 2, "method": "hirope/status", "params": {}}),
            frame({"id": 3, "method": "shutdown"}),
            frame({"method": "exit"}),
        ]
    )


def messages(stream: bytes) -> list[dict[str, Any]]:
    """Parse Content-Length framed messages; fail on anything else."""
    found = []
    while stream:
        header, separator, rest = stream.partition(b"\r\n\r\n")
        assert separator and header.startswith(b"Content-Length: "), stream[:200]
        length = int(header.split(b"\r\n")[0].split(b": ")[1])
        found.append(json.loads(rest[:length]))
        stream = rest[length:]
    return found


def environment(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, **QUIET, "XDG_CACHE_HOME": str(tmp_path / "cache")}


def test_stdio_carries_only_the_protocol(tmp_path: Path) -> None:
    log_file = tmp_path / "server.log"
    result = subprocess.run(
        [*MODULE, "--stdio", "-v", "--log-file", str(log_file)],
        input=session(tmp_path),
        capture_output=True,
        env=environment(tmp_path),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    replies = {message["id"]: message for message in messages(result.stdout) if "id" in message}
    assert replies[1]["result"]["capabilities"]["inlineCompletionProvider"] is not None
    assert replies[2]["result"]["state"] in ("loading", "error")
    assert replies[3]["result"] is None
    assert b"initialize: root" in result.stderr
    assert "initialize: root" in log_file.read_text()


def test_tcp(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [*MODULE, "--tcp", f"127.0.0.1:{port}"],
        env=environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=60)
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.1)
        with connection:
            connection.sendall(session(tmp_path))
            received = b""
            while chunk := connection.recv(65536):
                received += chunk
        assert {message.get("id") for message in messages(received)} >= {1, 2, 3}
    finally:
        server.kill()
        stdout, _ = server.communicate(timeout=30)
    assert stdout == b""


def test_bad_arguments(tmp_path: Path) -> None:
    result = subprocess.run(
        [*MODULE, "--tcp", "nowhere"], capture_output=True, env=environment(tmp_path), timeout=60, check=False
    )
    assert result.returncode == 2 and result.stdout == b""
    assert b"expected HOST:PORT" in result.stderr
