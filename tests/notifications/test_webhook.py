"""WebhookChannel2023: a real receiver (an aiohttp app in the test) gets the server's signed POSTs."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from pod.auth.solid_oidc import IssuerKeys, MemoryReplayCache, SolidOidcVerifier
from pod.auth.webid import WebIdProfiles
from pod.notifications.setup import NOTIFICATIONS_KEY
from pod.outbound import FetchPolicy, OutboundClient
from tests.conftest import ClientFactory
from tests.notifications import (
    ALICE,
    CONTEXT,
    DOC,
    JSON_LD,
    NOTIFY,
    PATIENCE,
    Client,
    connect,
    delete,
    next_json,
    path_of,
    put,
    subscribe,
    subscribe_response,
    url,
)

HOOK = "WebhookChannel2023"


@dataclass
class Receiver:
    """A webhook endpoint: it keeps every request; `answers` are the statuses it gives, in turn."""

    server: TestServer
    received: asyncio.Queue[tuple[dict[str, str], bytes]] = field(default_factory=asyncio.Queue)
    answers: list[int] = field(default_factory=list)
    hang: bool = False

    @property
    def url(self) -> str:
        return str(self.server.make_url("/hook"))

    async def next(self) -> tuple[dict[str, str], dict[str, Any]]:
        headers, body = await asyncio.wait_for(self.received.get(), PATIENCE)
        return headers, json.loads(body)


@pytest.fixture
async def receiver(aiohttp_server: Callable[..., Awaitable[TestServer]]) -> Receiver:
    holder: list[Receiver] = []

    async def hook(request: web.Request) -> web.StreamResponse:
        me = holder[0]
        await me.received.put((dict(request.headers), await request.read()))
        if me.hang:
            await asyncio.Event().wait()  # a receiver that never answers
        return web.Response(status=me.answers.pop(0) if me.answers else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    holder.append(Receiver(await aiohttp_server(app)))
    return holder[0]


@pytest.fixture
async def client(make_client: ClientFactory) -> Client:
    return await make_client(trusted_webid=ALICE)


async def test_subscription_response_names_the_sender(client: Client, receiver: Receiver) -> None:
    """WebhookChannel2023 §2: the response has id, type, topic and sender (the server's WebID)."""
    channel = await subscribe(client, HOOK, "/doc", sendTo=receiver.url)
    assert channel["type"] == NOTIFY + HOOK
    assert channel["sendTo"] == receiver.url
    assert channel["sender"] == url(client, "/.notifications/sender#it")
    assert "receiveFrom" not in channel


async def test_receiver_gets_each_activity(client: Client, receiver: Receiver) -> None:
    """Solid Notifications Protocol §3.4 over WebhookChannel2023: Create, Update, Delete, Add, Remove."""
    await client.put("/box/", headers={"Content-Type": "text/turtle"})
    await subscribe(client, HOOK, "/box/item", sendTo=receiver.url)
    await subscribe(client, HOOK, "/box/", sendTo=receiver.url)
    await put(client, "/box/item")
    await put(client, "/box/item", '<#it> <http://example.org/ns#name> "two".')
    await delete(client, "/box/item")
    seen = []
    for _ in range(5):
        headers, message = await receiver.next()
        assert headers["Content-Type"] == JSON_LD
        seen.append((message["type"], message["object"], message.get("target")))
    item, box = url(client, "/box/item"), url(client, "/box/")
    assert sorted(seen) == sorted(
        [
            ("Create", item, None),
            ("Add", item, box),
            ("Update", item, None),
            ("Delete", item, None),
            ("Remove", item, box),
        ]
    )


async def test_deliveries_are_authenticated_as_the_server(client: Client, receiver: Receiver) -> None:
    """WebhookChannel2023 §3: the sender authenticates as `sender`; the receiver verifies the DPoP-bound
    token against the server's JWKS and the sender's WebID document, as for any Solid-OIDC request."""
    channel = await subscribe(client, HOOK, "/doc", sendTo=receiver.url)
    await put(client, "/doc")
    headers, _message = await receiver.next()
    scheme, _, token = headers["Authorization"].partition(" ")
    assert scheme == "DPoP"
    outbound = OutboundClient(FetchPolicy(allow_private=True))
    try:
        verifier = SolidOidcVerifier(IssuerKeys(outbound), WebIdProfiles(outbound), MemoryReplayCache())
        credentials = await verifier.verify_dpop(token, headers["DPoP"], "POST", receiver.url)
    finally:
        await outbound.close()
    assert credentials.agent == channel["sender"]
    assert credentials.issuer == url(client, "/")


async def test_failed_delivery_is_retried(client: Client, receiver: Receiver) -> None:
    """Brief (issue 9): webhook deliveries are retried with backoff; a 503 is tried again."""
    receiver.answers = [503]
    await subscribe(client, HOOK, "/doc", sendTo=receiver.url)
    await put(client, "/doc")
    _, first = await receiver.next()
    _, again = await receiver.next()
    assert first["id"] == again["id"]


async def test_a_failing_receiver_is_logged_once_until_it_recovers(
    client: Client, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 9 §Bad input: a dead receiver must not flood the log; its recovery is said once."""
    receiver.answers = [400, 400, 400]  # refusals: never retried
    await subscribe(client, HOOK, "/doc", sendTo=receiver.url)
    with caplog.at_level(logging.INFO, logger="pod.notifications"):
        for _ in range(4):
            await put(client, "/doc")
            await receiver.next()
        # The fourth answer (200) reaches the sender just after the receiver saw the request.
        for _ in range(int(PATIENCE / 0.05)):
            if any("takes notifications again" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.05)
    failures = [r for r in caplog.records if "did not take a notification" in r.getMessage()]
    assert len(failures) == 1
    assert any("takes notifications again" in r.getMessage() for r in caplog.records)


async def test_state_that_differs_is_posted_at_once(client: Client, receiver: Receiver) -> None:
    """Solid Notifications Protocol §Features (state): a stale state is answered right after subscribing."""
    current = await put(client, "/doc")
    await subscribe(client, HOOK, "/doc", sendTo=receiver.url, state="stale")
    _, message = await receiver.next()
    assert (message["type"], message["state"]) == ("Update", current)


async def test_dead_receiver_holds_up_neither_writes_nor_other_channels(
    client: Client, receiver: Receiver
) -> None:
    """Issue 9 §Speed: a slow or dead webhook never slows writes or other channels; its queue is bounded."""
    receiver.hang = True
    hook = await subscribe(client, HOOK, "/doc", sendTo=receiver.url)
    socket = await connect(client, await subscribe(client, "WebSocketChannel2023", "/doc"))
    webhooks = client.server.app[NOTIFICATIONS_KEY].webhooks
    for _ in range(120):
        resp = await client.put("/doc", data=DOC.encode(), headers={"Content-Type": "text/turtle"})
        assert resp.status in (201, 204)
        await next_json(socket)  # the socket's receiver hears of every write while the webhook hangs
    assert webhooks.queued(hook["id"].rsplit("/", 1)[1]) <= webhooks.queue_limit


async def test_channel_survives_a_restart(
    make_client: ClientFactory, receiver: Receiver, storage: str
) -> None:
    """Brief (issue 9): subscriptions are kept in the server's internal state and survive a restart."""
    if storage != "file":
        pytest.skip("the memory storage keeps nothing across restarts")
    base = "http://127.0.0.1:9/"  # one base URL for both servers, so the channel's topic URL stays valid
    first = await make_client(trusted_webid=ALICE, base_url=base)
    channel = await subscribe_response(
        first, HOOK, {"@context": [CONTEXT], "type": HOOK, "topic": base + "doc", "sendTo": receiver.url}
    )
    assert channel.status == 201
    second = await make_client(trusted_webid=ALICE, base_url=base)
    await put(second, "/doc")
    _, message = await receiver.next()
    assert (message["type"], message["object"]) == ("Create", base + "doc")
    assert (await second.delete(path_of((await channel.json())["id"]))).status == 204
