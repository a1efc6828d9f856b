"""StreamingHTTPChannel2023: one long HTTP response carries the channel's messages, one after another."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp import ClientResponse

from tests.conftest import ClientFactory
from tests.notifications import (
    ALICE,
    JSON_LD,
    NOTIFY,
    PATIENCE,
    Client,
    delete,
    in_seconds,
    path_of,
    put,
    subscribe,
    url,
)

STREAM = "StreamingHTTPChannel2023"


@pytest.fixture
async def client(make_client: ClientFactory) -> Client:
    return await make_client(trusted_webid=ALICE)


async def next_line(response: ClientResponse) -> dict[str, Any]:
    line = await asyncio.wait_for(response.content.readline(), PATIENCE)
    message: dict[str, Any] = json.loads(line)
    return message


async def test_stream_carries_create_update_and_delete(client: Client) -> None:
    """Solid Notifications Protocol §3.4 over StreamingHTTPChannel2023: JSON-LD messages, one a line."""
    channel = await subscribe(client, STREAM, "/doc")
    assert channel["type"] == NOTIFY + STREAM
    response = await client.get(path_of(channel["receiveFrom"]))
    assert response.status == 200
    assert response.headers["Content-Type"].startswith(JSON_LD)
    await put(client, "/doc")
    await put(client, "/doc", '<#it> <http://example.org/ns#name> "two".')
    await delete(client, "/doc")
    kinds = [(await next_line(response))["type"] for _ in range(3)]
    assert kinds == ["Create", "Update", "Delete"]


async def test_stream_carries_add_and_remove(client: Client) -> None:
    """Solid Notifications Protocol §3.4: Add/Remove on a container topic, with the container as target."""
    await client.put("/box/", headers={"Content-Type": "text/turtle"})
    channel = await subscribe(client, STREAM, "/box/")
    response = await client.get(path_of(channel["receiveFrom"]))
    await put(client, "/box/a")
    await delete(client, "/box/a")
    added, removed = await next_line(response), await next_line(response)
    assert (added["type"], added["target"], removed["type"]) == ("Add", url(client, "/box/"), "Remove")


async def test_stream_ends_when_the_channel_ends(client: Client) -> None:
    """Solid Notifications Protocol §Features (endAt): the response ends with its channel."""
    channel = await subscribe(client, STREAM, "/doc", endAt=in_seconds(1))
    response = await client.get(path_of(channel["receiveFrom"]))
    rest = await asyncio.wait_for(response.content.read(), PATIENCE)
    assert rest == b""
    assert (await client.get(path_of(channel["receiveFrom"]))).status == 404


async def test_stream_ends_when_unsubscribed(client: Client) -> None:
    """Brief (issue 9): DELETE on the channel unsubscribes; its open stream ends."""
    channel = await subscribe(client, STREAM, "/doc")
    response = await client.get(path_of(channel["receiveFrom"]))
    assert (await client.delete(path_of(channel["id"]))).status == 204
    assert await asyncio.wait_for(response.content.read(), PATIENCE) == b""
