"""Completion handlers: textDocument/inlineCompletion, and textDocument/completion as a fallback.

Each handler converts the request (the repository snapshot and the cursor's byte offset, taken now,
on the event loop), runs completion.py on the worker thread (worker.py: the newest request per
document and feature wins; $/cancelRequest stops the generation within a decode step and the client
gets RequestCancelled), and converts the suggestions back into items with LSP ranges.

Answers are empty, at once, while the model loads (or failed to), and for a document the index does
not hold (never opened, binary, too large).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from lsprotocol import types

from hirope_lsp.index.snapshot import FileSnapshot
from hirope_lsp.server.completion import CompletionRequest
from hirope_lsp.server.coordinates import cursor_offset, line_end_offset, lsp_range
from hirope_lsp.server.postprocess import Suggestion
from hirope_lsp.server.server import HiropeServer

logger = logging.getLogger(__name__)

DETAIL = "hirope (model)"
LABEL_CHARS = 60


def register(server: HiropeServer) -> None:
    server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())(inline_completion)
    server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions())(completion)


@dataclass(frozen=True)
class _Cursor:
    request: CompletionRequest
    file: FileSnapshot
    start: int  # where items start: the cursor, or the start of the editor's selected completion item


async def inline_completion(ls: HiropeServer, params: types.InlineCompletionParams) -> types.InlineCompletionList:
    selected = params.context.selected_completion_info
    invoked = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
    cursor = _cursor(ls, params.text_document.uri, params.position, selected, variants=invoked)
    if cursor is None:
        return types.InlineCompletionList(items=[])
    suggestions = await _suggest(ls, (params.text_document.uri, "inline"), cursor.request)
    prefix = selected.text if selected is not None else ""
    items = [
        types.InlineCompletionItem(insert_text=prefix + suggestion.text, range=_range(ls, cursor, suggestion))
        for suggestion in suggestions
    ]
    return types.InlineCompletionList(items=items)


async def completion(ls: HiropeServer, params: types.CompletionParams) -> types.CompletionList:
    cursor = _cursor(ls, params.text_document.uri, params.position, None, variants=False)
    if cursor is None:
        return types.CompletionList(is_incomplete=True, items=[])
    suggestions = await _suggest(ls, (params.text_document.uri, "completion"), cursor.request)
    items = [
        types.CompletionItem(
            label=_label(suggestion.text),
            kind=types.CompletionItemKind.Snippet if "\n" in suggestion.text else types.CompletionItemKind.Text,
            detail=DETAIL,
            insert_text_format=types.InsertTextFormat.PlainText,
            text_edit=types.TextEdit(range=_range(ls, cursor, suggestion), new_text=suggestion.text),
        )
        for suggestion in suggestions[:1]
    ]
    return types.CompletionList(is_incomplete=True, items=items)


async def _suggest(ls: HiropeServer, key: tuple[str, str], request: CompletionRequest) -> list[Suggestion]:
    """The suggestions, computed on the worker thread; [] if a newer request with the same key took over."""
    suggestions = await ls.worker.run(key, lambda cancelled: ls.completer.complete(request, cancelled))
    ls.worker.background(ls.completer.grow)  # while the editor is idle, grow the context (context.py)
    return suggestions or []


def _cursor(
    ls: HiropeServer,
    uri: str,
    position: types.Position,
    selected: types.SelectedCompletionInfo | None,
    variants: bool,
) -> _Cursor | None:
    """The request for a cursor, or None when there is nothing to complete with or in."""
    path = ls.document_path(uri)
    if ls.models.ready is None or ls.repository is None or path is None:
        return None
    snapshot = ls.repository.snapshot()
    file = snapshot.files.get(path)
    if file is None or (uri in ls.workspace.text_documents and uri not in ls.indexed):
        return None  # unknown, or open in the editor but left out of the index (binary, too large)
    offset = cursor_offset(file, position, ls.encoding)
    start, continuation = offset, ""
    if selected is not None:  # the editor's suggest widget has an item selected: continue after it
        start = cursor_offset(file, selected.range.start, ls.encoding)
        typed = file.bytes[start:offset].decode("utf-8", "replace")
        continuation = selected.text[len(typed) :] if selected.text.startswith(typed) else ""
    request = CompletionRequest(snapshot, path, offset, ls.settings, continuation, variants)
    return _Cursor(request, file, min(start, offset))


def _range(ls: HiropeServer, cursor: _Cursor, suggestion: Suggestion) -> types.Range:
    """From the cursor (or the selected item's start) to the cursor, or to the line's end if the
    suggestion replaces the rest of the line."""
    offset = cursor.request.offset
    end = line_end_offset(cursor.file.bytes, offset) if suggestion.replaces_rest else offset
    return lsp_range(cursor.file, cursor.start, end, ls.encoding)


def _label(text: str) -> str:
    label = text.strip().split("\n", 1)[0]
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
