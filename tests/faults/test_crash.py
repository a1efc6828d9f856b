"""SIGKILL in the middle of concurrent writes, then a restart: DESIGN "Writes are atomic".

Each worker owns a few document names and does one write at a time on them (PUT of Turtle or
of bytes, N3 PATCH, POST with a Slug, DELETE), keeping a model of what the server acknowledged.
The server is killed at a random moment; at most one write per worker is then in flight, and
it may or may not have happened. After the restart every document must be exactly its last
acknowledged state (or the in-flight write's result), never empty, truncated or unparseable;
every container must list exactly the documents that exist; no temporary file may show.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pyoxigraph as ox

from tests.faults.report import record
from tests.faults.server import PodProcess

WORKERS = 12
NAMES_PER_WORKER = 5
ROUNDS = 3
LDP_CONTAINS = ox.NamedNode("http://www.w3.org/ns/ldp#contains")
RDF_EXTENSIONS = (".ttl", ".acl", ".meta")
N3_PATCH = """@prefix solid: <http://www.w3.org/ns/solid/terms#>.
_:patch a solid:InsertDeletePatch; solid:inserts {{ <#it> <http://example.org/patched> "{value}" . }}."""

Triples = frozenset[tuple[str, str, str]]


@dataclass(frozen=True)
class Document:
    """What a document holds: a set of triples (Turtle) or bytes."""

    triples: Triples | None = None
    data: bytes | None = None


# The state a path is in: a Document, or None when it does not exist.
State = Document | None


@dataclass
class Worker:
    number: int
    rng: random.Random
    acknowledged: dict[str, State] = field(default_factory=dict)
    # The write in flight when the server died: (path, the state it would leave).
    in_flight: tuple[str, State] | None = None
    writes: int = 0
    posts: int = 0

    @property
    def container(self) -> str:
        return f"crash/w{self.number}/"


def parse_turtle(data: bytes, base: str) -> Triples:
    return frozenset(
        (str(t.subject), str(t.predicate), str(t.object))
        for t in ox.parse(data, ox.RdfFormat.TURTLE, base_iri=base)
    )


def turtle_document(rng: random.Random, tag: str) -> bytes:
    # Sizes from a few bytes to about 100 kB, so that a torn write would show as a truncation.
    lines = [f'<#it> <http://example.org/tag> "{tag}" .']
    lines += [
        f'<#it> <http://example.org/line> "{tag} line {i} {"x" * 40}" .' for i in range(rng.randint(0, 1500))
    ]
    return ("\n".join(lines) + "\n").encode()


async def one_write(session: aiohttp.ClientSession, base: str, worker: Worker) -> None:
    """Choose a write from the worker's model, send it, and record the state it acknowledged."""
    rng = worker.rng
    path = f"{worker.container}d{rng.randrange(NAMES_PER_WORKER)}"
    current = worker.acknowledged.get(path)
    tag = f"w{worker.number}-{worker.writes}"
    choice = rng.random()
    url = base + path
    if choice < 0.1:
        worker.posts += 1
        slug = f"p{worker.posts}"
        body = turtle_document(rng, tag)
        expected: State = Document(triples=parse_turtle(body, base + worker.container + slug))
        worker.in_flight = (worker.container + slug, expected)
        headers = {"Content-Type": "text/turtle", "Slug": slug}
        async with session.post(base + worker.container, data=body, headers=headers) as response:
            assert response.status == 201, await response.text()
            assert response.headers["Location"] == base + worker.container + slug
        path = worker.container + slug
    elif current is not None and choice < 0.25:
        expected = None
        worker.in_flight = (path, expected)
        async with session.delete(url) as response:
            assert response.status == 204, await response.text()
    elif current is not None and current.triples is not None and choice < 0.45:
        value = f"patched {tag}"
        expected = Document(
            triples=current.triples | {(f"<{url}#it>", "<http://example.org/patched>", f'"{value}"')}
        )
        worker.in_flight = (path, expected)
        patch = N3_PATCH.format(value=value).encode()
        async with session.patch(url, data=patch, headers={"Content-Type": "text/n3"}) as response:
            assert response.status in (201, 204, 205), await response.text()
    elif choice < 0.75:
        body = turtle_document(rng, tag)
        expected = Document(triples=parse_turtle(body, url))
        worker.in_flight = (path, expected)
        async with session.put(url, data=body, headers={"Content-Type": "text/turtle"}) as response:
            assert response.status in (201, 204, 205), await response.text()
    else:
        # Up to 600 kB: more than the server reads in one chunk, so it is staged in several writes.
        data = rng.randbytes(rng.randint(1, 600_000))
        expected = Document(data=data)
        worker.in_flight = (path, expected)
        headers = {"Content-Type": "application/octet-stream"}
        async with session.put(url, data=data, headers=headers) as response:
            assert response.status in (201, 204, 205), await response.text()
    worker.acknowledged[path] = expected
    worker.in_flight = None
    worker.writes += 1


async def load_until_killed(server: PodProcess, workers: list[Worker], kill_after: float) -> None:
    killing = asyncio.Event()

    async def work(session: aiohttp.ClientSession, worker: Worker) -> None:
        while True:
            try:
                await one_write(session, server.url, worker)
            except (TimeoutError, aiohttp.ClientError):
                if not killing.is_set():
                    raise
                return

    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
        tasks = [asyncio.create_task(work(session, w)) for w in workers]
        await asyncio.sleep(kill_after)
        killing.set()
        await asyncio.to_thread(server.kill)
        await asyncio.gather(*tasks)


async def actual_state(session: aiohttp.ClientSession, base: str, path: str) -> State:
    async with session.get(base + path, headers={"Accept": "text/turtle"}) as response:
        if response.status == 404:
            return None
        assert response.status == 200, f"{path}: {response.status}"
        body = await response.read()
        assert body, f"{path} is empty"
        if response.content_type == "text/turtle":
            return Document(triples=parse_turtle(body, base + path))  # raises if truncated
        return Document(data=body)


def describe(state: State) -> str:
    if state is None:
        return "absent"
    if state.triples is not None:
        return f"{len(state.triples)} triples"
    assert state.data is not None
    return f"{len(state.data)} bytes"


async def verify(server: PodProcess, workers: list[Worker]) -> int:
    """Check every document and container against the model; return the documents checked."""
    checked = 0
    base = server.url
    async with aiohttp.ClientSession() as session:
        for worker in workers:
            paths = set(worker.acknowledged)
            if worker.in_flight is not None:
                paths.add(worker.in_flight[0])
            for path in sorted(paths):
                actual = await actual_state(session, base, path)
                allowed = [worker.acknowledged.get(path)]
                if worker.in_flight is not None and worker.in_flight[0] == path:
                    allowed.append(worker.in_flight[1])
                assert actual in allowed, (
                    f"{path}: {describe(actual)}, expected {' or '.join(map(describe, allowed))}"
                )
                # The model now holds what is there: the in-flight write either happened or not.
                worker.acknowledged[path] = actual
                checked += 1
            worker.in_flight = None
            listed = await contained(session, base, worker.container)
            if listed is None:
                assert not any(worker.acknowledged.values()), f"{worker.container} is gone"
                continue
            existing = {base + p for p, s in worker.acknowledged.items() if s is not None}
            # Solid Protocol §5.1: the containment triples are exactly the resources that exist.
            assert listed == existing, f"{worker.container} lists {sorted(listed ^ existing)} wrongly"
    return checked


async def contained(session: aiohttp.ClientSession, base: str, container: str) -> set[str] | None:
    async with session.get(base + container, headers={"Accept": "text/turtle"}) as response:
        if response.status == 404:
            return None
        assert response.status == 200
        graph = ox.parse(await response.read(), ox.RdfFormat.TURTLE, base_iri=base + container)
        return {t.object.value for t in graph if t.predicate == LDP_CONTAINS}


def check_data_folder(data_dir: Path) -> None:
    """On disk: every RDF file parses, and the staging area holds nothing but the live server's."""
    for folder, subfolders, files in os.walk(data_dir):
        if Path(folder) == data_dir:
            subfolders[:] = [s for s in subfolders if s != "$pod"]
        for name in files:
            path = Path(folder, name)
            assert path.stat().st_size > 0, f"{path} is empty"
            if name.endswith(RDF_EXTENSIONS):
                ox.parse(path.read_bytes(), ox.RdfFormat.TURTLE, base_iri="http://example.org/")
    staging = data_dir / "$pod" / "staging"
    owners = [p for p in staging.iterdir() if p.is_dir()]
    assert len(owners) == 1, f"staging folders of dead servers are left: {owners}"
    assert not any(owners[0].iterdir()), "staged bodies of a dead server are left"


async def test_sigkill_under_write_load_loses_no_acknowledged_write(
    pod_process: Callable[..., PodProcess],
) -> None:
    server = pod_process()
    rng = random.Random(int.from_bytes(os.urandom(4)))
    workers = [Worker(n, random.Random(rng.random())) for n in range(WORKERS)]
    async with aiohttp.ClientSession() as session:
        for worker in workers:  # POST needs its container to exist
            async with session.put(
                server.url + worker.container, headers={"Content-Type": "text/turtle"}
            ) as response:
                assert response.status == 201
    for round_number in range(1, ROUNDS + 1):
        writes_before = sum(w.writes for w in workers)
        await load_until_killed(server, workers, kill_after=rng.uniform(1.5, 4.0))
        acknowledged = sum(w.writes for w in workers) - writes_before
        in_flight = sum(w.in_flight is not None for w in workers)
        server.restart()
        checked = await verify(server, workers)
        check_data_folder(server.data_dir)
        async with aiohttp.ClientSession() as session, session.get(server.url + "%24pod/") as response:
            assert response.status in (400, 404), "the internal folder must never be served"
        record(
            f"crash run {round_number}",
            acknowledged_writes=acknowledged,
            in_flight_at_kill=in_flight,
            documents_checked=checked,
        )
        assert acknowledged > 0, "the load made no write before the kill"
