"""Lifecycle: initialize advertises the features, initialized indexes and loads with progress, status."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.session import capabilities, initialize, plain, status, tiny_options, wait_indexed, wait_ready

pytestmark = pytest.mark.asyncio


async def test_capabilities(client: LanguageClient, repo: Path, tiny_model_dir: Path) -> None:
    result = await initialize(client, repo, tiny_options(tiny_model_dir))
    caps = result.capabilities
    assert caps.inline_completion_provider is not None
    assert caps.completion_provider is not None
    sync = caps.text_document_sync
    assert isinstance(sync, types.TextDocumentSyncOptions)
    assert sync.change == types.TextDocumentSyncKind.Incremental and sync.open_close
    assert caps.position_encoding == types.PositionEncodingKind.Utf16  # the client named none
    assert result.server_info is not None and result.server_info.name == "hirope-lsp"


async def test_encoding_follows_the_client(client: LanguageClient, repo: Path, tiny_model_dir: Path) -> None:
    result = await initialize(client, repo, tiny_options(tiny_model_dir), capabilities(encodings=["utf-32", "utf-8"]))
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf32


async def test_initialized_indexes_and_loads_with_progress(
    client: LanguageClient, repo: Path, tiny_model_dir: Path
) -> None:
    await initialize(client, repo, tiny_options(tiny_model_dir))
    ready = await wait_ready(client)
    assert ready["state"] == "ready", ready
    assert ready["model"] == tiny_model_dir.name
    assert (await wait_indexed(client, 2))["filesIndexed"] == 2
    current = await status(client)
    assert {"model", "state", "rope", "window", "split", "filesIndexed", "lastLatencyMs"} <= current.keys()
    assert current["rope"] == "hirope" and 0 <= current["split"] <= 1
    # Beyond the training window (the tiny model's: 64) the default far rule has W = N / 2 and units of 8 tokens
    # on every band; within it the stock model.
    assert current["window"] == 32 and current["split"] == 0
    assert current["unitScale"] == 24 and current["unitTokens"] == 8
    titles = []
    for reports in client.progress_reports.values():
        kinds = [report.kind for report in reports]
        assert kinds[0] == "begin" and kinds[-1] == "end", kinds
        titles.append(reports[0].title)
    assert any("model" in title for title in titles) and any("index" in title for title in titles), titles


async def test_status_notification(client: LanguageClient, repo: Path, tiny_model_dir: Path) -> None:
    notified: list[dict[str, object]] = []
    client.feature("hirope/status")(lambda params: notified.append(plain(params)))
    await initialize(client, repo, tiny_options(tiny_model_dir))
    await wait_ready(client)
    await wait_indexed(client, 2)
    assert notified and notified[-1] == await status(client)


async def test_logs_reach_the_client(client: LanguageClient, repo: Path, tiny_model_dir: Path) -> None:
    await initialize(client, repo, tiny_options(tiny_model_dir))
    await wait_ready(client)
    assert any("ready" in message.message for message in client.log_messages)


async def test_no_workspace_root(client: LanguageClient, tiny_model_dir: Path) -> None:
    await initialize(client, None, tiny_options(tiny_model_dir))
    assert (await wait_ready(client))["state"] == "ready"
    assert (await status(client))["filesIndexed"] == 0


async def test_watched_file_changes_reach_the_index(client: LanguageClient, repo: Path, tiny_model_dir: Path) -> None:
    await initialize(client, repo, tiny_options(tiny_model_dir))
    await wait_indexed(client, 2)
    created = repo / "extra.py"
    created.write_text("def extra():\n    return 1\n")
    change = types.FileEvent(uri=created.as_uri(), type=types.FileChangeType.Created)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[change]))
    assert (await status(client))["filesIndexed"] == 3  # handled before the request that follows it
    created.unlink()
    change = types.FileEvent(uri=created.as_uri(), type=types.FileChangeType.Deleted)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[change]))
    assert (await status(client))["filesIndexed"] == 2
