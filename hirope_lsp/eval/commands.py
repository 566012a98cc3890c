"""`hirope-lsp eval ppl|complete|line-loss|prompts|symbols|compare`: every evaluation's arguments, and the dispatch.

Importing this module imports no torch: the CLI builds its parser from it on every start.

Every run takes a seed, a sample count, a model and a device, writes OUT/NAME.json and OUT/NAME.png,
and draws a progress bar on stderr when stderr is a terminal. The defaults are sized for a 2-core CPU
(the three together took about 45 minutes there, docs/RESULTS.md); on a GPU pass `--device cuda` and
larger `--lengths` / `--samples` (and `--modes flat truncate hirope` for symbols). `compare` loads no
model: it pairs the samples of two methods across result files (compare.py). `prompts` loads the model for
its tokenizer only and runs no forward pass (prompts.py).
"""

from __future__ import annotations

import argparse
import random
import sys
from typing import Any

from hirope_lsp.config import unit_tokens_option
from hirope_lsp.eval import compare
from hirope_lsp.hirope.split import DEFAULT_UNIT_TOKENS

PPL_METHODS = ["flat", "truncate", "hirope", "dynamic", "yarn"]


def add_eval_commands(parser: argparse.ArgumentParser, parents: list[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--model", default="default", help="'default', a .gguf file, a model dir or a HF id")
    common.add_argument("--dtype", default="bfloat16", choices=["float32", "bfloat16", "float16"])
    common.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:1 ...")
    common.add_argument("--seed", type=int, default=0)
    common.add_argument("--out", default="eval-results", help="directory for NAME.json and NAME.png")
    common.add_argument(
        "--window", type=int, default=None, help="HiRoPE window W (default: the engine's; ppl: 3/4 of training)"
    )
    common.add_argument(
        "--split", type=float, default=None, help="HiRoPE split ratio (default: the engine's; ppl: critical)"
    )
    engine = argparse.ArgumentParser(add_help=False)  # the evals that run the engine (ppl spells cN instead)
    engine.add_argument(
        "--unit-tokens",
        type=unit_tokens_option,
        default=DEFAULT_UNIT_TOKENS,
        help=f"HiRoPE units of N consecutive tokens (default {DEFAULT_UNIT_TOKENS}; 0: the outline's units)",
    )
    evals = parser.add_subparsers(dest="eval", metavar="EVAL", required=True)

    def sub(name: str, text: str, *extra: argparse.ArgumentParser) -> argparse.ArgumentParser:
        return evals.add_parser(name, parents=[*parents, common, *extra], help=text, description=text)

    ppl = sub("ppl", "Perplexity against context length on whole stdlib files (hirope_lsp/eval/ppl.py).")
    ppl.add_argument("--lengths", type=int, nargs="+", default=[2048, 8192, 16384], help="bucket lengths")
    ppl.add_argument("--samples", type=int, default=1, help="stdlib groups or PyPI sdists (sequences), 1..8")
    ppl.add_argument("--first-group", type=int, default=0, help="the first of the groups or sdists to take (0..7)")
    ppl.add_argument(
        "--corpus",
        choices=["stdlib", "pypi"],
        default="stdlib",
        help="the installed standard library's package groups, or pinned PyPI source distributions fetched "
        "once with pip into ~/.cache/hirope-lsp/sdists (hirope_lsp/eval/pypi.py; the network the first time)",
    )
    ppl.add_argument(
        "--methods",
        nargs="+",
        default=PPL_METHODS,
        help="of " + " ".join(PPL_METHODS) + ", or hirope-OPTIONS: wN window, sR split, gG unit scale, "
        "gfit (G per sequence, at most gG or 24), logn, nofar, local, file (a file level, F per sequence), "
        "cN (units of N tokens), nearL (the last L tokens' units at G, older ones at G2), oldP (with nearL: P%% "
        "of the far positions for the older units); e.g. hirope-w4096-g64, hirope-w4096-s0-c8-near16384-old25",
    )
    ppl.add_argument(
        "--variants", action="store_true", help="also hirope-w128 hirope-w512 hirope-w2048 hirope-s0.50 hirope-s0.75"
    )
    ppl.add_argument("--score-tokens", type=int, default=2048, help="the last tokens of each bucket to score")
    ppl.add_argument("--truncate-chunk", type=int, default=1024, help="scored tokens per truncated forward")
    ppl.add_argument("--sequence-tokens", type=int, default=32768, help="where every bucket ends")

    cursors = argparse.ArgumentParser(add_help=False)  # the evals at complete.py's cursors
    cursors.add_argument("--samples", type=int, default=2, help="cursors")
    cursors.add_argument("--root", default=None, help="where the repositories are (default: the stdlib)")
    cursors.add_argument("--repos", nargs="+", default=["email"], help="directories under --root, one repository each")
    cursors.add_argument("--max-tokens", type=int, default=32, help="tokens to generate per line (off the budget)")
    cursors.add_argument(
        "--code-lines",
        action="store_true",
        help="no cursor on a line inside a string that spans lines (docstrings); other cursors than without it",
    )
    budgets_help = "MODE:MULTIPLE of the training window for the prompt (MODE flat or hirope; 0.25: a quarter)"

    chosen = argparse.ArgumentParser(add_help=False)  # the evals that run the model at chosen cursors
    chosen.add_argument(
        "--new-names",
        nargs=2,
        metavar=("SMALLER", "LARGER"),
        default=None,
        help="only cursors where budget LARGER's prompt holds a name of the removed line that SMALLER's does not "
        "(e.g. flat:1 hirope:2: where the context beyond the window has what the window lacks)",
    )

    complete = sub(
        "complete",
        "Next-line completion at cursors in stdlib packages (hirope_lsp/eval/complete.py).",
        engine,
        cursors,
        chosen,
    )
    complete.add_argument("--budgets", nargs="+", default=["flat:1", "hirope:1", "hirope:2"], help=budgets_help)

    text = "The removed line's loss at complete's cursors, teacher-forced, by budget (hirope_lsp/eval/lineloss.py)."
    line_loss = sub("line-loss", text, engine, cursors, chosen)
    line_loss.add_argument("--budgets", nargs="+", default=["flat:1", "hirope:2"], help=budgets_help)

    text = "What the prompt holds of the removed line at complete's cursors, no model run (hirope_lsp/eval/prompts.py)."
    prompts = sub("prompts", text, cursors, chosen)
    prompts.add_argument(
        "--budgets", nargs="+", default=["flat:0.0625", "flat:0.25", "flat:1", "hirope:2"], help=budgets_help
    )

    symbols = sub("symbols", "List the functions and classes of a long context (hirope_lsp/eval/symbols.py).", engine)
    symbols.add_argument("--samples", type=int, default=1, help="contexts per length")
    symbols.add_argument("--lengths", type=int, nargs="+", default=[16384], help="context lengths")
    symbols.add_argument("--modes", nargs="+", default=["truncate", "hirope"], help="of flat truncate hirope")
    symbols.add_argument("--max-tokens", type=int, default=96, help="tokens of the answer")

    text = "Pair two methods' samples across ppl, complete or line-loss results (hirope_lsp/eval/compare.py)."
    compare.add_arguments(evals.add_parser("compare", parents=parents, help=text, description=text))


def run_eval(args: argparse.Namespace) -> int:
    """Load the model once and run the chosen evaluation; a summary table goes to stdout."""
    if args.eval == "compare":
        return run_compare(args)
    import torch

    from hirope_lsp.eval import complete, lineloss, ppl, prompts, symbols
    from hirope_lsp.eval.pypi import FetchError
    from hirope_lsp.model.loader import ModelLoadError, load_model
    from hirope_lsp.model.rope import UnsupportedModelError

    modules: dict[str, Any] = {
        "ppl": ppl, "complete": complete, "line-loss": lineloss, "prompts": prompts, "symbols": symbols
    }  # fmt: skip
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    try:
        loaded = load_model(args.model, dtype=args.dtype)
        loaded.model.to(args.device)
        module = modules[args.eval]
        results = module.run(args, loaded)
    except (ModelLoadError, UnsupportedModelError, ValueError, FileNotFoundError, FetchError) as error:
        print(f"hirope-lsp: error: {error}", file=sys.stderr)
        return 1
    for row in module.table(results):
        print(row)
    print(f"wrote {args.out}/{args.eval}.json and {args.out}/{args.eval}.png")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    try:
        rows = compare.run(args)
    except ValueError as error:
        print(f"hirope-lsp: error: {error}", file=sys.stderr)
        return 1
    for row in rows:
        print(row)
    return 0
