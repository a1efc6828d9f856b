"""The access log of each pod: who asked for what, with which app, and what they got (issue 13).

Requests are only put in a bounded in-memory queue on the request path; a background task
writes them in batches to the server's internal state (`$pod/access-log/{pod}/`), never to an
LDP resource anyone could write. Each pod's log is a list of segments (JSON lines, one file
each, named after their first entry's time): the newest one is rewritten as it grows, full ones
are never touched again, and whole segments go when they are older than the retention or when
the pod's log is over its cap. Only one server process writes a data folder's logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from pod.ldp.identifiers import ResourceIdentifier
from pod.storage.internal import InternalState

log = logging.getLogger(__name__)

FOLDER = "access-log"
# Entries waiting to be written, all pods together: a flood beyond this is dropped (and counted)
# rather than growing the server's memory while the writer catches up.
MAX_PENDING = 50_000
# Entries per segment file at most: the cost of rewriting the newest segment on each batch.
MAX_SEGMENT = 1000
FLUSH_INTERVAL = 0.5  # seconds between batches


class LogEntry(NamedTuple):
    """One request to a resource in a pod. `agent` None: public (no authenticated agent).

    A named tuple: one is made on every request, and a tuple is made in half the time of a frozen
    dataclass."""

    time: float  # Unix seconds
    agent: str | None
    client: str | None  # the token's client_id
    origin: str | None  # the Origin header (browser apps)
    method: str
    resource: str  # the URL, without query
    status: int

    @property
    def app(self) -> str | None:
        """The app: its client_id, or for a browser app without a token its origin."""
        return self.client or self.origin

    @property
    def refused(self) -> bool:
        return self.status in (401, 403)

    def to_json(self) -> dict[str, object]:
        return self._asdict()

    @classmethod
    def from_json(cls, data: dict[str, object]) -> LogEntry:
        def text(name: str) -> str | None:
            value = data.get(name)
            return value if isinstance(value, str) else None

        moment, status = data.get("time"), data.get("status")
        return cls(
            float(moment) if isinstance(moment, int | float) else 0.0,
            text("agent"),
            text("client"),
            text("origin"),
            text("method") or "",
            text("resource") or "",
            status if isinstance(status, int) else 0,
        )


def pod_key(root: ResourceIdentifier) -> str:
    """A pod's folder name in the internal state: a hash, so that no pod name can shape a key."""
    return hashlib.sha256(root.path.encode("utf-8")).hexdigest()[:32]


@dataclass
class _Segment:
    key: str
    count: int
    newest: float


@dataclass
class _PodLog:
    # Oldest first; the last one is the one being filled. Only this summary stays in memory (the
    # lines are read back when a batch is appended), so thousands of pods cost little.
    segments: list[_Segment]


Resolver = Callable[[LogEntry], ResourceIdentifier | None]


class AccessLog:
    """Every pod's access log: `enqueue` on the request path, `flush` and `entries` off it."""

    def __init__(
        self,
        state: InternalState,
        resolve: Resolver,
        *,
        retention: float,
        max_entries: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state = state
        self.resolve = resolve  # the pod a logged request was about (None: not in a pod)
        self.retention = retention  # seconds
        self.max_entries = max_entries
        # Segments hold a quarter of the cap at most, so dropping the oldest keeps most of the log.
        self.segment_size = max(1, min(MAX_SEGMENT, max_entries // 4))
        self.clock = clock
        self.dropped = 0  # entries the queue had no room for
        self._pending: deque[LogEntry] = deque()
        self._pods: dict[str, _PodLog] = {}
        self._write_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._serial = 0

    # -- the request path ---------------------------------------------------------------------

    def enqueue(self, entry: LogEntry) -> None:
        """Remember a request for the next batch: no I/O, no parsing."""
        if len(self._pending) >= MAX_PENDING:
            self.dropped += 1
            return
        self._pending.append(entry)

    # -- the writer ---------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            try:
                await self.flush()
            except Exception:  # a full disk must not end logging for good: try again next time
                log.exception("could not write the access log")

    async def flush(self) -> None:
        """Write everything queued so far, then apply retention and the cap."""
        async with self._write_lock:
            batch: dict[str, list[LogEntry]] = {}
            # Most requests of a batch are to a few resources: resolve each URL once per batch.
            roots: dict[str, ResourceIdentifier | None] = {}
            while self._pending:
                entry = self._pending.popleft()
                if entry.resource in roots:
                    root = roots[entry.resource]
                else:
                    root = roots[entry.resource] = self.resolve(entry)
                if root is not None:
                    batch.setdefault(pod_key(root), []).append(entry)
            for key, entries in batch.items():
                await self._append(key, entries)
            for key in list(self._pods):
                await self._trim(key)

    async def _pod(self, key: str) -> _PodLog:
        pod = self._pods.get(key)
        if pod is None:
            segments = []
            for name in await self.state.keys(f"{FOLDER}/{key}"):
                lines = _lines(await self.state.read(name))
                newest = max((e.time for e in map(_entry, lines) if e is not None), default=0.0)
                segments.append(_Segment(name, len(lines), newest))
            pod = self._pods[key] = _PodLog(segments)
        return pod

    async def _append(self, key: str, entries: list[LogEntry]) -> None:
        pod = await self._pod(key)
        remaining = entries
        while remaining:
            if not pod.segments or pod.segments[-1].count >= self.segment_size:
                self._serial += 1  # two segments may start within one microsecond
                name = f"{FOLDER}/{key}/{int(remaining[0].time * 1e6):020d}-{self._serial:06d}.jsonl"
                pod.segments.append(_Segment(name, 0, 0.0))
            segment = pod.segments[-1]
            room = self.segment_size - segment.count
            taken, remaining = remaining[:room], remaining[room:]
            lines = _lines(await self.state.read(segment.key)) if segment.count else []
            lines += [json.dumps(e.to_json(), separators=(",", ":")).encode("utf-8") for e in taken]
            segment.count = len(lines)
            segment.newest = max(segment.newest, *(e.time for e in taken))
            await self.state.write(segment.key, b"\n".join(lines) + b"\n")

    async def _trim(self, key: str) -> None:
        pod = self._pods[key]
        cutoff = self.clock() - self.retention
        total = sum(s.count for s in pod.segments)
        # Retention: a segment goes once its newest entry is too old; the cap: oldest first.
        while pod.segments and (pod.segments[0].newest < cutoff or total > self.max_entries):
            gone = pod.segments.pop(0)
            total -= gone.count
            await self.state.delete(gone.key)

    # -- reading ------------------------------------------------------------------------------

    async def entries(self, root: ResourceIdentifier) -> list[LogEntry]:
        """The pod's log within the retention, oldest first (what is queued is written first)."""
        await self.flush()
        pod = await self._pod(pod_key(root))
        cutoff = self.clock() - self.retention
        found: list[LogEntry] = []
        for segment in pod.segments:
            if segment.newest < cutoff:
                continue
            lines = _lines(await self.state.read(segment.key))
            found += (e for e in map(_entry, lines) if e is not None and e.time >= cutoff)
        return found[-self.max_entries :]

    async def forget(self, root: ResourceIdentifier) -> None:
        """Delete a pod's whole log (the pod was deleted)."""
        async with self._write_lock:
            key = pod_key(root)
            pod = await self._pod(key)
            for segment in pod.segments:
                await self.state.delete(segment.key)
            self._pods.pop(key, None)


def _lines(data: bytes | None) -> list[bytes]:
    return [line for line in (data or b"").split(b"\n") if line.strip()]


def _entry(line: bytes) -> LogEntry | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None  # a torn line (cannot happen with atomic writes, but never fail the owner's view)
    return LogEntry.from_json(data) if isinstance(data, dict) else None


def matching(
    entries: Iterable[LogEntry],
    *,
    agent: str | None = None,
    app: str | None = None,
    resource: str | None = None,
    since: float | None = None,
    until: float | None = None,
    refused_only: bool = False,
) -> list[LogEntry]:
    """The dashboard's and the API's filters. `agent` "public" means requests without an agent."""
    found = []
    for entry in entries:
        if agent and (entry.agent or "public") != agent:
            continue
        if app and app not in (entry.app or ""):
            continue
        if resource and resource not in entry.resource:
            continue
        if since is not None and entry.time < since:
            continue
        if until is not None and entry.time > until:
            continue
        if refused_only and not entry.refused:
            continue
        found.append(entry)
    return found
