"""OAuth errors: an error code from the RFCs, a reason a person can read, and the JSON answer they become."""

from __future__ import annotations

import json

from aiohttp import web

# RFC 6749 §5.1 and RFC 9449 §5: token responses (and their errors) are never cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """A refusal with an OAuth error code (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 9449 §5)."""

    def __init__(
        self, error: str, description: str, *, status: int = 400, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}

    def response(self) -> web.Response:
        body = json.dumps({"error": self.error, "error_description": self.description})
        response = web.Response(status=self.status, text=body, content_type="application/json")
        response.headers.update(NO_STORE)
        response.headers.update(self.headers)
        return response


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


def invalid_client(description: str, *, basic: bool = False) -> OAuthError:
    # RFC 6749 §5.2: 401 for a failed client authentication, with a challenge when Basic was tried.
    headers = {"WWW-Authenticate": 'Basic realm="token"'} if basic else {}
    return OAuthError("invalid_client", description, status=401, headers=headers)
