"""Pinned source distributions from PyPI as evaluation repositories: more real code nobody here wrote.

Each pinned sdist is fetched once with pip (`pip download --no-binary :all:`) into the user's cache,
unpacked there, and read like the stdlib: `repository(sdist)` gives the (root, packages) that
corpus.group_files and corpus.group_sequence take. This module is the only place the evaluations use
the network, and only when a user asks for the PyPI corpus; a second fetch of the same pin reads the
cache and runs nothing.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hirope_lsp.config import user_cache_dir


@dataclass(frozen=True)
class Sdist:
    """One pinned source distribution and where its packages are inside the unpacked archive."""

    name: str  # the PyPI project
    version: str
    root: str  # the directory holding the packages, relative to the unpacked sdist: "src" or "."
    packages: tuple[str, ...]  # directories under root, one repository together
    py_bytes: int  # their .py bytes as corpus.group_files counts them (measured, see test_pypi.py)

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


# Well-known pure-Python projects from eleven authors, each with its tests outside its package
# directories or in a test directory that corpus.group_files leaves out (tornado/test), so the corpus reads
# library code only, and at least 32k tokens of SmolLM2's tokenizer in them: measured 44.7k (attrs) to
# 1.44M (pygments), at 3.1-4.0 bytes a token. Werkzeug, Flask and docutils also qualified: the first two
# are more Pallets code beside click and jinja2, and docutils' first files after its core are ~40 small
# translation tables.
SDISTS: tuple[Sdist, ...] = (
    Sdist("requests", "2.32.3", "src", ("requests",), 188_462),
    Sdist("click", "8.1.8", "src", ("click",), 349_894),
    Sdist("attrs", "24.3.0", "src", ("attr", "attrs"), 177_031),
    Sdist("jinja2", "3.1.6", "src", ("jinja2",), 490_066),
    Sdist("urllib3", "2.3.0", "src", ("urllib3",), 402_978),
    Sdist("markdown", "3.7", ".", ("markdown",), 310_519),
    Sdist("rich", "13.9.4", ".", ("rich",), 930_330),
    Sdist("pygments", "2.19.1", ".", ("pygments",), 4_452_599),
    # Added on 2026-12-03 as fresh held-out sources (docs/RESULTS.md section 1c), the newest releases then;
    # new pins go at the end, so that --first-group keeps naming the same ones.
    Sdist("tornado", "6.6.1", ".", ("tornado",), 997_388),
    Sdist("paramiko", "5.1.0", ".", ("paramiko",), 674_417),
    Sdist("boltons", "26.2.0", ".", ("boltons",), 616_454),
    Sdist("pyparsing", "3.3.3", ".", ("pyparsing",), 471_654),
)

STDERR_LINES = 20  # of pip's stderr, in a FetchError


class FetchError(RuntimeError):
    """A pinned sdist could not be fetched or unpacked; the message says what ran and what it said."""


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/hirope-lsp/sdists, or ~/.cache/hirope-lsp/sdists."""
    return user_cache_dir() / "sdists"


def fetch(sdist: Sdist, cache_dir: Path | None = None, index_args: Sequence[str] = ()) -> Path:
    """The directory holding the sdist's packages (`.../click-8.1.8/src`), fetched and unpacked once.

    `index_args` go to pip before the requirement: empty for pip's configured index (PyPI unless the
    user's pip config says otherwise), `--no-index --find-links DIR` for a local directory.
    """
    cache = cache_dir or default_cache_dir()
    tree = cache / f"{sdist.name}-{sdist.version}"
    if not tree.is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        # Download and unpack beside the cache entry, then rename: an interrupted fetch leaves no entry.
        with tempfile.TemporaryDirectory(prefix=f".{sdist.name}-", dir=cache) as scratch:
            staged = download_and_unpack(sdist, Path(scratch), index_args)
            source_root(staged, sdist)
            try:
                staged.rename(tree)
            except OSError:
                if not tree.is_dir():  # else another process cached the same pin first
                    raise
    return source_root(tree, sdist)


def repository(
    sdist: Sdist, cache_dir: Path | None = None, index_args: Sequence[str] = ()
) -> tuple[Path, tuple[str, ...]]:
    """(root, packages) for corpus.group_files(packages, root) and group_sequence(..., root=root)."""
    return fetch(sdist, cache_dir, index_args), sdist.packages


def download_and_unpack(sdist: Sdist, scratch: Path, index_args: Sequence[str]) -> Path:
    """The unpacked sdist's top directory under `scratch`."""
    downloads, unpacked = scratch / "download", scratch / "unpacked"
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        "--no-binary",
        ":all:",
        "--dest",
        str(downloads),
        *index_args,
        sdist.requirement,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.splitlines()[-STDERR_LINES:])
        raise FetchError(
            f"could not download {sdist.requirement} (exit {result.returncode}): {' '.join(command)}\n{tail}"
        )
    archives = list(downloads.iterdir())
    if len(archives) != 1:
        raise FetchError(f"{' '.join(command)} left {len(archives)} files in {downloads}, not one sdist")
    unpack(archives[0], unpacked)
    tops = list(unpacked.iterdir())
    if len(tops) != 1 or not tops[0].is_dir():
        raise FetchError(f"{archives[0].name} does not hold one top directory (it holds {len(tops)} entries)")
    return tops[0]


def unpack(archive: Path, target: Path) -> None:
    """Extract a .tar.* or .zip sdist into `target`, refusing any member that would land outside it."""
    target.mkdir(parents=True)
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tar:
            try:
                # The 'data' filter (Python 3.11.4+) strips leading slashes, refuses '..' escapes, links out, devices.
                tar.extractall(target, filter="data")
            except tarfile.FilterError as error:
                raise FetchError(f"refused to unpack {archive.name}: {error}") from error
    elif zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zip_file:
            # zipfile would quietly rewrite such names; a corpus from a rewritten archive is not the pin.
            inside = target.resolve()
            for name in zip_file.namelist():
                if not (target / name).resolve().is_relative_to(inside):
                    raise FetchError(f"refused to unpack {archive.name}: {name!r} is outside the target")
            zip_file.extractall(target)
    else:
        raise FetchError(f"{archive.name} is neither a tar nor a zip archive")


def source_root(tree: Path, sdist: Sdist) -> Path:
    """`tree / sdist.root`, after checking that every package directory is there."""
    root = tree / sdist.root
    missing = [package for package in sdist.packages if not (root / package).is_dir()]
    if missing:
        raise FetchError(
            f"{sdist.requirement} has no package directory {', '.join(missing)} under {sdist.root!r} in {tree}; "
            f"its top level holds: {', '.join(sorted(p.name for p in tree.iterdir()))}"
        )
    return root
