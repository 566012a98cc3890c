"""The generation worker: one job at a time, newest per key wins, cancellation reaches the running work."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest

from hirope_lsp.server.worker import Worker

pytestmark = pytest.mark.asyncio


def waiting_work(started: threading.Event, seen: list[str], name: str) -> Callable[[Callable[[], bool]], str]:
    """Work that runs until cancelled (or 5 s), recording how it ended."""

    def work(cancelled: Callable[[], bool]) -> str:
        started.set()
        for _ in range(500):
            if cancelled():
                seen.append(f"{name} cancelled")
                return f"{name} (cancelled)"
            threading.Event().wait(0.01)
        seen.append(f"{name} done")
        return name

    return work


async def wait_for(event: threading.Event) -> None:
    assert await asyncio.to_thread(event.wait, 5)


async def test_newer_request_for_the_same_key_wins() -> None:
    worker = Worker(asyncio.get_running_loop())
    started, seen = threading.Event(), []
    first = asyncio.ensure_future(worker.run("doc", waiting_work(started, seen, "first")))
    await wait_for(started)
    second = asyncio.ensure_future(worker.run("doc", lambda cancelled: "second"))
    assert await asyncio.wait_for(first, 1) is None  # answered at once, empty
    assert await asyncio.wait_for(second, 5) == "second"
    assert seen == ["first cancelled"]
    worker.shutdown()


async def test_superseded_queued_work_never_runs() -> None:
    worker = Worker(asyncio.get_running_loop())
    started, seen = threading.Event(), []
    blocker = asyncio.ensure_future(worker.run("a", waiting_work(started, seen, "blocker")))
    await wait_for(started)
    calls: list[str] = []
    queued = asyncio.ensure_future(worker.run("b", lambda cancelled: calls.append("queued") or "queued"))
    await asyncio.sleep(0)
    newest = asyncio.ensure_future(worker.run("b", lambda cancelled: calls.append("newest") or "newest"))
    assert await asyncio.wait_for(queued, 1) is None
    blocker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await blocker
    assert await asyncio.wait_for(newest, 5) == "newest"
    assert calls == ["newest"] and seen == ["blocker cancelled"]
    worker.shutdown()


async def test_errors_reach_the_awaiting_request() -> None:
    worker = Worker(asyncio.get_running_loop())

    def broken(cancelled: Callable[[], bool]) -> str:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await worker.run("doc", broken)
    assert await worker.run("doc", lambda cancelled: "next") == "next"
    worker.shutdown()
