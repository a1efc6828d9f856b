"""The server's side of an index worker: start it, exchange messages, kill it when a query overruns."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Any

from pod.sparql import wire

# Seconds a worker is given to finish cleanly before it is killed.
CLOSE_GRACE = 5.0


class WorkerFailed(Exception):
    """The worker died, answered nonsense or reported an internal error; it is gone now."""


class WorkerTimeout(Exception):
    """The worker did not answer in time; it has been killed."""


class WorkerProcess:
    """One `python -m pod.sparql.worker` child; one request at a time (the caller serialises)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self._broken = False

    @classmethod
    async def start(cls, path: Path | None) -> WorkerProcess:
        args = [sys.executable, "-m", "pod.sparql.worker", *([str(path)] if path is not None else [])]
        process = await asyncio.create_subprocess_exec(
            *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        return cls(process)

    @property
    def alive(self) -> bool:
        return not self._broken and self._process.returncode is None

    async def call(self, *message: Any, timeout: float | None = None) -> Any:
        """Send one message and return the worker's answer; on a timeout or failure, kill it and raise."""
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(wire.encode(message))
            await stdin.drain()
            async with asyncio.timeout(timeout):
                header = await stdout.readexactly(wire.header_size())
                reply = wire.decode(await stdout.readexactly(wire.body_size(header)))
        except TimeoutError as error:
            await self.kill()
            raise WorkerTimeout from error
        except asyncio.CancelledError:
            # The request went away mid-exchange: the pipe is out of step, and the query should stop.
            self._broken = True
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            raise
        except (OSError, asyncio.IncompleteReadError, EOFError) as error:
            await self.kill()
            raise WorkerFailed(f"the index worker stopped: {error!r}") from error
        if not (isinstance(reply, tuple) and len(reply) == 2 and reply[0] == "ok"):
            await self.kill()
            raise WorkerFailed(f"the index worker failed: {reply!r}")
        return reply[1]

    async def kill(self) -> None:
        self._broken = True
        if self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
        await self._process.wait()

    async def close(self) -> None:
        """Ask the worker to flush and stop; kill it if it does not."""
        if not self.alive:
            await self.kill()
            return
        try:
            await self.call("close", timeout=CLOSE_GRACE)
            async with asyncio.timeout(CLOSE_GRACE):
                await self._process.wait()
        except (WorkerTimeout, WorkerFailed, TimeoutError):
            await self.kill()
