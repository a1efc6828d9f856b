"""IoThreads: threads for a store's blocking file-system calls (fsync above all), each answer handed
back to the event loop in one call.

`asyncio.to_thread` makes every trip through a concurrent.futures Future chained to an asyncio one:
a context copy, two futures, two callbacks and a work item per call. A durable write makes one trip,
and under load that hand-over alone cost the event loop's thread ~20 µs of a PUT's ~450. Here a trip
is a queue entry out and one `call_soon_threadsafe` back (~10 µs), and PUT throughput rose 5-8%.

Threads start as work arrives, up to `max_threads` (each durable write waits in fsync, so concurrent
writers need threads to sync together rather than queue behind a few), and stay for the next work.
The calls run to completion even when their caller is cancelled, as with `asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# As many as concurrent durable writes are worth syncing together (Python's default executor has
# cores + 4, behind which concurrent writers would queue).
IO_THREADS = 64

_Work = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


class IoThreads:
    """A pool of threads for blocking calls, started lazily; `close` ends them (a later call restarts)."""

    def __init__(self, max_threads: int = IO_THREADS, name: str = "pod-io") -> None:
        self.max_threads = max_threads
        self.name = name
        self._start()

    def _start(self) -> None:
        self._work: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        # A token per finished call: taken by the next call, which a thread is then free to serve.
        # (A queue rather than a threading.Semaphore: its two ends are C calls, ~20x cheaper.)
        self._idle: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    def run(self, function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """`function(*args)` in one of the threads; await the result (or its exception)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._work.put((loop, future, function, args))
        try:
            self._idle.get_nowait()
        except queue.Empty:
            if len(self._threads) < self.max_threads:
                self._add_thread()
        return future

    def _add_thread(self) -> None:
        name = f"{self.name}-{len(self._threads)}"
        thread = threading.Thread(target=_serve, args=(self._work, self._idle), name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def close(self) -> None:
        """End the threads once they are done with what they were given; later calls start anew."""
        for _ in self._threads:
            self._work.put(None)
        self._start()


def _serve(work_queue: queue.SimpleQueue[_Work | None], idle: queue.SimpleQueue[None]) -> None:
    while (work := work_queue.get()) is not None:
        loop, future, function, args = work
        settle: Callable[[asyncio.Future[Any], Any], None] = _set_result
        try:
            outcome = function(*args)
        except BaseException as error:  # handed to the caller, as asyncio.to_thread would
            outcome, settle = error, _set_exception
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
            loop.call_soon_threadsafe(settle, future, outcome)
        del work, loop, future, function, args, outcome  # nothing kept alive while idle
        idle.put(None)


def _set_result(future: asyncio.Future[Any], result: Any) -> None:
    if not future.cancelled():
        future.set_result(result)


def _set_exception(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.cancelled():
        future.set_exception(error)
