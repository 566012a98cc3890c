"""End-to-end latency as an editor sees it: the real server over stdio, on a real repository.

    python -m hirope_lsp.eval.bench_lsp [--edits 20] [--idle 120] [--pause-ms 250] [--server-log PATH]

The workspace is a copy of the installed standard library's email package. The client is a bare
JSON-RPC one (no pygls): it times each request from the moment it is written to the server's stdin
to the moment its answer is read from stdout. It prints:
- the first completion in email/message.py, then how the context grows (hirope/status'
  contextTokens) while the editor stays idle for --idle seconds (server/context.py);
- warm typing: a line in a method of that file is cut after `return ` and retyped one character at a
  time; each keystroke is a didChange (incremental) and at once an automatic inline completion at the
  new cursor, the next keystroke --pause-ms after its answer. Client and server milliseconds (p50,
  p95), mean prompt and generated tokens (hirope/lastPrompt), and the context;
- first completion in a newly opened file: didOpen and at once a completion, for three files.
"Server ms" is hirope/status' lastLatencyMs: prompt build, prefill, decode and post-processing on the
worker thread; client minus server is transport, the event loop and the hand-off to the worker (and
the background chunk that was running when the request came).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

WARM_FILE, WARM_LINE = "email/message.py", "return name.lower() in [k.lower() for k, v in self._headers]"
COLD_FILES = ["email/utils.py", "email/feedparser.py", "email/header.py"]
READY_TIMEOUT = 300.0  # seconds; a first load converts the default model's GGUF


class Client:
    """JSON-RPC over the server's stdio; answers the server's own requests with null."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process, self._stdin, self._stdout = process, process.stdin, process.stdout
        self._pending: dict[int, asyncio.Future[tuple[float, Any]]] = {}
        self._next_id = 0
        self._reader = asyncio.create_task(self._read())

    def _write(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self._stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def notify(self, method: str, params: Any) -> None:
        self._write({"method": method, "params": params})

    async def request(self, method: str, params: Any = None) -> tuple[float, Any]:
        """The answer's result and the seconds from writing the request to reading the answer."""
        self._next_id += 1
        answer = self._pending[self._next_id] = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        self._write({"id": self._next_id, "method": method, "params": {} if params is None else params})
        await self._stdin.drain()
        arrived, result = await answer
        return arrived - started, result

    async def call(self, method: str, params: Any = None) -> Any:
        return (await self.request(method, params))[1]

    async def _read(self) -> None:
        while True:
            headers: dict[str, str] = {}
            while (line := (await self._stdout.readline()).decode()) not in ("\r\n", ""):
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
            if not headers:  # the server closed stdout: nothing pending will be answered
                for future in self._pending.values():
                    future.set_exception(RuntimeError("the server exited"))
                return
            message = json.loads(await self._stdout.readexactly(int(headers["content-length"])))
            arrived = time.perf_counter()
            if "method" in message:
                if "id" in message:  # e.g. client/registerCapability
                    self._write({"id": message["id"], "result": None})
                continue
            future = self._pending.pop(message["id"])
            if "error" in message:
                future.set_exception(RuntimeError(f"server error: {message['error']}"))
            else:
                future.set_result((arrived, message.get("result")))


def cut_line(text: str, start: str) -> tuple[str, int, str]:
    """The text with the first line whose code starts with `start` (4+ columns in) cut after `return `,
    the line's number, and the part cut off."""
    lines = text.split("\n")
    for number, line in enumerate(lines):
        code = line.lstrip(" ")
        if code.startswith(start) and len(line) - len(code) >= 4 and len(code) > len("return ") + 10:
            head = line[: len(line) - len(code) + len("return ")]
            lines[number] = head
            return "\n".join(lines), number, line[len(head) :]
    raise SystemExit(f"no line starting with {start!r}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Bench:
    def __init__(self, client: Client, root: Path) -> None:
        self.client, self.root = client, root

    def open(self, relative: str, text: str) -> str:
        uri = (self.root / relative).as_uri()
        document = {"uri": uri, "languageId": "python", "version": 1, "text": text}
        self.client.notify("textDocument/didOpen", {"textDocument": document})
        return uri

    async def complete(self, uri: str, line: int, column: int) -> dict[str, Any]:
        """One automatic inline completion: client and server ms, prompt and generated tokens, the text."""
        position = {"line": line, "character": column}
        params = {"textDocument": {"uri": uri}, "position": position, "context": {"triggerKind": 2}}
        seconds, result = await self.client.request("textDocument/inlineCompletion", params)
        prompt = await self.client.call("hirope/lastPrompt")
        server = (await self.client.call("hirope/status"))["lastLatencyMs"]
        items = result["items"] if isinstance(result, dict) else result or []
        text = items[0]["insertText"] if items else ""
        tokens, generated, reason = (prompt.get(key, 0) for key in ("tokens", "generatedTokens", "reason"))
        return {
            "client": seconds * 1000,
            "server": server,
            "context": (await self.client.call("hirope/status"))["contextTokens"],
            "tokens": tokens,
            "generated": generated,
            "reason": reason,
            "text": text,
        }


async def wait_ready(client: Client, files: int) -> dict[str, Any]:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        status: dict[str, Any] = await client.call("hirope/status")
        if status["state"] == "error":
            raise SystemExit(f"the model did not load: {status['error']}")
        if status["state"] == "ready" and status["filesIndexed"] >= files:
            return status
        if time.monotonic() > deadline:
            raise SystemExit(f"not ready after {READY_TIMEOUT:.0f} s: {status}")
        await asyncio.sleep(0.1)


async def watch_growth(client: Client, seconds: float) -> None:
    """Print the context each time it grows while nothing is asked, for `seconds` or until it stops growing."""
    started = time.monotonic()
    status = await client.call("hirope/status")
    print(f"idle: context {status['contextTokens']} of {status['contextLimit']} tokens", flush=True)
    last, last_change = status["contextTokens"], started
    while time.monotonic() - started < seconds and time.monotonic() - last_change < seconds / 2:
        await asyncio.sleep(0.5)
        status = await client.call("hirope/status")
        if status["contextTokens"] != last:
            last, last_change = status["contextTokens"], time.monotonic()
            print(f"  after {last_change - started:5.1f} s idle: context {last} tokens", flush=True)
    print(f"idle for {time.monotonic() - started:.0f} s; the context stays at {last} tokens", flush=True)


def loads() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


async def run(args: argparse.Namespace, root: Path) -> None:
    import torch  # only to report the thread count that the server's torch, in a fresh process, picks too

    files = sum(1 for path in root.rglob("*") if path.is_file())
    command = [sys.executable, "-m", "hirope_lsp.cli", "--stdio"]
    if args.server_log:
        command += ["-vv", "--log-file", args.server_log]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    started = time.perf_counter()
    pipe = asyncio.subprocess.PIPE
    process = await asyncio.create_subprocess_exec(
        *command, stdin=pipe, stdout=pipe, stderr=subprocess.DEVNULL, env=env
    )
    client = Client(process)
    options: dict[str, Any] = {"model": {"spec": args.model}}
    prompt = {"contextMultiple": args.context_multiple, "latencyMs": args.latency_ms}
    if any(value is not None for value in prompt.values()):
        options["prompt"] = {key: value for key, value in prompt.items() if value is not None}
    await client.call("initialize", {
        "processId": os.getpid(), "rootUri": root.as_uri(), "initializationOptions": options,
        "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
        "capabilities": {"general": {"positionEncodings": ["utf-16"]}, "textDocument": {"inlineCompletion": {}}},
    })  # fmt: skip
    client.notify("initialized", {})
    status = await wait_ready(client, files)
    print(
        f"model {status['model']}, rope {status['rope']} (window {status['window']}, split {status['split']}), "
        f"contextMultiple {args.context_multiple or 'default'}; torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, {os.cpu_count()} cores; load average {loads()}"
    )
    print(f"workspace: {files} files ({root}); ready and indexed in {time.perf_counter() - started:.1f} s")
    bench = Bench(client, root)

    text, line, typed = cut_line((root / WARM_FILE).read_text(encoding="utf-8"), WARM_LINE)
    uri = bench.open(WARM_FILE, text)
    column = len(text.split("\n")[line])
    first = await bench.complete(uri, line, column)
    print(f"first completion in {WARM_FILE}: {first['client']:.0f} ms, {first['tokens']} prompt tokens")
    await watch_growth(client, args.idle)
    warm: list[dict[str, Any]] = []
    for version in range(2, args.edits + 2):
        edit = {"range": {"start": {"line": line, "character": column}, "end": {"line": line, "character": column}}}
        change = {**edit, "text": typed[(version - 2) % len(typed)]}
        client.notify(
            "textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}
        )
        column += 1
        warm.append(await bench.complete(uri, line, column))
        await asyncio.sleep(args.pause_ms / 1000)
    clients, servers = [r["client"] for r in warm], [r["server"] or 0.0 for r in warm]
    print(f"\nwarm typing, {WARM_FILE}:{line + 1}, {len(warm)} keystrokes (didChange + inlineCompletion)")
    print("              p50      p95     mean      max")
    for name, values in (
        ("client ms", clients),
        ("server ms", servers),
        ("other ms", [c - s for c, s in zip(clients, servers, strict=True)]),
    ):
        print(
            f"{name:9s} {percentile(values, 0.5):8.0f} {percentile(values, 0.95):8.0f} "
            f"{statistics.mean(values):8.0f} {max(values):8.0f}"
        )
    contexts = [r["context"] or 0 for r in warm]
    print(
        f"prompt tokens {statistics.mean(r['tokens'] for r in warm):.0f}, generated tokens "
        f"{statistics.mean(r['generated'] for r in warm):.1f} (means); context {min(contexts)}-{max(contexts)}"
        f" tokens; last item {warm[-1]['text']!r}"
    )
    print("\nfirst completion after didOpen   client ms  server ms  prompt tok  generated  ended", flush=True)
    for relative in COLD_FILES[: args.cold_files]:
        text, line, _ = cut_line((root / relative).read_text(encoding="utf-8"), "return ")
        uri = bench.open(relative, text)  # the server handles it before the request: its time counts
        r = await bench.complete(uri, line, len(text.split("\n")[line]))
        print(
            f"{relative + ':' + str(line + 1):32s} {r['client']:10.0f} {r['server'] or 0:10.0f} {r['tokens']:11d} "
            f"{r['generated']:10d}  {r['reason']}",
            flush=True,
        )
    print(f"load average at the end {loads()}")
    await client.call("shutdown")
    client.notify("exit", None)
    await process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--edits", type=int, default=20, help="keystrokes, each followed by a completion")
    parser.add_argument("--context-multiple", type=float, help="the prompt.contextMultiple setting (default: 2)")
    parser.add_argument("--latency-ms", type=float, help="the prompt.latencyMs setting (default: 300)")
    parser.add_argument("--idle", type=float, default=120.0, help="seconds idle after the first completion")
    parser.add_argument("--pause-ms", type=float, default=250.0, help="between an answer and the next keystroke")
    parser.add_argument("--cold-files", type=int, default=len(COLD_FILES), help="files to open, up to 3")
    parser.add_argument("--server-log", metavar="PATH", help="run the server with -vv --log-file PATH")
    args = parser.parse_args()
    email = Path(sysconfig.get_paths()["stdlib"]) / "email"
    with tempfile.TemporaryDirectory(prefix="hirope-bench-lsp-") as directory:
        root = Path(directory)
        shutil.copytree(email, root / "email", ignore=shutil.ignore_patterns("__pycache__"))
        asyncio.run(run(args, root))


if __name__ == "__main__":
    main()
