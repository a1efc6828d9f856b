"""The workloads of issue 4, each one kind of request repeated, and the plans that say how long and
how often each runs (the full run and the quick one)."""

from __future__ import annotations

from dataclasses import dataclass, field

import data

TURTLE = "text/turtle"
JSON_LD = "application/ld+json"
N3 = "text/n3"


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    path: str  # under the server root; {tag} and {n} make each PUT's URL new
    method: str = "GET"
    accept: str | None = TURTLE
    content_type: str | None = None
    body: bytes = b""
    expect: tuple[int, ...] = (200,)
    bare: bool = False  # the bare aiohttp handler runs it too, as the ceiling


WORKLOADS = (
    Workload("get-ttl", "GET 20-triple doc as Turtle", data.SMALL, bare=True),
    Workload("get-jsonld", "GET 20-triple doc as JSON-LD", data.SMALL, accept=JSON_LD),
    Workload("get-container", "GET container, 1,000 children", data.CONTAINER),
    Workload(
        "put",
        "PUT new small doc",
        data.PUT_CONTAINER + "{tag}-{n}.ttl",
        method="PUT",
        accept=None,
        content_type=TURTLE,
        body=data.small_document(),
        expect=(201,),
    ),
    Workload(
        "patch",
        "PATCH (N3) insert 1 triple",
        data.PATCHED,
        method="PATCH",
        accept=None,
        content_type=N3,
        body=data.n3_insert_patch(),
        expect=(200, 204, 205),
    ),
    Workload("head", "HEAD 20-triple doc", data.SMALL, method="HEAD"),
    Workload("get-large-ttl", "GET 10k-triple doc as Turtle", data.LARGE),
    Workload("get-large-jsonld", "GET 10k-triple doc as JSON-LD", data.LARGE, accept=JSON_LD),
)


@dataclass(frozen=True)
class Plan:
    quick: bool = False
    servers: tuple[str, ...] = ("pod", "css", "nss")
    workloads: tuple[str, ...] = tuple(w.key for w in WORKLOADS)
    concurrency: tuple[int, ...] = (32, 1)
    single: tuple[str, ...] | None = None  # the workloads that also run at 1 connection (None: all)
    rounds: int = 3  # each round runs every server once, in an order rotated by one each round
    duration: dict[int, float] = field(default_factory=lambda: {32: 5.0, 1: 2.5})  # seconds, by conns
    warmup: float = 1.0  # seconds, and at least one response per connection
    max_window: float = 120.0  # a measurement gives up waiting for one response per connection
    timeout: float = 120.0  # a single request slower than this is an error
    cold_starts: int = 3
    scale: tuple[int, ...] = (1_000, 10_000, 100_000)
    scale_timeout: float = 300.0
    scale_repeats: int = 3  # timed GETs after the first one, per size and server
    quiet_wait: float = 10.0  # before a run, wait up to this long for other work on the machine to stop
    quiet_budget: float = 300.0  # ... and no longer than this over the whole run
    rss_cap_mb: int = 12_000  # a server growing past this is stopped (its later cells: n/a)
    profile: bool = False
    profile_seconds: float = 8.0

    def connections(self, workload: Workload) -> tuple[int, ...]:
        if self.single is None or workload.key in self.single:
            return self.concurrency
        return tuple(c for c in self.concurrency if c != 1)


QUICK = Plan(
    quick=True,
    servers=("pod", "css"),
    single=("get-ttl",),
    rounds=1,
    duration={32: 1.2, 1: 0.8},
    warmup=0.3,
    max_window=20.0,
    timeout=30.0,
    cold_starts=1,
    scale=(1_000, 10_000),
    scale_timeout=60.0,
    scale_repeats=1,
    quiet_wait=0.0,
)
