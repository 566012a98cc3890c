"""Which files of a repository the index holds: git's ignore rules, and a walk that never gives up.

IgnoreRules applies `.git/` (always) and every `.gitignore` (each relative to its own directory,
deeper files overriding shallower ones, `!pattern` re-including) as git does, except that it reads
neither `.git/info/exclude` nor the user's global excludes file. As in git, nothing inside an
ignored directory is looked at.

`walk` yields each regular file to index with its stat, or a Skipped with the reason; it follows
symbolic links to files but not to directories (as git stores them; this also makes symlink loops
harmless) and turns every OSError into a Skipped, so one bad entry never ends a scan.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pathspec

from hirope_lsp.index.fileindex import Skipped, describe_os_error

logger = logging.getLogger("hirope_lsp.index")


class IgnoreRules:
    """git's ignore rules for one repository, plus `extra_patterns` (gitignore syntax, relative to the
    root, weaker than every .gitignore); safe to use from several threads."""

    def __init__(self, root: Path, extra_patterns: Sequence[str] = ()) -> None:
        self.root = root
        self._extra = pathspec.GitIgnoreSpec.from_lines(extra_patterns)
        self._specs: dict[Path, pathspec.GitIgnoreSpec | None] = {}
        self._lock = threading.Lock()

    def is_ignored(self, path: Path, is_dir: bool) -> bool:
        """Whether `path` (under the root) is ignored, itself or through an ignored parent directory."""
        parts = path.relative_to(self.root).parts
        if ".git" in parts:
            return True
        return any(self.ignores_entry(parts[:depth], True) for depth in range(1, len(parts))) or self.ignores_entry(
            parts, is_dir
        )

    def ignores_entry(self, parts: tuple[str, ...], is_dir: bool) -> bool:
        """Whether the entry at root/parts is ignored by a .gitignore, its parents assumed not ignored."""
        for depth in range(len(parts) - 1, -1, -1):  # the deepest .gitignore decides first
            spec = self._spec(self.root.joinpath(*parts[:depth]))
            if spec is not None:
                decision = spec.check_file("/".join(parts[depth:]) + ("/" if is_dir else "")).include
                if decision is not None:
                    return decision
        return bool(self._extra.check_file("/".join(parts) + ("/" if is_dir else "")).include)

    def forget(self, directory: Path) -> None:
        """Re-read directory/.gitignore the next time it matters (it changed)."""
        with self._lock:
            self._specs.pop(directory, None)

    def _spec(self, directory: Path) -> pathspec.GitIgnoreSpec | None:
        with self._lock:
            if directory in self._specs:
                return self._specs[directory]
        spec = None
        gitignore = directory / ".gitignore"
        try:
            spec = pathspec.GitIgnoreSpec.from_lines(gitignore.read_text("utf-8", "replace").splitlines())
        except FileNotFoundError:
            pass
        except OSError as error:
            logger.warning("ignoring %s: %s", gitignore, describe_os_error(error))
        with self._lock:
            self._specs[directory] = spec
        return spec


def walk(directory: Path, rules: IgnoreRules) -> Iterator[tuple[Path, os.stat_result] | Skipped]:
    """Each file under `directory` to index, with its stat, or a Skipped saying why not (in a stable order)."""
    pending = [directory]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as scanned:
                entries = sorted(scanned, key=lambda entry: entry.name)
        except OSError as error:
            yield Skipped(str(current), describe_os_error(error), logging.WARNING)
            continue
        for entry in entries:
            path = Path(entry.path)
            parts = path.relative_to(rules.root).parts
            try:
                if entry.is_symlink():
                    status = os.stat(path)  # follows the link; a loop raises ELOOP
                    if stat.S_ISDIR(status.st_mode):
                        yield Skipped(str(path), "a symbolic link to a directory (not followed, as in git)")
                        continue
                elif entry.is_dir(follow_symlinks=False):
                    if entry.name == ".git" or rules.ignores_entry(parts, is_dir=True):
                        yield Skipped(str(path), "ignored (.git or .gitignore)", logging.DEBUG)
                    else:
                        pending.append(path)
                    continue
                else:
                    status = entry.stat(follow_symlinks=False)
            except OSError as error:
                yield Skipped(str(path), describe_os_error(error), logging.WARNING)
                continue
            if not stat.S_ISREG(status.st_mode):
                yield Skipped(str(path), "not a regular file")
            elif rules.ignores_entry(parts, is_dir=False):
                yield Skipped(str(path), "ignored (.gitignore)", logging.DEBUG)
            else:
                yield path, status
