"""The legacy solid-0.1 WebSocket (SolidOS, rdflib.js): Updates-Via, sub → ack, pub."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType

from tests.conftest import ClientFactory
from tests.idp import new_account
from tests.notifications import PATIENCE, Client, delete, next_text, put, url

LEGACY = "solid-0.1"
BASE = "http://127.0.0.1:9/"  # multi-user tests: a fixed base URL, so the owner's WebID is known
ALICE = BASE + "alice/profile/card#me"


async def legacy_socket(client: Client, *protocols: str) -> ClientWebSocketResponse:
    """Connect where `Updates-Via` points, and read the greeting."""
    updates_via = (await client.head("/")).headers["Updates-Via"]
    socket = await client.ws_connect(urlsplit(updates_via).path, protocols=protocols or (LEGACY,))
    assert await next_text(socket) == f"protocol {LEGACY}"
    return socket


async def sub(socket: ClientWebSocketResponse, target: str) -> None:
    await socket.send_str(f"sub {target}")
    assert await next_text(socket) == f"ack {target}"


async def test_updates_via_names_a_websocket_on_this_server(client: Client) -> None:
    """solid-0.1 §Discovery: LDP responses carry `Updates-Via: ws(s)://…`."""
    await put(client, "/doc")
    for resp in (await client.head("/doc"), await client.options("/doc"), await client.get("/")):
        via = resp.headers["Updates-Via"]
        assert via.startswith(f"ws://{client.host}:{client.port}/")


async def test_sub_is_acknowledged_and_changes_are_published(client: Client) -> None:
    """solid-0.1 §Subscription: `sub <url>` → `ack <url>`; a change → `pub <url>`."""
    socket = await legacy_socket(client)
    await sub(socket, url(client, "/doc"))
    await put(client, "/doc")
    assert await next_text(socket) == f"pub {url(client, '/doc')}"


async def test_container_hears_of_its_members(client: Client) -> None:
    """solid-0.1 §Subscription: creating, updating or deleting a member publishes its container."""
    await client.put("/box/", headers={"Content-Type": "text/turtle"})
    socket = await legacy_socket(client)
    box = url(client, "/box/")
    await sub(socket, box)
    await put(client, "/box/a")
    assert await next_text(socket) == f"pub {box}"
    await put(client, "/box/a", '<#it> <http://example.org/ns#name> "two".')
    assert await next_text(socket) == f"pub {box}"
    await delete(client, "/box/a")
    assert await next_text(socket) == f"pub {box}"


async def test_sub_for_another_server_is_refused(client: Client) -> None:
    """Brief (issue 9): only URLs on this server; anything else is an error line, not a subscription."""
    socket = await legacy_socket(client)
    await socket.send_str("sub https://elsewhere.example/doc")
    assert (await next_text(socket)).startswith("error ")
    await sub(socket, url(client, "/doc"))  # the socket goes on


async def test_client_without_solid_0_1_is_told_and_closed(client: Client) -> None:
    """solid-0.1 §Connection: a client offering other protocols only gets an error and a close."""
    socket = await legacy_socket(client, "chat")
    assert await next_text(socket) == f"error Client does not support protocol {LEGACY}"
    message = await asyncio.wait_for(socket.receive(), PATIENCE)
    assert message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)


async def test_flood_of_sub_lines_closes_the_socket(client: Client) -> None:
    """Issue 9 §Bad input: a socket may follow at most 1000 resources; a flood beyond is closed."""
    socket = await legacy_socket(client)
    lines = [f"sub {url(client, f'/r{i}')}" for i in range(1001)]
    for start in range(0, len(lines), 50):  # messages of 50 lines (each message is at most 4 KiB)
        await socket.send_str("\n".join(lines[start : start + 50]))
    lines = []
    while True:
        message = await asyncio.wait_for(socket.receive(), PATIENCE)
        if message.type is not WSMsgType.TEXT:
            break
        lines.append(message.data)
    assert len([line for line in lines if line.startswith("ack ")]) == 1000
    assert lines[-1].startswith("error ")


async def test_no_publication_above_the_pods(make_client: ClientFactory) -> None:
    """Brief (issue 9): no cross-pod phantom publications — an update inside a pod publishes the pod's
    containers, never the plain container above the pods."""
    client = await make_client(single_user=False, base_url=BASE, trusted_webid=ALICE, registration="open")
    await new_account(client)
    socket = await legacy_socket(client)
    await sub(socket, BASE)
    await sub(socket, BASE + "alice/")
    await put(client, "/alice/doc")
    await put(client, "/alice/doc", '<#it> <http://example.org/ns#name> "two".')
    await put(client, "/alice/doc2")
    # Create, Update, Create: the pod root each time (a member added, a member changed, a member
    # added) — and nothing for the root above the pods in between.
    assert [await next_text(socket) for _ in range(3)] == [f"pub {BASE}alice/"] * 3


@pytest.fixture
async def client(make_client: ClientFactory) -> Client:
    return await make_client()
