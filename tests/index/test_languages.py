"""Languages: extension and shebang lookup, lazy one-time loading, and queries that compile."""

from __future__ import annotations

import importlib.metadata

import pytest
import tree_sitter

from hirope_lsp.index.languages import (
    LANGUAGE_NAMES,
    language_by_name,
    language_for_path,
    language_name_for_path,
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a/b.py", "python"),
        ("stubs.pyi", "python"),
        ("x.js", "javascript"),
        ("x.mjs", "javascript"),
        ("x.cjs", "javascript"),
        ("App.jsx", "javascript"),
        ("x.ts", "typescript"),
        ("App.tsx", "tsx"),
        ("main.go", "go"),
        ("lib.rs", "rust"),
        ("Main.java", "java"),
        ("ring.c", "c"),
        ("ring.h", "c"),
        ("m.cc", "cpp"),
        ("m.cpp", "cpp"),
        ("m.cxx", "cpp"),
        ("m.hpp", "cpp"),
        ("m.hh", "cpp"),
        ("m.hxx", "cpp"),
        ("UPPER.PY", "python"),
        ("README.md", None),
        ("Makefile", None),
        ("data.bin", None),
    ],
)
def test_language_from_extension(path: str, expected: str | None) -> None:
    assert language_name_for_path(path) == expected


@pytest.mark.parametrize(
    ("first_line", "expected"),
    [
        (b"#!/usr/bin/env python3", "python"),
        (b"#!/usr/bin/python3.11 -u", "python"),
        (b"#!/usr/bin/env -S python3 -X dev", "python"),
        (b"#!/usr/bin/env node", "javascript"),
        (b"#!/bin/sh", None),
        (b"#!", None),
        (b"print('no shebang')", None),
        (b"#!/usr/bin/env \xff\xfe", None),
    ],
)
def test_language_from_shebang(first_line: bytes, expected: str | None) -> None:
    assert language_name_for_path("scripts/tool", first_line) == expected


def test_shebang_does_not_override_an_extension() -> None:
    assert language_name_for_path("notes.txt", b"#!/usr/bin/env python3") is None


def test_unknown_file_is_plain_text_and_never_raises() -> None:
    assert language_for_path("picture.png") is None
    assert language_for_path("no_extension") is None


def test_unknown_language_name_says_which_exist() -> None:
    with pytest.raises(KeyError, match="python"):
        language_by_name("cobol")


@pytest.mark.parametrize("name", LANGUAGE_NAMES)
def test_every_language_loads_with_its_queries(name: str) -> None:
    language = language_by_name(name)
    assert language.name == name
    assert isinstance(language.grammar, tree_sitter.Language)
    assert language.tags_query.pattern_count > 0
    capture_names = {language.tags_query.capture_name(i) for i in range(language.tags_query.capture_count)}
    assert "name" in capture_names
    assert any(capture.startswith("definition.") for capture in capture_names)
    assert language.definitions_query.capture_name(0) == "definition"
    assert len(language.queries_digest) == 12


@pytest.mark.parametrize("name", LANGUAGE_NAMES)
def test_grammar_version_is_the_wheel_version(name: str) -> None:
    package = {"tsx": "typescript"}.get(name, name)
    assert language_by_name(name).grammar_version == importlib.metadata.version(f"tree-sitter-{package}")


def test_languages_load_once() -> None:
    assert language_by_name("python") is language_by_name("python")
    assert language_for_path("a.py") is language_by_name("python")


def test_typescript_tags_include_javascript_patterns() -> None:
    typescript, javascript = language_by_name("typescript"), language_by_name("javascript")
    assert typescript.tags_query.pattern_count > javascript.tags_query.pattern_count
