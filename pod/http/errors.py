"""Errors become responses: a status, the headers the error carries, and an RFC 9457 problem body."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from pod.errors import PodError

log = logging.getLogger("pod.http")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def problem_response(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail})
    response = web.Response(status=status, text=body, content_type="application/problem+json")
    response.headers.update(headers or {})
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except PodError as error:
        return problem_response(error.status, error.title, error.detail, error.headers)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        kept = {k: v for k, v in error.headers.items() if not k.lower().startswith("content-")}
        return problem_response(error.status, error.reason, error.text or error.reason, kept)
    except Exception:
        log.exception("unexpected error handling %s %s", request.method, request.path_qs)
        return problem_response(500, "Internal Server Error", "the server failed to handle this request")
