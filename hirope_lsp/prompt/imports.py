"""The repository files a file imports, resolved from its import statements where that is possible.

- Python: the index's import tags (`import a.b`, `from .m import x`). A module `a.b` is looked for as
  a/b.py or a/b/__init__.py under the repository root, root/src, then each directory from the file's
  own up to the root; `from a import x` also finds the submodule a/x.py. Relative imports count
  their dots from the file's package.
- JavaScript and TypeScript: relative specifiers ("./b", "../lib/c.js") of import, export-from,
  require() and import(), with the usual extensions and index files (a ".js" specifier may name a
  ".ts" file, as TypeScript allows). Bare package names are not in the repository.
- C and C++: `#include "x.h"` next to the file, then under the root and root/include.
Nothing else is resolved: a module that is not a file of the repository is simply not found.

Text-level patterns (for the languages whose tags have no imports) are deliberate: an import
statement is a line of fixed shape, and a miss costs only some context. The caller passes the
cursor's line as `exclude`, so that what is being typed there never changes the result.
"""

from __future__ import annotations

import re
from collections.abc import Container
from pathlib import Path

from hirope_lsp.index.snapshot import FileSnapshot

_JS_SPECIFIER = re.compile(rb"""(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["'](\.{1,2}/[^"'\n]*)["']""")
_C_INCLUDE = re.compile(rb'^\s*#\s*include\s*"([^"\n]+)"', re.MULTILINE)
_FROM_NAMES = re.compile(r"\s+import\s+(\([^)]*\)|[^\n#;]*)")
_IMPORTED_NAME = re.compile(r"([A-Za-z_]\w*)(?:\s+as\s+\w+)?")
_JS_EXTENSIONS = ("", ".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs")
_JS_LANGUAGES = frozenset({"javascript", "typescript", "tsx"})


def imported_files(file: FileSnapshot, repository: Container[Path], root: Path, exclude: tuple[int, int]) -> list[Path]:
    """The files of `repository` that `file` imports, in the order of their imports, without repeats,
    ignoring import statements that start in the byte range `exclude`."""
    if file.language == "python":
        found = _python_imports(file, repository, root, exclude)
    elif file.language in _JS_LANGUAGES:
        found = _relative_imports(file, _JS_SPECIFIER, _JS_EXTENSIONS, repository, (), exclude)
    elif file.language in ("c", "cpp"):
        found = _relative_imports(file, _C_INCLUDE, ("",), repository, (root, root / "include"), exclude)
    else:
        found = []
    return [path for path in dict.fromkeys(found) if path != file.path]


def _python_imports(
    file: FileSnapshot, repository: Container[Path], root: Path, exclude: tuple[int, int]
) -> list[Path]:
    data = file.bytes
    directory = file.path.parent
    ancestors = [directory, *(parent for parent in directory.parents if parent.is_relative_to(root))]
    absolute_bases = [root, root / "src", *ancestors[:-1]]
    found: list[Path] = []
    for tag in file.tags:
        if tag.kind != "ref" or tag.category != "import" or exclude[0] <= tag.start_byte < exclude[1]:
            continue
        modules = [tag.name]
        line_start = data.rfind(b"\n", 0, tag.start_byte) + 1
        if data[line_start : tag.start_byte].strip() == b"from":
            following = data[tag.end_byte : tag.end_byte + 2000].decode("utf-8", "replace")
            names = _FROM_NAMES.match(following)
            separator = "" if tag.name.endswith(".") else "."
            modules += [
                f"{tag.name}{separator}{name}" for name in _IMPORTED_NAME.findall(names.group(1) if names else "")
            ]
        for module in modules:
            level = len(module) - len(module.lstrip("."))
            if level > len(ancestors):
                continue  # above the repository
            parts = [part for part in module[level:].split(".") if part]
            found.extend(_first_module([ancestors[level - 1]] if level else absolute_bases, parts, repository))
    return found


def _first_module(bases: list[Path], parts: list[str], repository: Container[Path]) -> list[Path]:
    """[the first module file for parts under one of bases], or []."""
    for base in bases:
        target = base.joinpath(*parts)
        candidates = [target / "__init__.py"]
        if parts:
            candidates.insert(0, target.with_name(target.name + ".py"))
        for candidate in candidates:
            if candidate in repository:
                return [candidate]
    return []


def _relative_imports(
    file: FileSnapshot,
    pattern: re.Pattern[bytes],
    extensions: tuple[str, ...],
    repository: Container[Path],
    more_bases: tuple[Path, ...],
    exclude: tuple[int, int],
) -> list[Path]:
    data = file.bytes
    found: list[Path] = []
    for match in pattern.finditer(data):
        if exclude[0] <= match.start() < exclude[1]:
            continue
        specifier = match.group(1).decode("utf-8", "replace")
        for base in (file.path.parent, *more_bases):
            resolved = _resolve(base / specifier, extensions, repository)
            if resolved is not None:
                found.append(resolved)
                break
    return found


def _resolve(target: Path, extensions: tuple[str, ...], repository: Container[Path]) -> Path | None:
    target = Path(_normalize(target))
    stems = [target]
    if target.suffix in (".js", ".jsx", ".mjs", ".cjs"):
        stems.append(target.with_suffix(""))  # TypeScript's "./b.js" for b.ts
    for stem in stems:
        for extension in extensions:
            for candidate in (stem.with_name(stem.name + extension), stem / f"index{extension}"):
                if candidate in repository:
                    return candidate
    return None


def _normalize(path: Path) -> str:
    """Resolve "." and ".." without touching the disk."""
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if len(parts) > 1:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return str(Path(*parts))
