"""Fixtures for the OpenID provider tests: a pod server with a person, an app serving its Client ID
Document, DPoP keys and PKCE pairs made with joserfc, and the steps of the flows over HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from pod.idp.oidc import OIDC_PROVIDER, OidcProvider
from tests.conftest import ClientFactory

PASSWORD = "correct horse battery staple"
Client = TestClient[Any, Any]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def base_url(client: Client) -> str:
    return str(client.make_url("/"))


@dataclass
class DpopKey:
    """A client's DPoP key pair, minting proofs (RFC 9449 §4.2)."""

    key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256", private=True))

    @property
    def thumbprint(self) -> str:
        return self.key.thumbprint()

    def proof(
        self,
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        iat: float | None = None,
        typ: str = "dpop+jwt",
        jwk: dict[str, Any] | None = None,
    ) -> str:
        claims: dict[str, Any] = {
            "htm": method,
            "htu": url,
            "iat": int(time.time() if iat is None else iat),
            "jti": secrets.token_urlsafe(12),
        }
        if access_token is not None:
            claims["ath"] = b64(hashlib.sha256(access_token.encode()).digest())
        header = {"typ": typ, "alg": "ES256", "jwk": jwk or self.key.as_dict(private=False)}
        return jwt.encode(header, claims, self.key, algorithms=["ES256"])


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str


def pkce() -> Pkce:
    verifier = secrets.token_urlsafe(48)
    return Pkce(verifier, b64(hashlib.sha256(verifier.encode()).digest()))


@dataclass
class Person:
    email: str
    webid: str
    pod: str
    account_token: str
    controls: dict[str, Any]

    @property
    def auth_header(self) -> dict[str, str]:
        return {"Authorization": f"CSS-Account-Token {self.account_token}"}


async def create_person(client: Client, name: str = "alice") -> Person:
    """An account with a password login and a pod (hence a WebID), through the CSS-style account API."""
    created = await client.post("/.account/account/", json={})
    assert created.status == 200, await created.text()
    body = await created.json()
    person = Person(f"{name}@example.org", "", "", body["authorization"], body["controls"])
    added = await client.post(
        local(person.controls["password"]["create"]),
        json={"email": person.email, "password": PASSWORD},
        headers=person.auth_header,
    )
    assert added.status == 200, await added.text()
    pod = await client.post(
        local(person.controls["account"]["pod"]), json={"name": name}, headers=person.auth_header
    )
    assert pod.status == 200, await pod.text()
    made = await pod.json()
    person.webid, person.pod = made["webId"], made["pod"]
    # Creating the account logged this client in: the tests log in through the form themselves.
    client.session.cookie_jar.clear()
    return person


async def add_webid(client: Client, person: Person) -> str:
    """Link a second WebID (inside the person's pod) to the account."""
    webid = person.pod + "profile/card#work"
    linked = await client.post(
        local(person.controls["account"]["webId"]), json={"webId": webid}, headers=person.auth_header
    )
    assert linked.status == 200, await linked.text()
    client.session.cookie_jar.clear()
    return webid


async def client_credential(client: Client, person: Person) -> tuple[str, str]:
    made = await client.post(
        local(person.controls["account"]["clientCredentials"]),
        json={"name": "script", "webId": person.webid},
        headers=person.auth_header,
    )
    assert made.status == 200, await made.text()
    body = await made.json()
    client.session.cookie_jar.clear()
    return body["id"], body["secret"]


def hidden_field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} field in {html[:500]}"
    return unescape(found.group(1))


async def log_in(client: Client, person: Person, return_to: str) -> web.StreamResponse | Any:
    """Log in with the HTML form, as a browser does; returns the redirect back to `return_to`."""
    page = await client.get(
        "/.account/login/password/", params={"returnTo": return_to}, headers={"Accept": "text/html"}
    )
    assert page.status == 200, await page.text()
    form = {
        "email": person.email,
        "password": PASSWORD,
        "csrf": hidden_field(await page.text(), "csrf"),
        "returnTo": return_to,
    }
    answer = await client.post("/.account/login/password/", data=form, allow_redirects=False)
    assert answer.status in (302, 303), await answer.text()
    return answer


def local(url: str) -> str:
    """The path and query of a URL on the test server (the test client takes paths, not URLs)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def query_of(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


class AppSite:
    """A third-party app's web site: serves Client ID Documents (and whatever else a test puts there)."""

    def __init__(self) -> None:
        self.server: TestServer | None = None
        self.documents: dict[str, tuple[int, str, bytes]] = {}

    def url(self, path: str) -> str:
        assert self.server is not None
        return str(self.server.make_url(path))

    def client_document(self, path: str = "/id", **overrides: Any) -> str:
        """Publish a Client ID Document at `path`; returns its URL (the client_id)."""
        client_id = self.url(path)
        document = {
            "@context": ["https://www.w3.org/ns/solid/oidc-context.jsonld"],
            "client_id": client_id,
            "client_name": "Test App",
            "redirect_uris": [self.url("/callback")],
            "post_logout_redirect_uris": [self.url("/logged-out")],
            "client_uri": self.url("/"),
            "logo_uri": self.url("/logo.png"),
            "scope": "openid profile offline_access webid",
            "grant_types": ["refresh_token", "authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }
        document.update(overrides)
        self.serve(path, 200, "application/ld+json", json.dumps(document).encode())
        return client_id

    def serve(self, path: str, status: int, content_type: str, body: bytes) -> None:
        self.documents[path] = (status, content_type, body)

    async def handle(self, request: web.Request) -> web.Response:
        status, content_type, body = self.documents.get(request.path, (404, "text/plain", b"not here"))
        return web.Response(status=status, body=body, content_type=content_type)


@pytest.fixture
async def app_site(aiohttp_server: Any) -> AppSite:
    site = AppSite()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", site.handle)
    site.server = await aiohttp_server(app)
    return site


@pytest.fixture
async def client(make_client: ClientFactory) -> Client:
    return await make_client()


@pytest.fixture
async def alice(client: Client) -> Person:
    return await create_person(client, "alice")


@dataclass
class Flow:
    """One run of the authorization code flow, step by step, as an app and a browser do it."""

    client: Client
    client_id: str
    redirect_uri: str
    pkce: Pkce = field(default_factory=pkce)
    key: DpopKey = field(default_factory=DpopKey)
    state: str = field(default_factory=lambda: secrets.token_urlsafe(8))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(8))
    scope: str = "openid webid offline_access"

    def params(self, **overrides: str) -> dict[str, str]:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.pkce.challenge,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return {name: value for name, value in params.items() if value != ""}

    async def authorize(self, **overrides: str) -> Any:
        return await self.client.get("/.oidc/auth", params=self.params(**overrides), allow_redirects=False)

    async def consent(self, page_html: str, decision: str = "allow", webid: str | None = None) -> Any:
        form = {
            "interaction": hidden_field(page_html, "interaction"),
            "csrf": hidden_field(page_html, "csrf"),
            "decision": decision,
            "webid": webid or hidden_field(page_html, "webid"),
        }
        return await self.client.post("/.oidc/consent", data=form, allow_redirects=False)

    async def code(self, person: Person) -> str:
        """Log in (if needed), approve, and return the code the app gets back."""
        answer = await self.authorize()
        if answer.status == 303 and "/.account/login/" in answer.headers["Location"]:
            return_to = query_of(answer.headers["Location"])["returnTo"]
            back = await log_in(self.client, person, return_to)
            answer = await self.client.get(local(back.headers["Location"]), allow_redirects=False)
        if answer.status == 200:
            answer = await self.consent(await answer.text())
        assert answer.status == 303, await answer.text()
        returned = query_of(answer.headers["Location"])
        assert "code" in returned, returned
        return returned["code"]

    async def token(self, code: str, *, proof: str | None = "", **overrides: str) -> Any:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": self.pkce.verifier,
            "client_id": self.client_id,
        }
        form.update(overrides)
        return await self.post_token(form, proof=proof)

    async def refresh(self, refresh_token: str, *, key: DpopKey | None = None) -> Any:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": self.client_id}
        proof = (key or self.key).proof("POST", base_url(self.client) + ".oidc/token")
        return await self.post_token(form, proof=proof)

    async def post_token(self, form: dict[str, str], *, proof: str | None = "", **headers: str) -> Any:
        if proof == "":
            proof = self.key.proof("POST", base_url(self.client) + ".oidc/token")
        if proof is not None:
            headers["DPoP"] = proof
        form = {name: value for name, value in form.items() if value != ""}
        return await self.client.post("/.oidc/token", data=form, headers=headers)


def provider(client: Client) -> OidcProvider:
    """The server's OpenID provider (for what only the server does itself: rotation, WAC's question)."""
    app: web.Application | None = client.app
    assert app is not None
    return app[OIDC_PROVIDER]


async def provider_keys(client: Client) -> KeySet:
    """The JWKS found the way any resource server finds it: through discovery."""
    configuration = await (await client.get("/.well-known/openid-configuration")).json()
    jwks = await (await client.session.get(configuration["jwks_uri"])).json()
    return KeySet.import_key_set(jwks)
