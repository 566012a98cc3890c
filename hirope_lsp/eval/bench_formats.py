"""Do the decode weight formats change what the model predicts? Speed and agreement, on real code.

    python -m hirope_lsp.eval.bench_formats [--formats float32 float16 int4] [--prompts 4] [--tokens 128]

For each of --prompts stretches of the standard library (asyncio, then email; bench_engine's prompt),
the engine prefills --context tokens, then runs the next --tokens tokens of the real text one by one
as decode steps (teacher forcing), once per weight format (model/packed.py). Per format it prints the
next-token loss and perplexity of the real text, how often its top token equals float32's, the largest
logit difference from float32, and ms per decode step. float32 is the reference and always runs.
"""

from __future__ import annotations

import argparse
import math
import time

import torch

from hirope_lsp.eval.bench_engine import code_prompt
from hirope_lsp.hirope.attention import FarKeyCache, HiropeState
from hirope_lsp.model.decode_step import DecodeStep
from hirope_lsp.model.kv_cache import GrowingCache
from hirope_lsp.model.loader import LoadedModel, load_model
from hirope_lsp.model.packed import FORMATS
from hirope_lsp.model.rope import enable_hirope


def teacher_forced(
    loaded: LoadedModel, step: DecodeStep, ids: list[int], context: int, units: torch.Tensor
) -> tuple[list[torch.Tensor], float]:
    """Logits of every step over ids[context:], each fed the real previous token; ms per step."""
    facts = enable_hirope(loaded.model)
    geometry = facts.geometry(None, None)  # the server's far rule
    cache, far_keys = GrowingCache(), FarKeyCache()
    seen = []
    with torch.inference_mode():
        state = HiropeState(units[: context - 1], facts.inv_freq, geometry, far_keys)
        loaded.model(torch.tensor([ids[: context - 1]]), cache=cache, use_cache=True, hirope=state)
        started = time.perf_counter()
        for position in range(context - 1, len(ids) - 1):
            state = HiropeState(units[: position + 1], facts.inv_freq, geometry, far_keys)
            seen.append(step([ids[position]], cache, state))
        return seen, (time.perf_counter() - started) * 1000 / len(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--formats", nargs="+", default=["float16", "int4"], choices=list(FORMATS))
    parser.add_argument("--prompts", type=int, default=4)
    parser.add_argument("--context", type=int, default=512)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    loaded = load_model(args.model)
    span = args.context + args.tokens
    tokenize = loaded.tokenizer.encode
    ids_all, positions = code_prompt(lambda text: list(tokenize(text, add_special_tokens=False)), span * args.prompts)
    units_all = torch.tensor(positions.unit)
    names = ["float32", *[name for name in args.formats if name != "float32"]]
    totals = {name: {"loss": 0.0, "agree": 0, "diff": 0.0, "ms": 0.0} for name in names}
    count = 0
    for prompt in range(args.prompts):
        ids = list(ids_all[prompt * span : (prompt + 1) * span])
        units = units_all[prompt * span : (prompt + 1) * span] - units_all[prompt * span]
        targets = torch.tensor(ids[args.context :])
        reference: list[torch.Tensor] = []
        for name in names:
            logits, ms = teacher_forced(loaded, DecodeStep(loaded.model, FORMATS[name]), ids, args.context, units)
            stacked = torch.stack(logits)
            reference = reference or logits
            top = torch.stack(reference).argmax(-1)
            totals[name]["loss"] += float(torch.nn.functional.cross_entropy(stacked, targets, reduction="sum"))
            totals[name]["agree"] += int((stacked.argmax(-1) == top).sum())
            totals[name]["diff"] = max(totals[name]["diff"], float((stacked - torch.stack(reference)).abs().max()))
            totals[name]["ms"] += ms / args.prompts
        count += len(targets)
    print(f"{loaded.name}: {args.prompts} stretches of {args.context} + {args.tokens} tokens, {args.threads} thread(s)")
    print("format    loss    ppl    top-1 = float32   max |logit diff|   ms/step")
    for name, total in totals.items():
        loss = total["loss"] / count
        print(
            f"{name:8s} {loss:6.4f} {math.exp(loss):6.3f} {total['agree'] / count:14.4f} "
            f"{total['diff']:17.3f} {total['ms']:9.1f}"
        )


if __name__ == "__main__":
    main()
