"""Typed settings: a tree of defaulted dataclasses, parsed once from a plain mapping.

The same tree comes from LSP initializationOptions, workspace/didChangeConfiguration and the command
line. An invalid value never stops anything: it is reported and its default is used.

    {"model": {"spec": "default", "rope": "hirope", "window": 512}, "prompt": {"contextMultiple": 4}}

Keys may be given in snake_case or camelCase.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

RopeMode = Literal["hirope", "flat"]
DType = Literal["float32", "bfloat16", "float16"]
DecodeFormat = Literal["float32", "bfloat16", "float16", "int4"]
MultilinePolicy = Literal["auto", "line", "block"]


def user_cache_dir() -> Path:
    """$XDG_CACHE_HOME/hirope-lsp, or ~/.cache/hirope-lsp: the converted default model, the native kernel,
    the evaluation's sdists."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hirope-lsp"


@dataclass(frozen=True)
class ModelSettings:
    spec: str = "default"  # "default", a .gguf file, a model directory, or a Hugging Face id
    dtype: DType = "float32"  # weights for prefill
    decode_dtype: DecodeFormat = "int4"  # weights of decode steps and prompt tails; int4 only where 4-bit (packed.py)
    rope: RopeMode = "hirope"
    # HiRoPE window W, tokens; None: the stock model within the training window N, and beyond it N / 2 (3/4 of
    # N with the outline's units); docs/RESULTS.md
    window: int | None = None
    unit_scale: int = 24  # HiRoPE's tokens per unit step (at most: fitted per prompt) on the far pairs' far bands
    unit_tokens: int | None = 8  # HiRoPE's far units: N consecutive tokens each; None: the outline's units
    # bands on token positions for far pairs; None: 0 with units of tokens, the critical rule with the outline's
    split: float | None = field(default=None, metadata={"max": 1.0})
    max_tokens: int = 96  # per multi-line completion
    max_line_tokens: int = 32  # per single-line completion
    multiline: MultilinePolicy = "auto"  # "auto": a block after a block opener or on an empty body line


@dataclass(frozen=True)
class PromptSettings:
    # HiRoPE context budget, in training windows: the most the context grows to. Two, because on the default
    # model the same code is predicted better from 2 windows of context than from 4, with every far rule
    # tried (docs/RESULTS.md, section 1b); at 2 HiRoPE beats truncation to one window, at 4 it trails it.
    context_multiple: float = 2.0
    cold_tokens: int = 512  # the most a request prefills from cold; the context starts here (server/context.py)
    latency_ms: float = 300.0  # the context stops growing where a one-line completion would take longer


@dataclass(frozen=True)
class IndexSettings:
    max_file_bytes: int = 1_000_000


@dataclass(frozen=True)
class Settings:
    model: ModelSettings = field(default_factory=ModelSettings)
    prompt: PromptSettings = field(default_factory=PromptSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    log_level: Literal["debug", "info", "warning", "error"] = "info"


T = TypeVar("T")


def unit_tokens_option(text: str) -> int | None:
    """The command line's `--unit-tokens N`: units of N consecutive tokens, or the outline's units for 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a count of tokens, or 0 for the outline's units; got {text!r}")
    return value or None


def parse_settings(raw: object) -> tuple[Settings, list[str]]:
    """Settings from a mapping, and one message per value that was invalid and replaced by its default."""
    problems: list[str] = []
    settings = _parse(Settings, raw, "", problems)
    return settings, problems


def _parse(cls: type[T], raw: object, prefix: str, problems: list[str]) -> T:
    if raw is None:
        return cls()
    if not isinstance(raw, Mapping):
        where = prefix.rstrip(".") or "settings"
        problems.append(f"{where}: expected an object, got {type(raw).__name__}; using defaults")
        return cls()
    hints = typing.get_type_hints(cls)
    given = {_snake(str(key)): value for key, value in raw.items()}
    values: dict[str, Any] = {}
    for item in dataclasses.fields(cls):  # type: ignore[arg-type]
        name = f"{prefix}{item.name}"
        if item.name not in given:
            continue
        kind, value = hints[item.name], given.pop(item.name)
        if dataclasses.is_dataclass(kind):
            values[item.name] = _parse(kind, value, f"{name}.", problems)  # type: ignore[arg-type]
        elif _valid(kind, value) and (value is None or value <= item.metadata.get("max", value)):
            wants_float = float in (kind, *typing.get_args(kind))
            values[item.name] = float(value) if wants_float and isinstance(value, int) else value
        else:
            problems.append(f"{name}: invalid value {value!r} ({_describe(kind)}); using the default")
    for unknown in given:
        problems.append(f"{prefix}{unknown}: unknown setting, ignored")
    return cls(**values)


def _valid(kind: object, value: object) -> bool:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is Literal:
        return value in args
    if origin in (typing.Union, types.UnionType):
        return any(_valid(arg, value) for arg in args)
    if kind is type(None):
        return value is None
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool) and value > 0
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
    if kind is str:
        return isinstance(value, str) and bool(value)
    return False


def _describe(kind: object) -> str:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is Literal:
        return "one of " + ", ".join(repr(arg) for arg in args)
    if args:
        return " or ".join(_describe(arg) for arg in args)
    names: dict[object, str] = {int: "a positive integer", float: "a non-negative number", str: "a non-empty string"}
    return names.get(kind, "null" if kind is type(None) else str(kind))


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()
