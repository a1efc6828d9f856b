"""IoThreads (pod.storage.io_threads): the FileStore's blocking calls, run in threads, awaited on
the event loop with what `asyncio.to_thread` would give: the result, or the very exception."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from pod.storage.io_threads import IoThreads


@pytest.fixture
def io() -> Iterator[IoThreads]:
    pool = IoThreads(max_threads=8)
    yield pool
    pool.close()


async def test_a_call_gives_its_result_or_raises_its_exception(io: IoThreads) -> None:
    assert await io.run(sum, [1, 2, 3]) == 6
    assert await io.run(threading.current_thread) is not threading.current_thread()
    with pytest.raises(FileNotFoundError):
        await io.run(open, "/nonexistent/file")


async def test_calls_that_wait_on_each_other_run_at_once(io: IoThreads) -> None:
    """Durable writes wait in fsync together: as many calls as threads are allowed run side by side
    (with fewer threads these would wait on the barrier for ever, and it breaks after 5 s)."""
    barrier = threading.Barrier(8, timeout=5)
    assert await asyncio.gather(*[io.run(barrier.wait) for _ in range(8)]) is not None


async def test_no_more_threads_than_allowed() -> None:
    io = IoThreads(max_threads=2)
    try:
        names = await asyncio.gather(*[io.run(lambda: threading.current_thread().name) for _ in range(50)])
        assert 1 <= len(set(names)) <= 2
    finally:
        io.close()


async def test_a_cancelled_caller_leaves_the_call_to_finish_quietly(io: IoThreads) -> None:
    """As with asyncio.to_thread: a started call cannot be stopped; it finishes, and its answer,
    which nobody awaits any more, is dropped without an error on the loop."""
    loop = asyncio.get_running_loop()
    reported: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    release, finished = threading.Event(), threading.Event()

    def slow() -> str:
        release.wait(5)
        finished.set()
        return "done"

    task = asyncio.ensure_future(io.run(slow))
    await asyncio.sleep(0.01)
    task.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(finished.wait, 5)
    assert await io.run(str.upper, "next") == "NEXT"
    await asyncio.sleep(0.01)
    assert reported == []


async def test_calls_after_close_start_new_threads(io: IoThreads) -> None:
    """FileStore.close ends the threads, and the store stays usable: the next call starts afresh."""
    await asyncio.gather(*[io.run(sum, [n]) for n in range(20)])
    io.close()
    for n in range(3):  # one at a time: each finds (or starts) a thread of its own
        assert await asyncio.wait_for(io.run(sum, [n]), 5) == n
