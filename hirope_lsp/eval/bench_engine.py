"""Engine benchmark: prefill and decode speed, HiRoPE's overhead over stock attention, cache reuse.

    python -m hirope_lsp.eval.bench_engine [--dtype float32] [--lengths 2048 8192] [--decode-tokens 32]

The prompt is real code (the installed standard library's asyncio package, whole files), laid out in
outline units as the prompt builder does, cut to each length. For each length it prints:
- prefill tokens/s, stock attention (flat) and HiRoPE, and their ratio;
- one decode step (ms, median over the generated tokens) for both, and their ratio;
- a completion after a one-character edit at the end of the prompt (warm cache) against cold;
- peak resident memory of the process so far.
Greedy decoding runs for exactly --decode-tokens (no stop rule), so runs compare like with like.
"""

from __future__ import annotations

import argparse
import resource
import sysconfig
import time
from pathlib import Path

import torch

from hirope_lsp.hirope.positions import Positions
from hirope_lsp.index.document import Document
from hirope_lsp.index.languages import language_for_path
from hirope_lsp.index.outline import top_level_units
from hirope_lsp.model.engine import Engine, RopeSettings
from hirope_lsp.model.loader import DTYPES, load_model
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


def run(engine: Engine, ids: list[int], positions: Positions, decode_tokens: int) -> tuple[float, float]:
    """Cold prefill tokens/s, and ms per decode step after that prompt."""
    engine.reset()
    started = time.perf_counter()
    engine.complete(ids, positions, NEVER_STOP, 1, heal=False)
    prefill = len(ids) / (time.perf_counter() - started)
    completion = engine.complete(ids, positions, NEVER_STOP, decode_tokens, heal=False)  # reuses the prompt
    return prefill, completion.decode_seconds / max(1, len(completion.tokens) - 1) * 1000


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
    parser.add_argument("--decode-dtype", default="float16", choices=list(DTYPES))
    parser.add_argument("--lengths", type=int, nargs="+", default=[2048, 8192])
    parser.add_argument("--decode-tokens", type=int, default=32)
    parser.add_argument("--window", type=int, default=512)
    args = parser.parse_args()

    loaded = load_model(args.model, dtype=args.dtype)
    decode_dtype = DTYPES[args.decode_dtype]
    engines = {
        mode: Engine(loaded, RopeSettings(mode=mode, window=args.window), decode_dtype) for mode in ("flat", "hirope")
    }
    print(f"model {loaded.name}, weights {args.dtype}, decode weights {args.decode_dtype}, torch {torch.__version__},")
    print(f"{torch.get_num_threads()} threads")
    print(f"HiRoPE window {args.window}, split band {engines['hirope'].geometry.split}")
    print("length  prefill tok/s flat  hirope  ratio | decode ms flat  hirope  ratio", end="")
    print(" | edit warm s  cold s  x | peak GiB")

    def tokenize(text: str) -> list[int]:
        return list(loaded.tokenizer.encode(text, add_special_tokens=False))

    for length in args.lengths:
        ids, positions = code_prompt(tokenize, length)
        flat_prefill, flat_decode = run(engines["flat"], ids, positions, args.decode_tokens)
        hirope_prefill, hirope_decode = run(engines["hirope"], ids, positions, args.decode_tokens)
        warm, cold = edit_speedup(engines["hirope"], ids, positions)
        print(
            f"{length:6d}  {flat_prefill:18.0f}  {hirope_prefill:6.0f}  {flat_prefill / hirope_prefill:5.2f} |"
            f" {flat_decode:14.1f}  {hirope_decode:6.1f}  {hirope_decode / flat_decode:5.2f} |"
            f" {warm:11.2f}  {cold:6.2f}  {cold / warm:4.0f} | {peak_rss_gib():8.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
