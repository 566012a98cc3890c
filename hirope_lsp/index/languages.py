"""Which language a file is in, and that language's grammar, tags query and definition rules.

A file's language comes from its extension, or for an extension-less script from its shebang line.
Grammars come from the per-language wheels (tree-sitter-python, ...), never from a bundle of
grammars. Each grammar is loaded once, on first use, behind a lock, because the index is used from
several threads.

The tags query of a language is the concatenation of query files: the `queries/tags.scm` of one or
more wheels (TypeScript's own file only covers type-level names; its grammar inherits JavaScript's,
so JavaScript's file comes first), then our `queries/<name>-tags.scm` where the wheels ship too
little (imports in Python, calls in C and C++, type aliases in TypeScript).

Pitfall: a query that names a node type the grammar lacks fails to compile; the tests compile
every language's queries, so a grammar upgrade that renames a node type fails there, not at runtime.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import os
import threading
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import PurePath

import tree_sitter

from hirope_lsp.index import definitions
from hirope_lsp.index.definitions import DefinitionRules


@dataclass(frozen=True)
class Language:
    """A loaded language: its grammar and compiled queries."""

    name: str
    grammar: tree_sitter.Language
    tags_query: tree_sitter.Query
    definitions_query: tree_sitter.Query  # one capture, @definition, on every node type in `rules`
    rules: DefinitionRules
    grammar_version: str  # the grammar wheel's version, e.g. "0.25.0"
    queries_digest: str  # a short hash of the tags query source: a disk cache keys on both
    tags_source: str = field(repr=False, default="")  # the tags query's source, for tags.py's pattern shapes


@dataclass(frozen=True)
class _Entry:
    """A row of the language table: where the grammar and its tags query files come from."""

    package: str  # the grammar wheel's module, e.g. "tree_sitter_python"
    grammar_function: str  # the module function that returns the grammar pointer
    tags_packages: tuple[str, ...]  # wheels whose queries/tags.scm make up the tags query, in order
    rules: DefinitionRules
    extensions: tuple[str, ...]
    interpreters: tuple[str, ...] = ()  # shebang interpreters, e.g. "python" for "#!/usr/bin/env python3"
    own_tags: str = ""  # our query file in hirope_lsp/index/queries/, appended to the wheels' files


_TABLE: dict[str, _Entry] = {
    "python": _Entry(
        "tree_sitter_python",
        "language",
        ("tree_sitter_python",),
        definitions.PYTHON,
        (".py", ".pyi"),
        ("python",),
        own_tags="python-tags.scm",
    ),
    "javascript": _Entry(
        "tree_sitter_javascript",
        "language",
        ("tree_sitter_javascript",),
        definitions.JAVASCRIPT,
        (".js", ".mjs", ".cjs", ".jsx"),
        ("node", "nodejs"),
    ),
    "typescript": _Entry(
        "tree_sitter_typescript",
        "language_typescript",
        ("tree_sitter_javascript", "tree_sitter_typescript"),
        definitions.TYPESCRIPT,
        (".ts", ".mts", ".cts"),
        ("ts-node",),
        own_tags="typescript-tags.scm",
    ),
    "tsx": _Entry(
        "tree_sitter_typescript",
        "language_tsx",
        ("tree_sitter_javascript", "tree_sitter_typescript"),
        definitions.TYPESCRIPT,
        (".tsx",),
        own_tags="typescript-tags.scm",
    ),
    "go": _Entry("tree_sitter_go", "language", ("tree_sitter_go",), definitions.GO, (".go",)),
    "rust": _Entry("tree_sitter_rust", "language", ("tree_sitter_rust",), definitions.RUST, (".rs",)),
    "java": _Entry("tree_sitter_java", "language", ("tree_sitter_java",), definitions.JAVA, (".java",)),
    "c": _Entry(
        "tree_sitter_c",
        "language",
        ("tree_sitter_c",),
        definitions.C,
        (".c", ".h"),
        own_tags="c-tags.scm",
    ),
    "cpp": _Entry(
        "tree_sitter_cpp",
        "language",
        ("tree_sitter_cpp",),
        definitions.CPP,
        (".cc", ".cpp", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++"),
        own_tags="cpp-tags.scm",
    ),
}

LANGUAGE_NAMES: tuple[str, ...] = tuple(_TABLE)

_BY_EXTENSION = {extension: name for name, entry in _TABLE.items() for extension in entry.extensions}
_BY_INTERPRETER = {interpreter: name for name, entry in _TABLE.items() for interpreter in entry.interpreters}

_loaded: dict[str, Language] = {}
_load_lock = threading.Lock()


def language_by_name(name: str) -> Language:
    """The language called `name` (one of LANGUAGE_NAMES), loading its grammar on first use."""
    if name not in _TABLE:
        raise KeyError(f"unknown language {name!r}; the index knows {', '.join(LANGUAGE_NAMES)}")
    with _load_lock:
        if name not in _loaded:
            _loaded[name] = _load(name, _TABLE[name])
        return _loaded[name]


def language_name_for_path(path: str | os.PathLike[str], first_line: bytes = b"") -> str | None:
    """The language name for a file, from its extension or else its shebang line; None for plain text."""
    suffix = PurePath(path).suffix.lower()
    if suffix in _BY_EXTENSION:
        return _BY_EXTENSION[suffix]
    if suffix:
        return None
    return _BY_INTERPRETER.get(_shebang_interpreter(first_line) or "")


def language_for_path(path: str | os.PathLike[str], first_line: bytes = b"") -> Language | None:
    """The loaded language for a file (see language_name_for_path); None for plain text, never raises."""
    name = language_name_for_path(path, first_line)
    return None if name is None else language_by_name(name)


def _shebang_interpreter(first_line: bytes) -> str | None:
    """'python' for b'#!/usr/bin/env python3.11', 'node' for b'#!/usr/local/bin/node --harmony'."""
    if not first_line.startswith(b"#!"):
        return None
    words = first_line[2:].decode("utf-8", "replace").split()
    if words and PurePath(words[0]).name == "env":
        words = [word for word in words[1:] if not word.startswith("-") and "=" not in word]
    if not words:
        return None
    return PurePath(words[0]).name.rstrip("0123456789.")


def _load(name: str, entry: _Entry) -> Language:
    module = importlib.import_module(entry.package)
    grammar = tree_sitter.Language(getattr(module, entry.grammar_function)())
    sources = [(files(package) / "queries" / "tags.scm").read_text("utf-8") for package in entry.tags_packages]
    if entry.own_tags:
        sources.append((files("hirope_lsp.index") / "queries" / entry.own_tags).read_text("utf-8"))
    tags_source = "\n".join(sources)
    node_types = " ".join(f"({node_type})" for node_type in entry.rules.definitions)
    return Language(
        name=name,
        grammar=grammar,
        tags_query=tree_sitter.Query(grammar, tags_source),
        definitions_query=tree_sitter.Query(grammar, f"[{node_types}] @definition"),
        rules=entry.rules,
        grammar_version=importlib.metadata.version(entry.package.replace("_", "-")),
        queries_digest=hashlib.sha256(tags_source.encode("utf-8")).hexdigest()[:12],
        tags_source=tags_source,
    )
