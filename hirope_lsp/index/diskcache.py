"""The on-disk cache of FileIndex records, so that a restart re-parses only the files that changed.

One marshal file per repository: `<cache dir>/<hash of the root path>/files.marshal`, holding the
records' plain form (fileindex.py says why marshal); the cache dir
defaults to `$XDG_CACHE_HOME/hirope-lsp/index` (`~/.cache/...` when the variable is unset). An entry
is fresh while the file's size and mtime_ns are the recorded ones and its language's grammar
version and tags queries are unchanged. The whole file is also keyed on the Python version (marshal's
format is Python's own) and on the source of the code that extracts units and tags, so changing that
code discards old entries without anyone having to remember to bump a version.

Pitfalls: the file is written under a temporary name and renamed, so a crash never leaves half a
cache; one that cannot be read (corrupt, written by other code) is logged and treated as empty.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import marshal
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from hirope_lsp.index import definitions, fileindex, languages, outline, tags
from hirope_lsp.index.fileindex import FileIndex, from_plain, to_plain
from hirope_lsp.index.languages import language_by_name

logger = logging.getLogger("hirope_lsp.index")

_EXTRACTION_MODULES = (definitions, fileindex, languages, outline, tags)


def default_cache_dir() -> Path:
    """Where caches go unless told otherwise: the user's cache directory."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hirope-lsp" / "index"


def language_key(language: str | None) -> str:
    """What a file's extraction depends on besides its bytes: its grammar version and tags queries."""
    if language is None:
        return "text"
    loaded = language_by_name(language)
    return f"{language}:{loaded.grammar_version}:{loaded.queries_digest}"


class DiskCache:
    """The cached FileIndex records of one repository root."""

    def __init__(self, root: Path, cache_dir: Path | None = None) -> None:
        root_hash = hashlib.sha256(str(root).encode("utf-8", "surrogateescape")).hexdigest()[:16]
        self.path = (cache_dir or default_cache_dir()) / root_hash / "files.marshal"
        self._code_key = _code_key()

    def load(self) -> dict[str, FileIndex]:
        """The cached records by absolute path, without those whose language changed; {} if none."""
        try:
            code_key, plain_records = marshal.loads(self.path.read_bytes())
            if code_key != self._code_key:
                logger.info("the index cache %s is from other code; rebuilding it", self.path)
                return {}
            keys = {name: language_key(name) for name in {*languages.LANGUAGE_NAMES, None}}
            records = (from_plain(plain) for key, plain in plain_records if keys.get(plain[1]) == key)
            return {record.path: record for record in records}
        except FileNotFoundError:
            return {}
        except Exception as error:  # a corrupt file can fail in many ways; the cache is only an optimization
            logger.warning("ignoring the index cache %s (%s); it will be rebuilt", self.path, error)
            return {}

    def save(self, records: Iterable[FileIndex]) -> None:
        """Replace the cache with `records`; a failure is logged, never raised (the cache is optional)."""
        written: Path | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            payload = (self._code_key, [(language_key(record.language), to_plain(record)) for record in records])
            with tempfile.NamedTemporaryFile("wb", dir=self.path.parent, delete=False) as file:
                written = Path(file.name)
                file.write(marshal.dumps(payload))
            os.replace(written, self.path)
        except OSError as error:
            if written is not None:
                written.unlink(missing_ok=True)
            logger.warning("could not write the index cache %s: %s", self.path, error)


def is_fresh(record: FileIndex, status: os.stat_result) -> bool:
    """Whether a record still describes the file with this stat."""
    return record.size == status.st_size and record.mtime_ns == status.st_mtime_ns


def _code_key() -> str:
    digest = hashlib.sha256(f"{sys.version}|{importlib.metadata.version('tree-sitter')}".encode())
    for module in _EXTRACTION_MODULES:
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()[:16]
