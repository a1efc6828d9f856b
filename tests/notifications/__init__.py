"""Tests of live notifications; helpers to subscribe, write, and receive over real connections."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientResponse, ClientWebSocketResponse
from aiohttp.test_utils import TestClient

Client = TestClient[Any, Any]

NOTIFY = "http://www.w3.org/ns/solid/notifications#"
CONTEXT = "https://www.w3.org/ns/solid/notification/v1"
JSON_LD = "application/ld+json"
TURTLE = "text/turtle"
ALICE = "https://alice.example/profile#me"
BOB = "https://bob.example/profile#me"
# Long enough for anything that should arrive; a test fails on it only when nothing comes at all.
PATIENCE = 10.0
DOC = '<#it> <http://example.org/ns#name> "a document".\n'


def path_of(url: str) -> str:
    return urlsplit(url).path


def service(kind: str) -> str:
    return f"/.notifications/{kind}/"


def url(client: Client, path: str) -> str:
    return str(client.make_url(path))


def xsd_datetime(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def in_seconds(seconds: float) -> str:
    return xsd_datetime(time.time() + seconds)


async def subscribe_response(
    client: Client, kind: str, body: dict[str, Any] | str, **headers: str
) -> ClientResponse:
    """POST a subscription request (a dict is sent as JSON-LD) and return the response."""
    if isinstance(body, dict):
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", JSON_LD)
    else:
        data = body.encode()
    return await client.post(service(kind), data=data, headers=headers)


async def subscribe(client: Client, kind: str, topic: str, **features: Any) -> dict[str, Any]:
    """Subscribe to `topic` (a path on the server) and return the channel description (201 expected)."""
    body = {"@context": [CONTEXT], "type": NOTIFY + kind, "topic": url(client, topic), **features}
    resp = await subscribe_response(client, kind, body)
    assert resp.status == 201, await resp.text()
    description: dict[str, Any] = await resp.json()
    return description


async def put(client: Client, path: str, body: str = DOC, content_type: str = TURTLE) -> str:
    """PUT a document; returns its new ETag (without quotes), as a GET in its own format shows it."""
    resp = await client.put(path, data=body.encode(), headers={"Content-Type": content_type})
    assert resp.status in (201, 204), await resp.text()
    head = await client.head(path, headers={"Accept": content_type})
    return head.headers.get("ETag", "").strip('"')  # "" when the writer may not read it


async def delete(client: Client, path: str) -> None:
    resp = await client.delete(path)
    assert resp.status == 204, await resp.text()


async def connect(client: Client, channel: dict[str, Any]) -> ClientWebSocketResponse:
    """Open the channel's WebSocket (receiveFrom), as WebSocketChannel2023 §2.1 shows."""
    return await client.ws_connect(
        path_of(channel["receiveFrom"]), protocols=(NOTIFY + "WebSocketChannel2023",)
    )


async def next_json(socket: ClientWebSocketResponse) -> dict[str, Any]:
    message: dict[str, Any] = await asyncio.wait_for(socket.receive_json(), PATIENCE)
    return message


async def next_text(socket: ClientWebSocketResponse) -> str:
    return str(await asyncio.wait_for(socket.receive_str(), PATIENCE))


def acl(*rules: str) -> str:
    prefixes = "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n"
    return prefixes + "".join(f"<#r{i}> a acl:Authorization; {rule}.\n" for i, rule in enumerate(rules))


def grant(agent: str, modes: str) -> str:
    """A rule for `agent` on the container it is in and everything below."""
    return f"acl:agent <{agent}>; acl:accessTo <./>; acl:default <./>; acl:mode {modes}"
