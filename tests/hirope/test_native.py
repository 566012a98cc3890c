"""The native attention kernel: built here, equal to the arithmetic it replaces, and out of the way when it
cannot run."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest
import torch

from hirope_lsp.hirope import attention, native
from hirope_lsp.hirope.buffer import GrowingBuffer

COMPILER = os.environ.get("CC") or "cc"


def cache_rows(heads: int, length: int, dim: int, generator: torch.Generator) -> torch.Tensor:
    """[1, heads, length, dim] as the KV cache holds it: rows strided by a capacity beyond the length."""
    buffer = GrowingBuffer()
    buffer.append(torch.randn(1, heads, length + 50, dim, generator=generator))
    buffer.crop(length // 2)
    return buffer.append(torch.randn(1, heads, length - length // 2, dim, generator=generator))


def expected(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    window: int | None,
    far_query: torch.Tensor,
    far_key: torch.Tensor,
) -> torch.Tensor:
    """In float64, token by token: query token t = S - Sq + r sees keys j <= t, by q . k when t - j < window,
    else by far_q . far_k: [1, Sq, Hq, D]."""
    _, q_heads, queries, dim = query.shape
    kv_heads, length = key.shape[1], key.shape[2]
    groups = q_heads // kv_heads
    rows = []
    for r in range(queries):
        t = length - queries + r
        far_end = 0 if window is None else max(0, t + 1 - window)
        q = query[0, :, r].double().view(kv_heads, groups, dim)
        fq = far_query[0, :, r].double().view(kv_heads, groups, dim)
        far_scores = fq @ far_key[0, :, :far_end].double().transpose(-1, -2)
        near_scores = q @ key[0, :, far_end : t + 1].double().transpose(-1, -2)
        probs = torch.softmax(torch.cat([far_scores, near_scores], -1), -1)
        rows.append((probs @ value[0, :, : t + 1].double()).view(q_heads, dim))
    return torch.stack(rows)[None]


@pytest.mark.skipif(
    shutil.which(COMPILER) is None, reason=f"no C compiler {COMPILER!r}: the engine runs torch's attention"
)
def test_the_kernel_builds_on_a_machine_with_a_compiler() -> None:
    assert native.kernel() is not None, native._failure


@pytest.mark.parametrize(("kv_heads", "groups"), [(3, 3), (1, 1), (2, 2), (2, 4), (1, 5), (2, 7), (1, 8)])
@pytest.mark.parametrize("dim", [32, 64, 128])
@pytest.mark.parametrize(
    ("length", "queries", "window"),
    [(1, 1, None), (9, 1, None), (9, 1, 5), (9, 4, None), (9, 4, 6), (300, 1, None), (300, 1, 89), (300, 8, 297)],
)
def test_the_kernel_matches_float64(
    kv_heads: int, groups: int, dim: int, length: int, queries: int, window: int | None
) -> None:
    if native.kernel() is None:
        pytest.skip(f"no native kernel here: {native._failure}")
    generator = torch.Generator().manual_seed(kv_heads * 1000 + groups * 100 + dim + length + queries)
    query, far_query = (
        torch.randn(1, kv_heads * groups, queries, dim, generator=generator) * dim**-0.5 for _ in range(2)
    )
    key, value, far_key = (cache_rows(kv_heads, length, dim, generator) for _ in range(3))
    far = None if window is None else (far_query, far_key)
    got = native.attention(query, key, value, window, far)
    assert got is not None
    want = expected(query, key, value, window, far_query, far_key)
    torch.testing.assert_close(got.double(), want, atol=2e-6, rtol=1e-5)
    # It is what the attention runs now, and torch's path, which runs without it, agrees.
    torch.testing.assert_close(attention.cached_attention(query, key, value, window, far), got)
    if queries == 1:
        far_end = 0 if window is None else max(0, length - window)
        torch_path = attention.single_query_attention(query, key, value, far if far_end else None, far_end)
    else:
        torch_path = attention.blocked_attention(query, key, value, window, far)
    torch.testing.assert_close(torch_path.double(), want, atol=2e-6, rtol=1e-5)


def test_inputs_outside_the_kernel_are_left_to_torch() -> None:
    generator = torch.Generator().manual_seed(0)
    query, key = torch.randn(1, 4, 1, 16, generator=generator), torch.randn(1, 2, 10, 16, generator=generator)
    outside = {
        "float64": (query.double(), key.double(), key.double()),
        "two sequences": (query.expand(2, -1, -1, -1), key.expand(2, -1, -1, -1), key.expand(2, -1, -1, -1)),
        "nine queries": (torch.randn(1, 4, 9, 16), key, key),
        "head dim beyond 256": (torch.randn(1, 4, 1, 512), torch.randn(1, 2, 10, 512), torch.randn(1, 2, 10, 512)),
        "keys not rows": (query, torch.randn(1, 2, 16, 10).transpose(-1, -2), key),
        "heads not a multiple": (torch.randn(1, 3, 1, 16), key, key),
    }
    for name, (q, k, v) in outside.items():
        assert native.attention(q, k, v, None, None) is None, name
    assert native.attention(query, key, key, 5, None) is None  # a window needs far queries and keys
    assert native.attention(query, key, key, 5, (query, key[..., :3, :])) is None  # far keys too few
    q, k = query.double(), key.double()  # outside the kernel, the attention still answers
    reference = torch.softmax(q.view(2, 2, 16) @ k[0].transpose(-1, -2), -1) @ k[0]
    got = attention.cached_attention(q, k, k, None, None)  # its softmax runs in float32
    torch.testing.assert_close(got, reference.view(1, 1, 4, 16), atol=1e-6, rtol=1e-5)


def test_a_build_is_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which(COMPILER) is None:
        pytest.skip(f"no C compiler {COMPILER!r}")
    native.load(tmp_path)
    built = list(tmp_path.glob("*.so"))
    assert len(built) == 1

    def no_second_build(*args: object) -> None:
        raise AssertionError("built again")

    monkeypatch.setattr(native, "_build", no_second_build)
    native.load(tmp_path)
    assert list(tmp_path.glob("*.so")) == built and not list(tmp_path.glob("tmp*"))


def test_loading_the_kernel_keeps_torch_denormals() -> None:
    """Linked with -ffast-math, gcc's crtfastmath.o would set flush-to-zero for the whole process on load."""
    native.kernel()
    assert torch.tensor([1e-40]).mul(1.0).item() != 0.0


def test_a_missing_or_failing_compiler_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(native.BuildError, match="no C compiler 'no-such-cc'"):
        native.load(tmp_path, compiler="no-such-cc")
    with pytest.raises(native.BuildError, match=r"false .*exit status 1"):
        native.load(tmp_path, compiler="false")
    assert not list(tmp_path.iterdir())  # nothing half-built left behind


def test_without_the_kernel_attention_falls_back_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(native, "_library", None)
    monkeypatch.setattr(native, "_failure", None)
    monkeypatch.setenv("CC", "no-such-cc")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    query, key, value = torch.randn(1, 4, 1, 16), torch.randn(1, 2, 10, 16), torch.randn(1, 2, 10, 16)
    with caplog.at_level(logging.WARNING, logger=native.__name__):
        first = attention.cached_attention(query, key, value, None, None)
        second = attention.cached_attention(query, key, value, None, None)
    assert [record.getMessage() for record in caplog.records] == [
        "decode attention stays in torch (slower): no C compiler 'no-such-cc' on PATH (set CC, or install gcc or clang)"
    ]
    reference = torch.softmax(query.view(2, 2, 16) @ key[0].transpose(-1, -2), -1) @ value[0]
    torch.testing.assert_close(first, reference.view(1, 1, 4, 16))
    torch.testing.assert_close(second, first)


def test_an_unwritable_cache_directory_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "_library", None)
    monkeypatch.setattr(native, "_failure", None)
    (tmp_path / "hirope-lsp").write_text("a file where the cache directory would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert native.kernel() is None and native._failure is not None
    query, key = torch.randn(1, 2, 1, 8), torch.randn(1, 1, 5, 8)
    assert attention.cached_attention(query, key, key, None, None).shape == (1, 1, 2, 8)


def test_hirope_native_0_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "_library", None)
    monkeypatch.setattr(native, "_failure", None)
    monkeypatch.setenv("HIROPE_NATIVE", "0")
    assert native.kernel() is None and native._failure == "turned off by HIROPE_NATIVE=0"
