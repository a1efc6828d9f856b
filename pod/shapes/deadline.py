"""Run a blocking, CPU-bound call in its own thread with a time limit that stops it, not just stops waiting.

`asyncio.wait_for(asyncio.to_thread(...))` gives up waiting but leaves the thread running, so
a pathological SHACL shape would keep a core busy long after its request was answered. Here
the runaway thread is interrupted too: an exception is raised inside it (CPython's
`PyThreadState_SetAsyncExc`), which pyshacl and rdflib, being pure Python, reach within a few
bytecodes. A call stuck inside one long C function (a regular expression) ends when it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class TimeLimitExceeded(Exception):
    """The call did not finish within its time limit (and has been told to stop)."""


class _Stop(BaseException):
    """Raised inside the runaway thread: a BaseException, so a library's `except Exception` cannot eat it."""


class _Run:
    """One call in one thread; `stop()` interrupts it unless it has already finished."""

    def __init__(self, call: Callable[[], object], settle: Callable[[bool, object], None]) -> None:
        self._call = call
        self._settle = settle
        self._lock = threading.Lock()
        self._finished = False
        self.thread = threading.Thread(target=self._main, name="pod-shapes", daemon=True)

    def _main(self) -> None:
        try:
            try:
                outcome: tuple[bool, object] = (True, self._call())
            except Exception as error:
                outcome = (False, error)
            finally:
                with self._lock:
                    self._finished = True
                # A stop raised just before `_finished` was set is delivered at the latest at this
                # loop's backward jump, still inside the outer `try`.
                for _ in range(2):
                    pass
            self._settle(*outcome)
        except _Stop:
            pass  # the caller has already been told: TimeLimitExceeded

    def stop(self) -> None:
        with self._lock:
            if self._finished or self.thread.ident is None:
                return
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(self.thread.ident), ctypes.py_object(_Stop)
            )


async def run_limited(call: Callable[[], T], seconds: float) -> T:
    """`call()` in a new thread; TimeLimitExceeded (and the thread stopped) after `seconds`."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(ok: bool, value: object) -> None:
        if future.done():
            return
        if ok:
            future.set_result(value)  # type: ignore[arg-type]
        else:
            assert isinstance(value, BaseException)
            future.set_exception(value)

    def settle(ok: bool, value: object) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting any more
            loop.call_soon_threadsafe(deliver, ok, value)

    run = _Run(call, settle)
    run.thread.start()
    try:
        return await asyncio.wait_for(asyncio.shield(future), seconds)
    except TimeoutError:
        run.stop()
        raise TimeLimitExceeded(f"not finished after {seconds:g} s") from None
    except BaseException:
        run.stop()  # the request was cancelled: its validation is of no use to anybody
        raise
