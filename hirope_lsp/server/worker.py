"""One generation at a time, on one worker thread; per key (a document and a feature) the newest request wins.

`Worker.run(key, work)` is awaited on the event loop. `work(cancelled)` runs on the worker thread and
must poll `cancelled()` (the engine does, between decode steps). Three things make it return True:
- a newer request with the same key arrived: the older one is answered None at once, without
  waiting for the thread, and its work, queued or running, stops at its next check;
- the awaiting task was cancelled (pygls cancels it on $/cancelRequest and answers RequestCancelled);
- the server shuts down.
Work whose request was cancelled before the thread reached it is skipped, so a burst of keystrokes
costs one generation, not one per keystroke.

`Worker.background(work)` queues work that nobody awaits (growing the context, server/context.py) at
the lowest priority: any request that arrives stops it at its next check, and a newer background
job replaces an older one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")
Cancelled = Callable[[], bool]


class Job(Generic[T]):
    """One request's work: its cancel flag, and the future its handler awaits (settled on the loop)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._cancelled = threading.Event()
        self.answer: asyncio.Future[T | None] = loop.create_future()

    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        self._cancelled.set()

    def supersede(self) -> None:
        """A newer request took over (on the loop): stop the work and answer None now."""
        self.cancel()
        if not self.answer.done():
            self.answer.set_result(None)

    def settle(self, result: T | None, error: BaseException | None) -> None:
        """Deliver the work's outcome (on the loop), unless the request was answered already."""
        if self.answer.done():
            return
        if error is not None:
            self.answer.set_exception(error)
        else:
            self.answer.set_result(result)


class Worker:
    """The generation thread and the newest job of each key."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hirope-generate")
        self._latest: dict[Hashable, Job[Any]] = {}
        self._background: Job[Any] | None = None
        self._closed = False

    async def run(self, key: Hashable, work: Callable[[Cancelled], T]) -> T | None:
        """Run `work` on the worker thread; None if a newer request with `key` superseded this one."""
        if self._closed:
            return None
        if self._background is not None:
            self._background.cancel()
        older = self._latest.get(key)
        if older is not None:
            older.supersede()
        job: Job[T] = Job(self._loop)
        self._latest[key] = job
        self._executor.submit(self._execute, job, work)
        try:
            return await job.answer
        except asyncio.CancelledError:
            job.cancel()
            raise
        finally:
            if self._latest.get(key) is job:
                del self._latest[key]

    def background(self, work: Callable[[Cancelled], object]) -> None:
        """Run `work` on the worker thread when the requests queued before it are done (see the module docstring)."""
        if self._closed:
            return
        if self._background is not None:
            self._background.cancel()
        job: Job[Any] = Job(self._loop)
        job.answer.add_done_callback(lambda answer: answer.cancelled() or answer.exception())  # logged already
        self._background = job
        self._executor.submit(self._execute, job, work)

    def _execute(self, job: Job[T], work: Callable[[Cancelled], T]) -> None:
        result: T | None = None
        error: BaseException | None = None
        if not job.cancelled():
            try:
                result = work(job.cancelled)
            except Exception as raised:
                logger.exception("completion failed")
                error = raised
        with contextlib.suppress(RuntimeError):  # the loop is closed: the server is exiting and no one waits
            self._loop.call_soon_threadsafe(job.settle, result, error)

    def shutdown(self) -> None:
        """Cancel every job and let the thread finish (it stops at the running job's next check).

        Callable from any thread, even after the loop has closed: it only raises the cancel flags."""
        self._closed = True
        for job in [*self._latest.values(), *([self._background] if self._background else [])]:
            job.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
