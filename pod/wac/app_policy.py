"""The seam for the owner's app control (issue 13): asked before WAC when an owner acts on their pod."""

from __future__ import annotations

from typing import Protocol

from pod.auth.credentials import Credentials
from pod.ldp.identifiers import ResourceIdentifier


class AppPolicy(Protocol):
    async def check(self, credentials: Credentials, storage: ResourceIdentifier) -> None:
        """Return if the owner's app may act as them in `storage`; otherwise raise Forbidden with why."""
        ...


class NoAppPolicy:
    """Every app may act as the owner (WAC alone decides): the default."""

    async def check(self, credentials: Credentials, storage: ResourceIdentifier) -> None:
        return None
