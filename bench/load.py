"""HTTP/1.1 load generator: N keep-alive connections issue requests back to back for a fixed time
(with at least a set number of responses), recording each request's latency; reports req/s, p50,
p99 and errors.

Two engines share the bookkeeping. The default, `protocol`, is a lean asyncio Protocol per
connection (uvloop when installed) that parses responses itself (Content-Length, chunked, HEAD):
on this project's 2-core machines it drives a bare aiohttp server at ~40k req/s on less than half a
core. The `aiohttp` engine (aiohttp's ClientSession) is kept to cross-check it; it saturates its
own core near 23k req/s, below what a bare aiohttp server answers, so it would measure itself
rather than the server on the fastest workloads.

    python bench/load.py http://127.0.0.1:3000/doc.ttl -c 32 -d 10 --warmup 1 -H 'Accept: text/turtle'
    python bench/load.py http://127.0.0.1:3000/new/{n}.ttl -X PUT --body-file doc.ttl \\
        -H 'Content-Type: text/turtle' --expect 201 --json
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import sys
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import cast
from urllib.parse import urlsplit


@dataclass(frozen=True)
class RequestSpec:
    """What every request of a run looks like. `{n}` in the path becomes a counter unique in the run."""

    url: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    expect: tuple[int, ...] = (200,)


@dataclass(frozen=True)
class LoadPlan:
    """How long to measure. The measurement window opens after the warm-up and closes once it has
    lasted `duration` seconds *and* seen `min_requests` responses, so that a server slower than the
    duration is still measured over at least one full round of its connections, not over nothing."""

    connections: int = 32
    duration: float = 10.0  # seconds of measurement
    min_requests: int = 0  # responses the window must see before it closes (0: one per connection)
    warmup: float = 0.0  # seconds of unmeasured requests first, on the same connections ...
    warmup_requests: int = 0  # ... and at least this many unmeasured responses
    max_window: float = 300.0  # give up on `min_requests` after this long
    timeout: float = 120.0  # one request longer than this is an error
    grace: float = 300.0  # how long requests still in flight may finish after the window (not counted)

    @property
    def window_requests(self) -> int:
        return self.min_requests or self.connections


@dataclass
class LoadResult:
    connections: int
    requests: int  # responses in the window with an expected status
    errors: int  # in the window: unexpected status, timeout, connection failure
    elapsed: float  # length of the measurement window
    rps: float
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    mean_bytes: float | None  # mean body size of the measured responses
    error_kinds: dict[str, int] = field(default_factory=dict)
    drained: bool = True  # every request in flight when the window closed was answered


def percentile(ordered: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return None
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


class Recorder:
    """Decides when requests may start, when the measurement window opens and closes, and keeps what
    the responses inside the window did. Throughput counts responses that arrive inside the window
    (whenever their request started), which in a closed loop of N connections is the server's
    steady-state rate; requests still in flight when it closes are drained but not counted."""

    def __init__(self, plan: LoadPlan, spec: RequestSpec) -> None:
        self.plan = plan
        self.spec = spec
        self.latencies = array("d")
        self.body_bytes = 0
        self.errors: Counter[str] = Counter()
        self.began = time.perf_counter()
        self.warm_responses = 0
        self.window_start: float | None = None
        self.window_end: float | None = None
        if plan.warmup <= 0 and plan.warmup_requests <= 0:
            self.window_start = self.began
        self.paths = self._paths()

    def _paths(self) -> Iterator[str]:
        target = urlsplit(self.spec.url)
        path = target.path + (f"?{target.query}" if target.query else "")
        if "{n}" not in path:
            return itertools.repeat(path)
        return (path.replace("{n}", str(n)) for n in itertools.count())

    @property
    def closed(self) -> bool:
        return self.window_end is not None

    def tick(self, now: float) -> None:
        """Open or close the window on time alone (no response needed)."""
        start = self.window_start
        if start is None:
            if now - self.began > self.plan.warmup + self.plan.max_window:
                self.window_start = self.window_end = now  # never warmed up: nothing to measure
            return
        if self.window_end is None:
            seen = len(self.latencies) + sum(self.errors.values())
            enough = now - start >= self.plan.duration and seen >= self.plan.window_requests
            if enough or now - start >= self.plan.max_window:
                self.window_end = now

    def may_start(self, now: float) -> bool:
        return self.window_end is None

    def _response(self, now: float) -> bool:
        """Count a response (or failure) arriving now; True when it falls inside the window."""
        if self.window_start is None:
            self.warm_responses += 1
            if now - self.began >= self.plan.warmup and self.warm_responses >= self.plan.warmup_requests:
                self.window_start = now
            return False
        return self.window_end is None

    def done(self, started: float, now: float, status: int, nbytes: int) -> None:
        if not self._response(now):
            return
        if status in self.spec.expect:
            self.latencies.append(now - started)
            self.body_bytes += nbytes
        else:
            self.errors[f"status {status}"] += 1
        self.tick(now)

    def failed(self, started: float, kind: str) -> None:
        if self._response(time.perf_counter()):
            self.errors[kind] += 1

    def result(self, drained: bool) -> LoadResult:
        ordered = sorted(self.latencies)
        start = self.window_start if self.window_start is not None else self.began
        end = self.window_end if self.window_end is not None else time.perf_counter()
        elapsed = end - start
        n = len(ordered)

        def ms(value: float | None) -> float | None:
            return None if value is None else round(value * 1000, 3)

        return LoadResult(
            connections=self.plan.connections,
            requests=n,
            errors=sum(self.errors.values()),
            elapsed=round(elapsed, 4),
            rps=round(n / elapsed, 2) if elapsed > 0 else 0.0,
            p50_ms=ms(percentile(ordered, 0.50)),
            p90_ms=ms(percentile(ordered, 0.90)),
            p99_ms=ms(percentile(ordered, 0.99)),
            max_ms=ms(ordered[-1] if ordered else None),
            mean_bytes=round(self.body_bytes / n, 1) if n else None,
            error_kinds=dict(self.errors),
            drained=drained,
        )


# The protocol engine ------------------------------------------------------------------------------

_HEAD, _BODY, _CHUNK_SIZE, _CHUNK_DATA, _TRAILER, _UNTIL_CLOSE = range(6)
MAX_HEAD = 256 * 1024


class ResponseError(Exception):
    pass


class Connection(asyncio.Protocol):
    """One keep-alive connection: sends a request, reads its response, sends the next."""

    def __init__(self, runner: ProtocolRunner) -> None:
        self.runner = runner
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.state = _HEAD
        self.remaining = 0
        self.status = 0
        self.nbytes = 0
        self.close_after = False
        self.started = 0.0
        self.busy = False
        self.closed = asyncio.get_running_loop().create_future()

    # asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass it
        self.runner.next_request(self)

    def data_received(self, data: bytes) -> None:
        if not self.busy:
            return
        self.buffer += data
        try:
            self._parse()
        except (ResponseError, ValueError) as error:
            self._fail(f"bad response: {error}")

    def eof_received(self) -> bool | None:
        if self.busy and self.state == _UNTIL_CLOSE:
            self.nbytes += len(self.buffer)
            self.buffer.clear()
            self._complete(reuse=False)
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.busy:
            self.busy = False
            self.runner.recorder.failed(self.started, "connection lost")
        self.runner.lost(self)
        if not self.closed.done():
            self.closed.set_result(None)

    # requests and responses
    def send(self, request: bytes) -> None:
        assert self.transport is not None
        self.busy = True
        self.state = _HEAD
        self.nbytes = 0
        self.close_after = False
        self.started = time.perf_counter()
        self.transport.write(request)

    def abort(self, kind: str) -> None:
        if self.busy:
            self.busy = False
            self.runner.recorder.failed(self.started, kind)
        if self.transport is not None:
            self.transport.abort()

    def _fail(self, kind: str) -> None:
        self.abort(kind)

    def _complete(self, reuse: bool = True) -> None:
        self.busy = False
        now = time.perf_counter()
        self.runner.recorder.done(self.started, now, self.status, self.nbytes)
        if reuse and not self.close_after:
            self.runner.next_request(self)
        elif self.transport is not None:
            self.transport.close()

    def _parse(self) -> None:
        buffer = self.buffer
        while self.busy:
            state = self.state
            if state == _HEAD:
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(buffer) > MAX_HEAD:
                        raise ResponseError("head too long")
                    return
                head = bytes(buffer[:end]).lower()
                del buffer[: end + 4]
                if self._head(head) and self.state == _HEAD:  # a response without a body
                    self._complete()
                    return
            elif state in (_BODY, _CHUNK_DATA):
                take = min(len(buffer), self.remaining)
                if take == 0:
                    return
                del buffer[:take]
                self.remaining -= take
                self.nbytes += take
                if self.remaining:
                    return
                if state == _BODY:
                    self._complete()
                    return
                self.nbytes -= 2  # the CRLF after each chunk
                self.state = _CHUNK_SIZE
            elif state == _CHUNK_SIZE:
                end = buffer.find(b"\r\n")
                if end < 0:
                    return
                size = int(bytes(buffer[:end]).split(b";", 1)[0], 16)
                del buffer[: end + 2]
                if size == 0:
                    self.state = _TRAILER
                else:
                    self.remaining = size + 2
                    self.state = _CHUNK_DATA
            elif state == _TRAILER:
                if buffer[:2] == b"\r\n":
                    del buffer[:2]
                    self._complete()
                    return
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                del buffer[: end + 4]
                self._complete()
                return
            else:  # _UNTIL_CLOSE
                self.nbytes += len(buffer)
                buffer.clear()
                return

    def _head(self, head: bytes) -> bool:
        """Read a response head; False for an interim (1xx) response, whose real one follows."""
        status_line, _, rest = head.partition(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"http/1."):
            raise ResponseError(f"status line {status_line[:60]!r}")
        self.status = int(parts[1])
        if 100 <= self.status < 200:
            self.state = _HEAD
            return False
        length: int | None = None
        chunked = False
        for line in rest.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value
            elif name == b"connection":
                self.close_after = b"close" in value
        if parts[0] == b"http/1.0" and not self.close_after:
            self.close_after = True
        if self.runner.is_head or self.status in (204, 304):
            self.state = _HEAD
        elif chunked:
            self.state = _CHUNK_SIZE
        elif length is not None:
            self.remaining = length
            self.state = _BODY if length else _HEAD
        else:
            self.state = _UNTIL_CLOSE
            self.close_after = True
        return True


class ProtocolRunner:
    def __init__(self, spec: RequestSpec, plan: LoadPlan) -> None:
        self.spec = spec
        self.plan = plan
        target = urlsplit(spec.url)
        if target.scheme != "http" or not target.hostname:
            raise ValueError(f"only http:// URLs: {spec.url}")
        self.host = target.hostname
        self.port = target.port or 80
        self.is_head = spec.method.upper() == "HEAD"
        self.recorder = Recorder(plan, spec)
        self.connections: set[Connection] = set()
        self.running = True
        self.build = self._builder(target.netloc)
        self.reconnecting = 0

    def _builder(self, netloc: str) -> Callable[[str], bytes]:
        lines = [f"Host: {netloc}"]
        lines += [f"{name}: {value}" for name, value in self.spec.headers]
        body = self.spec.body
        if body or self.spec.method.upper() in ("PUT", "POST", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        tail = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        method = self.spec.method.upper()
        cache: dict[str, bytes] = {}

        def build(path: str) -> bytes:
            request = cache.get(path)
            if request is None:
                request = f"{method} {path} HTTP/1.1\r\n".encode("latin-1") + tail
                if len(cache) < 4:
                    cache[path] = request
            return request

        return build

    def next_request(self, connection: Connection) -> None:
        if self.running and self.recorder.may_start(time.perf_counter()):
            connection.send(self.build(next(self.recorder.paths)))
        elif connection.transport is not None:
            connection.transport.close()

    def lost(self, connection: Connection) -> None:
        self.connections.discard(connection)
        if self.running and not self.recorder.closed:
            self.reconnecting += 1
            asyncio.get_running_loop().create_task(self._reconnect())

    async def _connect(self) -> Connection:
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(lambda: Connection(self), self.host, self.port)
        self.connections.add(protocol)
        return protocol

    async def _reconnect(self) -> None:
        try:
            await asyncio.sleep(0.01)
            if self.running:
                await self._connect()
        except OSError as error:
            self.recorder.failed(time.perf_counter(), f"connect: {error.__class__.__name__}")
        finally:
            self.reconnecting -= 1

    async def run(self) -> LoadResult:
        for _ in range(self.plan.connections):
            try:
                await self._connect()
            except OSError as error:
                self.recorder.failed(time.perf_counter(), f"connect: {error.__class__.__name__}")
        recorder = self.recorder
        drained = True
        deadline: float | None = None
        while True:
            await asyncio.sleep(0.05)
            now = time.perf_counter()
            for connection in list(self.connections):
                if connection.busy and now - connection.started > self.plan.timeout:
                    connection.abort("timeout")
            recorder.tick(now)
            if not self.connections and not self.reconnecting:  # the server went away
                recorder.window_end = recorder.window_end or now
                break
            if recorder.closed:
                if deadline is None:
                    deadline = now + self.plan.grace
                if not any(c.busy for c in self.connections) and not self.reconnecting:
                    break
                if now >= deadline:
                    drained = False
                    break
        self.running = False
        for connection in list(self.connections):
            if connection.transport is not None:
                connection.transport.abort()
        return recorder.result(drained)


# The aiohttp engine ------------------------------------------------------------------------------


async def run_aiohttp(spec: RequestSpec, plan: LoadPlan) -> LoadResult:
    import aiohttp

    recorder = Recorder(plan, spec)
    target = urlsplit(spec.url)
    origin = f"{target.scheme}://{target.netloc}"
    connector = aiohttp.TCPConnector(limit=plan.connections)
    timeout = aiohttp.ClientTimeout(total=plan.timeout)
    headers = dict(spec.headers)

    async def worker(session: aiohttp.ClientSession) -> None:
        while recorder.may_start(time.perf_counter()):
            started = time.perf_counter()
            try:
                async with session.request(
                    spec.method, origin + next(recorder.paths), headers=headers, data=spec.body or None
                ) as response:
                    body = await response.read()
                recorder.done(started, time.perf_counter(), response.status, len(body))
            except TimeoutError:
                recorder.failed(started, "timeout")
            except aiohttp.ClientError as error:
                recorder.failed(started, error.__class__.__name__)

    async def ticker() -> None:
        while not recorder.closed:
            await asyncio.sleep(0.05)
            recorder.tick(time.perf_counter())

    async with aiohttp.ClientSession(connector=connector, timeout=timeout, auto_decompress=False) as session:
        await asyncio.gather(ticker(), *(worker(session) for _ in range(plan.connections)))
    return recorder.result(True)


async def run(spec: RequestSpec, plan: LoadPlan, engine: str = "protocol") -> LoadResult:
    if engine == "aiohttp":
        return await run_aiohttp(spec, plan)
    return await ProtocolRunner(spec, plan).run()


def run_sync(spec: RequestSpec, plan: LoadPlan, engine: str = "protocol") -> LoadResult:
    try:
        import uvloop

        return uvloop.run(run(spec, plan, engine))
    except ImportError:
        return asyncio.run(run(spec, plan, engine))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url", help="http:// URL; {n} in it becomes a counter unique in the run")
    parser.add_argument("-X", "--method", default="GET")
    parser.add_argument("-H", "--header", action="append", default=[], help="'Name: value'")
    parser.add_argument("--body-file", help="request body")
    parser.add_argument("--expect", default="200", help="comma-separated statuses that count as success")
    parser.add_argument("-c", "--connections", type=int, default=32)
    parser.add_argument("-d", "--duration", type=float, default=10.0, help="seconds to measure")
    parser.add_argument(
        "-n", "--min-requests", type=int, default=0, help="responses to measure at least (default: -c)"
    )
    parser.add_argument("--warmup", type=float, default=0.0, help="seconds of unmeasured requests first")
    parser.add_argument("--warmup-requests", type=int, default=0, help="unmeasured responses at least")
    parser.add_argument("--max-window", type=float, default=300.0, help="longest measurement, seconds")
    parser.add_argument("--timeout", type=float, default=120.0, help="longest single request, seconds")
    parser.add_argument("--grace", type=float, default=300.0, help="seconds to drain after the window")
    parser.add_argument("--engine", choices=["protocol", "aiohttp"], default="protocol")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args(argv)
    headers = []
    for header in args.header:
        name, sep, value = header.partition(":")
        if not sep:
            parser.error(f"header without a colon: {header!r}")
        headers.append((name.strip(), value.strip()))
    body = b""
    if args.body_file:
        with open(args.body_file, "rb") as file:
            body = file.read()
    spec = RequestSpec(
        url=args.url,
        method=args.method.upper(),
        headers=tuple(headers),
        body=body,
        expect=tuple(int(s) for s in args.expect.split(",")),
    )
    plan = LoadPlan(
        connections=args.connections,
        duration=args.duration,
        min_requests=args.min_requests,
        warmup=args.warmup,
        warmup_requests=args.warmup_requests,
        max_window=args.max_window,
        timeout=args.timeout,
        grace=args.grace,
    )
    result = run_sync(spec, plan, args.engine)
    if args.json:
        print(json.dumps(asdict(result)))
    else:
        print(
            f"{result.requests} requests in {result.elapsed:.2f}s: {result.rps:.1f} req/s, "
            f"p50 {result.p50_ms} ms, p99 {result.p99_ms} ms, errors {result.errors} {result.error_kinds}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
