"""The server's own requests (the `hirope/` methods), for editor status bars, debugging and tests.

- `hirope/status` -> {model, state: loading|ready|error, error, rope, window, split, unitScale, unitTokens, indexing,
  filesIndexed, lastLatencyMs, contextTokens, contextLimit}: contextTokens is how far the context has
  grown (null before the first completion), contextLimit how far it may (server/context.py). The
  server also sends it as a `hirope/status` notification whenever it changes.
- `hirope/lastPrompt` -> the last prompt's files (relative paths, in prompt order), its size in
  tokens, its format, how its generation ended ("running" while it runs), and how many generations
  completed or were cancelled.
- `hirope/documentText` {uri} -> {text, version}: the index's copy of a document (null if it holds
  none), to check that it matches the editor's.
"""

from __future__ import annotations

from typing import Any

from pygls.exceptions import JsonRpcInvalidParams

from hirope_lsp.server.server import STATUS, HiropeServer

LAST_PROMPT = "hirope/lastPrompt"
DOCUMENT_TEXT = "hirope/documentText"


def register(server: HiropeServer) -> None:
    server.feature(STATUS)(status)
    server.feature(LAST_PROMPT)(last_prompt)
    server.feature(DOCUMENT_TEXT)(document_text)


def status(ls: HiropeServer, params: object) -> dict[str, Any]:
    return ls.status()


def last_prompt(ls: HiropeServer, params: object) -> dict[str, Any]:
    stats = ls.completer.stats
    return {**stats.last_prompt, "completed": stats.completed, "cancelled": stats.cancelled}


def document_text(ls: HiropeServer, params: object) -> dict[str, Any] | None:
    uri = _field(params, "uri")
    path = ls.document_path(uri)
    if ls.repository is None or path is None:
        return None
    held = ls.repository.snapshot().files.get(path)
    if held is None or not held.is_open:
        return None
    return {"text": held.text, "version": held.version}


def _field(params: object, name: str) -> str:
    """A string member of a custom request's params (a plain object, which pygls passes on as it came)."""
    value = params.get(name) if isinstance(params, dict) else getattr(params, name, None)
    if not isinstance(value, str):
        raise JsonRpcInvalidParams(f"expected params {{{name!r}: string}}")
    return value
