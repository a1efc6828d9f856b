"""CORS for Solid (Solid Protocol §8.1): every origin may call, access control decides what succeeds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

EXPOSED_HEADERS = ", ".join(
    (
        "Accept-Patch",
        "Accept-Post",
        "Accept-Put",
        "Accept-Ranges",
        "Allow",
        "Content-Length",
        "Content-Location",
        "Content-Range",
        "Content-Type",
        "ETag",
        "Last-Modified",
        "Link",
        "Location",
        "MS-Author-Via",
        "Updates-Via",
        "Vary",
        "WAC-Allow",
        "WWW-Authenticate",
    )
)
ALLOWED_METHODS = "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE"
DEFAULT_ALLOWED_HEADERS = (
    "Accept, Authorization, Content-Type, DPoP, If-Match, If-Modified-Since, If-None-Match, "
    "If-Unmodified-Since, Link, Range, Slug"
)
PREFLIGHT_MAX_AGE = "1728000"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _add_vary(response: web.StreamResponse, field: str) -> None:
    existing = [v.strip() for v in response.headers.get("Vary", "").split(",") if v.strip()]
    if field not in existing:
        response.headers["Vary"] = ", ".join([*existing, field])


def is_preflight(request: web.Request) -> bool:
    return (
        request.method == "OPTIONS"
        and "Origin" in request.headers
        and "Access-Control-Request-Method" in request.headers
    )


def preflight_response(request: web.Request) -> web.Response:
    """Answer a preflight: allow the method and echo the headers the app asked for."""
    requested = request.headers.get("Access-Control-Request-Headers", "").strip()
    response = web.Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
    response.headers["Access-Control-Allow-Headers"] = requested or DEFAULT_ALLOWED_HEADERS
    response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


@web.middleware
async def preflight_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer CORS preflights before anything else looks at the request."""
    if is_preflight(request):
        return preflight_response(request)
    return await handler(request)


async def add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every response (errors and streamed bodies included) just before its headers are sent."""
    origin = request.headers.get("Origin")
    if origin is None:
        return
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Credentials"] = "true"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    _add_vary(response, "Origin")
