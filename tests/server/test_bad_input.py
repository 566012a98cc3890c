"""Bad input gets an error response or an empty result, and the server answers the next request."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pytest_lsp import LanguageClient

from tests.server.conftest import A_PY
from tests.server.session import (
    change,
    initialize,
    inline,
    open_document,
    raw_request,
    request,
    tiny_options,
    wait_ready,
)

pytestmark = pytest.mark.asyncio

BIG_BYTES = 50 * 1024 * 1024


async def still_answers(client: LanguageClient, uri: str) -> None:
    items = await inline(client, uri, 4, 23)
    assert items and items[0].insert_text


async def started(client: LanguageClient, repo: Path, tiny_model_dir: Path) -> str:
    await initialize(client, repo, tiny_options(tiny_model_dir))
    assert (await wait_ready(client))["state"] == "ready"
    return open_document(client, repo / "a.py", A_PY)


async def test_unknown_documents_and_positions(client: LanguageClient, repo: Path, tiny_model_dir: Path) -> None:
    uri = await started(client, repo, tiny_model_dir)
    assert await inline(client, (repo / "missing.py").as_uri(), 0, 0) == []
    assert await inline(client, "untitled:Untitled-1", 0, 0) == []
    change(client, (repo / "never-opened.py").as_uri(), 2, (0, 0), (0, 0), "x")  # pygls has no such document
    await still_answers(client, uri)
    past_line = await inline(client, uri, 4, 999)  # past the end of the line: the line's end
    assert all(item.range and item.range.start == types.Position(4, 30) for item in past_line)
    past_file = await inline(client, uri, 999, 999)  # past the last line: the end of the document
    assert all(item.range and item.range.start == types.Position(6, 0) for item in past_file)
    await still_answers(client, uri)


async def test_malformed_params(client: LanguageClient, repo: Path, tiny_model_dir: Path) -> None:
    uri = await started(client, repo, tiny_model_dir)
    bad = {"textDocument": {"uri": uri}, "position": "line 4", "context": {"triggerKind": 1}}
    with pytest.raises(JsonRpcInvalidParams) as error:
        await raw_request(client, "bad-1", types.TEXT_DOCUMENT_INLINE_COMPLETION, bad)
    assert error.value.code == -32602 and "textDocument/inlineCompletion" in error.value.message
    with pytest.raises(JsonRpcInvalidParams):
        await request(client, "hirope/documentText", {"path": "a.py"})
    await still_answers(client, uri)


async def test_binary_and_huge_files(client: LanguageClient, repo: Path, tiny_model_dir: Path) -> None:
    uri = await started(client, repo, tiny_model_dir)
    binary = open_document(client, repo / "blob.bin", "\0\x01\x02ELF\0\0" * 100)
    assert await inline(client, binary, 0, 3) == []
    assert await request(client, "hirope/documentText", {"uri": binary}) is None
    line = "value = 12345  # a long enough line of Python\n"
    huge_text = line * (BIG_BYTES // len(line) + 1)
    huge = open_document(client, repo / "huge.py", huge_text)
    assert await inline(client, huge, 10, 5) == []
    change(client, huge, 2, (0, 0), (0, 0), "# edited\n")
    assert await inline(client, huge, 0, 3) == []
    assert await request(client, "hirope/documentText", {"uri": huge}) is None
    await still_answers(client, uri)
    # Cut down below the limit, it joins the index with the editor's text.
    rows = huge_text.count("\n") + 1  # with the "# edited" line; the text ends with a newline
    change(client, huge, 3, (10, 0), (rows, 0), "def tail():\n    return ")
    held = await request(client, "hirope/documentText", {"uri": huge})
    assert held == {"text": "# edited\n" + line * 9 + "def tail():\n    return ", "version": 3}
    assert await inline(client, huge, 11, 11)
