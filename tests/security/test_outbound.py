"""Every fetch the server makes goes through one guarded client (pod.outbound), rule by rule.

DESIGN "Every input is hostile until checked": remote fetches have timeouts and size caps,
follow only a few http(s) redirects, each checked again, and outside development mode refuse
private, loopback and link-local addresses — checked on the addresses actually connected to.
Each rule is shown against a local server that misbehaves on purpose. Only loopback addresses
are used: the private-network rule is the same code for 10/8, 172.16/12 and 192.168/16.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from pod.auth.solid_oidc import InvalidToken, IssuerKeys
from pod.auth.webid import WebIdError, WebIdProfiles
from pod.idp.oidc.client_documents import ClientDocuments
from pod.idp.oidc.errors import OAuthError
from pod.outbound import FetchError, FetchPolicy, OutboundClient
from pod.storage.memory import MemoryStore
from pod.wac.groups import GroupMembership
from tests.security.misbehaving import BODY_CAP, Misbehaving

TIMEOUT = 1.0
# The test server runs on 127.0.0.1; allowing just that address stands for "a public host" here,
# so that 127.0.0.2, `localhost` and [::1] remain what a production server must refuse.
HOST_UNDER_TEST = ("127.0.0.1/32",)


@pytest.fixture
async def servers(aiohttp_server: Callable[..., Any]) -> AsyncIterator[tuple[TestServer, Misbehaving]]:
    other = Misbehaving()
    other_server: TestServer = await aiohttp_server(other.app(), host="127.0.0.1")
    main = Misbehaving(elsewhere=str(other_server.make_url("/")))
    server: TestServer = await aiohttp_server(main.app(), host="127.0.0.1")
    yield server, main


def client(*, allow_private: bool = False, networks: tuple[str, ...] = HOST_UNDER_TEST) -> OutboundClient:
    return OutboundClient(
        FetchPolicy(TIMEOUT, BODY_CAP, allow_private=allow_private, allowed_networks=networks)
    )


async def refused(outbound: OutboundClient, url: str, reason: str) -> float:
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match=reason):
            await outbound.get(url)
    finally:
        await outbound.close()
    return time.monotonic() - started


def url(servers: tuple[TestServer, Misbehaving], path: str) -> str:
    return str(servers[0].make_url(path))


async def test_an_allowed_host_is_fetched(servers: tuple[TestServer, Misbehaving]) -> None:
    outbound = client()
    try:
        fetched = await outbound.get(url(servers, "/profile"))
    finally:
        await outbound.close()
    assert fetched.status == 200 and fetched.content_type == "text/turtle"


async def test_loopback_is_refused_outside_development_mode(servers: tuple[TestServer, Misbehaving]) -> None:
    port = servers[0].port
    # An address is refused before connecting; a name (localhost) on what it resolves to.
    for target in (
        f"http://127.0.0.1:{port}/profile",
        f"http://localhost:{port}/profile",
        f"http://[::1]:{port}/",
    ):
        await refused(client(networks=()), target, "private or loopback")
    assert servers[1].hits.get("/profile", 0) == 0


async def test_development_mode_fetches_from_loopback(servers: tuple[TestServer, Misbehaving]) -> None:
    outbound = client(allow_private=True, networks=())
    try:
        assert (await outbound.get(f"http://localhost:{servers[0].port}/profile")).status == 200
    finally:
        await outbound.close()


async def test_a_redirect_to_a_private_address_is_refused(servers: tuple[TestServer, Misbehaving]) -> None:
    await refused(client(), url(servers, "/to-127.0.0.2"), "private or loopback")
    assert servers[1].hits.get("/profile", 0) == 0, "the refused target was reached"


@pytest.mark.parametrize(
    "target",
    [
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/",
        "ftp://127.0.0.1/",
        "data:text/plain,hi",
        "javascript:alert(1)",
    ],
)
async def test_a_redirect_to_another_scheme_is_refused(
    servers: tuple[TestServer, Misbehaving], target: str
) -> None:
    await refused(client(), url(servers, "/to/" + target), "only http and https|private or loopback")


async def test_too_many_redirects_are_refused(servers: tuple[TestServer, Misbehaving]) -> None:
    await refused(client(), url(servers, "/loop/0"), "redirects")
    # The first request and three redirects followed; the fourth is not.
    assert servers[1].hits.get("/loop/3", 0) == 1 and "/loop/4" not in servers[1].hits


@pytest.mark.parametrize("path", ["/huge", "/huge-chunked"])
async def test_a_huge_body_is_refused_at_the_cap(servers: tuple[TestServer, Misbehaving], path: str) -> None:
    await refused(client(), url(servers, path), "larger than")


@pytest.mark.parametrize("path", ["/slow", "/silent"])
async def test_a_slow_answer_is_refused_after_the_timeout(
    servers: tuple[TestServer, Misbehaving], path: str
) -> None:
    took = await refused(client(), url(servers, path), "no answer")
    assert took < TIMEOUT + 2


async def test_credentials_are_not_sent_on_to_another_origin(servers: tuple[TestServer, Misbehaving]) -> None:
    """A webhook delivery's Authorization and DPoP headers must not follow a redirect elsewhere."""
    outbound = client()
    try:
        fetched = await outbound.request(
            "POST",
            url(servers, "/to-elsewhere"),
            headers={"Authorization": "DPoP secret", "DPoP": "proof", "Content-Type": "text/plain"},
            data=b"notification",
        )
    finally:
        await outbound.close()
    received = json.loads(fetched.body)
    assert "Authorization" not in received and "DPoP" not in received
    assert received["Content-Type"] == "text/plain"


# -- each kind of fetch goes through the guarded client ----------------------------------------


async def test_webid_profiles_are_fetched_through_the_guarded_client(
    servers: tuple[TestServer, Misbehaving],
) -> None:
    outbound = client()
    try:
        profiles = WebIdProfiles(outbound, failure_ttl=0)
        assert await profiles.issuers(url(servers, "/profile") + "#me") == {"https://issuer.example/"}
        for path in ("/to-127.0.0.2", "/huge", "/slow"):
            with pytest.raises(WebIdError):
                await profiles.issuers(url(servers, path) + "#me")
    finally:
        await outbound.close()


async def test_issuer_configuration_and_keys_are_fetched_through_the_guarded_client(
    servers: tuple[TestServer, Misbehaving],
) -> None:
    outbound = client()
    try:
        keys = IssuerKeys(outbound, failure_ttl=0)
        for path in ("/to-127.0.0.2", "/huge", "/slow", "/loop/0"):
            with pytest.raises(InvalidToken, match="could not be fetched"):
                await keys.keys(url(servers, path), None)
    finally:
        await outbound.close()


async def test_client_id_documents_are_fetched_through_the_guarded_client(
    servers: tuple[TestServer, Misbehaving],
) -> None:
    outbound = client()
    try:
        documents = ClientDocuments(outbound, failure_ttl=0)
        for path in ("/to-127.0.0.2", "/huge", "/slow", "/to/file:///etc/passwd"):
            with pytest.raises(OAuthError, match="could not be fetched"):
                await documents.get(url(servers, path))
    finally:
        await outbound.close()


async def test_group_documents_are_fetched_through_the_guarded_client(
    servers: tuple[TestServer, Misbehaving],
) -> None:
    outbound = client()
    try:
        groups = GroupMembership(MemoryStore(), "http://pod.example/", outbound, failure_ttl=0)
        for path in ("/to-127.0.0.2", "/huge", "/slow"):
            # A group that cannot be fetched has no members: the rule grants nothing.
            assert not await groups.is_member(url(servers, path) + "#g", "https://someone.example/#me")
    finally:
        await outbound.close()
    assert servers[1].hits.get("/profile", 0) == 0
