"""Racing writes to one resource are serialised: DESIGN "Writes are ... serialised per resource"."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import aiohttp

from tests.faults.report import record
from tests.faults.server import PodProcess

RACERS = 10


async def test_racing_deletes_one_succeeds_the_rest_are_404(pod_process: Callable[..., PodProcess]) -> None:
    server = pod_process()
    statuses: Counter[int] = Counter()
    # One connection each, so the requests really arrive together.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True)) as session:
        for round_number in range(5):
            url = f"{server.url}race/doc{round_number}.ttl"
            body = b'<#it> <http://example.org/p> "x" .'
            async with session.put(url, data=body, headers={"Content-Type": "text/turtle"}) as response:
                assert response.status == 201

            async def delete(target: str = url) -> int:
                async with session.delete(target) as response:
                    return response.status

            round_statuses = Counter(await asyncio.gather(*(delete() for _ in range(RACERS))))
            assert round_statuses == Counter({204: 1, 404: RACERS - 1}), round_statuses
            statuses += round_statuses
            async with session.get(url) as response:
                assert response.status == 404
    record("racing DELETEs", rounds=5, racers=RACERS, statuses=dict(statuses))


async def test_racing_creates_make_one_resource_and_racing_posts_make_distinct_ones(
    pod_process: Callable[..., PodProcess],
) -> None:
    server = pod_process()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True)) as session:

        async def put(index: int) -> int:
            body = f'<#it> <http://example.org/p> "{index}" .'.encode()
            url = server.url + "race/same.ttl"
            async with session.put(url, data=body, headers={"Content-Type": "text/turtle"}) as response:
                return response.status

        created = Counter(await asyncio.gather(*(put(i) for i in range(RACERS))))
        # RFC 9110 §9.3.4: exactly one PUT created it (201); the others replaced it (204).
        assert created == Counter({201: 1, 204: RACERS - 1}), created

        async def post() -> str:
            headers = {"Content-Type": "text/plain", "Slug": "same"}
            async with session.post(server.url + "race/", data=b"hello", headers=headers) as response:
                assert response.status == 201
                return response.headers["Location"]

        locations = await asyncio.gather(*(post() for _ in range(RACERS)))
        # Solid Protocol §5.3: a POST never overwrites; each gets a name of its own.
        assert len(set(locations)) == RACERS
