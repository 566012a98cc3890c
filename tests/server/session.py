"""Client-side helpers for the server tests: initialize, wait for the model, open and edit documents, ask."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

READY_TIMEOUT = 180.0  # seconds; the default model's first load converts a GGUF


def capabilities(
    encodings: list[str] | None = None, progress: bool = True, configuration: bool = False
) -> types.ClientCapabilities:
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(position_encodings=encodings),
        window=types.WindowClientCapabilities(work_done_progress=progress),
        workspace=types.WorkspaceClientCapabilities(configuration=configuration),
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
            completion=types.CompletionClientCapabilities(),
            inline_completion=types.InlineCompletionClientCapabilities(),
        ),
    )


async def initialize(
    client: LanguageClient,
    root: Path | None,
    options: Any = None,
    caps: types.ClientCapabilities | None = None,
) -> types.InitializeResult:
    params = types.InitializeParams(
        capabilities=caps or capabilities(),
        root_uri=root.as_uri() if root is not None else None,
        initialization_options=options,
    )
    return await client.initialize_session(params)


def tiny_options(model_dir: Path, **model: Any) -> dict[str, Any]:
    """Settings for the tiny model; short completions unless told otherwise (token healing may spend a
    few of them re-spelling the prompt's last tokens)."""
    return {"model": {"spec": str(model_dir), "maxTokens": 16, "maxLineTokens": 8, **model}}


async def request(client: LanguageClient, method: str, params: Any = None) -> Any:
    """A custom request's result as plain JSON values (pygls' client hands objects over as namedtuples)."""
    return plain(await client.protocol.send_request_async(method, params if params is not None else {}))


async def raw_request(client: LanguageClient, msg_id: str, method: str, params: Any) -> Any:
    """Send a request as raw JSON, bypassing the client's typing (for params that do not fit their type)."""
    answer: Future[Any] = Future()
    client.protocol._request_futures[msg_id] = answer
    client.protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return await asyncio.wrap_future(answer)


def plain(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        return {key: plain(item) for key, item in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


async def status(client: LanguageClient) -> dict[str, Any]:
    result: dict[str, Any] = await request(client, "hirope/status")
    return result


async def wait_ready(client: LanguageClient, timeout: float = READY_TIMEOUT) -> dict[str, Any]:
    """The status once the model has loaded (or failed to)."""
    deadline = time.monotonic() + timeout
    while True:
        current = await status(client)
        if current["state"] != "loading" or time.monotonic() > deadline:
            return current
        await asyncio.sleep(0.05)


async def wait_indexed(client: LanguageClient, files: int, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        current = await status(client)
        if current["filesIndexed"] >= files or time.monotonic() > deadline:
            return current
        await asyncio.sleep(0.05)


def open_document(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    uri = path.as_uri()
    text = path.read_text(encoding="utf-8") if text is None else text
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
        )
    )
    return uri


def change(
    client: LanguageClient, uri: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str
) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=types.Position(*start), end=types.Position(*end)), text=text
                )
            ],
        )
    )


def inline_params(
    uri: str,
    line: int,
    character: int,
    invoked: bool = False,
    selected: types.SelectedCompletionInfo | None = None,
) -> types.InlineCompletionParams:
    kind = types.InlineCompletionTriggerKind.Invoked if invoked else types.InlineCompletionTriggerKind.Automatic
    return types.InlineCompletionParams(
        context=types.InlineCompletionContext(trigger_kind=kind, selected_completion_info=selected),
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
    )


async def inline(
    client: LanguageClient, uri: str, line: int, character: int, **kwargs: Any
) -> list[types.InlineCompletionItem]:
    result = await client.text_document_inline_completion_async(inline_params(uri, line, character, **kwargs))
    if result is None:
        return []
    return list(result.items) if isinstance(result, types.InlineCompletionList) else list(result)
