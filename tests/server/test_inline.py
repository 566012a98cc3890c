"""Inline completion end to end: the real server, a repository on disk, the tiny "x" model (and once the default).

a.py (the cursor's file) calls circle_area, which b.py defines:

    0 from b import circle_area
    1
    2
    3 def report(radius):
    4     area = circle_area(radius)
    5     print(area)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.conftest import A_PY
from tests.server.session import (
    initialize,
    inline,
    open_document,
    request,
    status,
    tiny_options,
    wait_indexed,
    wait_ready,
)

pytestmark = pytest.mark.asyncio

BODY = A_PY.replace("    print(area)\n", "    \n")  # the cursor goes on the indented empty line 5


async def start(client: LanguageClient, repo: Path, options: dict[str, object]) -> str:
    await initialize(client, repo, options)
    assert (await wait_ready(client))["state"] == "ready"
    await wait_indexed(client, 2)
    return open_document(client, repo / "a.py", BODY)


async def test_block_in_a_function_body(client: LanguageClient, repo: Path, tiny_model_dir: Path) -> None:
    # Four of the tiny model's 64-token windows: room for b.py beside a.py (the default two leave 112 tokens).
    uri = await start(client, repo, {**tiny_options(tiny_model_dir), "prompt": {"contextMultiple": 4}})
    items = await inline(client, uri, 5, 4)
    assert len(items) == 1
    item = items[0]
    assert isinstance(item.insert_text, str) and re.fullmatch("x+", item.insert_text)
    assert item.range == types.Range(start=types.Position(5, 4), end=types.Position(5, 4))
    prompt = await request(client, "hirope/lastPrompt")
    assert "b.py" in prompt["files"] and prompt["files"][-1] == "a.py"
    assert prompt["tokens"] > 0 and prompt["reason"] == "max_tokens" and prompt["completed"] == 1
    assert (await status(client))["lastLatencyMs"] > 0


async def test_mid_line_inserts_at_the_cursor(client: LanguageClient, repo: Path, tiny_model_dir: Path) -> None:
    uri = await start(client, repo, tiny_options(tiny_model_dir))
    items = await inline(client, uri, 4, 23)  # after "circle_area(": the rest of the line stays
    assert len(items) == 1 and re.fullmatch("x{4,8}", str(items[0].insert_text))  # maxLineTokens: 8, one may heal
    assert items[0].range == types.Range(start=types.Position(4, 23), end=types.Position(4, 23))


async def test_invoked_and_selected_item(client: LanguageClient, repo: Path, tiny_model_dir: Path) -> None:
    uri = await start(client, repo, tiny_options(tiny_model_dir, maxLineTokens=12))
    invoked = await inline(client, uri, 5, 4, invoked=True)
    assert 1 <= len(invoked) <= 3 and len({item.insert_text for item in invoked}) == len(invoked)
    # The editor's suggest widget has "circle_area" selected for the typed "circ" on line 5.
    open_document(client, repo / "a.py", BODY.replace("    \n", "    circ\n"), version=2)
    selected = types.SelectedCompletionInfo(
        range=types.Range(start=types.Position(5, 4), end=types.Position(5, 8)), text="circle_area"
    )
    items = await inline(client, uri, 5, 8, selected=selected)
    assert len(items) == 1
    assert isinstance(items[0].insert_text, str) and items[0].insert_text.startswith("circle_areax")
    assert items[0].range == types.Range(start=types.Position(5, 4), end=types.Position(5, 8))


async def test_completion_fallback(client: LanguageClient, repo: Path, tiny_model_dir: Path) -> None:
    uri = await start(client, repo, tiny_options(tiny_model_dir))
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(4, 23))
    )
    assert isinstance(result, types.CompletionList)
    (item,) = result.items
    assert item.detail == "hirope (model)" and item.kind == types.CompletionItemKind.Text
    assert isinstance(item.text_edit, types.TextEdit) and re.fullmatch("x{4,8}", item.text_edit.new_text)
    assert item.text_edit.range.start == types.Position(4, 23)


async def test_empty_while_the_model_loads(client: LanguageClient, repo: Path, tiny_model_dir: Path) -> None:
    await initialize(client, repo, tiny_options(tiny_model_dir))
    uri = open_document(client, repo / "a.py", BODY)
    items = await inline(client, uri, 5, 4)  # the model is still loading: answered at once
    if (await status(client))["state"] == "loading":
        assert items == []


@pytest.mark.slow
async def test_default_model_end_to_end(user_cache_client: LanguageClient, repo: Path) -> None:
    client = user_cache_client
    await initialize(client, repo, {"model": {"spec": "default"}})
    ready = await wait_ready(client)
    assert ready["state"] == "ready", ready
    await wait_indexed(client, 2)
    uri = open_document(client, repo / "a.py", BODY)
    items = await inline(client, uri, 5, 4)
    assert items and isinstance(items[0].insert_text, str) and items[0].insert_text.strip()
    prompt = await request(client, "hirope/lastPrompt")
    assert "b.py" in prompt["files"], prompt
