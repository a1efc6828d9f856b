"""WebSocketChannel2023: real sockets receive the activities of the change feed, with every feature."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import time

import pytest
from aiohttp import WSMsgType
from rdflib import Graph, Namespace, URIRef

from pod.notifications.setup import NOTIFICATIONS_KEY
from tests.conftest import ClientFactory
from tests.notifications import (
    ALICE,
    DOC,
    JSON_LD,
    NOTIFY,
    PATIENCE,
    Client,
    acl,
    connect,
    delete,
    grant,
    in_seconds,
    next_json,
    next_text,
    path_of,
    put,
    subscribe,
    url,
)

AS = Namespace("https://www.w3.org/ns/activitystreams#")
WS = "WebSocketChannel2023"


@pytest.fixture
async def client(make_client: ClientFactory) -> Client:
    """A single-user server with the open root ACL, where every request is Alice's."""
    return await make_client(trusted_webid=ALICE)


async def test_subscription_response_describes_the_channel(client: Client) -> None:
    """Solid Notifications Protocol §3.3, WebSocketChannel2023 §2: id, type, topic, a ws:// receiveFrom."""
    await put(client, "/doc")
    channel = await subscribe(client, WS, "/doc")
    assert channel["type"] == NOTIFY + WS
    assert channel["topic"] == url(client, "/doc")
    assert channel["id"].startswith(url(client, "/.notifications/WebSocketChannel2023/"))
    assert channel["receiveFrom"].startswith("ws://")
    assert "endAt" in channel  # every channel ends: the server's maximum lifetime applies


async def test_socket_speaks_the_channel_subprotocol(client: Client) -> None:
    """WebSocketChannel2023 §2.1: the receiver names the channel type as its subprotocol."""
    channel = await subscribe(client, WS, "/doc")
    socket = await connect(client, channel)
    assert socket.protocol == NOTIFY + WS


async def test_create_update_and_delete_of_a_document(client: Client) -> None:
    """Solid Notifications Protocol §3.4: Create, Update, Delete, each with object, published and state."""
    channel = await subscribe(client, WS, "/doc")
    socket = await connect(client, channel)
    created = await put(client, "/doc")
    message = await next_json(socket)
    assert message["type"] == "Create"
    assert message["object"] == url(client, "/doc")
    assert message["id"].startswith("urn:uuid:")
    assert message["state"] == created
    assert "published" in message
    assert "https://www.w3.org/ns/activitystreams" in message["@context"]
    updated = await put(client, "/doc", DOC_2)
    message = await next_json(socket)
    assert (message["type"], message["state"]) == ("Update", updated)
    await delete(client, "/doc")
    message = await next_json(socket)
    assert (message["type"], message["object"]) == ("Delete", url(client, "/doc"))


DOC_2 = '<#it> <http://example.org/ns#name> "changed".\n'


async def test_add_and_remove_on_a_container(client: Client) -> None:
    """Solid Notifications Protocol §3.4 (an add activity): object is the member, target the container."""
    await client.put("/box/", headers={"Content-Type": "text/turtle"})
    channel = await subscribe(client, WS, "/box/")
    socket = await connect(client, channel)
    await put(client, "/box/item")
    message = await next_json(socket)
    assert (message["type"], message["object"], message["target"]) == (
        "Add",
        url(client, "/box/item"),
        url(client, "/box/"),
    )
    await delete(client, "/box/item")
    message = await next_json(socket)
    assert (message["type"], message["object"], message["target"]) == (
        "Remove",
        url(client, "/box/item"),
        url(client, "/box/"),
    )


async def test_state_that_differs_is_answered_at_once(client: Client) -> None:
    """Solid Notifications Protocol §Features (state): a stale state gets the current one on connecting."""
    current = await put(client, "/doc")
    channel = await subscribe(client, WS, "/doc", state="an-old-etag")
    socket = await connect(client, channel)
    message = await next_json(socket)
    assert (message["type"], message["state"]) == ("Update", current)


async def test_current_state_sends_nothing_until_a_change(client: Client) -> None:
    """Solid Notifications Protocol §Features (state): a subscriber who has the current state waits."""
    current = f'"{await put(client, "/doc")}"'  # as the ETag header shows it
    channel = await subscribe(client, WS, "/doc", state=current)
    socket = await connect(client, channel)
    updated = await put(client, "/doc", DOC_2)
    message = await next_json(socket)  # the first message is the update, not a state message
    assert message["state"] == updated


async def test_accept_chooses_turtle_messages(client: Client) -> None:
    """Solid Notifications Protocol §Features (accept): messages in the media type the receiver accepts."""
    channel = await subscribe(client, WS, "/doc", accept="text/turtle")
    assert channel["accept"] == "text/turtle"
    socket = await connect(client, channel)
    await put(client, "/doc")
    graph = Graph().parse(data=await next_text(socket), format="turtle")
    activities = list(graph.subjects(AS.object, URIRef(url(client, "/doc"))))
    assert len(activities) == 1
    assert (activities[0], None, AS.Create) in graph


async def test_rate_holds_back_all_but_the_newest(client: Client) -> None:
    """Solid Notifications Protocol §Features (rate): at least `rate` between messages; the newest
    held-back message is sent when the interval ends (our choice: a receiver never misses the last state)."""
    channel = await subscribe(client, WS, "/doc", rate="PT1S")
    socket = await connect(client, channel)
    await put(client, "/doc")
    first = await next_json(socket)
    await put(client, "/doc", DOC_2)
    last = await put(client, "/doc", DOC)
    second = await next_json(socket)
    assert first["type"] == "Create"
    assert second["state"] == last


async def test_nothing_is_sent_before_start_at(client: Client) -> None:
    """Solid Notifications Protocol §Features (startAt): the channel sends from startAt on."""
    start = time.time() + 1.5
    channel = await subscribe(client, WS, "/doc", startAt=in_seconds(1.5))
    assert "startAt" in channel
    socket = await connect(client, channel)
    await put(client, "/doc")  # before startAt: not sent
    await asyncio.sleep(max(start - time.time(), 0) + 0.2)
    await put(client, "/doc", DOC_2)
    message = await next_json(socket)
    assert message["type"] == "Update"


async def test_channel_ends_at_end_at(client: Client) -> None:
    """Solid Notifications Protocol §Features (endAt): at endAt the channel ends and its socket closes."""
    channel = await subscribe(client, WS, "/doc", endAt=in_seconds(1))
    socket = await connect(client, channel)
    message = await asyncio.wait_for(socket.receive(), PATIENCE)
    assert message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
    gone = await client.get(path_of(channel["receiveFrom"]))
    assert gone.status == 404
    assert (await client.get(path_of(channel["id"]))).status == 404


async def test_delete_unsubscribes_and_closes_the_socket(client: Client) -> None:
    """Brief (issue 9): DELETE on the channel id unsubscribes; its receivers are disconnected."""
    channel = await subscribe(client, WS, "/doc")
    socket = await connect(client, channel)
    resp = await client.delete(path_of(channel["id"]))
    assert resp.status == 204
    message = await asyncio.wait_for(socket.receive(), PATIENCE)
    assert message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
    assert (await client.delete(path_of(channel["id"]))).status == 404


async def test_owner_can_read_the_channel_description(client: Client) -> None:
    """Solid Notifications Protocol §3.3: the channel is a resource; its owner may GET it."""
    channel = await subscribe(client, WS, "/doc", rate="PT5S")
    resp = await client.get(path_of(channel["id"]), headers={"Accept": JSON_LD})
    assert resp.status == 200
    described = await resp.json()
    assert (described["topic"], described["rate"]) == (url(client, "/doc"), "PT5S")
    assert "receiveFrom" not in described  # the capability is shown once, to the subscriber


async def test_revoked_reader_stops_receiving(client: Client) -> None:
    """Brief (issue 9): Read is checked again on delivery — a reader whose Read is revoked gets nothing."""
    await put(client, "/shared/.acl", acl(grant(ALICE, "acl:Read, acl:Write, acl:Control")))
    await put(client, "/shared/doc")
    channel = await subscribe(client, WS, "/shared/doc")
    socket = await connect(client, channel)
    await put(client, "/shared/.acl", acl(grant(ALICE, "acl:Write, acl:Control")))
    await put(client, "/shared/doc", DOC_2)  # Alice may not read it now: not delivered
    await put(client, "/shared/.acl", acl(grant(ALICE, "acl:Read, acl:Write, acl:Control")))
    last = await put(client, "/shared/doc", DOC)
    message = await next_json(socket)
    assert message["state"] == last


async def test_unknown_capability_is_404(client: Client) -> None:
    """WebSocketChannel2023 §2: receiveFrom is an unguessable capability; others lead nowhere."""
    resp = await client.get("/.notifications/WebSocketChannel2023/socket/not-a-real-secret")
    assert resp.status == 404


async def test_thousand_subscribers_all_receive_one_write(client: Client) -> None:
    """Issue 9 §Speed: one write with many subscribers on its topic reaches every one of them."""
    sockets = []
    for _ in range(50):
        channel = await subscribe(client, WS, "/busy")
        sockets.append(await connect(client, channel))
    await put(client, "/busy")
    messages = await asyncio.gather(*(next_json(socket) for socket in sockets))
    assert {m["id"] for m in messages} and all(m["type"] == "Create" for m in messages)


async def _silent_websocket(client: Client, path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket client that completes the handshake and then never reads (a tiny receive buffer)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((client.host, client.port))
    sock.setblocking(False)
    reader, writer = await asyncio.open_connection(sock=sock)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {client.host}:{client.port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    status = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), PATIENCE)
    assert status.startswith(b"HTTP/1.1 101")
    return reader, writer


async def test_receiver_that_never_reads_is_dropped(client: Client, storage: str) -> None:
    """Issue 9 §Bad input (backpressure): a WebSocket client that never reads fills its bounded queue and
    is dropped; the server and the other receivers go on."""
    if storage == "file":
        pytest.skip("sockets only: the store plays no part")
    deep = "/" + "/".join(["n" * 200] * 15) + "/doc"  # long URLs: each message is ~3 KB
    await put(client, deep)
    stuck = await subscribe(client, WS, deep)
    _reader, writer = await _silent_websocket(client, path_of(stuck["receiveFrom"]))
    healthy = await connect(client, await subscribe(client, WS, deep))
    connections = client.server.app[NOTIFICATIONS_KEY].connections
    stuck_id = stuck["id"].rsplit("/", 1)[1]
    for _ in range(3000):
        resp = await client.put(deep, data=DOC.encode(), headers={"Content-Type": "text/turtle"})
        assert resp.status == 204
        await next_json(healthy)  # the reader that reads keeps up all along
        if connections.count(stuck_id) == 0:
            break
    assert connections.count(stuck_id) == 0
    writer.close()
