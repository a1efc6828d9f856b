"""WebID profiles are cached as HTTP says (max-age, no-store, ETag revalidation), within bounds."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from aiohttp import web

from pod.auth.freshness import lifetime
from pod.auth.webid import WebIdError, WebIdProfiles
from pod.outbound import FetchPolicy, OutboundClient

ISSUER = "https://issuer.example/"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class ProfileServer:
    """Serves one profile document with the caching headers a test sets, counting GETs and 304s."""

    def __init__(self) -> None:
        self.cache_control = "max-age=60"
        self.etag = '"v1"'
        self.issuer = ISSUER
        self.hits: Counter[str] = Counter()

    async def handle(self, request: web.Request) -> web.Response:
        self.hits["get"] += 1
        headers = {"Cache-Control": self.cache_control, "ETag": self.etag}
        if request.headers.get("If-None-Match") == self.etag:
            self.hits["304"] += 1
            return web.Response(status=304, headers=headers)
        body = f"<#me> <http://www.w3.org/ns/solid/terms#oidcIssuer> <{self.issuer}>."
        return web.Response(text=body, content_type="text/turtle", headers=headers)


@pytest.fixture
async def served(aiohttp_server: Any) -> tuple[ProfileServer, str]:
    profile = ProfileServer()
    app = web.Application()
    app.router.add_get("/card", profile.handle)
    server = await aiohttp_server(app)
    return profile, str(server.make_url("/card")) + "#me"


async def test_a_profile_is_reused_for_its_max_age_then_revalidated_with_its_etag(
    served: tuple[ProfileServer, str],
) -> None:
    profile, webid = served
    clock = Clock()
    outbound = OutboundClient(FetchPolicy(allow_private=True))
    try:
        profiles = WebIdProfiles(outbound, clock=clock)
        await profiles.check_issuer(webid, ISSUER)
        clock.now += 59
        await profiles.check_issuer(webid, ISSUER)
        assert profile.hits["get"] == 1  # RFC 9111 §4.2: fresh for max-age seconds
        clock.now += 2
        await profiles.check_issuer(webid, ISSUER)
        # RFC 9111 §4.3: stale, so revalidated with If-None-Match; a 304 keeps what we had.
        assert profile.hits["get"] == 2 and profile.hits["304"] == 1
    finally:
        await outbound.close()


async def test_a_changed_profile_is_seen_when_it_is_revalidated(served: tuple[ProfileServer, str]) -> None:
    profile, webid = served
    clock = Clock()
    outbound = OutboundClient(FetchPolicy(allow_private=True))
    try:
        profiles = WebIdProfiles(outbound, clock=clock, recheck_after=3600)
        await profiles.check_issuer(webid, ISSUER)
        profile.issuer, profile.etag = "https://other.example/", '"v2"'
        clock.now += 61
        with pytest.raises(WebIdError, match="does not list"):
            await profiles.check_issuer(webid, ISSUER)
        await profiles.check_issuer(webid, "https://other.example/")
    finally:
        await outbound.close()


def test_freshness_follows_cache_control_and_expires_within_bounds() -> None:
    bounds = {"default": 300.0, "floor": 1.0, "ceiling": 3600.0}
    assert lifetime({"Cache-Control": "public, max-age=120"}, **bounds) == 120
    assert lifetime({"cache-control": "max-age=120, s-maxage=30"}, **bounds) == 30
    # no-store / no-cache: revalidate each time, but never more often than the floor.
    assert lifetime({"Cache-Control": "no-store"}, **bounds) == 1
    assert lifetime({"Cache-Control": "max-age=999999999"}, **bounds) == 3600
    expires = {"Date": "Sun, 29 Nov 2026 10:00:00 GMT", "Expires": "Sun, 29 Nov 2026 10:10:00 GMT"}
    assert lifetime(expires, **bounds) == 600
    assert lifetime({"Expires": "0"}, **bounds) == 1
    assert lifetime({}, **bounds) == 300
