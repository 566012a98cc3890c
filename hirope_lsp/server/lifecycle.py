"""Lifecycle handlers: initialize, initialized, workspace/didChangeConfiguration, shutdown.

- initialize: settings from initializationOptions (invalid values: defaults, and a window/showMessage
  listing them once the client is initialized); the position encoding pygls negotiated from the
  client's general.positionEncodings; the repository index for the workspace root.
- initialized: the repository scan and the model load start on background threads, each with
  work-done progress.
- didChangeConfiguration: the settings (under "hirope", or the whole object) apply at once; a change
  to the model's settings reloads the model.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping

from lsprotocol import types

from hirope_lsp.config import parse_settings
from hirope_lsp.index.repository import Repository
from hirope_lsp.server.coordinates import negotiated_encoding
from hirope_lsp.server.model_host import needs_reload
from hirope_lsp.server.progress import ProgressBar
from hirope_lsp.server.server import HiropeServer

logger = logging.getLogger(__name__)

SECTION = "hirope"


def register(server: HiropeServer) -> None:
    server.feature(types.INITIALIZE)(initialize)
    server.feature(types.INITIALIZED)(initialized)
    server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(did_change_configuration)
    server.feature(types.SHUTDOWN)(shutdown)


async def initialize(ls: HiropeServer, params: types.InitializeParams) -> None:
    ls.loop = asyncio.get_running_loop()
    ls.settings, problems = parse_settings(_section(params.initialization_options))
    ls.pending_problems = problems
    ls.encoding = negotiated_encoding(ls.workspace.position_encoding)
    ls.client_log.set_level(ls.settings.log_level)
    root = ls.workspace.root_path or next(
        (str(path) for folder in params.workspace_folders or [] if (path := ls.document_path(folder.uri))), None
    )
    ls.scan_root = root is not None
    ls.repository = Repository(root or ".", max_file_bytes=ls.settings.index.max_file_bytes)
    logger.info("initialize: root %s, position encoding %s, model %s", root, ls.encoding, ls.settings.model.spec)


async def initialized(ls: HiropeServer, params: types.InitializedParams) -> None:
    _show_problems(ls, ls.pending_problems)
    ls.pending_problems = []
    await _load_model(ls)
    if ls.scan_root:
        await _scan(ls)
    ls.status_changed()


async def did_change_configuration(ls: HiropeServer, params: types.DidChangeConfigurationParams) -> None:
    raw = _section(params.settings)
    if raw is None and _can_pull_configuration(ls):
        items = [types.ConfigurationItem(section=SECTION)]
        raw = (await ls.workspace_configuration_async(types.ConfigurationParams(items=items)))[0]
    settings, problems = parse_settings(raw)
    _show_problems(ls, problems)
    old, ls.settings = ls.settings, settings
    ls.client_log.set_level(settings.log_level)
    if ls.repository is not None:
        ls.repository.max_file_bytes = settings.index.max_file_bytes
    if needs_reload(old.model, settings.model):
        logger.info("model settings changed: reloading %s", settings.model.spec)
        await _load_model(ls)


def shutdown(ls: HiropeServer, params: None) -> None:
    ls.stop()


async def _load_model(ls: HiropeServer) -> None:
    settings = ls.settings.model
    bar = ProgressBar(ls, "hirope: loading the model", settings.spec)
    ls.models.load(settings, bar.report, bar.end)  # "loading" from now on: completions answer empty
    await bar.begin()


async def _scan(ls: HiropeServer) -> None:
    repository = ls.repository
    assert repository is not None
    bar = ProgressBar(ls, "hirope: indexing the repository", str(repository.root))

    def scan() -> None:
        try:
            repository.scan()
            repository.start_watching()
            bar.end(f"{len(repository.snapshot().files)} files indexed")
        except Exception as error:
            logger.exception("indexing %s failed", repository.root)
            bar.end(f"failed: {error}")
        ls.indexing = False
        ls.status_changed()

    ls.indexing = True
    ls.status_changed()
    threading.Thread(target=scan, name="hirope-scan", daemon=True).start()
    await bar.begin()


def _section(raw: object) -> object:
    """Our settings from a client's object: its "hirope" member when it has one (VS Code sends every section)."""
    if isinstance(raw, Mapping) and SECTION in raw:
        return raw[SECTION]
    return raw


def _show_problems(ls: HiropeServer, problems: list[str]) -> None:
    if problems:
        message = "hirope: invalid settings, defaults used instead:\n" + "\n".join(problems)
        logger.warning("%s", message)
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=message))


def _can_pull_configuration(ls: HiropeServer) -> bool:
    workspace = ls.client_capabilities.workspace
    return bool(workspace and workspace.configuration)
