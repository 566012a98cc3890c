"""llama.cpp on the same GGUF and the same token ids: the engine benchmark's side-by-side reference.

Optional: it needs llama-cpp-python (`pip install llama-cpp-python`, which compiles llama.cpp; ~25 min
on this 2-core machine) and is skipped without it. It drives the C API through the package's ctypes
bindings, as llama.cpp's own examples do: a prefill in batches of 512, then one greedy token per decode
call. The model's extra buffer types (AMX and repacked weights) are off: as built on this CPU that path
crashed (engine issue), and the issue's reference numbers were taken that way.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

BATCH = 512

_SILENT: list[object] = []  # the no-op log callback, kept alive for as long as llama.cpp may call it


def llama_cpp_speed(
    gguf: Path, ids: list[int], decode_tokens: int, threads: int, prefill_threads: int
) -> tuple[float, float] | None:
    """(prefill tokens/s, ms per decode step) for `ids` then `decode_tokens` greedy tokens, or None where
    llama-cpp-python is not installed."""
    try:
        import llama_cpp
    except ImportError:
        return None
    if not _SILENT:  # its load log is thousands of lines on stderr
        _SILENT.append(llama_cpp.llama_log_callback(lambda level, text, data: None))
        llama_cpp.llama_log_set(_SILENT[0], None)
    llama_cpp.llama_backend_init()
    model_params = llama_cpp.llama_model_default_params()
    model_params.use_extra_bufts = False
    model = llama_cpp.llama_model_load_from_file(str(gguf).encode(), model_params)
    if not model:
        raise RuntimeError(f"llama.cpp cannot load {gguf}")
    context_params = llama_cpp.llama_context_default_params()
    context_params.n_ctx = len(ids) + decode_tokens + 8
    context_params.n_batch = context_params.n_ubatch = BATCH
    context_params.n_threads, context_params.n_threads_batch = threads, prefill_threads
    context = llama_cpp.llama_init_from_model(model, context_params)
    vocabulary = llama_cpp.llama_vocab_n_tokens(llama_cpp.llama_model_get_vocab(model))

    def greedy(tokens: list[int]) -> int:
        """Run `tokens` after what the context holds; the top token after the last one."""
        array = (llama_cpp.llama_token * len(tokens))(*tokens)
        if llama_cpp.llama_decode(context, llama_cpp.llama_batch_get_one(array, len(tokens))) != 0:
            raise RuntimeError("llama_decode failed")
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(context, -1), shape=(vocabulary,))
        return int(logits.argmax())

    try:
        started = time.perf_counter()
        token = 0
        for start in range(0, len(ids), BATCH):
            token = greedy(ids[start : start + BATCH])
        prefilled = time.perf_counter()
        for _ in range(decode_tokens - 1):
            token = greedy([token])
        finished = time.perf_counter()
    finally:
        llama_cpp.llama_free(context)
        llama_cpp.llama_model_free(model)
    return len(ids) / (prefilled - started), (finished - prefilled) * 1000 / max(1, decode_tokens - 1)
