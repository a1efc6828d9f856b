"""Remote servers that hang: a token whose issuer never answers is refused in bounded time."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from joserfc import jwt
from joserfc.jwk import ECKey

from pod.client.dpop import DpopKey
from pod.federation.people import Person
from pod.ldn.sending import NotifyError, notify
from tests.federation.conftest import as_person


async def hanging_issuer(aiohttp_server: Any) -> str:
    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    app = web.Application()
    app.router.add_get("/{tail:.*}", hang)
    return str((await aiohttp_server(app)).make_url("/"))


def token_from(issuer: str, dpop: DpopKey) -> str:
    """A well-formed DPoP-bound access token claiming to come from `issuer` (signed by a key of ours)."""
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": ["solid"],
        "webid": issuer + "card#me",
        "client_id": issuer + "app",
        "cnf": {"jkt": dpop.key.thumbprint()},
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(8),
    }
    key = ECKey.generate_key("P-256", private=True)
    return jwt.encode({"alg": "ES256", "typ": "at+jwt"}, claims, key, algorithms=["ES256"])


async def test_a_hanging_issuer_is_a_401_within_the_timeout_never_a_stuck_request(
    http: aiohttp.ClientSession, aiohttp_server: Any, alice: Person
) -> None:
    issuer = await hanging_issuer(aiohttp_server)
    document = alice.pod + "profile/card"
    dpop = DpopKey()
    token = token_from(issuer, dpop)
    started = time.monotonic()
    headers = {"Authorization": f"DPoP {token}", "DPoP": dpop.proof("GET", document, token)}
    async with http.get(document, headers=headers) as answer:
        assert answer.status == 401
        assert "within" in await answer.text()  # "no answer from … within 5.0 s"
    assert time.monotonic() - started < 10
    # The failure is remembered for a while: the next request is refused without waiting again.
    started = time.monotonic()
    headers = {"Authorization": f"DPoP {token}", "DPoP": dpop.proof("GET", document, token)}
    async with http.get(document, headers=headers) as answer:
        assert answer.status == 401
    assert time.monotonic() - started < 2
    # The server meanwhile answers everyone else.
    assert (await as_person(http, alice, "GET", document))[0] == 200


async def test_notifying_a_hanging_server_fails_within_the_timeout(
    http: aiohttp.ClientSession, aiohttp_server: Any
) -> None:
    target = await hanging_issuer(aiohttp_server) + "card#me"
    started = time.monotonic()
    with pytest.raises(NotifyError, match="no answer within 1 s"):
        await notify(http, target, b"{}", "application/ld+json", timeout=1)
    assert time.monotonic() - started < 3
