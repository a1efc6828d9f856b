"""Access tokens by the client-credentials grant, and the headers that carry them on each request.

The flow is the one the Community Solid Server documents for scripts: discover the token endpoint,
POST `grant_type=client_credentials` with the credential's id and secret as HTTP Basic and a DPoP
proof, then send every request with `Authorization: DPoP <token>` and a new proof.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from pod.client.dpop import DpopKey

# A token is fetched again this many seconds before it expires, so that it does not expire in flight.
EXPIRY_MARGIN = 30


class ClientError(Exception):
    """Why an authenticated request could not be made, said for the person at the terminal."""


@dataclass(frozen=True, slots=True)
class ClientCredential:
    """A client credential of a pod account: it acts as the one WebID it was made for."""

    id: str
    secret: str


def default_issuer(url: str) -> str:
    """The server the resource is on, which for a pod on this server is also its OpenID provider."""
    return str(URL(url).origin()) + "/"


async def json_body(response: aiohttp.ClientResponse, what: str) -> dict[str, Any]:
    """The JSON object of a response, or a ClientError naming `what` and the server's own words."""
    try:
        body = await response.json(content_type=None)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    if response.status >= 400:
        # OAuth errors (RFC 6749 §5.2) have error/error_description; problem documents (RFC 9457)
        # have title/detail; CSS's account API has message.
        code = f" ({body['error']})" if "error" in body else ""
        text = next(
            (str(body[name]) for name in ("error_description", "detail", "message") if name in body), ""
        )
        said = f": {text}" if text else ""
        raise ClientError(f"{what} failed: {response.status} {response.reason}{code}{said}")
    if not body:
        raise ClientError(f"{what}: {response.url} did not answer with a JSON object")
    return body


def _basic(credential: ClientCredential) -> str:
    # RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded.
    pair = f"{quote(credential.id, safe='')}:{quote(credential.secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


class SolidSession:
    """Requests as the WebID of one client credential; the token is kept for this session only."""

    def __init__(self, http: aiohttp.ClientSession, issuer: str, credential: ClientCredential) -> None:
        self.http = http
        self.issuer = issuer
        self.credential = credential
        self.key = DpopKey()
        self._token: str | None = None
        self._expires = 0.0

    async def headers(self, method: str, url: str) -> dict[str, str]:
        """Authorization and DPoP headers for one request `method url`."""
        token = await self.access_token()
        return {"Authorization": f"DPoP {token}", "DPoP": self.key.proof(method, url, token)}

    async def access_token(self) -> str:
        if self._token is None or time.time() > self._expires - EXPIRY_MARGIN:
            endpoint = await self._token_endpoint()
            headers = {"Authorization": _basic(self.credential), "DPoP": self.key.proof("POST", endpoint)}
            form = {"grant_type": "client_credentials", "scope": "webid"}
            async with self.http.post(endpoint, data=form, headers=headers) as response:
                body = await json_body(response, f"getting a token from {endpoint}")
            token = body.get("access_token")
            if not isinstance(token, str) or str(body.get("token_type", "")).lower() != "dpop":
                raise ClientError(f"{endpoint} did not answer with a DPoP access token")
            lifetime = body.get("expires_in")
            self._token = token
            self._expires = time.time() + (lifetime if isinstance(lifetime, int | float) else 300)
        return self._token

    async def _token_endpoint(self) -> str:
        # OIDC Discovery §4: the configuration is at the issuer's path + /.well-known/openid-configuration.
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        async with self.http.get(url, headers={"Accept": "application/json"}) as response:
            configuration = await json_body(response, f"discovering the OpenID provider at {url}")
        # OIDC Discovery §4.3: the issuer in the configuration is exactly the one asked about.
        if configuration.get("issuer") != self.issuer:
            raise ClientError(
                f"{url} names the issuer {configuration.get('issuer')!r}, not {self.issuer!r} (see --issuer)"
            )
        endpoint = configuration.get("token_endpoint")
        if not isinstance(endpoint, str):
            raise ClientError(f"{url} names no token_endpoint")
        return endpoint
