"""Watching a repository's files on disk (watchdog) and passing each change on as a path.

watchdog calls back on its own thread. The watcher reduces its events to two calls: `changed(path)`
for a created or modified file or directory and `removed(path)` for a deleted one; a move is a
removal of the old path and a change of the new one. A directory's "modified" event (its entries
changed) is dropped: the entries have events of their own. A callback that raises is logged, so
that one bad file never stops the watching.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

logger = logging.getLogger("hirope_lsp.index")

_CHANGE_EVENTS = frozenset({"created", "modified", "closed"})


class Watcher:
    """Calls `changed` and `removed` with absolute paths under `root` as files change on disk."""

    def __init__(self, root: Path, changed: Callable[[Path], None], removed: Callable[[Path], None]) -> None:
        self._root = root
        self._handler = _Handler(changed, removed)
        self._observer: BaseObserver | None = None

    def start(self) -> None:
        if self._observer is None:
            self._observer = Observer()
            self._observer.schedule(self._handler, str(self._root), recursive=True)
            self._observer.daemon = True
            self._observer.start()

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join()
            self._observer = None


class _Handler(FileSystemEventHandler):
    def __init__(self, changed: Callable[[Path], None], removed: Callable[[Path], None]) -> None:
        super().__init__()
        self._changed = changed
        self._removed = removed

    def on_any_event(self, event: FileSystemEvent) -> None:
        try:
            if event.event_type == "moved":
                self._removed(Path(os.fsdecode(event.src_path)))
                self._changed(Path(os.fsdecode(event.dest_path)))
            elif event.event_type == "deleted":
                self._removed(Path(os.fsdecode(event.src_path)))
            elif event.event_type in _CHANGE_EVENTS and not (event.is_directory and event.event_type == "modified"):
                self._changed(Path(os.fsdecode(event.src_path)))
        except Exception:  # the observer thread must survive whatever one file does
            logger.exception("failed to update the index for %s", event)
