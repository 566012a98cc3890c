"""A small repository on disk for the prompt tests, indexed by the real Repository, and tokenizers.

pkg/a.py holds the cursor (where "<CURSOR>" is in its text) inside read_headers, which calls
parse_header from pkg/b.py; pkg/c.py uses read_headers; pkg/store.py is one class large enough to be
split into pieces; web/ is TypeScript with a relative import; notes.txt is plain text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from transformers import PreTrainedTokenizerFast

from hirope_lsp.index.document import TextEdit
from hirope_lsp.index.repository import Repository
from hirope_lsp.prompt.tokens import CachedTokenizer, TransformersTokenizer
from tests.model.tiny import tiny_tokenizer

QWEN_SPECIALS = ["<|repo_name|>", "<|file_sep|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"]
CURSOR = "<CURSOR>"

B_PY = '''"""Parsing of header lines."""

import re

HEADER = re.compile(r"^(?P<name>[\\w-]+):\\s*(?P<value>.*)$")


def parse_header(line):
    """Split 'Name: value' into its name and value."""
    match = HEADER.match(line)
    if match is None:
        raise ValueError(f"not a header: {line!r}")
    return match.group("name").lower(), match.group("value")


def format_header(name, value):
    return f"{name.title()}: {value}"
'''

A_PY = '''"""Reading messages."""

from pkg.b import parse_header


class Message:
    def __init__(self):
        self.headers = {}


def read_headers(lines):
    headers = {}
    for line in lines:
        if not line.strip():
            break
        name, value = parse_header(line)
        <CURSOR>
    return finish(headers)


def finish(headers):
    return dict(sorted(headers.items()))


def count_headers(lines):
    return len(read_headers(lines))
'''

C_PY = """from pkg.a import read_headers


def load(path):
    with open(path) as file:
        return read_headers(file)
"""

METHOD = '''
    def get_{index}(self, key, default=None):
        """Return the value stored under key, or default; number {index}."""
        value = self.items.get((key, {index}), default)
        return value
'''
STORE_PY = "class Store:\n    def __init__(self):\n        self.items = {}\n" + "".join(
    METHOD.format(index=index) for index in range(30)
)

MAIN_TS = """import { greet } from "./util";

export function main(): string {
  return greet("world");
}
"""

UTIL_TS = """export function greet(name: string): string {
  return `hello ${name}`;
}
"""

FILES = {
    "pkg/__init__.py": "",
    "pkg/a.py": A_PY,
    "pkg/b.py": B_PY,
    "pkg/c.py": C_PY,
    "pkg/store.py": STORE_PY,
    "web/main.ts": MAIN_TS,
    "web/util.ts": UTIL_TS,
    "notes.txt": "Notes about the project.\n\nThey are plain text.\n",
}


@dataclass
class Workspace:
    """The fixture repository, indexed, with pkg/a.py open and the cursor's byte offset in it."""

    repository: Repository
    path: Path  # pkg/a.py
    offset: int
    version: int = 1

    def type(self, text: str) -> None:
        """Insert text at the cursor, as the editor reports typing, and move the cursor after it."""
        snapshot = self.repository.snapshot()
        line, column = snapshot.files[self.path].position(self.offset, "utf-8")
        self.version += 1
        self.repository.apply_edits(self.path, [TextEdit(line, column, line, column, text)], "utf-8", self.version)
        self.offset += len(text.encode())


def make_workspace(root: Path, cache: Path) -> Workspace:
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text.replace(CURSOR, ""))
    repository = Repository(root, cache_dir=cache)
    repository.scan()
    path = root / "pkg" / "a.py"
    text = path.read_text()
    repository.open_document(path, text, 1)
    return Workspace(repository, path, len(A_PY[: A_PY.index(CURSOR)].encode()))


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    (tmp_path / "repo").mkdir()
    return make_workspace(tmp_path / "repo", tmp_path / "cache")


@pytest.fixture(scope="module")
def shared_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """One workspace for a module's tests that do not edit it (hypothesis runs many examples)."""
    base = tmp_path_factory.mktemp("shared")
    (base / "repo").mkdir()
    return make_workspace(base / "repo", base / "cache")


@pytest.fixture(scope="session")
def hf_tiny() -> PreTrainedTokenizerFast:
    return tiny_tokenizer()


@pytest.fixture
def tokens(hf_tiny: PreTrainedTokenizerFast) -> CachedTokenizer:
    """The tiny byte-level BPE tokenizer (no special tokens but its end of text): the plain format."""
    return CachedTokenizer(TransformersTokenizer(hf_tiny))


@pytest.fixture(scope="session")
def hf_qwen_like() -> PreTrainedTokenizerFast:
    tokenizer = tiny_tokenizer()
    tokenizer.add_special_tokens({"additional_special_tokens": QWEN_SPECIALS})
    return tokenizer


@pytest.fixture
def qwen_tokens(hf_qwen_like: PreTrainedTokenizerFast) -> CachedTokenizer:
    """The tiny tokenizer with Qwen2.5-Coder's repository and FIM tokens added: the FIM format."""
    return CachedTokenizer(TransformersTokenizer(hf_qwen_like))
