"""Position encodings: edits of multi-byte text, counted in the negotiated code units, leave the
index with the client's text, and completion ranges come back in the same units.

The client's side is computed here independently: a column is converted to a string index by
encoding the line (UTF-16 counts a character above U+FFFF as two units, UTF-8 counts bytes).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.session import (
    capabilities,
    change,
    initialize,
    inline,
    open_document,
    request,
    tiny_options,
    wait_ready,
)

pytestmark = pytest.mark.asyncio

TEXT = 'café = "naïve"\nemoji = "😀👍 ok"\ncjk = "漢字テスト"\n'
CODECS = {"utf-8": ("utf-8", 1), "utf-16": ("utf-16-le", 2), "utf-32": ("utf-32-le", 4)}


def units(line: str, encoding: str) -> int:
    codec, width = CODECS[encoding]
    return len(line.encode(codec)) // width


def position(text: str, index: int, encoding: str) -> tuple[int, int]:
    """The LSP position of the string index `index`."""
    before = text[:index]
    line = before.count("\n")
    return line, units(before[before.rfind("\n") + 1 :], encoding)


EDITS = [  # (substring to replace, replacement): each applied to its first occurrence
    ("é", "e\u0301"),  # a precomposed letter becomes a decomposed one
    ("😀", "🎉🎉"),  # a surrogate pair grows to two
    ("ok", "好"),
    ("字テ", ""),  # CJK characters deleted
    ('ve"\nemoji', 've"\n# 🚀\nemoji'),  # across a line break
    ("スト", "ストé😀"),
]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8", "utf-32"])
async def test_edits_in_code_units(client: LanguageClient, repo: Path, tiny_model_dir: Path, encoding: str) -> None:
    result = await initialize(client, repo, tiny_options(tiny_model_dir), capabilities(encodings=[encoding]))
    assert result.capabilities.position_encoding == encoding
    path = repo / "unicode.py"
    path.write_text(TEXT, encoding="utf-8")
    uri = open_document(client, path, TEXT)
    text = TEXT
    for version, (old, new) in enumerate(EDITS, start=2):
        index = text.index(old)
        start, end = position(text, index, encoding), position(text, index + len(old), encoding)
        change(client, uri, version, start, end, new)
        text = text[:index] + new + text[index + len(old) :]
    held = await request(client, "hirope/documentText", {"uri": uri})
    assert held == {"text": text, "version": len(EDITS) + 1}
    if encoding != "utf-16":
        return
    assert (await wait_ready(client))["state"] == "ready"
    line = text.split("\n")[2]  # 'emoji = "🎉🎉👍 好"'
    column = units(line, encoding)  # at the end of the line, after the surrogate pairs
    items = await inline(client, uri, 2, column)
    assert items and items[0].range is not None
    assert items[0].range.start == types.Position(2, column) == items[0].range.end
