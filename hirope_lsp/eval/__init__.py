"""Evaluation and benchmarks.

- `hirope-lsp eval ppl|complete|prompts|symbols` (commands.py, over ppl.py, complete.py, prompts.py, symbols.py, with
  metrics.py, corpus.py and report.py): what HiRoPE does for the model's predictions; each run writes
  a JSON file and a PNG (docs/RESULTS.md).
- `python -m hirope_lsp.eval.bench_NAME`: speed and memory benchmarks that print numbers (engine, index,
  prompt, stability, lsp; docs/BENCHMARKS.md).
"""
