"""Issue 9: live notifications under load (targets: one write with 1,000 WebSocket subscribers on its topic
delivers all 1,000 messages within 1 s; a slow or dead webhook receiver never slows writes or other
channels).

One `pod serve` on a loopback port over a temporary data folder, in development mode (a loopback base
URL: webhooks may then go to http on loopback) with `--trusted-webid`, the development option the tests
use, so that every request is one authenticated agent (a WebhookChannel2023 needs one, and each
subscription needs Read on its topic). The topic is a 20-triple document in `bench/`, whose `.acl`
lets everyone read and write (`data.py`).

1. Fan-out: 1,000 (--subscribers) WebSocketChannel2023 channels on the topic, their sockets open (this
   process reads them all); then writes, one every 0.25 s: each PUT of the topic is timed, and so is
   the arrival of its message on every socket, from the request's start and from its response.
2. Webhooks: rounds of writes (one every 0.25 s, so that each condition outlasts a webhook's 10 s
   timeout and its retries) under three conditions, in an order that rotates each round — no
   webhook; 20 WebhookChannel2023 channels on the topic whose receiver (an aiohttp app in this
   process) takes each request and never answers; 20 whose sendTo is a loopback port nobody listens on.
   Each write's PUT latency and the WebSocket delivery to all the sockets are timed as in 1.

A write's messages must all be the same text (one notification, rendered once), an Update of the topic;
anything missing after 10 s is counted as missing. Problems in the server's log (5xx answers, warnings)
are reported.

    .venv/bin/python bench/notifications_load.py               # 1,000 sockets, 200 writes per condition
    .venv/bin/python bench/notifications_load.py --quick       # 1,000 sockets, 30 writes per condition
    .venv/bin/python bench/notifications_load.py --subscribers 500 --writes 100
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import data
from aiohttp import WSMsgType, web
from features import (
    Report,
    latencies,
    new_report,
    parser,
    remove,
    run_async,
    save,
    server_problems,
    start_pod,
    table,
)
from run import log
from servers import LOOPBACK, ServerProcess, free_port
from workloads import JSON_LD, TURTLE

from pod.cli import raise_open_file_limit

AGENT = "https://bench.example/profile#me"
TOPIC = "bench/topic.ttl"
NOTIFY = "http://www.w3.org/ns/solid/notifications#"
CONTEXT = "https://www.w3.org/ns/solid/notification/v1"
WEBSOCKET, WEBHOOK = "WebSocketChannel2023", "WebhookChannel2023"
CONDITIONS = ("none", "hanging", "dead")
MB = 1024 * 1024
T = TypeVar("T")


@dataclass(frozen=True)
class Sizes:
    subscribers: int = 1000
    fanout_writes: int = 10
    webhooks: int = 20
    writes: int = 200  # per webhook condition, over all rounds
    rounds: int = 4
    # Seconds from one write's start to the next one's in the webhook rounds: each condition then lasts
    # longer than a webhook's timeout (10 s) and retries (0.5, 2 and 8 s later), so they all play out.
    interval: float = 0.25
    patience: float = 10.0  # seconds a write's messages have to arrive
    concurrency: int = 16  # subscriptions and socket connections made at once


QUICK = Sizes(fanout_writes=5, writes=30, rounds=2)


class Pod:
    """The server as this bench uses it: channels on the topic, and writes to it."""

    def __init__(self, http: aiohttp.ClientSession, origin: str) -> None:
        self.http = http
        self.origin = origin
        self.topic = f"{origin}/{TOPIC}"

    async def subscribe(self, kind: str, **features: str) -> dict[str, Any]:
        body = {"@context": [CONTEXT], "type": NOTIFY + kind, "topic": self.topic, **features}
        url = f"{self.origin}/.notifications/{kind}/"
        async with self.http.post(url, data=json.dumps(body), headers={"Content-Type": JSON_LD}) as answer:
            if answer.status != 201:
                raise RuntimeError(f"subscribing to {kind}: {answer.status} {await answer.text()}")
            channel: dict[str, Any] = await answer.json(content_type=None)
        return channel

    async def unsubscribe(self, channel: dict[str, Any]) -> None:
        async with self.http.delete(channel["id"]) as answer:
            if answer.status != 204:
                raise RuntimeError(f"unsubscribing {channel['id']}: {answer.status}")

    async def write(self, n: int) -> float:
        """PUT a new version of the topic; the time its response arrived."""
        body = data.small_document() + f"# write {n}\n".encode()
        async with self.http.put(self.topic, data=body, headers={"Content-Type": TURTLE}) as answer:
            await answer.read()
            if answer.status not in (201, 204):
                raise RuntimeError(f"PUT {self.topic}: {answer.status}")
        return time.perf_counter()


class Arrivals:
    """The messages the sockets receive for the write in progress."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.times: list[float] = []
        self.texts: set[str] = set()
        self.complete = asyncio.Event()

    def reset(self) -> None:
        self.times, self.texts = [], set()
        self.complete.clear()

    def arrived(self, text: str) -> None:
        self.times.append(time.perf_counter())
        self.texts.add(text)
        if len(self.times) >= self.expected:
            self.complete.set()


async def gather_limited(count: int, limit: int, make: Callable[[int], Awaitable[T]]) -> list[T]:
    """`make(i)` for i in range(count), at most `limit` at once, in order."""
    gate = asyncio.Semaphore(limit)

    async def one(i: int) -> T:
        async with gate:
            return await make(i)

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def listen(socket: aiohttp.ClientWebSocketResponse, arrivals: Arrivals) -> None:
    async for message in socket:
        if message.type is WSMsgType.TEXT:
            arrivals.arrived(message.data)


async def open_sockets(
    pod: Pod, sizes: Sizes, arrivals: Arrivals, report: Report
) -> list[aiohttp.ClientWebSocketResponse]:
    """Subscribe `sizes.subscribers` WebSocket channels and open their sockets (timing both)."""
    began = time.perf_counter()
    channels = await gather_limited(sizes.subscribers, sizes.concurrency, lambda _: pod.subscribe(WEBSOCKET))
    subscribed = time.perf_counter()

    async def connect(i: int) -> aiohttp.ClientWebSocketResponse:
        return await pod.http.ws_connect(channels[i]["receiveFrom"], protocols=(NOTIFY + WEBSOCKET,))

    sockets = await gather_limited(len(channels), sizes.concurrency, connect)
    report["setup"] = {
        "subscribe_s": round(subscribed - began, 2),
        "connect_s": round(time.perf_counter() - subscribed, 2),
    }
    log(f"{len(sockets)} channels subscribed and their sockets open: {report['setup']}")
    return sockets


async def one_write(pod: Pod, arrivals: Arrivals, n: int, patience: float) -> dict[str, Any]:
    """One PUT of the topic, and when its messages arrived (seconds)."""
    arrivals.reset()
    began = time.perf_counter()
    answered = await pod.write(n)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(arrivals.complete.wait(), patience)
    times, texts = arrivals.times, arrivals.texts
    right = len(texts) == 1 and all(_is_update(text, pod.topic) for text in texts)
    return {
        "put_s": answered - began,
        "first_s": min(times) - began if times else None,
        "all_s": max(times) - began if len(times) >= arrivals.expected else None,
        "all_after_response_s": max(times) - answered if len(times) >= arrivals.expected else None,
        "missing": max(0, arrivals.expected - len(times)),
        "right_messages": right,
    }


async def paced_write(pod: Pod, arrivals: Arrivals, n: int, sizes: Sizes) -> dict[str, Any]:
    """`one_write`, then a pause until `sizes.interval` has passed since it started."""
    began = time.perf_counter()
    result = await one_write(pod, arrivals, n, sizes.patience)
    await asyncio.sleep(sizes.interval - (time.perf_counter() - began))
    return result


def _is_update(text: str, topic: str) -> bool:
    message = json.loads(text)
    return bool(message.get("type") == "Update" and message.get("object") == topic)


def summarise(writes: list[dict[str, Any]]) -> dict[str, Any]:
    def column(name: str) -> list[float]:
        return [w[name] for w in writes if w[name] is not None]

    return {
        "writes": len(writes),
        "put": latencies(column("put_s")),
        "first": latencies(column("first_s")),
        "all": latencies(column("all_s")),
        "all_after_response": latencies(column("all_after_response_s")),
        "missing": sum(w["missing"] for w in writes),
        "wrong_writes": sum(1 for w in writes if not w["right_messages"]),
    }


# Webhook receivers -----------------------------------------------------------------------------------


class HangingReceiver:
    """A webhook receiver that takes every request and never answers it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received = 0
        self.runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/hook"

    async def hook(self, request: web.Request) -> web.StreamResponse:
        self.received += 1
        await asyncio.Event().wait()
        raise AssertionError("never answers")

    async def __aenter__(self) -> HangingReceiver:
        app = web.Application()
        app.router.add_post("/hook", self.hook)
        self.runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self.runner.setup()
        await web.TCPSite(self.runner, LOOPBACK, self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


async def subscribe_webhooks(pod: Pod, target: str | None, count: int) -> list[dict[str, Any]]:
    """`count` webhook channels on the topic, POSTing to `target` (none without a target)."""
    if target is None:
        return []
    return [await pod.subscribe(WEBHOOK, sendTo=target) for _ in range(count)]


async def webhook_rounds(
    pod: Pod, arrivals: Arrivals, sizes: Sizes, targets: dict[str, str | None]
) -> list[dict[str, Any]]:
    """Writes under each condition (no webhook, or `sizes.webhooks` to its target), rotating each round."""
    writes: list[dict[str, Any]] = []
    per_round = max(1, sizes.writes // sizes.rounds)
    for round_ in range(sizes.rounds):
        shift = round_ % len(CONDITIONS)
        for condition in CONDITIONS[shift:] + CONDITIONS[:shift]:
            hooks = await subscribe_webhooks(pod, targets[condition], sizes.webhooks)
            for _ in range(per_round):
                result = await paced_write(pod, arrivals, len(writes), sizes)
                writes.append(result | {"condition": condition, "round": round_})
            for hook in hooks:
                await pod.unsubscribe(hook)
            mine = summarise([w for w in writes if w["round"] == round_ and w["condition"] == condition])
            log(f"round {round_}, webhooks {condition:<7}: PUT {mine['put']}, all delivered {mine['all']}")
    return writes


# The run ---------------------------------------------------------------------------------------------


async def exercise(server: ServerProcess, sizes: Sizes, report: Report) -> None:
    arrivals = Arrivals(sizes.subscribers)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http, HangingReceiver() as hanging:
        pod = Pod(http, server.spec.origin)
        sockets = await open_sockets(pod, sizes, arrivals, report)
        listeners = [asyncio.create_task(listen(socket, arrivals)) for socket in sockets]
        report["server_rss_mb_with_sockets"] = round(server.rss() / MB, 1)
        fanout = [await paced_write(pod, arrivals, -1 - n, sizes) for n in range(sizes.fanout_writes)]
        report["fanout"] = {"raw": fanout, **summarise(fanout)}
        log(f"fan-out to {sizes.subscribers} sockets: {summarise(fanout)}")
        targets = {"none": None, "hanging": hanging.url, "dead": f"http://{LOOPBACK}:{free_port()}/hook"}
        writes = await webhook_rounds(pod, arrivals, sizes, targets)
        report["webhooks"] = {
            "raw": writes,
            **{c: summarise([w for w in writes if w["condition"] == c]) for c in CONDITIONS},
        }
        report["hanging_receiver_requests"] = hanging.received
        for socket in sockets:
            await socket.close()
        for task in listeners:
            task.cancel()


def print_report(report: Report, sizes: Sizes, path: Path) -> None:
    fanout = report["fanout"]
    rows = [
        [label, fanout[key]["median_ms"], fanout[key]["p99_ms"], fanout[key]["max_ms"]]
        for label, key in [
            ("PUT of the topic", "put"),
            ("first message, from the PUT's start", "first"),
            (f"all {sizes.subscribers} messages, from the PUT's start", "all"),
            (f"all {sizes.subscribers} messages, from the PUT's response", "all_after_response"),
        ]
    ]
    print(f"Fan-out: {fanout['writes']} writes, {sizes.subscribers} WebSocket subscribers on the topic")
    print(table(["ms", "median", "p99", "max"], rows))
    print(f"missing messages: {fanout['missing']}; writes with wrong messages: {fanout['wrong_writes']}")
    print()
    labels = {
        "none": "none",
        "hanging": f"{sizes.webhooks}, never answering",
        "dead": f"{sizes.webhooks}, to a dead port",
    }
    rows = []
    for condition, label in labels.items():
        s = report["webhooks"][condition]
        delivery = s["all_after_response"]
        put = s["put"]
        rows.append([label, s["writes"], put["median_ms"], put["p99_ms"], delivery["median_ms"]])
        rows[-1] += [delivery["p99_ms"], s["missing"]]
    print(f"Webhooks: PUT latency and delivery to the {sizes.subscribers} sockets (ms)")
    header = ["webhooks", "writes", "PUT p50", "PUT p99", "all WS p50", "all WS p99", "missing"]
    print(table(header, rows))
    worst = fanout["all_after_response"]["max_ms"]
    met = worst is not None and worst < 1000 and fanout["missing"] == 0
    verdict = "met" if met else "NOT met"
    print(f"  {verdict}: each write's {sizes.subscribers} messages all within 1 s of its response")
    base = report["webhooks"]["none"]["put"]["median_ms"]
    for condition in ("hanging", "dead"):
        ratio = report["webhooks"][condition]["put"]["median_ms"] / base
        print(f"  PUT median with webhooks {condition}: {ratio:.2f}× the one without")
    print(f"setup: {report['setup']}; hanging receiver got {report['hanging_receiver_requests']} requests")
    print(f"server: {report['server']}; results: {path}")


def main(argv: list[str] | None = None) -> int:
    arguments = parser(__doc__)
    arguments.add_argument("--subscribers", type=int, help="WebSocket channels on the topic (default 1000)")
    arguments.add_argument("--writes", type=int, help="writes per webhook condition (default 200, quick 30)")
    args = arguments.parse_args(argv)
    sizes = QUICK if args.quick else Sizes()
    sizes = replace(
        sizes, subscribers=args.subscribers or sizes.subscribers, writes=args.writes or sizes.writes
    )
    raise_open_file_limit()  # a socket per subscriber, here as in the server
    report = new_report("notifications-load", args.quick, **vars(sizes))
    work = Path(tempfile.mkdtemp(prefix="pod-bench-notify-"))
    data.public_container(work / "data", "bench/")
    (work / "data" / TOPIC).write_bytes(data.small_document())
    server = start_pod(work, work / "data", "--trusted-webid", AGENT, ready_path=TOPIC)
    try:
        run_async(exercise(server, sizes, report))
    finally:
        server.stop()
        report["server"] = server_problems(server)
        remove(work)
    print_report(report, sizes, save(report, args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
