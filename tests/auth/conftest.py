"""A real test identity provider (OIDC discovery, JWKS, WebID profiles over HTTP) and token minting.

Tokens and proofs are minted with joserfc, as a Solid OpenID provider and a Solid client would.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from joserfc import jwt
from joserfc.jwk import ECKey, Key, OKPKey, RSAKey

from pod.auth.authenticator import Authenticator
from pod.auth.solid_oidc import (
    REGISTRY,
    IssuerKeys,
    MemoryReplayCache,
    SolidOidcVerifier,
    TokenPolicy,
    jws_b64,
)
from pod.auth.webid import WebIdProfiles
from pod.errors import Unauthorized
from pod.outbound import FetchPolicy, OutboundClient

SOLID = "http://www.w3.org/ns/solid/terms#"
RESOURCE = "https://pod.example/alice/notes/today.ttl"
CLIENT_ID = "https://app.example/id"
# How long the "slow" profile takes; the test OutboundClient gives up after FETCH_TIMEOUT.
FETCH_TIMEOUT = 1.0
SLOW_SECONDS = 3.0
SIZE_CAP = 64 * 1024


def sign(header: dict[str, Any], claims: dict[str, Any], key: Key) -> str:
    # Through the verifier's registry only so that joserfc does not warn on EdDSA.
    return jwt.encode(header, claims, key, registry=REGISTRY, default_type=None)


@dataclass
class IdentityProvider:
    """An OpenID provider and the WebID profiles that trust it, served by one aiohttp server."""

    server: TestServer
    key: ECKey
    rsa_key: RSAKey
    ed_key: OKPKey
    published: list[Key]
    documents: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return str(self.server.make_url("/"))

    @property
    def webid(self) -> str:
        return self.issuer + "profile/card#me"

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    def publish_profile(self, name: str, body: str | bytes, content_type: str = "text/turtle") -> str:
        """Serve a document at /profile/{name}; returns its URL."""
        self.documents[name] = (content_type, body.encode() if isinstance(body, str) else body)
        return self.url(f"/profile/{name}")

    def claims(self, jkt: str | None, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "webid": self.webid,
            "sub": "alice",
            "aud": ["solid", CLIENT_ID],
            "client_id": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        }
        if jkt is not None:
            claims["cnf"] = {"jkt": jkt}
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def access_token(
        self, client_key: Key | None, *, key: Key | None = None, alg: str = "ES256", **overrides: Any
    ) -> str:
        """A token for self.webid, bound to client_key (None: not DPoP-bound); overrides replace claims."""
        signing_key = key or self.key
        jkt = client_key.thumbprint() if client_key is not None else None
        header = {"alg": alg, "typ": "at+jwt", "kid": signing_key.kid}
        return sign(header, self.claims(jkt, **overrides), signing_key)


def proof(
    client_key: Key,
    method: str,
    url: str,
    token: str | None,
    *,
    alg: str = "ES256",
    header: dict[str, Any] | None = None,
    **overrides: Any,
) -> str:
    """A DPoP proof signed by client_key, embedding its public JWK; overrides replace claims (None drops)."""
    claims: dict[str, Any] = {"jti": str(uuid.uuid4()), "htm": method, "htu": url, "iat": int(time.time())}
    if token is not None:
        claims["ath"] = jws_b64(hashlib.sha256(token.encode()).digest())
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    full_header = {"typ": "dpop+jwt", "alg": alg, "jwk": client_key.as_dict(private=False)}
    full_header.update(header or {})
    return sign(full_header, claims, client_key)


def dpop_headers(token: str, proof_jwt: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"DPoP {token}", "DPoP": proof_jwt, **extra}


def turtle_profile(webid_fragment: str, *issuers: str) -> str:
    lines = [f"@prefix solid: <{SOLID}> ."]
    lines += [f"<#{webid_fragment}> solid:oidcIssuer <{issuer}> ." for issuer in issuers]
    return "\n".join(lines) + "\n"


def idp_app(idp_ref: list[IdentityProvider]) -> web.Application:
    async def configuration(request: web.Request) -> web.Response:
        idp = idp_ref[0]
        idp.hits["configuration"] = idp.hits.get("configuration", 0) + 1
        issuer = idp.issuer
        return web.json_response(
            {
                "issuer": issuer,
                "jwks_uri": issuer + "jwks",
                "scopes_supported": ["openid", "offline_access", "webid"],
            }
        )

    async def jwks(request: web.Request) -> web.Response:
        idp = idp_ref[0]
        idp.hits["jwks"] = idp.hits.get("jwks", 0) + 1
        return web.json_response({"keys": [key.as_dict(private=False) for key in idp.published]})

    async def profile(request: web.Request) -> web.StreamResponse:
        idp = idp_ref[0]
        name = request.match_info["name"]
        idp.hits[name] = idp.hits.get(name, 0) + 1
        if name == "slow":
            await asyncio.sleep(SLOW_SECONDS)
        if name not in idp.documents:
            raise web.HTTPNotFound()
        content_type, body = idp.documents[name]
        return web.Response(body=body, headers={"Content-Type": content_type})

    app = web.Application()
    app.router.add_get("/.well-known/openid-configuration", configuration)
    app.router.add_get("/jwks", jwks)
    app.router.add_get("/profile/{name}", profile)
    return app


@pytest.fixture
async def idp(aiohttp_server: Any) -> IdentityProvider:
    ref: list[IdentityProvider] = []
    server = await aiohttp_server(idp_app(ref))
    key = ECKey.generate_key("P-256", {"kid": "es256-1"})
    rsa_key = RSAKey.generate_key(2048, {"kid": "rs256-1"})
    ed_key = OKPKey.generate_key("Ed25519", {"kid": "eddsa-1"})
    provider = IdentityProvider(server, key, rsa_key, ed_key, [key, rsa_key, ed_key])
    ref.append(provider)
    provider.publish_profile("card", turtle_profile("me", provider.issuer))
    return provider


@pytest.fixture
def client_key() -> ECKey:
    """The Solid client's DPoP key."""
    return ECKey.generate_key("P-256")


@pytest.fixture
async def outbound() -> AsyncIterator[OutboundClient]:
    client = OutboundClient(FetchPolicy(timeout=FETCH_TIMEOUT, max_bytes=SIZE_CAP, allow_private=True))
    yield client
    await client.close()


@pytest.fixture
def issuer_keys(outbound: OutboundClient) -> IssuerKeys:
    return IssuerKeys(outbound)


@pytest.fixture
def profiles(outbound: OutboundClient) -> WebIdProfiles:
    return WebIdProfiles(outbound)


@pytest.fixture
def verifier(issuer_keys: IssuerKeys, profiles: WebIdProfiles) -> SolidOidcVerifier:
    return SolidOidcVerifier(issuer_keys, profiles, MemoryReplayCache(), TokenPolicy())


@pytest.fixture
def authenticator(verifier: SolidOidcVerifier) -> Authenticator:
    return Authenticator(verifier)


async def refusal(authenticator: Authenticator, headers: dict[str, str], method: str = "GET") -> str:
    """The detail of the 401 the authenticator answers with (fails the test if it accepts)."""
    try:
        credentials = await authenticator.credentials(method, RESOURCE, headers)
    except Unauthorized as error:
        assert error.status == 401
        assert 'error="invalid_token"' in error.headers["WWW-Authenticate"]
        return error.detail
    raise AssertionError(f"accepted: {credentials}")


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()
