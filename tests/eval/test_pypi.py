"""Fetching pinned sdists (hirope_lsp/eval/pypi.py): offline against a tiny sdist in a local directory.

pip prepares an sdist's metadata before it saves it; the tiny sdist brings an in-tree build backend
with no requirements, so pip's isolated build environment needs nothing from an index.
The `network` tests fetch the real pins from PyPI: HIROPE_NETWORK_TESTS=1 runs them.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from hirope_lsp.eval import corpus, ppl, pypi
from hirope_lsp.model.loader import LoadedModel
from tests.eval.args import eval_args

BACKEND = """
import os


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    os.mkdir(os.path.join(metadata_directory, "tiny-1.0.dist-info"))
    with open(os.path.join(metadata_directory, "tiny-1.0.dist-info", "METADATA"), "w") as metadata:
        metadata.write("Metadata-Version: 2.1\\nName: tiny\\nVersion: 1.0\\n")
    return "tiny-1.0.dist-info"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise NotImplementedError("the tests only download")
"""

PYPROJECT = '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'

SOURCES = {
    "src/tiny/__init__.py": "from tiny.core import add\n",
    "src/tiny/core.py": "def add(a, b):\n    return a + b\n\n\nclass Box:\n    pass\n",
    "src/tiny/test/test_core.py": "def test_add():\n    assert True\n",  # left out of the corpus
}

TINY = pypi.Sdist(
    "tiny", "1.0", "src", ("tiny",), py_bytes=len(SOURCES["src/tiny/__init__.py"] + SOURCES["src/tiny/core.py"])
)


@pytest.fixture
def index(tmp_path: Path) -> Path:
    """A directory pip can find tiny==1.0 in: tiny-1.0.tar.gz as `python -m build --sdist` would lay it out."""
    tree = tmp_path / "build" / "tiny-1.0"
    files = {**SOURCES, "PKG-INFO": "Metadata-Version: 2.1\nName: tiny\nVersion: 1.0\n"}
    files |= {"pyproject.toml": PYPROJECT, "backend.py": BACKEND}
    for relative, text in files.items():
        (tree / relative).parent.mkdir(parents=True, exist_ok=True)
        (tree / relative).write_text(text)
    directory = tmp_path / "index"
    directory.mkdir()
    with tarfile.open(directory / "tiny-1.0.tar.gz", "w:gz") as tar:
        tar.add(tree, arcname=tree.name)
    return directory


def offline(directory: Path) -> list[str]:
    return ["--no-index", "--find-links", str(directory)]


def test_fetch_unpacks_the_packages_for_the_corpus(index: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    root, packages = pypi.repository(TINY, cache, offline(index))
    assert root == cache / "tiny-1.0" / "src"
    assert packages == ("tiny",)
    files = corpus.group_files(packages, root)
    assert [path.relative_to(root).as_posix() for path in files] == ["tiny/__init__.py", "tiny/core.py"]
    assert sum(path.stat().st_size for path in files) == TINY.py_bytes
    sequence = corpus.group_sequence(packages, lambda text: list(text.encode()), 72, root=root)
    assert bytes(sequence.ids) == b"# file: tiny/__init__.py\nfrom tiny.core import add\n# file: tiny/core.py\n"
    assert sorted(path.name for path in cache.iterdir()) == ["tiny-1.0"]  # no scratch left behind


def test_a_second_fetch_reads_the_cache(index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    first = pypi.fetch(TINY, cache, offline(index))

    def no_pip(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"ran {args}")

    monkeypatch.setattr(subprocess, "run", no_pip)
    assert pypi.fetch(TINY, cache, offline(index)) == first


def test_a_pip_failure_says_what_ran_and_what_pip_said(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    cache = tmp_path / "cache"
    with pytest.raises(pypi.FetchError) as raised:
        pypi.fetch(TINY, cache, offline(empty))
    message = str(raised.value)
    assert "-m pip download" in message and "tiny==1.0" in message
    assert "No matching distribution" in message  # pip's stderr
    assert list(cache.iterdir()) == []


def test_a_missing_package_directory_is_not_cached(index: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    wrong = pypi.Sdist("tiny", "1.0", ".", ("tiny",), 0)  # the package is under src/
    with pytest.raises(pypi.FetchError, match=r"no package directory tiny under '\.'.*PKG-INFO.*src"):
        pypi.fetch(wrong, cache, offline(index))
    assert list(cache.iterdir()) == []


def add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    member = tarfile.TarInfo(name)
    member.size = len(data)
    tar.addfile(member, io.BytesIO(data))


@pytest.mark.parametrize("name", ["../escaped.py", "pkg-1.0/../../escaped.py"])
def test_unpack_refuses_a_tar_member_outside_the_target(tmp_path: Path, name: str) -> None:
    archive = tmp_path / "evil-1.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        add_member(tar, "pkg-1.0/fine.py", b"x = 1\n")
        add_member(tar, name, b"import os\n")
    with pytest.raises(pypi.FetchError, match=r"refused to unpack evil-1\.0\.tar\.gz"):
        pypi.unpack(archive, tmp_path / "deep" / "target")
    assert not (tmp_path / "escaped.py").exists() and not (tmp_path / "deep" / "escaped.py").exists()


def test_unpack_refuses_a_symlink_out_of_the_target(tmp_path: Path) -> None:
    archive = tmp_path / "evil-1.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        link = tarfile.TarInfo("pkg-1.0/link")
        link.type, link.linkname = tarfile.SYMTYPE, "../../outside"
        tar.addfile(link)
    with pytest.raises(pypi.FetchError, match="refused to unpack"):
        pypi.unpack(archive, tmp_path / "target")


def test_unpack_refuses_a_zip_member_outside_the_target(tmp_path: Path) -> None:
    archive = tmp_path / "evil-1.0.zip"
    with zipfile.ZipFile(archive, "w") as zip_file:
        zip_file.writestr("pkg-1.0/fine.py", "x = 1\n")
        zip_file.writestr("../escaped.py", "import os\n")
    with pytest.raises(pypi.FetchError, match=r"'\.\./escaped\.py' is outside the target"):
        pypi.unpack(archive, tmp_path / "target")
    assert not (tmp_path / "escaped.py").exists() and not (tmp_path / "target" / "pkg-1.0").exists()


def test_unpack_extracts_a_zip_sdist(tmp_path: Path) -> None:
    archive = tmp_path / "pkg-1.0.zip"
    with zipfile.ZipFile(archive, "w") as zip_file:
        zip_file.writestr("pkg-1.0/pkg/__init__.py", "x = 1\n")
    pypi.unpack(archive, tmp_path / "target")
    assert (tmp_path / "target" / "pkg-1.0" / "pkg" / "__init__.py").read_text() == "x = 1\n"


def test_the_cache_is_under_the_user_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert pypi.default_cache_dir() == tmp_path / "hirope-lsp" / "sdists"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert pypi.default_cache_dir() == Path.home() / ".cache" / "hirope-lsp" / "sdists"


@pytest.mark.network
@pytest.mark.skipif(os.environ.get("HIROPE_NETWORK_TESTS") != "1", reason="fetches from PyPI: HIROPE_NETWORK_TESTS=1")
@pytest.mark.parametrize("sdist", pypi.SDISTS, ids=lambda sdist: sdist.name)
def test_a_real_pin_fetches_with_the_recorded_size(sdist: pypi.Sdist, tmp_path_factory: pytest.TempPathFactory) -> None:
    root, packages = pypi.repository(sdist, tmp_path_factory.mktemp("sdists"))
    assert sum(path.stat().st_size for path in corpus.group_files(packages, root)) == sdist.py_bytes


def test_eval_ppl_reads_the_pinned_sdists_with_corpus_pypi(
    index: Path, tmp_path: Path, tiny: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched = pypi.repository(TINY, tmp_path / "cache", offline(index))
    monkeypatch.setattr(pypi, "SDISTS", (TINY,))
    monkeypatch.setattr(pypi, "repository", lambda pin: fetched if pin == TINY else pytest.fail(f"fetched {pin}"))
    args = eval_args(
        tmp_path / "out", corpus="pypi", lengths=[16], samples=1, methods=["flat"], variants=False,
        score_tokens=8, truncate_chunk=8, sequence_tokens=24,
    )  # fmt: skip
    results = ppl.run(args, tiny)
    assert [sequence["name"] for sequence in results["sequences"]] == ["tiny"]
    written = (tmp_path / "out" / "ppl.json").read_text()
    assert '"corpus": "pypi"' in written
    with pytest.raises(ValueError, match=r"pypi sources 0\.\.0"):
        ppl.run(eval_args(tmp_path / "out", **{**vars(args), "samples": 2}), tiny)
