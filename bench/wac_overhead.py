"""Issue 5: what Web Access Control costs a read, once the ACL is cached (target: the GET benchmark with
WAC on stays within 10 % of WAC off).

Two servers on loopback ports, each over its own data folder seeded as for the main bench (`data.py`):
`pod serve`, and `wac_off_server.py` (the same server with WAC's two steps replaced by allow-everything).
Each run is the main bench's small-Turtle GET (`get-ttl` in `workloads.py`: 20 triples in `bench/`,
which has an `.acl` of its own, so WAC evaluates every request), driven by `load.py`'s generator in
this process at 32 connections and at 1, with the main bench's windows; the rounds alternate which
server goes first, and the table shows the medians over the rounds. Before the runs, a document under
an ACL that grants nothing to the public must be refused by one server and served by the other.

Then, in this process (`make_app` over a third seeded folder, on loopback), what one GET costs once its
ACL is cached — file reads, RDF parses and stats, counted by wrapping the store and the parsers — what
the first GET after the ACL changed costs, and the time of one cached WAC check by itself.

    .venv/bin/python bench/wac_overhead.py              # 5 rounds, about 2 minutes
    .venv/bin/python bench/wac_overhead.py --quick      # 3 short rounds, under a minute
    .venv/bin/python bench/wac_overhead.py --rounds 7
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any
from unittest import mock

import aiohttp
import data
import load
from aiohttp import web
from aiohttp.test_utils import TestServer
from features import Report, new_report, parser, remove, save, server_problems, start, table
from run import CpuAccount, fetch, log
from servers import BENCH, LOOPBACK, ServerProcess, ServerSpec, free_port, pod_spec
from workloads import QUICK, TURTLE, WORKLOADS, Plan

import pod.rdf.formats
import pod.wac.discovery
from pod.app import make_app
from pod.auth.credentials import ANONYMOUS
from pod.config import Settings
from pod.http.routes import LdpHandler
from pod.ldp.identifiers import AuxiliaryKind, ResourceIdentifier, parse_path
from pod.storage.files import FileStore
from pod.wac.authorizations import parse_acl_document

GET_TTL = next(w for w in WORKLOADS if w.key == "get-ttl")
CONNECTIONS = (32, 1)
# A document under an ACL that grants the public nothing: 401 with WAC on, 200 with it off.
CLOSED = "wac-check/closed.ttl"
CLOSED_ACL = b"""@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#nobody> a acl:Authorization ; acl:agent <https://nobody.example/profile#me> ;
    acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .
"""


def seed(data_dir: Path) -> None:
    data.seed(data_dir)
    data.public_container(data_dir, "wac-check/")
    (data_dir / "wac-check" / ".acl").write_bytes(CLOSED_ACL)
    (data_dir / CLOSED).write_bytes(data.small_document())


def specs(work: Path) -> dict[str, ServerSpec]:
    """ "on": `pod serve`; "off": the same command line run by wac_off_server.py."""
    folders = {key: work / key / "data" for key in ("on", "off")}
    for folder in folders.values():
        folder.mkdir(parents=True)
        seed(folder)
    on = pod_spec(free_port(), folders["on"])
    off = pod_spec(free_port(), folders["off"])
    command = [sys.executable, str(BENCH / "wac_off_server.py"), *off.command[2:]]  # after `pod serve`
    return {"on": on, "off": replace(off, key="wac-off", label="pod, WAC off", command=command)}


def check(servers: dict[str, ServerProcess]) -> dict[str, str]:
    """The same body for the workload from both; the closed document refused by WAC only."""
    found = {}
    bodies = {key: fetch(server, "GET", GET_TTL.path, {"Accept": TURTLE}) for key, server in servers.items()}
    same = bodies["on"] == bodies["off"] and bodies["on"][0] == 200
    found["get-ttl"] = "ok" if same else f"differ: {[(s, len(b)) for s, b in bodies.values()]}"
    closed = {key: fetch(server, "GET", CLOSED, {"Accept": TURTLE})[0] for key, server in servers.items()}
    found["closed"] = "ok" if closed == {"on": 401, "off": 200} else f"statuses {closed}"
    return found


# The load runs ---------------------------------------------------------------------------------


def run_once(server: ServerProcess, conns: int, plan: Plan) -> dict[str, Any]:
    request = load.RequestSpec(f"{server.spec.origin}/{GET_TTL.path}", headers=(("Accept", TURTLE),))
    window = load.LoadPlan(
        connections=conns,
        duration=plan.duration[conns],
        warmup=plan.warmup,
        warmup_requests=conns,
        max_window=plan.max_window,
        timeout=plan.timeout,
    )
    server.settle()
    cpu = CpuAccount(server)
    began = time.perf_counter()
    result: dict[str, Any] = asdict(load.run_sync(request, window))
    others, steal = cpu.others(time.perf_counter() - began)
    return result | {"other_cores": round(others, 2), "steal_cores": round(steal, 2)}


def rounds(servers: dict[str, ServerProcess], plan: Plan, count: int) -> list[dict[str, Any]]:
    """`count` rounds; in each, both servers at each connection count, the first one alternating."""
    runs = []
    for round_ in range(count):
        for conns in CONNECTIONS:
            order = ["on", "off"] if round_ % 2 == 0 else ["off", "on"]
            for key in order:
                result = run_once(servers[key], conns, plan) | {
                    "wac": key,
                    "connections": conns,
                    "round": round_,
                }
                runs.append(result)
                log(f"WAC {key:<3} c={conns:<2} round {round_}: {describe(result)}")
    return runs


def describe(result: dict[str, Any]) -> str:
    return (
        f"{result['rps']} req/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
        f"errors {result['errors']}, other cores {result['other_cores']}"
    )


def summarise(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Medians over the rounds, for each connection count and WAC on and off, and on/off ratios."""
    summary: dict[str, dict[str, Any]] = {}
    for conns in CONNECTIONS:
        entry: dict[str, Any] = {}
        for key in ("on", "off"):
            mine = [r for r in runs if (r["wac"], r["connections"]) == (key, conns)]
            entry[key] = {
                name: statistics.median(r[name] for r in mine if r[name] is not None)
                for name in ("rps", "p50_ms", "p99_ms")
            } | {"errors": sum(r["errors"] for r in mine), "rounds": len(mine)}
        entry["rps_ratio"] = round(entry["on"]["rps"] / entry["off"]["rps"], 3)
        entry["p50_ratio"] = round(entry["on"]["p50_ms"] / entry["off"]["p50_ms"], 3)
        summary[str(conns)] = entry
    return summary


# Counting what a cached check costs, in process ----------------------------------------------------


def _is_acl(identifier: ResourceIdentifier) -> bool:
    return identifier.auxiliary_kind is AuxiliaryKind.ACL


@contextlib.contextmanager
def counting(counts: Counter[str]) -> Iterator[None]:
    """Count, while the block runs, the store's reads and stats and the RDF parses (ACLs and any)."""
    read, stream, stat = FileStore.read, FileStore.stream, FileStore.stat
    parse_acl, parse = parse_acl_document, pod.rdf.formats.parse

    async def counted_read(store: FileStore, identifier: ResourceIdentifier) -> bytes:
        counts["ACL file reads" if _is_acl(identifier) else "other file reads"] += 1
        return await read(store, identifier)

    def counted_stream(store: FileStore, identifier: ResourceIdentifier, *args: Any) -> AsyncIterator[bytes]:
        counts["ACL file reads" if _is_acl(identifier) else "other file reads"] += 1
        return stream(store, identifier, *args)

    async def counted_stat(store: FileStore, identifier: ResourceIdentifier) -> Any:
        counts["ACL stats" if _is_acl(identifier) else "other stats"] += 1
        return await stat(store, identifier)

    def counted_parse_acl(*args: Any) -> Any:
        counts["ACL parses"] += 1
        return parse_acl(*args)

    def counted_parse(*args: Any, **kwargs: Any) -> Any:
        counts["RDF parses"] += 1
        return parse(*args, **kwargs)

    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.object(FileStore, "read", counted_read))
        stack.enter_context(mock.patch.object(FileStore, "stream", counted_stream))
        stack.enter_context(mock.patch.object(FileStore, "stat", counted_stat))
        stack.enter_context(mock.patch.object(pod.wac.discovery, "parse_acl_document", counted_parse_acl))
        stack.enter_context(mock.patch.object(pod.rdf.formats, "parse", counted_parse))
        yield


COUNTED = ("ACL stats", "ACL file reads", "ACL parses", "RDF parses", "other stats", "other file reads")


def ldp_handler(app: web.Application) -> LdpHandler:
    """The handler behind the LDP catch-all route (make_app builds it and keeps it nowhere else)."""
    for route in app.router.routes():
        owner = getattr(route.handler, "__self__", None)
        if isinstance(owner, LdpHandler):
            return owner
    raise LookupError("no LDP handler among the routes")


async def per_get(http: aiohttp.ClientSession, url: str, requests: int) -> dict[str, float]:
    """Mean of each count per GET of `url` over `requests` GETs."""
    counts: Counter[str] = Counter()
    with counting(counts):
        for _ in range(requests):
            async with http.get(url, headers={"Accept": TURTLE}) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"GET {url}: {response.status}")
    return {name: round(counts[name] / requests, 3) for name in COUNTED}


async def check_micros(handler: LdpHandler, checks: int) -> float:
    """Microseconds of one cached `permissions` check (what a GET asks WAC) by itself."""
    identifier = parse_path("/" + GET_TTL.path)
    await handler.access.permissions(ANONYMOUS, identifier)
    began = time.perf_counter()
    for _ in range(checks):
        await handler.access.permissions(ANONYMOUS, identifier)
    return round((time.perf_counter() - began) / checks * 1e6, 2)


async def cached_check_costs(data_dir: Path, requests: int) -> dict[str, Any]:
    port = free_port()
    app = make_app(Settings(host=LOOPBACK, port=port, data_dir=data_dir))
    async with TestServer(app, host=LOOPBACK, port=port) as server, aiohttp.ClientSession() as http:
        url = str(server.make_url("/" + GET_TTL.path))
        first = await per_get(http, url, 1)  # reads and parses the ACL
        cached = await per_get(http, url, requests)
        acl = data_dir / "bench" / ".acl"
        acl.write_bytes(acl.read_bytes())  # a new version (mtime), the same rules
        changed = await per_get(http, url, 1)
        again = await per_get(http, url, requests)
        micros = await check_micros(ldp_handler(app), requests * 20)
    return {
        "first GET": first,
        f"cached (mean of {requests} GETs)": cached,
        "first GET after the ACL changed": changed,
        f"cached again (mean of {requests} GETs)": again,
        "cached_check_us": micros,
    }


# The report -----------------------------------------------------------------------------------------


def print_report(report: Report, path: Path) -> None:
    rows = []
    for conns, entry in report["summary"].items():
        for key in ("on", "off"):
            mine = entry[key]
            ratio = f"{entry['rps_ratio']:.3f}" if key == "on" else ""
            rows.append([key, conns, mine["rps"], mine["p50_ms"], mine["p99_ms"], mine["errors"], ratio])
    print(table(["WAC", "conns", "req/s", "p50 ms", "p99 ms", "errors", "req/s on/off"], rows))
    print()
    costs = report["cached_check"]
    per = [[label, *counts.values()] for label, counts in costs.items() if isinstance(counts, dict)]
    print(table(["per GET of bench/small.ttl", *COUNTED], per))
    print(f"\none cached WAC check (AccessControl.permissions) by itself: {costs['cached_check_us']} µs")
    for conns, entry in report["summary"].items():
        met = "met" if entry["rps_ratio"] >= 0.9 else "NOT met"
        print(
            f"  {met}: c={conns}, WAC on serves {entry['rps_ratio']:.1%} of WAC off's req/s (target ≥ 90 %)"
        )
    print(f"checks: {report['checks']}; servers: {report['servers']}")
    print(f"results: {path}")


def measure(plan: Plan, count: int, requests: int, report: Report) -> None:
    work = Path(tempfile.mkdtemp(prefix="pod-bench-wac-"))
    servers: dict[str, ServerProcess] = {}
    try:
        for key, spec in specs(work).items():
            servers[key] = start(spec, work, data.SMALL)
        report["checks"] = check(servers)
        log(f"checks: {report['checks']}")
        report["runs"] = rounds(servers, plan, count)
        report["summary"] = summarise(report["runs"])
    finally:
        for server in servers.values():
            server.stop()
        report["servers"] = {key: server_problems(server) for key, server in servers.items()}
    counted = work / "in-process"
    counted.mkdir()
    seed(counted)
    report["cached_check"] = asyncio.run(cached_check_costs(counted, requests))
    remove(work)


def main(argv: list[str] | None = None) -> int:
    arguments = parser(__doc__)
    arguments.add_argument("--rounds", type=int, help="rounds (at least 3; default 5, quick 3)")
    args = arguments.parse_args(argv)
    plan = QUICK if args.quick else Plan()
    count = max(3, args.rounds or (3 if args.quick else 5))
    requests = 100 if args.quick else 1000
    report = new_report("wac-overhead", args.quick, rounds=count, duration=plan.duration, warmup=plan.warmup)
    measure(plan, count, requests, report)
    print_report(report, save(report, args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
