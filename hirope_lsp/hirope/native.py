"""A fused CPU kernel for the attention of a few query tokens (csrc/decode_attention.c): decode steps,
prompt lookup's guesses, a prompt's last tokens. Built on first use.

A decode step's attention is two batched products of 1-8 query rows with the whole KV cache and a
softmax between them. Torch runs those far below memory bandwidth on a CPU: at 2k tokens SmolLM2-135M's 30
layers took ~11 ms of a ~32 ms step, where reading the cache once takes ~4 ms (docs/BENCHMARKS.md). The C
kernel reads every key and value row once for all the query heads that share it: ~5 ms.

It is compiled with the system's C compiler (`$CC`, else `cc`) for this CPU (-march=native) into the
user cache directory, keyed by the source, the flags and the CPU, and loaded with ctypes; the first
engine on a machine pays ~0.3 s for it. Without a compiler, or if the build fails, a warning is logged
once and attention stays in torch (same results, slower). HIROPE_NATIVE=0 turns the kernel off.

It covers what the engine's small forwards have: one sequence, up to 8 query tokens, float32, rows of
keys and values with unit stride (the KV cache's views), a head dimension up to 256. `attention`
returns None for anything else, and the caller runs torch.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import torch

from hirope_lsp.config import user_cache_dir

log = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("csrc") / "decode_attention.c"
MAX_DIM = 256  # the kernel's bound (MAX_DIM in the C source)
MAX_QUERIES = 8  # more query tokens go to torch's blocked products, which reuse each key across them
# -ffast-math lets the compiler vectorize expf (glibc's libmvec) and the reductions. It is given when
# compiling only: linked with it, gcc adds crtfastmath.o, which would switch the whole process (torch
# included) to flush-to-zero on load.
COMPILE_FLAGS = ("-O3", "-ffast-math", "-fPIC")
CPU_FLAGS = (("-march=native",), ())  # tried in order: -march=native is not every compiler's

_lock = threading.Lock()
_library: ctypes.CDLL | None = None
_failure: str | None = None  # why there is no kernel, once a build was tried


class BuildError(RuntimeError):
    """The kernel could not be compiled or loaded; the message has the compiler's last words."""


def attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    window: int | None,
    far: tuple[torch.Tensor, torch.Tensor] | None,
) -> torch.Tensor | None:
    """Causal attention of the last Sq tokens (queries, scaled, [1, Hq, Sq, D]) over key, value
    ([1, Hkv, S, D]): [1, Sq, Hq, D], or None when the kernel is missing or the inputs are outside it.

    window None: the stock rule. Else a pair t - j >= window takes far = (far queries scaled, far keys)
    instead, HiRoPE's far rule (attention.py)."""
    if not _fits(query, key, value, window, far):
        return None
    library = kernel()
    if library is None:
        return None
    q_heads, queries = query.shape[1], query.shape[2]
    kv_heads, length, dim = key.shape[1], key.shape[2], key.shape[3]
    query = query[0].transpose(0, 1).contiguous()  # [Sq, Hq, D]: one token's heads together
    far_query, far_key = (query, key) if far is None else (far[0][0].transpose(0, 1).contiguous(), far[1])
    scores = torch.empty(queries * (q_heads // kv_heads) * length)  # the kernel's scratch
    out = torch.empty(1, queries, q_heads, dim)
    status = library.hirope_decode_attention(
        queries,
        kv_heads,
        q_heads // kv_heads,
        dim,
        length,
        window or 0,
        query.data_ptr(),
        far_query.data_ptr(),
        key.data_ptr(),
        key.stride(1),
        key.stride(2),
        far_key.data_ptr(),
        far_key.stride(1),
        far_key.stride(2),
        value.data_ptr(),
        value.stride(1),
        value.stride(2),
        scores.data_ptr(),
        out.data_ptr(),
    )
    if status != 0:
        raise ValueError(f"native attention refused q {tuple(query.shape)}, k {tuple(key.shape)}")
    return out


def _fits(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    window: int | None,
    far: tuple[torch.Tensor, torch.Tensor] | None,
) -> bool:
    """Whether the kernel takes these: a few float32 queries on the CPU, rows with unit stride, D <= MAX_DIM,
    and far queries and keys exactly when there is a window."""
    tensors = [query, key, value, *(far or ())]
    if any(t.dtype != torch.float32 or t.device.type != "cpu" or t.dim() != 4 for t in tensors):
        return False
    if any(t.stride(-1) != 1 for t in tensors[1:]):
        return False
    batch, q_heads, queries, dim = query.shape
    kv_heads, length = key.shape[1], key.shape[2]
    if batch != 1 or not 0 < queries <= MAX_QUERIES or queries > length or not 0 < dim <= MAX_DIM:
        return False
    if q_heads % kv_heads or value.shape != key.shape:
        return False
    if window is None or far is None:
        return window is None and far is None
    far_query, far_key = far
    return (
        window > 0
        and far_query.shape == query.shape
        and far_key.shape[:2] == key.shape[:2]
        and far_key.shape[2] >= length - window
        and far_key.shape[3] == dim
    )


def kernel() -> ctypes.CDLL | None:
    """The loaded kernel, built on the first call; None (and a warning, once) if it cannot be had."""
    global _library, _failure
    if _library is not None or _failure is not None:
        return _library
    with _lock:
        if _library is None and _failure is None:
            if os.environ.get("HIROPE_NATIVE", "1") == "0":
                _failure = "turned off by HIROPE_NATIVE=0"
            else:
                try:
                    _library = load(user_cache_dir() / "native")
                except (BuildError, OSError) as error:  # OSError: an unwritable cache directory
                    _failure = str(error)
                    log.warning("decode attention stays in torch (slower): %s", error)
    return _library


def load(directory: Path, compiler: str | None = None) -> ctypes.CDLL:
    """Build the kernel into `directory` unless a build for this source, compiler and CPU is there; load it."""
    compiler = compiler or os.environ.get("CC") or "cc"
    if shutil.which(compiler) is None:
        raise BuildError(f"no C compiler {compiler!r} on PATH (set CC, or install gcc or clang)")
    try:
        source = SOURCE.read_bytes()
    except OSError as error:
        raise BuildError(f"the kernel's source is missing from the installation: {error}") from error
    errors = []
    for cpu_flags in CPU_FLAGS:
        identity = b"\0".join([source, compiler.encode(), " ".join(COMPILE_FLAGS + cpu_flags).encode(), _cpu()])
        target = directory / f"decode_attention-{hashlib.sha256(identity).hexdigest()[:16]}.so"
        if not target.exists():
            try:
                _build(compiler, cpu_flags, target)
            except BuildError as error:
                errors.append(str(error))
                continue
        try:
            library = ctypes.CDLL(str(target))
        except OSError as error:
            errors.append(f"cannot load {target}: {error}")
            continue
        function = library.hirope_decode_attention
        size, pointer = ctypes.c_long, ctypes.c_void_p
        function.argtypes = [ctypes.c_int] * 4 + [size] * 2 + [pointer] * 3 + [size] * 2 + [pointer, size, size] * 2
        function.argtypes += [pointer] * 2
        function.restype = ctypes.c_int
        return library
    raise BuildError("; ".join(errors))


def _build(compiler: str, cpu_flags: tuple[str, ...], target: Path) -> None:
    """Compile, then link without -ffast-math (see COMPILE_FLAGS), into a temporary name renamed into place:
    servers starting together each build and the last rename wins, never a half-written file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        obj, shared = Path(scratch) / "kernel.o", Path(scratch) / target.name
        for command in (
            [compiler, *COMPILE_FLAGS, *cpu_flags, "-c", str(SOURCE), "-o", str(obj)],
            [compiler, "-shared", str(obj), "-o", str(shared), "-lm"],
        ):
            try:
                run = subprocess.run(command, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
            except (OSError, subprocess.TimeoutExpired) as error:
                raise BuildError(f"{' '.join(command)}: {error}") from error
            if run.returncode != 0:
                last = (run.stderr.strip().splitlines() or [f"exit status {run.returncode}"])[-1]
                raise BuildError(f"{' '.join(command)}: {last}")
        os.replace(shared, target)


def _cpu() -> bytes:
    """What -march=native depends on: the machine and its CPU's feature flags (a cache directory may be
    shared between machines)."""
    flags = b""
    try:
        with open("/proc/cpuinfo", "rb") as cpuinfo:
            flags = next((line for line in cpuinfo if line.startswith((b"flags", b"Features"))), b"")
    except OSError:
        pass
    return platform.machine().encode() + b"\0" + flags
