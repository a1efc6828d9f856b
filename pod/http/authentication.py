"""The authentication middleware: every request gets the Credentials it carries, in request[CREDENTIALS]."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

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


def authentication_middleware(authenticator: Authenticator, base_url: str) -> Middleware:
    """Runs inside the error middleware, so that its 401s get problem bodies and CORS headers."""

    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        url = request_url(base_url, request.raw_path)
        request[CREDENTIALS] = await authenticator.credentials(request.method, url, request.headers)
        return await handler(request)

    return authenticate
