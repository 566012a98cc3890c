"""The `hirope-lsp` command.

    hirope-lsp [--stdio | --tcp HOST:PORT] [--log-file PATH] [-v]   the language server (stdio by default)
    hirope-lsp complete FILE:LINE:COL [options]                     print one completion and exit
    hirope-lsp index [DIR]                                          index DIR and print what it holds
    hirope-lsp eval ppl|complete|prompts|symbols [options]          run an evaluation (JSON + PNG)
    hirope-lsp eval compare --a A --b B FILE.json ...               pair two methods across result files

`complete` indexes the repository around FILE (the git work tree it is in, else its directory) and
builds the prompt from it, as the server does.

Arguments are parsed here rather than by pygls' helper, which rejects the `--stdio` flag that
vscode-languageclient passes. Errors are one line on stderr and a non-zero exit status; stdout carries
only the result (for the server: only the protocol).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from hirope_lsp import __version__
from hirope_lsp.config import IndexSettings, ModelSettings, PromptSettings, unit_tokens_option

log = logging.getLogger("hirope_lsp")


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


@dataclass(frozen=True)
class Cursor:
    path: Path
    line: int  # 1-based
    column: int  # 1-based, in characters


def main(argv: list[str] | None = None) -> int:
    # Before torch loads: OpenMP threads that finish early sleep instead of spinning. When another program
    # keeps a core busy, spinning made a two-thread decode step 10-50x slower (docs/BENCHMARKS.md).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging(getattr(args, "verbose", 0), getattr(args, "log_file", None))
    try:
        if args.command == "complete":
            return _complete(args)
        if args.command == "index":
            return _index(args)
        if args.command == "eval":
            from hirope_lsp.eval.commands import run_eval

            return run_eval(args)
        from hirope_lsp.server.main import parse_address, serve_stdio, serve_tcp

        verbosity, log_file = getattr(args, "verbose", 0), getattr(args, "log_file", None)
        if args.tcp:
            try:
                host, port = parse_address(args.tcp)
            except ValueError as error:
                raise UsageError(str(error)) from None
            return serve_tcp(host, port, verbosity, log_file)
        return serve_stdio(verbosity, log_file)
    except UsageError as error:
        print(f"hirope-lsp: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: the options may come before or after the command without one side resetting the other
    common.add_argument("--log-file", metavar="PATH", default=argparse.SUPPRESS, help="also write logs to this file")
    common.add_argument(
        "-v", "--verbose", action="count", default=argparse.SUPPRESS, help="more logging on stderr (-vv: debug)"
    )
    parser = argparse.ArgumentParser(
        prog="hirope-lsp",
        description="Inline code completion from a local language model with hierarchical rotary positions.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"hirope-lsp {__version__}")
    parser.add_argument("--stdio", action="store_true", help="speak LSP on stdin/stdout (the default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="speak LSP on a TCP socket")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    complete = commands.add_parser(
        "complete",
        parents=[common],
        help="print the model's completion at FILE:LINE:COL and exit",
        description="Print the model's completion at a point of a file (LINE and COL count from 1).",
    )
    defaults = ModelSettings()
    complete.add_argument("location", metavar="FILE:LINE:COL")
    complete.add_argument(
        "--model", default=defaults.spec, help="'default', a .gguf file, a model directory or a Hugging Face id"
    )
    dtypes = ["float32", "bfloat16", "float16"]
    complete.add_argument("--dtype", default=defaults.dtype, choices=dtypes, help="weights for prefill")
    complete.add_argument(
        "--decode-dtype",
        default=defaults.decode_dtype,
        choices=[*dtypes, "int4"],
        help="weight copies for decode steps and a prompt's last tokens (int4: only matrices that are 4-bit already)",
    )
    complete.add_argument("--rope", default=defaults.rope, choices=["hirope", "flat"])
    complete.add_argument(
        "--window",
        type=int,
        default=defaults.window,
        help="HiRoPE window (default: the stock model within the training window, half of it beyond)",
    )
    complete.add_argument(
        "--unit-scale",
        type=int,
        default=defaults.unit_scale,
        help="HiRoPE tokens per unit step beyond the window, at most (fitted per prompt)",
    )
    complete.add_argument(
        "--unit-tokens",
        type=unit_tokens_option,
        default=defaults.unit_tokens,
        help=f"HiRoPE far rule on units of this many consecutive tokens (default {defaults.unit_tokens}; 0: the "
        "outline's units)",
    )
    complete.add_argument(
        "--split", type=float, default=defaults.split, help="ratio of rotary bands on token positions"
    )
    complete.add_argument("--max-tokens", type=int, default=None, help="tokens to generate at most")
    complete.add_argument("--multiline", action="store_true", help="complete a block, not just the rest of the line")
    complete.add_argument(
        "--context-multiple",
        type=float,
        default=PromptSettings().context_multiple,
        help="with HiRoPE, the prompt may fill this many training windows (flat RoPE: one)",
    )

    index = commands.add_parser(
        "index",
        parents=[common],
        help="index a directory and print its files, units and tags per language",
        description="Index DIR as the server would (git's ignore rules apply) and print what it holds.",
    )
    index.add_argument("directory", metavar="DIR", nargs="?", default=".")

    from hirope_lsp.eval.commands import add_eval_commands

    evaluate = commands.add_parser(
        "eval",
        parents=[common],
        help="run an evaluation: ppl, complete, prompts or symbols (writes JSON and a PNG plot), or compare two",
        description="Measure what HiRoPE does for the model; see docs/RESULTS.md.",
    )
    add_eval_commands(evaluate, [common])
    return parser


def _complete(args: argparse.Namespace) -> int:
    cursor = parse_location(args.location)
    data = read_source(cursor.path)
    prefix = prefix_at(data, cursor)
    defaults = ModelSettings()
    max_tokens = args.max_tokens or (defaults.max_tokens if args.multiline else defaults.max_line_tokens)
    if max_tokens < 1 or args.unit_scale < 1 or (args.window is not None and args.window < 1):
        raise UsageError("--max-tokens, --window and --unit-scale must be positive")
    if args.context_multiple <= 0:
        raise UsageError("--context-multiple must be positive")

    from hirope_lsp.index.repository import Repository
    from hirope_lsp.model.engine import Engine, RopeSettings
    from hirope_lsp.model.loader import ModelLoadError, load_model
    from hirope_lsp.model.packed import FORMATS
    from hirope_lsp.model.rope import UnsupportedModelError
    from hirope_lsp.model.stops import StopRule
    from hirope_lsp.prompt.budget import prompt_budget
    from hirope_lsp.prompt.layout import build_prompt
    from hirope_lsp.prompt.tokens import CachedTokenizer, TransformersTokenizer

    try:
        loaded = load_model(args.model, dtype=args.dtype)
        rope = RopeSettings(args.rope, args.window, args.split, args.unit_scale, args.unit_tokens)
        engine = Engine(loaded, rope, decode_dtype=FORMATS[args.decode_dtype])
        budget = prompt_budget(engine.train_length, max_tokens, args.rope, args.context_multiple)
    except (ModelLoadError, UnsupportedModelError, ValueError) as error:
        print(f"hirope-lsp: error: {error}", file=sys.stderr)
        return 1
    path = Path(os.path.abspath(cursor.path))
    repository = Repository(repository_root(path), max_file_bytes=IndexSettings().max_file_bytes)
    repository.scan()
    text = data.decode("utf-8", "replace")  # the document's bytes are this text's: count the offset in them
    repository.open_document(path, text, 0)
    offset = len(prefix.decode("utf-8", "replace").encode("utf-8"))
    prompt = build_prompt(
        repository.snapshot(), path, offset, CachedTokenizer(TransformersTokenizer(loaded.tokenizer)), budget
    )
    log.info(
        "prompt: %d tokens (budget %d, %s format) from %d files",
        len(prompt.ids),
        budget,
        prompt.format,
        len(prompt.files),
    )
    log.debug("prompt files, in prompt order: %s", ", ".join(prompt.files))
    stop = StopRule(multiline=args.multiline, block_indent=prompt.block_indent)
    completion = engine.complete(prompt.ids, prompt.positions, stop, max_tokens)
    log.info(
        "%s: %d prompt tokens, %d generated (%s); prefill %.2f s, decode %.2f s",
        loaded.name,
        completion.prompt_tokens,
        len(completion.tokens),
        completion.reason,
        completion.prefill_seconds,
        completion.decode_seconds,
    )
    print(completion.text)
    return 0


def _index(args: argparse.Namespace) -> int:
    from hirope_lsp.index.repository import Repository

    directory = Path(args.directory)
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a directory")
    repository = Repository(directory, max_file_bytes=IndexSettings().max_file_bytes)
    started = time.monotonic()
    bar = _ProgressBar(f"indexing {directory}") if sys.stderr.isatty() else None
    try:
        repository.scan(progress=bar)
    finally:
        if bar is not None:
            bar.close()
    seconds = time.monotonic() - started
    counts: dict[str, list[int]] = {}
    for file in repository.snapshot().files.values():
        row = counts.setdefault(file.language or "text", [0, 0, 0])
        row[0] += 1
        row[1] += len(file.units)
        row[2] += len(file.tags)
    print(f"{'language':<12}{'files':>8}{'units':>10}{'tags':>10}")
    for language, (files, units, tags) in sorted(counts.items(), key=lambda item: (-item[1][0], item[0])):
        print(f"{language:<12}{files:>8}{units:>10}{tags:>10}")
    total = [sum(row[column] for row in counts.values()) for column in range(3)]
    print(f"{'total':<12}{total[0]:>8}{total[1]:>10}{total[2]:>10}")
    print(f"indexed {repository.root} in {seconds:.2f} s")
    return 0


class _ProgressBar:
    """A progress bar on one line of stderr, `progress(done, total)` for Repository.scan; `close` erases it."""

    WIDTH = 30

    def __init__(self, label: str) -> None:
        self.label = label
        self._shown_at = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._shown_at < 0.1:  # redraw at most ten times a second
            return
        self._shown_at = now
        filled = self.WIDTH * done // total if total else self.WIDTH
        bar = "#" * filled + "." * (self.WIDTH - filled)
        sys.stderr.write(f"\r{self.label} [{bar}] {done}/{total} files")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


def repository_root(path: Path) -> Path:
    """The git work tree that holds `path` (a file), else the file's directory."""
    for directory in path.parents:
        if (directory / ".git").exists():
            return directory
    return path.parent


def parse_location(location: str) -> Cursor:
    """FILE:LINE:COL, with LINE and COL counted from 1 (FILE may itself contain colons)."""
    path, sep_line, rest = location.rpartition(":")
    file_part, sep_file, line_part = path.rpartition(":")
    if not (sep_line and sep_file and file_part and line_part.isdigit() and rest.isdigit()):
        raise UsageError(f"expected FILE:LINE:COL with LINE and COL counting from 1, got {location!r}")
    line, column = int(line_part), int(rest)
    if line < 1 or column < 1:
        raise UsageError(f"LINE and COL count from 1, got {line}:{column}")
    return Cursor(Path(file_part), line, column)


def read_source(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory, not a file") from None
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None
    from hirope_lsp.index.fileindex import looks_binary

    if looks_binary(data):
        raise UsageError(f"{path} is a binary file")
    return data


def prefix_at(data: bytes, cursor: Cursor) -> bytes:
    """The file's bytes before the cursor; a column past the end of its line means the line's end."""
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    if cursor.line > max(1, len(lines)):
        raise UsageError(f"line {cursor.line} is past the end of {cursor.path} ({len(lines)} lines)")
    before = sum(len(line) + 1 for line in lines[: cursor.line - 1])
    line_text = lines[cursor.line - 1].decode("utf-8", "replace") if lines else ""
    column_bytes = len(line_text[: cursor.column - 1].encode("utf-8"))
    return data[: before + column_bytes]


def _configure_logging(verbosity: int, log_file: str | None) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file))
    logging.basicConfig(level=level, handlers=handlers, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Third-party chatter (progress bars, advice) would break the one-line-error promise on stderr.
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if verbosity < 2:
        import warnings

        warnings.filterwarnings("ignore")


if __name__ == "__main__":
    raise SystemExit(main())
