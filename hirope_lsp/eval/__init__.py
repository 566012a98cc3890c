"""Evaluation and benchmarks: runnable modules that print numbers (python -m hirope_lsp.eval.NAME)."""
