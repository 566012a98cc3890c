"""Engine benchmark: prefill and decode speed, HiRoPE's overhead over stock attention, cache reuse.

    python -m hirope_lsp.eval.bench_engine [--dtype float32] [--lengths 2048 8192] [--decode-tokens 32]
                                           [--decode-dtype int4] [--decode-threads 1] [--window N]

The prompt is real code (the installed standard library's asyncio package, whole files), laid out in
outline units as the prompt builder does, cut to each length. For each length and rope mode (flat: stock
attention) it prints:
- prefill tokens/s (cold);
- ms per decode step after that prompt (mean over the generated tokens), one token a step;
- ms per generated token with prompt lookup (guessed tokens run with each step; model/lookup.py), the
  engine's default: the same tokens, fewer steps where the text repeats the prompt;
- seconds for a completion after a one-token edit at the end of the prompt, warm cache and cold;
- peak resident memory of the process so far (so run one length alone to read its own peak).
Greedy decoding runs for exactly --decode-tokens (no stop rule), so runs compare like with like.
Defaults are the server's: int4 decode weights where the model is 4-bit already, one thread for
decode steps, the engine's far rule (the stock model up to the training window N; beyond it W = N/2 on
units of 8 tokens; --window 512 times the far branch at 2k/8k).

Where llama-cpp-python is installed, the same prompt ids run through llama.cpp on the model's GGUF
(the default model only) in the same run, with the decode threads, and the ratio is printed.
"""

from __future__ import annotations

import argparse
import resource
import sysconfig
import time
from pathlib import Path

import torch

from hirope_lsp.eval.llamacpp import llama_cpp_speed
from hirope_lsp.hirope.positions import Positions
from hirope_lsp.index.document import Document
from hirope_lsp.index.languages import language_for_path
from hirope_lsp.index.outline import top_level_units
from hirope_lsp.model.engine import Engine, RopeSettings
from hirope_lsp.model.loader import DTYPES, default_gguf_path, load_model
from hirope_lsp.model.packed import FORMATS
from hirope_lsp.model.stops import StopRule
from hirope_lsp.prompt.layout import Tokenize, encode_units

NEVER_STOP = StopRule(multiline=True, block_indent=-1)


def code_prompt(tokenize: Tokenize, length: int) -> tuple[list[int], Positions]:
    """`length` tokens of real code in outline units (asyncio, then more of the standard library)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    pieces: list[str] = []
    total = 0
    for path in sorted((stdlib / "asyncio").glob("*.py")) + sorted((stdlib / "email").glob("*.py")):
        data = path.read_bytes()
        document = Document.from_bytes(str(path), data, language_for_path(path))
        for unit in top_level_units(document):
            pieces.append(data[unit.start_byte : unit.end_byte].decode("utf-8", "replace"))
            total += len(pieces[-1]) // 3
        if total > 2 * length:
            break
    ids, positions = encode_units(pieces, tokenize)
    if len(ids) < length:
        raise SystemExit(f"not enough code for {length} tokens ({len(ids)})")
    return list(ids[:length]), positions[:length]


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def run(engine: Engine, ids: list[int], positions: Positions, decode_tokens: int) -> tuple[float, float, float]:
    """Cold prefill tokens/s; ms per decode step after that prompt, and ms per token with prompt lookup."""
    engine.reset()
    started = time.perf_counter()
    engine.complete(ids, positions, NEVER_STOP, 1, heal=False)
    prefill = len(ids) / (time.perf_counter() - started)
    guess_tokens = engine.guess_tokens
    per_token = []
    for guesses in (0, guess_tokens):
        engine.guess_tokens = guesses
        completion = engine.complete(ids, positions, NEVER_STOP, decode_tokens, heal=False)  # reuses the prompt
        per_token.append(completion.decode_seconds / max(1, len(completion.tokens) - 1) * 1000)
    engine.guess_tokens = guess_tokens
    print(f"        ({completion.decode_steps} forwards for {len(completion.tokens) - 1} tokens with lookup)")
    return prefill, per_token[0], per_token[1]


def edit_speedup(engine: Engine, ids: list[int], positions: Positions) -> tuple[float, float]:
    """Seconds for a one-token completion after a one-token edit at the end: warm cache, cold."""
    engine.reset()
    engine.complete(ids, positions, NEVER_STOP, 1, heal=False)
    edited = [*ids[:-1], ids[-1] + 1]
    started = time.perf_counter()
    engine.complete(edited, positions, NEVER_STOP, 1, heal=False)
    warm = time.perf_counter() - started
    engine.reset()
    started = time.perf_counter()
    engine.complete(edited, positions, NEVER_STOP, 1, heal=False)
    return warm, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--dtype", default="float32", choices=list(DTYPES))
    parser.add_argument("--decode-dtype", default="int4", choices=list(FORMATS))
    parser.add_argument("--decode-threads", type=int, default=1, help="threads for decode steps (0: torch's)")
    parser.add_argument("--lengths", type=int, nargs="+", default=[2048, 8192])
    parser.add_argument("--modes", nargs="+", default=["flat", "hirope"], choices=["flat", "hirope"])
    parser.add_argument("--decode-tokens", type=int, default=32)
    parser.add_argument("--window", type=int, default=None, help="HiRoPE window (default: the engine's)")
    parser.add_argument("--no-edit", action="store_true", help="skip the warm-vs-cold edit comparison")
    parser.add_argument("--no-llamacpp", action="store_true", help="skip llama.cpp even where it is installed")
    args = parser.parse_args()

    loaded = load_model(args.model, dtype=args.dtype)
    decode_threads = args.decode_threads or None
    engines = {
        mode: Engine(
            loaded,
            RopeSettings(mode=mode, window=args.window),
            FORMATS[args.decode_dtype],
            decode_threads,
        )
        for mode in args.modes
    }
    print(f"model {loaded.name}, weights {args.dtype}, decode weights {args.decode_dtype}, ", end="")
    print(f"torch {torch.__version__},")
    geometry = engines[args.modes[-1]].geometry
    print(f"{torch.get_num_threads()} threads, {args.decode_threads or 'all'} for decode steps; ", end="")
    units = engines[args.modes[-1]].rope.unit_tokens
    where = " beyond the training window" if args.window is None else ""
    print(f"HiRoPE window {geometry.window}{where}; split band {geometry.split}; ", end="")
    print(f"units of {units} tokens" if units else "the outline's units")
    print("length  mode    prefill tok/s  decode ms/step  lookup ms/token  edit warm s  edit cold s  peak GiB")

    def tokenize(text: str) -> list[int]:
        return list(loaded.tokenizer.encode(text, add_special_tokens=False))

    for length in args.lengths:
        ids, positions = code_prompt(tokenize, length)
        for mode, engine in engines.items():
            prefill, decode, lookup = run(engine, ids, positions, args.decode_tokens)
            edit = (
                "           -            -"
                if args.no_edit
                else "{:12.2f} {:12.2f}".format(*edit_speedup(engine, ids, positions))
            )
            speeds = f"{prefill:13.0f}  {decode:14.1f}  {lookup:15.1f}"
            print(f"{length:6d}  {mode:6s}  {speeds} {edit}  {peak_rss_gib():8.2f}", flush=True)
        if args.model == "default" and not args.no_llamacpp:
            llama = llama_cpp_speed(
                default_gguf_path(),
                ids,
                args.decode_tokens,
                decode_threads or torch.get_num_threads(),
                torch.get_num_threads(),
            )
            if llama is None:
                print(f"{length:6d}  llama.cpp: not measured (llama-cpp-python is not installed)")
            else:
                speed = llama[1] / decode  # our tokens/s over llama.cpp's
                print(f"{length:6d}  llama.cpp {llama[0]:8.0f}  {llama[1]:14.1f}  (speed / llama.cpp: {speed:.2f})")


if __name__ == "__main__":
    main()
