"""Settings: from initializationOptions and workspace/didChangeConfiguration; invalid values are shown
and replaced by defaults; a model change reloads the model, other changes apply at once."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.conftest import A_PY
from tests.server.session import (
    capabilities,
    initialize,
    inline,
    open_document,
    status,
    tiny_options,
    wait_ready,
)

pytestmark = pytest.mark.asyncio


async def test_invalid_values_are_shown_and_defaulted(client: LanguageClient, repo: Path, tiny_model_dir: Path) -> None:
    options = {"model": {"spec": str(tiny_model_dir), "window": -5, "rope": "spiral"}, "colour": "blue"}
    await initialize(client, repo, options)
    await client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)
    (message,) = client.messages
    assert message.type == types.MessageType.Warning
    for name in ("model.window", "model.rope", "colour"):
        assert name in message.message
    current = await wait_ready(client)
    assert current["state"] == "ready" and current["rope"] == "hirope"
    assert current["window"] == 32  # the default beyond the training window: half of the (tiny) model's


async def test_model_change_reloads(
    client: LanguageClient, repo: Path, tiny_model_dir: Path, other_tiny_model_dir: Path
) -> None:
    await initialize(client, repo, tiny_options(tiny_model_dir))
    assert (await wait_ready(client))["model"] == tiny_model_dir.name
    uri = open_document(client, repo / "a.py", A_PY)
    short = await inline(client, uri, 4, 23)
    # A token limit applies to the next request, without a reload.
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"hirope": tiny_options(tiny_model_dir, maxLineTokens=24)})
    )
    longer = await inline(client, uri, 4, 23)
    assert (await status(client))["state"] == "ready"
    assert re.fullmatch("x+", str(longer[0].insert_text)) and len(str(longer[0].insert_text)) > len(
        str(short[0].insert_text)
    )
    # Another model directory: loading, then ready with the new model.
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"hirope": tiny_options(other_tiny_model_dir)})
    )
    await asyncio.sleep(0.01)
    reloaded = await wait_ready(client)
    assert reloaded["state"] == "ready" and reloaded["model"] == other_tiny_model_dir.name
    assert await inline(client, uri, 4, 23)


async def test_configuration_is_pulled_and_a_bad_model_is_reported(
    client: LanguageClient, repo: Path, tiny_model_dir: Path
) -> None:
    await initialize(client, repo, tiny_options(tiny_model_dir), capabilities(configuration=True))
    assert (await wait_ready(client))["state"] == "ready"
    client.set_configuration({"model": {"spec": str(repo / "no-such-model")}}, section="hirope")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await asyncio.sleep(0.2)
    failed = await wait_ready(client)
    assert failed["state"] == "error" and "not found" in failed["error"], failed
    await asyncio.sleep(0.1)
    assert any("cannot load the model" in message.message for message in client.messages), client.messages
    uri = open_document(client, repo / "a.py", A_PY)
    assert await inline(client, uri, 4, 23) == []
