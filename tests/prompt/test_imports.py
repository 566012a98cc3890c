"""Import statements resolved to repository files (Python, JavaScript/TypeScript, C)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hirope_lsp.index.repository import Repository
from hirope_lsp.prompt.imports import imported_files

TREE = {
    "app/__init__.py": "",
    "app/models.py": "class User:\n    pass\n",
    "app/views/__init__.py": "",
    "app/views/home.py": "def home():\n    pass\n",
    "app/views/util.py": "def helper():\n    pass\n",
    "src/lib/core.py": "def core():\n    pass\n",
    "web/main.ts": "",
    "web/util.ts": "export const a = 1;\n",
    "web/widgets/index.tsx": "export const b = 2;\n",
    "web/legacy.js": "module.exports = {};\n",
    "native/ring.c": "",
    "native/ring.h": "int f(void);\n",
}


@pytest.fixture
def repository(tmp_path: Path) -> Repository:
    root = tmp_path / "repo"
    for name, text in TREE.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return Repository(root, cache_dir=tmp_path / "cache")


def imports_of(repository: Repository, name: str, text: str, exclude: tuple[int, int] = (0, 0)) -> list[str]:
    path = repository.root / name
    repository.open_document(path, text, 1)
    snapshot = repository.snapshot()
    found = imported_files(snapshot.files[path], snapshot.files, snapshot.root, exclude)
    return [found_path.relative_to(repository.root).as_posix() for found_path in found]


def test_python_absolute_relative_and_submodules(repository: Repository) -> None:
    repository.scan()
    text = (
        "import app.models\n"
        "from app.views import home, util as u\n"
        "from . import util\n"
        "from ..models import User\n"
        "from lib.core import core\n"  # a src/ layout
        "import json\n"  # not in the repository
    )
    assert imports_of(repository, "app/views/page.py", text) == [
        "app/models.py",
        "app/views/__init__.py",
        "app/views/home.py",
        "app/views/util.py",
        "src/lib/core.py",
    ]


def test_javascript_and_typescript_relative_specifiers(repository: Repository) -> None:
    repository.scan()
    text = (
        'import { a } from "./util.js";\n'  # TypeScript's spelling of util.ts
        "import Widgets from './widgets';\n"  # a directory's index file
        'const legacy = require("./legacy");\n'
        'import "react";\n'  # a package, not a file
    )
    assert imports_of(repository, "web/main.ts", text) == ["web/util.ts", "web/widgets/index.tsx", "web/legacy.js"]


def test_c_includes(repository: Repository) -> None:
    repository.scan()
    assert imports_of(repository, "native/ring.c", '#include <stdio.h>\n#include "ring.h"\n') == ["native/ring.h"]


def test_imports_on_the_excluded_line_do_not_count(repository: Repository) -> None:
    repository.scan()
    text = "import app.models\nimport app.views.home\n"
    second_line = (len("import app.models\n"), len(text))
    assert imports_of(repository, "main.py", text, second_line) == ["app/models.py"]
    js = 'import { a } from "./util";\nimport w from "./widgets";\n'
    assert imports_of(repository, "web/main.ts", js, (len('import { a } from "./util";\n'), len(js))) == ["web/util.ts"]
