"""Cancellation: $/cancelRequest stops a generation and gets RequestCancelled; a burst of typing costs
one generation. The tiny "x" model never stops early, so a generation lasts as long as its token limit."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pytest_lsp import LanguageClient

from tests.server.conftest import A_PY
from tests.server.session import (
    change,
    initialize,
    inline,
    inline_params,
    open_document,
    request,
    tiny_options,
    wait_ready,
)

pytestmark = pytest.mark.asyncio


async def running(client: LanguageClient) -> None:
    """Until the server has started generating (and a little longer, so that decoding is under way)."""
    for _ in range(600):
        if (await request(client, "hirope/lastPrompt")).get("reason") == "running":
            await asyncio.sleep(0.2)
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the generation never started")


async def settled(client: LanguageClient) -> dict[str, object]:
    """hirope/lastPrompt once the generation is no longer running."""
    for _ in range(100):
        prompt: dict[str, object] = await request(client, "hirope/lastPrompt")
        if prompt.get("reason") != "running":
            return prompt
        await asyncio.sleep(0.05)
    raise AssertionError("the generation is still running 5 s after its cancellation")


LONG = {"prompt": {"contextMultiple": 200}}  # room in the window for long generations


async def test_cancelled_request_gets_request_cancelled(
    client: LanguageClient, repo: Path, tiny_model_dir: Path
) -> None:
    options = {**tiny_options(tiny_model_dir, maxTokens=5000), **LONG}
    await initialize(client, repo, options)
    assert (await wait_ready(client))["state"] == "ready"
    uri = open_document(client, repo / "a.py", A_PY.replace("    print(area)\n", "    \n"))
    params = inline_params(uri, 5, 4)  # a block: up to 5000 tokens, seconds of decoding
    pending = asyncio.ensure_future(
        client.protocol.send_request_async(types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id="long-one")
    )
    await running(client)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="long-one"))
    with pytest.raises(JsonRpcRequestCancelled) as cancelled:
        await asyncio.wait_for(pending, 10)
    assert cancelled.value.code == -32800
    prompt = await settled(client)  # the answer goes out at once; the worker stops at its next check
    assert prompt["reason"] == "cancelled" and prompt["generatedTokens"] < 5000, prompt
    assert prompt["cancelled"] == 1 and prompt["completed"] == 0
    items = await inline(client, uri, 4, 23)  # the next request works (a short single line)
    assert items and items[0].insert_text
    assert (await request(client, "hirope/lastPrompt"))["completed"] == 1


async def test_burst_of_typing_runs_only_the_newest(client: LanguageClient, repo: Path, tiny_model_dir: Path) -> None:
    options = {**tiny_options(tiny_model_dir, maxLineTokens=200), **LONG}
    await initialize(client, repo, options)
    assert (await wait_ready(client))["state"] == "ready"
    text = A_PY.replace("    print(area)\n", "    total = \n")
    uri = open_document(client, repo / "a.py", text)
    typed = "area * 2 + radius ** 2"[:20]
    answers = []
    for index, char in enumerate(typed):
        column = len("    total = ") + index
        change(client, uri, index + 2, (5, column), (5, column), char)
        params = inline_params(uri, 5, column + 1)
        answers.append(asyncio.ensure_future(client.text_document_inline_completion_async(params)))
    results = await asyncio.wait_for(asyncio.gather(*answers), 60)
    assert len(results) == 20
    assert all(result is not None and list(result.items) == [] for result in results[:-1])
    assert results[-1] is not None and results[-1].items, "the newest request gets the completion"
    prompt = await request(client, "hirope/lastPrompt")
    assert prompt["completed"] == 1, prompt  # the others were cancelled running or skipped before they ran
    held = await request(client, "hirope/documentText", {"uri": uri})
    assert held["text"] == text.replace("total = ", "total = " + typed) and held["version"] == 21
