"""Repository: the scan's skip rules, open documents over disk, the watcher, the disk cache, worker processes."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hirope_lsp.index import fileindex
from hirope_lsp.index.document import TextEdit
from hirope_lsp.index.repository import Repository, file_path

LOGGER = "hirope_lsp.index"


def _write(root: Path, relative: str, data: bytes | str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data)
    else:
        path.write_bytes(data)
    return path


def _names(repository: Repository) -> set[str]:
    return {str(path.relative_to(repository.root)) for path in repository.snapshot().files}


def _wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    _write(root, "src/app.py", "import os\n\n\ndef main():\n    return os.getcwd()\n")
    _write(root, "src/util.js", "export function add(a, b) { return a + b; }\n")
    _write(root, "README.md", "# Demo\n\nA demo repository.\n")
    return root


@pytest.fixture
def repository(root: Path, tmp_path: Path) -> Repository:
    return Repository(root, cache_dir=tmp_path / "cache")


def test_scan_indexes_every_source_file(repository: Repository) -> None:
    repository.scan()
    files = repository.snapshot().files
    assert _names(repository) == {"src/app.py", "src/util.js", "README.md"}
    app = files[repository.root / "src/app.py"]
    assert app.language == "python"
    assert [(unit.kind, unit.name) for unit in app.units] == [("statements", None), ("function", "main")]
    assert ("def", "main") in {(tag.kind, tag.name) for tag in app.tags}
    assert app.text.startswith("import os")
    assert not app.is_open
    assert files[repository.root / "README.md"].language is None


def test_scan_skips_what_it_should_and_says_why(
    root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(root, ".gitignore", "build/\n*.log\n!keep.log\n")
    _write(root, "build/out.py", "x = 1\n")
    _write(root, "debug.log", "noise\n")
    _write(root, "keep.log", "kept\n")
    _write(root, "src/.gitignore", "generated.py\n")
    _write(root, "src/generated.py", "x = 1\n")
    _write(root, ".git/config", "[core]\n")
    _write(root, "data.bin", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    _write(root, "big.py", "x = 1\n" * 500)
    _write(root, "latin1.py", b"name = 'Jos\xe9'\n")
    (root / "loop").symlink_to(root)
    (root / "ping.py").symlink_to(root / "pong.py")
    (root / "pong.py").symlink_to(root / "ping.py")
    (root / "link_to_app.py").symlink_to(root / "src/app.py")
    secret = _write(root, "secret.py", "password = 1\n")
    secret.chmod(0)
    if os.geteuid() == 0:  # root reads a mode-000 file anyway: make the read fail as it would for a user
        real_index_file = fileindex.index_file

        def denied(path: str, max_file_bytes: int) -> fileindex.FileIndex | fileindex.Skipped:
            if path.endswith("secret.py"):
                error = PermissionError(13, "Permission denied", path)
                return fileindex.Skipped(path, fileindex.describe_os_error(error), logging.WARNING)
            return real_index_file(path, max_file_bytes)

        monkeypatch.setattr(fileindex, "index_file", denied)
    caplog.set_level(logging.DEBUG, logger=LOGGER)

    repository = Repository(root, cache_dir=tmp_path / "cache", max_file_bytes=1000)
    repository.scan()

    assert _names(repository) == {
        ".gitignore",
        "src/.gitignore",
        "src/app.py",
        "src/util.js",
        "README.md",
        "keep.log",
        "latin1.py",
        "link_to_app.py",
    }
    log = "\n".join(record.getMessage() for record in caplog.records)
    for name, reason in [
        ("build", "ignored"),
        ("debug.log", "ignored"),
        ("generated.py", "ignored"),
        (".git", "ignored"),
        ("data.bin", "binary"),
        ("big.py", "larger than"),
        ("loop", "symbolic link to a directory"),
        ("ping.py", "symbolic link loop"),
        ("secret.py", "permission denied"),
        ("latin1.py", "not valid UTF-8"),
    ]:
        assert any(name in line and reason in line for line in log.splitlines()), (name, reason)
    latin1 = repository.snapshot().files[root / "latin1.py"]
    assert latin1.text == "name = 'Jos\ufffd'\n"
    assert latin1.bytes == b"name = 'Jos\xe9'\n"


def test_open_documents_override_the_disk_until_closed(repository: Repository) -> None:
    repository.scan()
    app = repository.root / "src/app.py"
    repository.open_document(app.as_uri(), "def main():\n    pass\n", version=1)
    opened = repository.snapshot().files[app]
    assert (opened.is_open, opened.version) == (True, 1)
    assert [unit.name for unit in opened.units] == ["main"]

    repository.apply_edits(str(app), [TextEdit(2, 0, 2, 0, "\n\nclass Késa:\n    pass\n")], "utf-16", version=2)
    edited = repository.snapshot()
    assert [unit.name for unit in edited.files[app].units] == ["main", "Késa"]
    assert ("def", "Késa") in {(tag.kind, tag.name) for tag in edited.files[app].tags}
    assert edited.files[app].text.endswith("class Késa:\n    pass\n")
    assert edited.files[app].offset(2, 0, "utf-16") == len(b"def main():\n    pass\n")
    assert app in edited.recently_edited

    repository.close_document(app.as_uri())
    closed = repository.snapshot().files[app]
    assert not closed.is_open
    assert closed.text.startswith("import os")
    assert [unit.name for unit in opened.units] == ["main"]  # an old snapshot never changes


def test_editing_a_document_that_is_not_open_says_what_to_do(repository: Repository) -> None:
    with pytest.raises(KeyError, match="open_document"):
        repository.apply_edits(repository.root / "src/app.py", ["x"], "utf-16", version=1)


def test_only_file_uris_are_accepted(repository: Repository) -> None:
    with pytest.raises(ValueError, match="file: URI"):
        repository.open_document("untitled:Untitled-1", "x", version=1)


def test_ignore_patterns_add_to_gitignore(root: Path, tmp_path: Path) -> None:
    repository = Repository(root, cache_dir=tmp_path / "cache", ignore_patterns=["*.md", "src/*.js"])
    repository.scan()
    assert _names(repository) == {"src/app.py"}


# watchdog warns when a new directory's watch races with its parent's; it still watches it.
@pytest.mark.filterwarnings("ignore:Callback with id:RuntimeWarning")
def test_the_watcher_applies_changes_on_disk(repository: Repository) -> None:
    repository.scan()
    root = repository.root
    repository.start_watching()
    try:
        new = _write(root, "src/new.py", "def fresh():\n    pass\n")
        assert _wait_for(lambda: new in repository.snapshot().files)

        new.write_text("def fresh():\n    pass\n\n\ndef second():\n    pass\n")
        assert _wait_for(lambda: [u.name for u in repository.snapshot().files[new].units] == ["fresh", "second"])

        renamed = root / "src/renamed.py"
        new.rename(renamed)
        assert _wait_for(lambda: renamed in repository.snapshot().files and new not in repository.snapshot().files)

        renamed.unlink()
        assert _wait_for(lambda: renamed not in repository.snapshot().files)

        _write(root, "pkg/sub/mod.py", "x = 1\n")
        assert _wait_for(lambda: root / "pkg/sub/mod.py" in repository.snapshot().files)
        _write(root, ".gitignore", "pkg/\n")
        assert _wait_for(lambda: root / "pkg/sub/mod.py" not in repository.snapshot().files)
    finally:
        repository.stop_watching()


def test_a_second_start_takes_unchanged_files_from_the_disk_cache(root: Path, tmp_path: Path) -> None:
    first = Repository(root, cache_dir=tmp_path / "cache")
    first.scan()
    assert first.files_parsed == 3

    second = Repository(root, cache_dir=tmp_path / "cache")
    second.scan()
    assert second.files_parsed == 0
    assert second.snapshot().files == first.snapshot().files

    app = root / "src/app.py"
    status = app.stat()
    os.utime(app, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))
    third = Repository(root, cache_dir=tmp_path / "cache")
    third.scan()
    assert third.files_parsed == 1


def test_a_corrupt_disk_cache_is_rebuilt(root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    first = Repository(root, cache_dir=tmp_path / "cache")
    first.scan()
    next((tmp_path / "cache").rglob("files.marshal")).write_bytes(b"not a cache")
    second = Repository(root, cache_dir=tmp_path / "cache")
    second.scan()
    assert second.files_parsed == 3
    assert "ignoring the index cache" in caplog.text


def test_a_large_scan_in_worker_processes_from_a_thread_equals_one_in_process(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    root = tmp_path / "many"
    sources = sorted(fixtures_dir.iterdir())
    for index in range(240):
        source = sources[index % len(sources)]
        _write(root, f"dir{index % 7}/{index}_{source.name}", source.read_bytes())
    in_process = Repository(root, cache_dir=tmp_path / "cache1", workers=1)
    in_process.scan()
    with_workers = Repository(root, cache_dir=tmp_path / "cache2", workers=2)
    scanner = threading.Thread(target=with_workers.scan)
    scanner.start()
    scanner.join(timeout=120)
    assert not scanner.is_alive()
    assert with_workers.files_parsed == in_process.files_parsed == 240
    assert with_workers.snapshot().files == in_process.snapshot().files


def test_refresh_applies_a_created_modified_or_deleted_file(repository: Repository) -> None:
    repository.scan()
    root = repository.root
    new = _write(root, "src/new.py", "def fresh():\n    pass\n")
    repository.refresh(new.as_uri())
    assert [unit.name for unit in repository.snapshot().files[new].units] == ["fresh"]

    new.write_text("def fresh():\n    pass\n\n\ndef second():\n    pass\n")
    status = new.stat()
    os.utime(new, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))  # a coarse clock may not tick
    repository.refresh(new)
    assert [unit.name for unit in repository.snapshot().files[new].units] == ["fresh", "second"]

    new.unlink()
    repository.refresh(new)
    assert new not in repository.snapshot().files


def test_file_path_takes_paths_and_file_uris_only(tmp_path: Path) -> None:
    path = tmp_path / "a b.py"
    assert file_path(path.as_uri()) == path
    assert file_path(str(path)) == path
    with pytest.raises(ValueError, match="file: URI"):
        file_path("untitled:Untitled-1")


def test_scan_reports_progress_up_to_the_total(root: Path, tmp_path: Path) -> None:
    for number in range(40):
        _write(root, f"many/m{number}.py", f"def f{number}():\n    pass\n")
    reports: list[tuple[int, int]] = []
    Repository(root, cache_dir=tmp_path / "cache").scan(progress=lambda done, total: reports.append((done, total)))
    assert reports[-1] == (43, 43)
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)
    assert len(reports) > 2  # in batches, not only at the end


def test_snapshots_of_files_on_disk_keep_no_text(repository: Repository) -> None:
    repository.scan()
    path = repository.root / "src/app.py"
    held = repository.snapshot().files[path]
    assert held.text.startswith("import os")
    assert "import os" not in repr(vars(held))  # the text went to a bounded cache, not the snapshot
    assert held.position(held.offset(3, 4, "utf-16"), "utf-16") == (3, 4)
