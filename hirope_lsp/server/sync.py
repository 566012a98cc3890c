"""Text synchronization handlers: the editor's documents into the repository index.

pygls keeps its own copy of every open document (it applies each change before our handler runs);
the index keeps another, as bytes with a syntax tree, and gets the same changes in the negotiated
position encoding (coordinates.py converts the types). Documents the index should not hold are
left out of it and get no completions: a URI that is not a file, a binary file (a NUL byte near the
start), a file larger than index.maxFileBytes; such a document joins the index at the first change
after which it is neither. Should applying a change ever fail, the index reopens the document from
pygls' copy rather than drift from the editor.
"""

from __future__ import annotations

import logging

from lsprotocol import types

from hirope_lsp.index.fileindex import looks_binary
from hirope_lsp.server.coordinates import content_changes
from hirope_lsp.server.server import HiropeServer

logger = logging.getLogger(__name__)


def register(server: HiropeServer) -> None:
    server.feature(types.TEXT_DOCUMENT_DID_OPEN)(did_open)
    server.feature(types.TEXT_DOCUMENT_DID_CHANGE)(did_change)
    server.feature(types.TEXT_DOCUMENT_DID_SAVE)(did_save)
    server.feature(types.TEXT_DOCUMENT_DID_CLOSE)(did_close)
    server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)(did_change_watched_files)


def did_open(ls: HiropeServer, params: types.DidOpenTextDocumentParams) -> None:
    document = params.text_document
    _open(ls, document.uri, document.text, document.version)


def did_change(ls: HiropeServer, params: types.DidChangeTextDocumentParams) -> None:
    uri, version = params.text_document.uri, params.text_document.version
    path = ls.document_path(uri)
    if ls.repository is None or path is None:
        return
    if uri not in ls.indexed:  # left out when opened; it may be indexable now (a huge file cut down)
        text = ls.workspace.get_text_document(uri).source
        if _unindexable(text, ls.settings.index.max_file_bytes) is None:
            _open(ls, uri, text, version)
        return
    try:
        ls.repository.apply_edits(path, list(content_changes(params.content_changes)), ls.encoding, version)
    except Exception:
        logger.exception("applying a change to %s failed; reopening it from the editor's text", uri)
        _open(ls, uri, ls.workspace.get_text_document(uri).source, version)


def did_save(ls: HiropeServer, params: types.DidSaveTextDocumentParams) -> None:
    """The file on disk now matches the open document, which the index holds already: nothing to do
    unless the index's copy has drifted from the editor's, which it should never."""
    uri = params.text_document.uri
    path = ls.document_path(uri)
    if uri not in ls.indexed or ls.repository is None or path is None:
        return
    held = ls.repository.snapshot().files.get(path)
    document = ls.workspace.get_text_document(uri)
    if held is None or held.text != document.source:
        logger.error("the index's copy of %s differs from the editor's; reopening it", uri)
        _open(ls, uri, document.source, document.version or 0)


def did_close(ls: HiropeServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    path = ls.document_path(uri)
    if uri in ls.indexed and ls.repository is not None and path is not None:
        ls.indexed.discard(uri)
        ls.repository.close_document(path)  # the file on disk is indexed again


def did_change_watched_files(ls: HiropeServer, params: types.DidChangeWatchedFilesParams) -> None:
    """Re-index each changed file from disk. The index watches the workspace root itself (watch.py),
    but the editor may learn of a change first, or see one the watcher cannot (a network drive);
    a file that did not change since it was indexed costs only a stat."""
    for change in params.changes:
        logger.debug("watched file %s: %s", change.type.name.lower(), change.uri)
        path = ls.document_path(change.uri)
        if ls.repository is not None and path is not None:
            ls.repository.refresh(path)


def _open(ls: HiropeServer, uri: str, text: str, version: int) -> None:
    path = ls.document_path(uri)
    reason = _unindexable(text, ls.settings.index.max_file_bytes) if path is not None else "not a file: URI"
    if ls.repository is None or path is None or reason is not None:
        logger.info("not indexing %s: %s; it gets no completions", uri, reason or "no workspace yet")
        if uri in ls.indexed and ls.repository is not None and path is not None:
            ls.indexed.discard(uri)
            ls.repository.close_document(path)
        return
    ls.repository.open_document(path, text, version)
    ls.indexed.add(uri)


def _unindexable(text: str, max_bytes: int) -> str | None:
    if looks_binary(text):
        return "a binary file"
    if len(text) > max_bytes or len(text.encode("utf-8", "replace")) > max_bytes:
        return f"larger than index.maxFileBytes ({max_bytes} bytes)"
    return None
