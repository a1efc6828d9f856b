"""`make soak`: the benchmark workloads mixed for minutes against one server; leaks and 5xx fail it.

    python -m tests.faults.soak --minutes 10

A fresh `--single-user` server (tests.faults.server) on a data folder of its own gets the
workloads of the benchmark (bench/: GET small and large documents as Turtle and JSON-LD, GET a
container of 1,000, HEAD, PUT, N3 PATCH) plus POST and DELETE, from CONCURRENCY clients at once.
It passes when no answer was a 5xx (or a connection error), and the server's RSS and open file
descriptors at the end are within 10% of what they were after the first minute.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.faults.server import PodProcess

CONCURRENCY = 16
ALLOWED_GROWTH = 0.10
TURTLE = {"Content-Type": "text/turtle"}
N3_PATCH = b"""@prefix solid: <http://www.w3.org/ns/solid/terms#>.
_:p a solid:InsertDeletePatch; solid:inserts { <#it> <http://example.org/seen> "yes" . }."""


def document(triples: int, tag: str = "doc") -> bytes:
    return "".join(
        f'<#s{i}> <http://example.org/p{i % 7}> "{tag} value {i}" .\n' for i in range(triples)
    ).encode()


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    by_workload: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500) + sum(self.errors.values())


Workload = Callable[[aiohttp.ClientSession, str, random.Random], Awaitable[int]]


async def _get(session: aiohttp.ClientSession, url: str, accept: str = "text/turtle") -> int:
    async with session.get(url, headers={"Accept": accept}) as response:
        await response.read()
        return response.status


async def get_small(session: aiohttp.ClientSession, base: str, rng: random.Random) -> int:
    return await _get(session, base + "soak/small.ttl")


async def get_small_jsonld(session: aiohttp.ClientSession, base: str, rng: random.Random) -> int:
    return await _get(session, base + "soak/small.ttl", "application/ld+json")


async def get_container(session: aiohttp.ClientSession, base: str, rng: random.Random) -> int:
    return await _get(session, base + "soak/many/")


async def get_large(session: aiohttp.ClientSession, base: str, rng: random.Random) -> int:
    return await _get(session, base + "soak/large.ttl")


async def get_large_jsonld(session: aiohttp.ClientSession, base: str, rng: random.Random) -> int:
    return await _get(session, base + "soak/large.ttl", "application/ld+json")


async def head(session: aiohttp.ClientSession, base: str, rng: random.Random) -> int:
    async with session.head(base + "soak/small.ttl") as response:
        return response.status


async def put(session: aiohttp.ClientSession, base: str, rng: random.Random) -> int:
    # A bounded set of names: the data folder stays the same size, so growth would be a leak.
    url = f"{base}soak/put/{rng.randrange(1000)}.ttl"
    async with session.put(url, data=document(20, str(rng.random())), headers=TURTLE) as response:
        return response.status


async def patch(session: aiohttp.ClientSession, base: str, rng: random.Random) -> int:
    url = f"{base}soak/patched/{rng.randrange(50)}.ttl"
    async with session.patch(url, data=N3_PATCH, headers={"Content-Type": "text/n3"}) as response:
        return response.status


async def post_then_delete(session: aiohttp.ClientSession, base: str, rng: random.Random) -> int:
    async with session.post(base + "soak/posted/", data=document(5), headers=TURTLE) as response:
        if response.status != 201:
            return response.status
        location = response.headers["Location"]
    async with session.delete(location) as response:
        return response.status


WORKLOADS: dict[str, Workload] = {
    "get-ttl": get_small,
    "get-jsonld": get_small_jsonld,
    "get-container": get_container,
    "get-large-ttl": get_large,
    "get-large-jsonld": get_large_jsonld,
    "head": head,
    "put": put,
    "patch": patch,
    "post+delete": post_then_delete,
}
# How often each is drawn: mostly reads, as in a pod's life; the large conversions are costly.
WEIGHTS = {
    "get-ttl": 30,
    "get-jsonld": 10,
    "get-container": 5,
    "get-large-ttl": 3,
    "get-large-jsonld": 1,
    "head": 10,
    "put": 15,
    "patch": 10,
    "post+delete": 8,
}


async def prepare(session: aiohttp.ClientSession, base: str) -> None:
    for path, body in (("soak/small.ttl", document(20)), ("soak/large.ttl", document(10_000))):
        async with session.put(base + path, data=body, headers=TURTLE) as response:
            assert response.status in (201, 204), await response.text()
    async with session.put(base + "soak/posted/", headers=TURTLE) as response:
        assert response.status in (201, 409), await response.text()

    async def child(n: int) -> None:
        async with session.put(f"{base}soak/many/{n}.ttl", data=document(2), headers=TURTLE) as response:
            assert response.status in (201, 204)

    for start in range(0, 1000, 50):
        await asyncio.gather(*(child(n) for n in range(start, start + 50)))


async def client(session: aiohttp.ClientSession, base: str, tally: Tally, until: float, seed: int) -> None:
    rng = random.Random(seed)
    names = list(WEIGHTS)
    weights = [WEIGHTS[n] for n in names]
    while time.monotonic() < until:
        name = rng.choices(names, weights)[0]
        try:
            status = await WORKLOADS[name](session, base, rng)
        except (TimeoutError, aiohttp.ClientError) as error:
            tally.errors[type(error).__name__] += 1
            continue
        tally.statuses[status] += 1
        tally.by_workload[name] += 1


def sample(server: PodProcess) -> tuple[int, int]:
    return server.rss_bytes(), server.open_fds()


async def soak(server: PodProcess, minutes: float) -> bool:
    tally = Tally()
    started = time.monotonic()
    until = started + minutes * 60
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(
        timeout=timeout, connector=aiohttp.TCPConnector(limit=CONCURRENCY)
    ) as session:
        await prepare(session, server.url)
        clients = [
            asyncio.create_task(client(session, server.url, tally, until, seed))
            for seed in range(CONCURRENCY)
        ]
        first: tuple[int, int] | None = None
        next_report = started + 60
        while not all(c.done() for c in clients):
            await asyncio.sleep(1)
            now = time.monotonic()
            if now >= next_report or all(c.done() for c in clients):
                rss, fds = sample(server)
                if first is None:
                    first = (rss, fds)
                done = sum(tally.statuses.values())
                print(
                    f"[{(now - started) / 60:5.1f} min] requests={done} rss={rss / 2**20:.1f} MiB "
                    f"fds={fds} 5xx+errors={tally.server_errors}",
                    flush=True,
                )
                next_report += 60
        await asyncio.gather(*clients)
    end = sample(server)
    if first is None:
        first = end
    elapsed = time.monotonic() - started
    total = sum(tally.statuses.values())
    rss_growth = (end[0] - first[0]) / first[0]
    fd_growth = (end[1] - first[1]) / max(first[1], 1)
    print(
        f"\nsoak: {elapsed / 60:.1f} min, {total} requests ({total / elapsed:.0f}/s), by workload: "
        f"{dict(tally.by_workload)}"
    )
    print(f"statuses: {dict(sorted(tally.statuses.items()))}; connection errors: {dict(tally.errors)}")
    print(
        f"RSS after minute 1: {first[0] / 2**20:.1f} MiB, "
        f"at the end: {end[0] / 2**20:.1f} MiB ({rss_growth:+.1%})"
    )
    print(f"open fds after minute 1: {first[1]}, at the end: {end[1]} ({fd_growth:+.1%})")
    print(f"5xx and connection errors: {tally.server_errors}")
    passed = tally.server_errors == 0 and rss_growth <= ALLOWED_GROWTH and fd_growth <= ALLOWED_GROWTH
    print("soak passed" if passed else "soak FAILED", flush=True)
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="soak", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the load runs (default 10)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pod-soak-") as folder:
        server = PodProcess(Path(folder) / "data", Path(folder) / "server.log", ("--header-timeout", "30"))
        server.start()
        try:
            passed = asyncio.run(soak(server, args.minutes))
        finally:
            alive = server.alive
            server.stop()
        if not alive:
            print("the server died during the soak:\n" + server.log_tail(), file=sys.stderr)
            return 1
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
