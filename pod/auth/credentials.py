"""Credentials: who a request comes from, as far as the server could verify it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Credentials:
    """The verified agent (WebID), the app (client_id) and the browser origin of one request.

    Everything is None for an anonymous request. `origin` is the request's Origin header, which
    only browsers send reliably; it is not authenticated but WAC checks it (WAC §Origin).
    """

    agent: str | None = None
    client_id: str | None = None
    issuer: str | None = None
    origin: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.agent is not None


ANONYMOUS = Credentials()
