"""Issue 10: the SPARQL endpoint's speed (targets, on a pod of 10,000 resources / 100,000 triples where
the agent may read half: a point lookup answers in under 20 ms, a 3-pattern join with FILTER in under
200 ms, and a write to the pod is slowed by the index update by less than 20 %).

Three accounts are made with `pod accounts create` in a temporary data folder: alice and twin, whose
pods are seeded straight into the folder with the same RESOURCES documents of ten triples each (an item
of `data.py`'s large document), half under `shared/` — whose `.acl` gives reader Read — and half under
`private/` (the pod's own ACL: the owner only), 100 to a container; and reader, who asks. Then one
`pod serve` on a loopback port, and each agent authenticates as the tests do against a real server: a
client credential from the account API, DPoP-bound tokens from the server's own OpenID provider, a new
DPoP proof on every request (`pod.client`). Over HTTP, as reader, on alice's endpoint:

- the first query, which builds the pod's index;
- a count of every item reader may read, and point lookups of private items (no rows, or a broken
  index could look fast);
- point lookups (one item's title by its IRI) and 3-pattern joins with a FILTER (items of one tag,
  with their index and title, in a range of indexes), each answer checked against what was seeded;
- PUTs of new documents by each owner, alternating between alice's pod (its index open) and twin's
  (no index ever opened), after a few unmeasured ones (a pod's first write recounts its usage); after
  each batch, one query of alice's pod, which brings the index up to date, checks that it holds every
  document written so far, and is timed too.

    .venv/bin/python bench/sparql_speed.py                     # 10,000 resources, 100,000 triples
    .venv/bin/python bench/sparql_speed.py --quick             # 1,000 resources, 10,000 triples
    .venv/bin/python bench/sparql_speed.py --resources 20000
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import data
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
from workloads import TURTLE

from pod.cli import main as pod_command
from pod.client.account_api import temporary_credential
from pod.client.session import SolidSession
from pod.ldp.identifiers import parse_path
from pod.sparql.service import index_folder, index_path

PASSWORD = "bench horse battery staple"
QUERIED, UNQUERIED, READER = "alice", "twin", "reader"
PER_CONTAINER = 100
ITEM_TRIPLES = 10
FIRST_WRITTEN = 1_000_000  # the item numbers of the documents PUT, after all the seeded ones
WARM_WRITES = 3
RESULTS_JSON = "application/sparql-results+json"
EX = "http://example.org/ns#"
DCT = "http://purl.org/dc/terms/"
MB = 1024 * 1024


@dataclass(frozen=True)
class Sizes:
    resources: int = 10_000  # per pod
    lookups: int = 200
    joins: int = 100
    writes: int = 200  # per pod
    batch: int = 50  # writes per pod between two queries


QUICK = Sizes(resources=1_000, lookups=50, joins=20, writes=50, batch=25)


# The pods ------------------------------------------------------------------------------------------


def readable(i: int, resources: int) -> bool:
    return i < resources // 2


def resource_path(i: int, resources: int) -> str:
    """Where item `i` lives in a pod: `shared/` (reader may read) or `private/`, 100 to a container."""
    folder = "shared" if readable(i, resources) else "private"
    return f"{folder}/c{i // PER_CONTAINER:03d}/r{i:07d}.ttl"


def document(i: int) -> bytes:
    return (data.ITEM_PREFIXES + data.item(i, ITEM_TRIPLES)).encode()


def shared_acl(owner: str, reader: str) -> bytes:
    rule = "a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode {}.\n"
    return (
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n"
        + "<#owner> "
        + rule.format(owner, "acl:Read, acl:Write, acl:Append, acl:Control")
        + "<#reader> "
        + rule.format(reader, "acl:Read")
    ).encode()


def create_account(data_dir: Path, base: str, name: str) -> str:
    """An account with a password and a pod called `name`, made by `pod accounts create`; its WebID."""
    printed = io.StringIO()
    flags = ["--data-dir", str(data_dir), "--base-url", base, "--pod", name]
    with contextlib.redirect_stdout(printed):
        code = pod_command(["accounts", "create", *flags, "--email", email(name), "--password", PASSWORD])
    webids = [line.split()[1] for line in printed.getvalue().splitlines() if line.startswith("WebID:")]
    if code != 0 or not webids:
        raise RuntimeError(f"pod accounts create {name}: {code} {printed.getvalue()}")
    return webids[0]


def email(name: str) -> str:
    return f"{name}@example.org"


def seed_pod(folder: Path, owner: str, reader: str, resources: int) -> None:
    (folder / "shared" / "writes").mkdir(parents=True)
    (folder / "shared" / ".acl").write_bytes(shared_acl(owner, reader))
    for i in range(resources):
        path = folder / resource_path(i, resources)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(document(i))


def prepare(data_dir: Path, base: str, resources: int) -> None:
    webids = {name: create_account(data_dir, base, name) for name in (QUERIED, UNQUERIED, READER)}
    for name in (QUERIED, UNQUERIED):
        seed_pod(data_dir / name, webids[name], webids[READER], resources)


# Asking -------------------------------------------------------------------------------------------


class Agent:
    """Someone with a DPoP-bound token, asking over HTTP; each request is timed without its proof."""

    def __init__(self, http: aiohttp.ClientSession, session: SolidSession) -> None:
        self.http = http
        self.session = session

    async def select(self, endpoint: str, query: str) -> tuple[float, list[dict[str, str]]]:
        headers = await self.session.headers("GET", endpoint) | {"Accept": RESULTS_JSON}
        began = time.perf_counter()
        async with self.http.get(endpoint, params={"query": query}, headers=headers) as answer:
            body = await answer.read()
        seconds = time.perf_counter() - began
        if answer.status != 200:
            raise RuntimeError(f"query {query[:80]!r}: {answer.status} {body[:300]!r}")
        bindings = json.loads(body)["results"]["bindings"]
        return seconds, [{name: value["value"] for name, value in row.items()} for row in bindings]

    async def put(self, url: str, body: bytes) -> float:
        headers = await self.session.headers("PUT", url) | {"Content-Type": TURTLE}
        began = time.perf_counter()
        async with self.http.put(url, data=body, headers=headers) as answer:
            await answer.read()
        seconds = time.perf_counter() - began
        if answer.status != 201:
            raise RuntimeError(f"PUT {url}: {answer.status}")
        return seconds


def lookup(pod: str, i: int, resources: int) -> str:
    return f"SELECT ?title WHERE {{ <{pod}{resource_path(i, resources)}#item{i}> <{DCT}title> ?title }}"


def join(tag: int, low: int, high: int) -> str:
    return (
        f'SELECT ?s ?title WHERE {{ ?s <{EX}tag> "tag{tag}" ; <{EX}index> ?i ; <{DCT}title> ?title . '
        f"FILTER(?i >= {low} && ?i < {high}) }}"
    )


def count(where: str = "") -> str:
    return f"SELECT (COUNT(?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s a <{EX}Item> }} {where} }}"


class Checks:
    """What each answer should have been; what was wrong is kept (a broken index must not look fast)."""

    def __init__(self) -> None:
        self.wrong: list[str] = []
        self.answers = 0

    def expect(self, what: str, got: object, wanted: object) -> None:
        self.answers += 1
        if got != wanted:
            self.wrong.append(f"{what}: got {str(got)[:200]}, wanted {str(wanted)[:200]}")


# The measurements -----------------------------------------------------------------------------------


async def timed(times: int, one: Callable[[int], Awaitable[float]]) -> list[float]:
    return [await one(j) for j in range(times)]


async def queries(reader: Agent, pod: str, sizes: Sizes, checks: Checks, report: Report) -> None:
    endpoint, resources, half = pod + ".well-known/sparql", sizes.resources, sizes.resources // 2
    seconds, rows = await reader.select(endpoint, lookup(pod, 0, resources))
    checks.expect("first lookup", rows, [{"title": "Item number 0"}])
    report["first_query_s"] = round(seconds, 3)
    log(f"first query (builds the index of {resources:,} resources): {seconds:.2f} s")
    seconds, rows = await reader.select(endpoint, count())
    checks.expect("count of readable items", rows, [{"n": str(half)}])
    report["count_all_ms"] = round(seconds * 1000, 2)
    for i in range(half, resources, max(1, half // 10)):
        checks.expect(f"private item {i}", (await reader.select(endpoint, lookup(pod, i, resources)))[1], [])

    async def one_lookup(j: int) -> float:
        i = j * 7919 % half
        seconds, rows = await reader.select(endpoint, lookup(pod, i, resources))
        checks.expect(f"lookup {i}", rows, [{"title": f"Item number {i}"}])
        return seconds

    async def one_join(j: int) -> float:
        tag, low, high = j % 37, resources // 10, resources * 8 // 10
        seconds, rows = await reader.select(endpoint, join(tag, low, high))
        wanted = sum(1 for i in range(low, high) if readable(i, resources) and i % 37 == tag)
        checks.expect(f"join tag{tag}", len(rows), wanted)
        return seconds

    report["lookup"] = latencies(await timed(sizes.lookups, one_lookup))
    report["join"] = latencies(await timed(sizes.joins, one_join))
    log(f"point lookups {report['lookup']}; joins {report['join']}")


async def writes(owners: dict[str, Agent], reader: Agent, base: str, sizes: Sizes, checks: Checks) -> Report:
    """PUTs alternating between the queried pod and the other; a query of the queried one after each batch."""
    put_times: dict[str, list[float]] = {QUERIED: [], UNQUERIED: []}
    written = 0

    async def write(name: str, n: int) -> float:
        return await owners[name].put(f"{base}{name}/shared/writes/w{n}.ttl", document(FIRST_WRITTEN + n))

    for n in range(WARM_WRITES):
        for name in owners:
            await write(name, n)
    written = WARM_WRITES
    catch_up = []
    endpoint = f"{base}{QUERIED}/.well-known/sparql"
    in_writes = f'FILTER(STRSTARTS(STR(?g), "{base}{QUERIED}/shared/writes/"))'
    for _ in range(sizes.writes // sizes.batch):
        for j in range(sizes.batch):
            order = (QUERIED, UNQUERIED) if j % 2 == 0 else (UNQUERIED, QUERIED)
            for name in order:
                put_times[name].append(await write(name, written))
            written += 1
        seconds, rows = await reader.select(endpoint, count(in_writes))
        checks.expect(f"written documents after {written} writes", rows, [{"n": str(written)}])
        catch_up.append(seconds)
    return {
        "put_index_open": latencies(put_times[QUERIED]),
        "put_no_index": latencies(put_times[UNQUERIED]),
        "query_after_batch": latencies(catch_up),
    }


async def exercise(server: ServerProcess, sizes: Sizes, report: Report) -> None:
    base = server.spec.origin + "/"
    checks = Checks()
    async with aiohttp.ClientSession() as http, contextlib.AsyncExitStack() as stack:
        agents = {}
        for name in (QUERIED, UNQUERIED, READER):
            credential = await stack.enter_async_context(
                temporary_credential(http, base, email(name), PASSWORD)
            )
            agents[name] = Agent(http, SolidSession(http, base, credential))
        reader = agents.pop(READER)
        await queries(reader, f"{base}{QUERIED}/", sizes, checks, report)
        report["server_rss_mb_with_index"] = round(server.rss() / MB, 1)
        report |= await writes(agents, reader, base, sizes, checks)
    assert server.spec.data_dir is not None
    index = index_path(index_folder(server.spec.data_dir), parse_path(f"/{UNQUERIED}/"))
    checks.expect(f"{UNQUERIED}'s index never opened", index.exists(), False)
    report["checks"] = {"answers": checks.answers, "wrong": checks.wrong}


# The report -----------------------------------------------------------------------------------------


def print_report(report: Report, sizes: Sizes, path: Path) -> None:
    def row(label: str, entry: dict[str, Any]) -> list[object]:
        return [label, entry["n"], entry["median_ms"], entry["p99_ms"], entry["max_ms"]]

    first = report["first_query_s"] * 1000
    rows = [
        ["first query (builds the index)", 1, first, first, first],
        ["count of the readable items", 1, report["count_all_ms"], None, None],
        row("point lookup", report["lookup"]),
        row("3-pattern join + FILTER", report["join"]),
        row("PUT, the pod's index open", report["put_index_open"]),
        row("PUT, no index for the pod", report["put_no_index"]),
        row(f"query after {sizes.batch} writes (catch-up)", report["query_after_batch"]),
    ]
    triples = sizes.resources * ITEM_TRIPLES
    print(f"SPARQL on a pod of {sizes.resources:,} resources / {triples:,} triples, the agent reading half")
    print(table(["ms", "n", "median", "p99", "max"], rows))
    ratio = report["put_index_open"]["median_ms"] / report["put_no_index"]["median_ms"]
    verdicts = [
        (
            report["lookup"]["median_ms"] < 20,
            f"point lookup median {report['lookup']['median_ms']} ms < 20 ms",
        ),
        (report["join"]["median_ms"] < 200, f"join median {report['join']['median_ms']} ms < 200 ms"),
        (ratio < 1.2, f"PUT median with the index open {ratio:.2f}× the one without (< 1.2)"),
    ]
    for met, text in verdicts:
        print(f"  {'met' if met else 'NOT met'}: {text}")
    checks = report["checks"]
    print(f"answers checked: {checks['answers']}, wrong: {len(checks['wrong'])} {checks['wrong'][:3]}")
    print(f"server RSS with the index: {report['server_rss_mb_with_index']} MB (with its index worker)")
    print(f"server: {report['server']}; results: {path}")


def main(argv: list[str] | None = None) -> int:
    arguments = parser(__doc__)
    arguments.add_argument("--resources", type=int, help="documents per pod (default 10,000; quick 1,000)")
    args = arguments.parse_args(argv)
    sizes = QUICK if args.quick else Sizes()
    if args.resources:
        sizes = replace(sizes, resources=args.resources)
    report = new_report("sparql-speed", args.quick, **vars(sizes))
    work = Path(tempfile.mkdtemp(prefix="pod-bench-sparql-"))
    port = free_port()
    began = time.perf_counter()
    prepare(work / "data", f"http://{LOOPBACK}:{port}/", sizes.resources)
    log(f"accounts made and pods seeded in {time.perf_counter() - began:.1f} s")
    server = start_pod(work, work / "data", port=port)
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
