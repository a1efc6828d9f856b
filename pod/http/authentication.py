"""The authentication middleware: every request gets the Credentials it carries, in request[CREDENTIALS]."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware
from multidict import CIMultiDict

from pod.auth.authenticator import Authenticator
from pod.auth.credentials import Credentials

CREDENTIALS = web.RequestKey("credentials", Credentials)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def request_url(base_url: str, raw_path: str) -> str:
    """The URL a request was sent to, as the public sees it: the base URL's origin + the raw path.

    Never built from the Host header, which the client (or a proxy) chooses.
    """
    base = urlsplit(base_url)
    path = raw_path.split("?", 1)[0].split("#", 1)[0]
    return f"{base.scheme}://{base.netloc}{path}"


@dataclass(frozen=True, slots=True)
class OtherScheme:
    """An Authorization scheme that is no Solid-OIDC credential, read by one part of the server
    (the account API's token, a client's HTTP Basic at the token endpoint). Where `applies`, the
    header's value goes to request[key] and is taken off the request: Solid-OIDC would refuse
    the scheme with a 401, and to WAC the request is public."""

    key: web.RequestKey[str]
    applies: Callable[[web.Request], bool] = lambda _request: True


def without_authorization(request: web.Request) -> web.Request:
    headers = CIMultiDict(request.headers)
    headers.popall("Authorization", None)
    return request.clone(headers=headers)


def authentication_middleware(
    authenticator: Authenticator, base_url: str, other_schemes: Mapping[str, OtherScheme]
) -> Middleware:
    """Runs inside the error middleware, so that its 401s get problem bodies and CORS headers.

    `other_schemes`: by lower-case scheme name, the Authorization schemes others read."""

    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        authorization = request.headers.get("Authorization")
        if authorization is not None:
            scheme, _, value = authorization.strip().partition(" ")
            other = other_schemes.get(scheme.lower())
            if other is not None and other.applies(request):
                request = without_authorization(request)
                request[other.key] = value.strip()
        url = request_url(base_url, request.raw_path)
        request[CREDENTIALS] = await authenticator.credentials(request.method, url, request.headers)
        return await handler(request)

    return authenticate
