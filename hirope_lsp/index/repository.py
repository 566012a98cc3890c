"""The repository index: the units and tags of every file, kept current from disk and the editor.

- `scan(progress)` indexes the files on disk (scan.py decides which), taking unchanged files from the disk
  cache (diskcache.py) and parsing the rest, in worker processes when there are many.
- Documents open in the editor override their file on disk: `open_document`, `apply_edits` (an
  incremental reparse; the units and tags the edits touched are re-extracted at the next snapshot,
  once for any number of keystrokes, and held while a syntax error would lose them: structure.py)
  and `close_document`.
- `start_watching()` applies changes on disk (watch.py) as they happen; `refresh(path)` applies one
  when told of it (the editor's workspace/didChangeWatchedFiles).
- `file_path(path_or_uri)` is the path the index keys a file by.
- `snapshot()` returns an immutable view for the prompt builder, consistent at one moment.

Every method is thread-safe and none touches an event loop: the server calls `scan` from a worker
thread, edits from its loop, and watchdog calls back on its own thread. For files that are not open
the index keeps units and tags but not text; a snapshot reads such a file when asked for its text.

Pitfall: worker processes are spawned, not forked, because forking a process that runs threads
(the server's loop, watchdog) can deadlock the child on a lock some thread held.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlparse
from urllib.request import url2pathname

from hirope_lsp.index.coordinates import Encoding
from hirope_lsp.index.diskcache import DiskCache, is_fresh
from hirope_lsp.index.document import Document, TextEdit
from hirope_lsp.index.fileindex import (
    FileIndex,
    PlainFileIndex,
    Skipped,
    from_plain,
    index_file,
    index_files,
)
from hirope_lsp.index.languages import language_for_path
from hirope_lsp.index.scan import IgnoreRules, walk
from hirope_lsp.index.snapshot import FileSnapshot, RepositorySnapshot
from hirope_lsp.index.structure import OpenStructure
from hirope_lsp.index.watch import Watcher

logger = logging.getLogger("hirope_lsp.index")

_IN_PROCESS_LIMIT = 200  # parse fewer cold files than this in-process: starting workers costs more
_IN_PROCESS_BATCH = 16  # files parsed in-process between two progress reports


@dataclass
class _OpenDocument:
    document: Document
    version: int
    structure: OpenStructure
    snapshot: FileSnapshot | None = field(default=None)  # built on demand, dropped on each edit


class Repository:
    """The index of the files under `root`; see the module docstring."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        cache_dir: Path | None = None,
        max_file_bytes: int = 1_000_000,
        ignore_patterns: Sequence[str] = (),
        workers: int = 2,
    ) -> None:
        """`cache_dir` defaults to the user's cache (diskcache.py); `ignore_patterns` (gitignore syntax)
        add to the repository's .gitignore files; `workers` processes parse a large initial scan."""
        self.root = Path(os.path.abspath(root))
        self.max_file_bytes = max_file_bytes
        self.workers = workers
        self.files_parsed = 0  # files parsed from disk (not taken from the cache), for tests and the log
        self._cache = DiskCache(self.root, cache_dir)
        self._ignore = IgnoreRules(self.root, ignore_patterns)
        self._watcher = Watcher(self.root, self._on_changed, self._on_removed)
        self._lock = threading.RLock()
        self._records: dict[Path, FileIndex] = {}
        self._views: dict[Path, FileSnapshot] = {}
        self._open: dict[Path, _OpenDocument] = {}
        self._edited: dict[Path, float] = {}
        self._cache_stale = False  # whether _records differ from the disk cache

    def scan(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Index every file on disk (blocking; call it from a worker thread), then save the disk cache.

        `progress(done, total)` is called as files are indexed, on the calling thread; `total` is known
        once the walk has listed every file."""
        started = time.monotonic()
        cached = self._cache.load()
        fresh: list[FileIndex] = []
        cold: list[str] = []
        for item in walk(self.root, self._ignore):
            if isinstance(item, Skipped):
                _log_skip(item)
                continue
            path, status = item
            record = cached.get(str(path))
            if record is not None and is_fresh(record, status):
                fresh.append(record)
            else:
                cold.append(str(path))
        total = len(fresh) + len(cold)
        for record in fresh:
            self._commit(record)
        done = len(fresh)
        if progress is not None:
            progress(done, total)
        newly_parsed = 0
        for batch in self._index_many(cold):
            for result in batch:
                self._commit(result)
            newly_parsed += sum(isinstance(result, FileIndex) for result in batch)
            done += len(batch)
            if progress is not None:
                progress(done, total)
        with self._lock:
            self.files_parsed += newly_parsed
            # The cache on disk holds the fresh records already; it is stale only if files changed or went.
            self._cache_stale = newly_parsed > 0 or len(fresh) != len(cached)
        self.save_cache()
        logger.info(
            "indexed %d files under %s in %.1f s (%d parsed, %d from the cache)",
            len(self._records),
            self.root,
            time.monotonic() - started,
            newly_parsed,
            len(fresh),
        )

    def refresh(self, path_or_uri: str | os.PathLike[str]) -> None:
        """Re-index one path from disk now: a file or directory created, modified or deleted (e.g. as
        the editor reports it; the watcher does the same on its own)."""
        path = file_path(path_or_uri)
        if os.path.lexists(path):
            self._on_changed(path)
        else:
            self._on_removed(path)

    def save_cache(self) -> None:
        """Write the records of files on disk to the disk cache, if they changed since it was read or written."""
        with self._lock:
            if not self._cache_stale:
                return
            records = list(self._records.values())
            self._cache_stale = False
        self._cache.save(records)

    def start_watching(self) -> None:
        """Apply changes on disk to the index as they happen (on watchdog's thread)."""
        self._watcher.start()

    def stop_watching(self) -> None:
        """Stop watching and save the disk cache."""
        self._watcher.stop()
        self.save_cache()

    def open_document(self, path_or_uri: str | os.PathLike[str], text: str, version: int) -> None:
        """The editor opened a document: from now on its text, not the file on disk, is indexed."""
        path = file_path(path_or_uri)
        document = Document.from_text(str(path), text, language_for_path(path, text[:200].split("\n")[0].encode()))
        structure = OpenStructure(document)
        with self._lock:
            self._open[path] = _OpenDocument(document, version, structure)

    def apply_edits(
        self, path_or_uri: str | os.PathLike[str], changes: Iterable[TextEdit | str], encoding: Encoding, version: int
    ) -> None:
        """Apply the editor's content changes (see Document.apply_edits) to an open document.

        This only edits and reparses; units and tags follow at the next snapshot, once for any
        number of keystrokes."""
        path = file_path(path_or_uri)
        with self._lock:
            if path not in self._open:
                raise KeyError(f"{path} is not open in the index; call open_document first")
            opened = self._open[path]
            opened.document.apply_edits(changes, encoding)
            opened.version, opened.snapshot = version, None
            self._edited[path] = time.monotonic()

    def close_document(self, path_or_uri: str | os.PathLike[str]) -> None:
        """The editor closed a document: index the file on disk again."""
        path = file_path(path_or_uri)
        with self._lock:
            self._open.pop(path, None)
        self._on_changed(path)

    def snapshot(self) -> RepositorySnapshot:
        """An immutable view of every indexed file, open documents in place of their files on disk."""
        with self._lock:
            files = dict(self._views)
            for path, opened in self._open.items():
                if opened.snapshot is None:
                    document, structure = opened.document, opened.structure
                    structure.update(document)
                    opened.snapshot = FileSnapshot(
                        path,
                        document.language.name if document.language else None,
                        structure.units,
                        structure.tags,
                        opened.version,
                        document.bytes,
                    )
                files[path] = opened.snapshot
            return RepositorySnapshot(self.root, MappingProxyType(files), MappingProxyType(dict(self._edited)))

    def _index_many(self, paths: list[str]) -> Iterator[list[FileIndex | Skipped]]:
        """Index `paths` in batches (in worker processes when there are many), yielding each batch when done."""
        if len(paths) < _IN_PROCESS_LIMIT or self.workers < 2:
            for start in range(0, len(paths), _IN_PROCESS_BATCH):
                yield _from_plain(index_files(paths[start : start + _IN_PROCESS_BATCH], self.max_file_bytes))
            return
        chunk = max(16, len(paths) // (self.workers * 8))
        chunks = [paths[start : start + chunk] for start in range(0, len(paths), chunk)]
        with ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            for batch in pool.map(index_files, chunks, [self.max_file_bytes] * len(chunks)):
                yield _from_plain(batch)

    def _commit(self, result: FileIndex | Skipped) -> None:
        """Hold a new record (unless one from a later change is held already), or drop a skipped file."""
        path = Path(result.path)
        if isinstance(result, Skipped):
            _log_skip(result)
            with self._lock:
                if self._records.pop(path, None) is not None:
                    del self._views[path]
                    self._cache_stale = True
            return
        if not result.valid_utf8:
            logger.info("%s is not valid UTF-8; indexed with U+FFFD for the invalid bytes", path)
        with self._lock:
            held = self._records.get(path)
            if held is None or (held is not result and held.mtime_ns <= result.mtime_ns):
                self._records[path] = result
                self._views[path] = FileSnapshot(
                    path, result.language, result.units, result.tags, mtime_ns=result.mtime_ns
                )
                self._cache_stale = True

    def _forget(self, path: Path) -> None:
        """Drop the records of `path` and of everything under it (it may have been a directory)."""
        under = str(path) + os.sep
        with self._lock:
            for held in [held for held in self._records if held == path or str(held).startswith(under)]:
                del self._records[held]
                del self._views[held]
                self._cache_stale = True

    def _on_changed(self, path: Path) -> None:
        """A file or directory on disk was created or changed (or a document closed): re-index it."""
        if not self._may_hold(path):
            self._forget(path)
        elif path.is_dir() and not path.is_symlink():
            self._sync_directory(path)
        elif path.name == ".gitignore":
            self._ignore.forget(path.parent)
            self._on_changed(path.parent)
        elif self._ignore.is_ignored(path, is_dir=False):
            self._forget(path)
        else:
            self._commit(self._read(path))

    def _sync_directory(self, directory: Path) -> None:
        """Re-index a directory's files (parsing only changed ones) and drop the ones gone or now ignored."""
        seen: set[Path] = set()
        if not self._ignore.is_ignored(directory, is_dir=True):
            for item in walk(directory, self._ignore):
                result = item if isinstance(item, Skipped) else self._read(item[0])
                self._commit(result)
                seen.add(Path(result.path))
        under = str(directory) + os.sep
        with self._lock:
            gone = [held for held in self._records if str(held).startswith(under) and held not in seen]
        for held in gone:
            self._forget(held)

    def _on_removed(self, path: Path) -> None:
        if not self._may_hold(path):
            return
        if path.name == ".gitignore":
            self._ignore.forget(path.parent)
            self._on_changed(path.parent)
        else:
            self._forget(path)

    def _may_hold(self, path: Path) -> bool:
        """Whether `path` could be indexed at all: under the root and not in .git (whose churn is ignored fast)."""
        return path.is_relative_to(self.root) and ".git" not in path.relative_to(self.root).parts

    def _read(self, path: Path) -> FileIndex | Skipped:
        """The record of `path`: the held one while the file is unchanged, else a fresh parse."""
        with self._lock:
            held = self._records.get(path)
        try:
            if held is not None and is_fresh(held, os.stat(path)):
                return held
        except OSError:
            pass  # index_file says why
        result = index_file(str(path), self.max_file_bytes)
        if isinstance(result, FileIndex):
            with self._lock:
                self.files_parsed += 1
        return result


def _from_plain(batch: list[PlainFileIndex | Skipped]) -> list[FileIndex | Skipped]:
    return [result if isinstance(result, Skipped) else from_plain(result) for result in batch]


def _log_skip(skipped: Skipped) -> None:
    logger.log(skipped.level, "skipped %s: %s", skipped.path, skipped.reason)


def file_path(path_or_uri: str | os.PathLike[str]) -> Path:
    """The absolute path the index keys a file by, from a path or a file: URI (ValueError for another URI)."""
    text = os.fspath(path_or_uri)
    uri = urlparse(text)
    if len(uri.scheme) > 1:  # a URI ("C:" in a Windows path is a drive, not a scheme)
        if uri.scheme != "file":
            raise ValueError(f"the index holds files only; {text!r} is not a file: URI")
        text = url2pathname(uri.path)
    return Path(os.path.abspath(text))
