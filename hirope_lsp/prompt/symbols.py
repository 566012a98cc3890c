"""Which files define and which reference each name across a repository snapshot, and which files
each directory holds.

Built from the index's tags and kept current by FileSnapshot identity: a new snapshot shares the
FileSnapshot objects of every file that did not change, so bringing the tables up to date for it
re-reads only the files whose object differs (on a keystroke, the one open document) and otherwise
costs one identity check per file.

One table per repository root, shared by every caller; `symbols_for` holds its lock while the
caller reads, so a request for another snapshot waits instead of changing the tables underneath.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType

from hirope_lsp.index.snapshot import FileSnapshot, RepositorySnapshot
from hirope_lsp.index.tags import Tag

Occurrences = Mapping[Path, tuple[int, ...]]  # file -> byte offsets of the name's tags in it, in order

_NONE: Occurrences = MappingProxyType({})


class SymbolTable:
    """Name -> the files (and offsets) that define it, and those that reference it; directory -> files."""

    def __init__(self) -> None:
        self._files: dict[Path, FileSnapshot] = {}
        self._directories: dict[Path, set[Path]] = {}
        self._definitions: dict[str, dict[Path, tuple[int, ...]]] = {}
        self._references: dict[str, dict[Path, tuple[int, ...]]] = {}
        self.lock = threading.Lock()

    def definitions(self, name: str) -> Occurrences:
        return self._definitions.get(name, _NONE)

    def references(self, name: str) -> Occurrences:
        """Uses of the name other than imports."""
        return self._references.get(name, _NONE)

    def files_in(self, directory: Path) -> list[Path]:
        """The files directly in `directory`, in path order."""
        return sorted(self._directories.get(directory, ()))

    def update(self, files: Mapping[Path, FileSnapshot]) -> None:
        """Bring the tables to `files` (call with the lock held)."""
        for path in [path for path in self._files if path not in files]:
            self._remove(path)
        for path, file in files.items():
            held = self._files.get(path)
            if held is not file:
                if held is not None:
                    self._remove(path)
                self._add(path, file)

    def _add(self, path: Path, file: FileSnapshot) -> None:
        self._files[path] = file
        self._directories.setdefault(path.parent, set()).add(path)
        definitions, references = _names(file.tags)
        for table, names in ((self._definitions, definitions), (self._references, references)):
            for name, offsets in names.items():
                table.setdefault(name, {})[path] = tuple(offsets)

    def _remove(self, path: Path) -> None:
        definitions, references = _names(self._files.pop(path).tags)
        siblings = self._directories[path.parent]
        siblings.discard(path)
        if not siblings:
            del self._directories[path.parent]
        for table, names in ((self._definitions, definitions), (self._references, references)):
            for name in names:
                occurrences = table.get(name)
                if occurrences is not None:
                    occurrences.pop(path, None)
                    if not occurrences:
                        del table[name]


def _names(tags: tuple[Tag, ...]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """The offsets of each defined name, and of each referenced one (imports aside)."""
    definitions: dict[str, list[int]] = {}
    references: dict[str, list[int]] = {}
    for tag in tags:
        if tag.kind == "def":
            definitions.setdefault(tag.name, []).append(tag.start_byte)
        elif tag.category != "import":
            references.setdefault(tag.name, []).append(tag.start_byte)
    return definitions, references


_tables: dict[Path, SymbolTable] = {}
_tables_lock = threading.Lock()


@contextmanager
def symbols_for(snapshot: RepositorySnapshot) -> Iterator[SymbolTable]:
    """The symbol table of the snapshot's repository, up to date with it, locked while in use."""
    with _tables_lock:
        table = _tables.setdefault(snapshot.root, SymbolTable())
    with table.lock:
        table.update(snapshot.files)
        yield table
