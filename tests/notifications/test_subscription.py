"""Discovery and the subscription service: what is advertised, what is accepted, and every refusal."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from rdflib import Graph, Namespace, URIRef

from pod.notifications.xsd import parse_datetime
from tests.conftest import ClientFactory
from tests.notifications import (
    ALICE,
    BOB,
    CONTEXT,
    JSON_LD,
    NOTIFY,
    Client,
    acl,
    grant,
    in_seconds,
    path_of,
    put,
    service,
    subscribe,
    subscribe_response,
    url,
    xsd_datetime,
)

NOTIFY_NS = Namespace(NOTIFY)
WS = "WebSocketChannel2023"
HOOK = "WebhookChannel2023"
TYPES = ("WebSocketChannel2023", "WebhookChannel2023", "StreamingHTTPChannel2023")
FEATURES = ("startAt", "endAt", "state", "rate", "accept")


@pytest.fixture
async def client(make_client: ClientFactory) -> Client:
    return await make_client(trusted_webid=ALICE)


def body(client: Client, kind: str = WS, topic: str = "/doc", **extra: Any) -> dict[str, Any]:
    return {"@context": [CONTEXT], "type": NOTIFY + kind, "topic": url(client, topic), **extra}


async def status_of(client: Client, kind: str, document: dict[str, Any] | str, **headers: str) -> int:
    return (await subscribe_response(client, kind, document, **headers)).status


# --- discovery --------------------------------------------------------------------------------------


async def test_storage_description_lists_a_service_per_channel_type(client: Client) -> None:
    """Solid Notifications Protocol §2.1 and §3.1: the storage description names the subscription
    services (notify:subscription), each with its channel type and features."""
    resp = await client.get("/.well-known/solid", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=await resp.text(), format="turtle", publicID=url(client, "/.well-known/solid"))
    services = set(graph.objects(URIRef(url(client, "/")), NOTIFY_NS.subscription))
    assert services == {URIRef(url(client, service(kind))) for kind in TYPES}
    for kind in TYPES:
        svc = URIRef(url(client, service(kind)))
        assert (svc, NOTIFY_NS.channelType, NOTIFY_NS[kind]) in graph
        assert set(graph.objects(svc, NOTIFY_NS.feature)) == {NOTIFY_NS[f] for f in FEATURES}


async def test_service_describes_itself_in_json_ld(client: Client) -> None:
    """Solid Notifications Protocol §2.2 and §3.2: GET on the service (JSON-LD): id, channelType, features."""
    resp = await client.get(service(WS), headers={"Accept": JSON_LD})
    assert resp.status == 200
    described = await resp.json()
    assert described["id"] == url(client, service(WS))
    assert described["channelType"] == NOTIFY + WS
    assert set(described["feature"]) == {NOTIFY + f for f in FEATURES}
    assert (await client.head(service(WS))).status == 200
    options = await client.options(service(WS))
    assert "POST" in options.headers["Allow"]


async def test_service_description_in_turtle_on_request(client: Client) -> None:
    """Solid Notifications Protocol §2.2: JSON-LD is required; other RDF by content negotiation."""
    resp = await client.get(service(HOOK), headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=await resp.text(), format="turtle")
    assert (URIRef(url(client, service(HOOK))), NOTIFY_NS.channelType, NOTIFY_NS[HOOK]) in graph


async def test_nothing_else_under_the_prefix(client: Client) -> None:
    """The prefix is the server's own: no LDP resource can be made there."""
    assert (await client.get("/.notifications/nothing")).status == 404
    resp = await client.put("/.notifications/x", data=b"", headers={"Content-Type": "text/turtle"})
    assert resp.status in (404, 405)


# --- what is accepted -------------------------------------------------------------------------------


async def test_subscription_is_created_with_201_and_location(client: Client) -> None:
    """Brief (issue 9): 201 with the channel description; Location is the channel."""
    resp = await subscribe_response(client, WS, body(client))
    assert resp.status == 201
    assert resp.headers["Location"] == (await resp.json())["id"]


async def test_bare_type_name_as_in_the_specification_examples(client: Client) -> None:
    """WebSocketChannel2023 §2.1: the example writes `"type": "WebSocketChannel2023"`; it is understood."""
    assert await status_of(client, WS, {**body(client), "type": WS}) == 201


async def test_protocol_context_url_is_understood(client: Client) -> None:
    """Solid Notifications Protocol §2: `notifications-context/v1` is the protocol's name for the context."""
    document = {**body(client), "@context": ["https://www.w3.org/ns/solid/notifications-context/v1"]}
    assert await status_of(client, WS, document) == 201


async def test_turtle_subscription_is_accepted(client: Client) -> None:
    """Issue 9: other RDF is accepted via content negotiation."""
    turtle = f"[] a <{NOTIFY}{WS}>; <{NOTIFY}topic> <{url(client, '/doc')}>."
    resp = await subscribe_response(client, WS, turtle, **{"Content-Type": "text/turtle"})
    assert resp.status == 201


async def test_response_in_turtle_on_request(client: Client) -> None:
    """Solid Notifications Protocol §2.2: the response follows the Accept header."""
    resp = await subscribe_response(client, WS, body(client), Accept="text/turtle")
    graph = Graph().parse(data=await resp.text(), format="turtle")
    assert (None, NOTIFY_NS.topic, URIRef(url(client, "/doc"))) in graph


async def test_end_at_beyond_the_maximum_is_shortened(make_client: ClientFactory) -> None:
    """Solid Notifications Protocol §Features: endAt is "proposed or actual"; the server's maximum
    lifetime applies (as CSS does), and the response says the actual one."""
    client = await make_client(trusted_webid=ALICE, max_channel_lifetime=3600)
    channel = await subscribe(client, WS, "/doc", endAt=xsd_datetime(time.time() + 86400 * 365))
    assert parse_datetime(channel["endAt"], "endAt") <= time.time() + 3600 + 1


# --- refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream", "image/png"])
async def test_body_that_is_not_rdf_is_415(client: Client, content_type: str) -> None:
    """Issue 9 §Bad input: a body that is not JSON-LD (or other RDF) is a 415."""
    assert await status_of(client, WS, json.dumps(body(client)), **{"Content-Type": content_type}) == 415


async def test_unsupported_profile_is_415(client: Client) -> None:
    """Solid Notifications Protocol §2.2: unsupported values in the profile parameter are a 415."""
    content_type = 'application/ld+json; profile="https://example.org/other"'
    assert await status_of(client, WS, json.dumps(body(client)), **{"Content-Type": content_type}) == 415


async def test_unknown_context_is_422_and_never_fetched(client: Client) -> None:
    """Solid Notifications Protocol §2.2: an unrecognised JSON-LD context is a 422."""
    document = {**body(client), "@context": ["https://evil.example/context.jsonld"]}
    assert await status_of(client, WS, document) == 422


async def test_broken_json_is_400(client: Client) -> None:
    """Issue 9 §Bad input: a body that does not parse is a clear 4xx."""
    assert await status_of(client, WS, '{"type": ', **{"Content-Type": JSON_LD}) == 400


@pytest.mark.parametrize(
    "change",
    [
        {"type": NOTIFY + "CarrierPigeon2023"},
        {"type": None},
        {"topic": None},
        {"topic": ["https://a.example/1", "https://a.example/2"]},
        {"rate": "-PT1S"},
        {"rate": "soon"},
        {"rate": "P100Y"},
        {"endAt": "yesterday"},
        {"endAt": "2001-01-01T00:00:00Z"},
        {"startAt": "not a date"},
        {"accept": "image/png"},
    ],
)
async def test_unprocessable_requests_are_422(client: Client, change: dict[str, Any]) -> None:
    """Solid Notifications Protocol §2.2 and issue 9 §Bad input: unknown types, no or several topics,
    absurd rate or endAt, an accept nothing satisfies — 422."""
    document = {k: v for k, v in {**body(client), **change}.items() if v is not None}
    assert await status_of(client, WS, document) == 422


async def test_type_of_another_service_is_422(client: Client) -> None:
    """Each subscription service creates channels of its own type."""
    assert await status_of(client, WS, body(client, HOOK, sendTo="https://hook.example/")) == 422


@pytest.mark.parametrize("topic", ["https://elsewhere.example/doc", "/.oidc/jwks", "/.notifications/sender"])
async def test_topic_not_on_this_server_is_422(client: Client, topic: str) -> None:
    """Issue 9 §Bad input: topics on other servers (or the server's own pages) are refused."""
    target = topic if topic.startswith("https:") else url(client, topic)
    assert await status_of(client, WS, {**body(client), "topic": target}) == 422


async def test_body_too_large_is_413(client: Client) -> None:
    """Issue 9 §Bad input: subscription requests are small."""
    document = {**body(client), "state": "x" * 100_000}
    assert await status_of(client, WS, document) == 413


async def test_topic_the_agent_cannot_read_is_403(client: Client) -> None:
    """Issue 9: the subscriber needs Read on the topic; an authenticated agent without it gets 403."""
    await put(client, "/private/.acl", acl(grant(ALICE, "acl:Write, acl:Control"), grant(BOB, "acl:Read")))
    assert await status_of(client, WS, body(client, topic="/private/doc")) == 403


async def test_anonymous_subscriber_without_read_is_401(make_client: ClientFactory, storage: str) -> None:
    """Solid Protocol §Authorization: anonymous and refused → 401 with a challenge."""
    if storage != "file":
        pytest.skip("the two servers share the ACL through the data folder")
    base = "http://127.0.0.1:9/"  # one base URL for both servers: the ACL names it
    owner = await make_client(trusted_webid=ALICE, base_url=base)
    await put(owner, "/private/.acl", acl(grant(ALICE, "acl:Read, acl:Write, acl:Control")))
    anonymous = await make_client(base_url=base)  # the same data folder, every request anonymous
    document = {"@context": [CONTEXT], "type": WS, "topic": base + "private/doc"}
    resp = await subscribe_response(anonymous, WS, document)
    assert resp.status == 401
    assert "WWW-Authenticate" in resp.headers


async def test_anonymous_may_follow_a_public_resource_but_not_delete_its_channel(
    make_client: ClientFactory,
) -> None:
    """Brief (issue 9): DELETE of a channel is for its owner only — 401 without credentials."""
    anonymous = await make_client()
    channel = await subscribe(anonymous, WS, "/doc")
    resp = await anonymous.delete(path_of(channel["id"]))
    assert resp.status == 401
    assert "WWW-Authenticate" in resp.headers


async def test_deleting_someone_elses_channel_is_403(make_client: ClientFactory, storage: str) -> None:
    """Brief (issue 9): only the channel's owner may DELETE it."""
    if storage != "file":
        pytest.skip("the two servers share channels through the data folder")
    base = "http://127.0.0.1:9/"
    bob = await make_client(trusted_webid=BOB, base_url=base)
    document = {"@context": [CONTEXT], "type": WS, "topic": base + "doc"}
    channel = await (await subscribe_response(bob, WS, document)).json()
    alice = await make_client(trusted_webid=ALICE, base_url=base)
    assert (await alice.delete(path_of(channel["id"]))).status == 403
    assert (await alice.get(path_of(channel["id"]))).status == 403


async def test_anonymous_webhook_is_401(make_client: ClientFactory) -> None:
    """WebhookChannel2023 §3: the subscription client MUST perform an authenticated request."""
    anonymous = await make_client()
    document = body(anonymous, HOOK, sendTo="http://127.0.0.1:1/hook")
    assert await status_of(anonymous, HOOK, document) == 401


async def test_webhook_without_send_to_is_422(client: Client) -> None:
    """WebhookChannel2023 §2: sendTo is required."""
    assert await status_of(client, HOOK, body(client, HOOK)) == 422


@pytest.mark.parametrize(
    "send_to",
    [
        "http://hook.example/",  # not https
        "http://127.0.0.1:8080/hook",  # http to loopback: development mode only
        "https://127.0.0.1/hook",  # loopback
        "https://10.1.2.3/hook",  # a private network
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "https://user:secret@hook.example/",
        "ftp://hook.example/",
        "not a url",
    ],
)
async def test_unsafe_send_to_is_422(make_client: ClientFactory, send_to: str) -> None:
    """Issue 9 §Bad input (SSRF): sendTo must be https to a public address; in production mode (no
    private fetches) http and private addresses are refused."""
    client = await make_client(trusted_webid=ALICE, allow_private_fetch=False)
    assert await status_of(client, HOOK, body(client, HOOK, sendTo=send_to)) == 422


async def test_unsafe_send_to_keeps_nothing(make_client: ClientFactory) -> None:
    """A refused subscription creates no channel."""
    client = await make_client(trusted_webid=ALICE, allow_private_fetch=False)
    await status_of(client, HOOK, body(client, HOOK, sendTo="https://10.0.0.1/"))
    from pod.notifications.setup import NOTIFICATIONS_KEY

    assert client.server.app[NOTIFICATIONS_KEY].registry.count_owned_by(ALICE) == 0


async def test_in_seconds_helper_is_a_date() -> None:
    """(helper check) xsd:dateTime values the tests send parse as the server reads them."""
    assert abs(parse_datetime(in_seconds(10), "t") - time.time() - 10) < 1
