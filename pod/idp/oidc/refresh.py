"""Refresh tokens: opaque, rotated on every use; reusing a rotated one revokes its whole family.

A family is everything issued from one authorization (OAuth 2.0 Security BCP §4.14.2). The token is
`{family}.{secret}`; only SHA-256 hashes of secrets are stored, in one internal-state record per
family. Tokens of public clients are bound to the client's DPoP key (RFC 9449 §5).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pod.idp.oidc.errors import OAuthError, invalid_grant
from pod.idp.oidc.state import OidcState

_KIND = "refresh"
_TOKEN = re.compile(r"([A-Za-z0-9_-]{22,64})\.([A-Za-z0-9_-]{32,128})")
# Enough rotated secrets to recognise any realistic replay; older ones are simply unknown.
MAX_REMEMBERED = 200


@dataclass(frozen=True, slots=True)
class RefreshGrant:
    client_id: str
    account_id: str
    webid: str
    scope: tuple[str, ...]
    auth_time: int
    jkt: str | None  # the DPoP key the family is bound to (public clients)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _among(digest: str, digests: list[str]) -> bool:
    return any(hmac.compare_digest(digest.encode(), known.encode()) for known in digests)


class RefreshTokens:
    def __init__(self, state: OidcState, ttl: float, clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self.ttl = ttl
        self._clock = clock

    async def start(self, grant: RefreshGrant) -> tuple[str, str]:
        """A new family for `grant`; returns (family id, its first refresh token)."""
        family, secret = secrets.token_urlsafe(18), secrets.token_urlsafe(32)
        record = {
            "client_id": grant.client_id,
            "account_id": grant.account_id,
            "webid": grant.webid,
            "scope": list(grant.scope),
            "auth_time": grant.auth_time,
            "jkt": grant.jkt,
            "current": _hash(secret),
            "used": [],
            "revoked": False,
            "expires_at": self._clock() + self.ttl,
        }
        await self.state.put(_KIND, family, record)
        return family, f"{family}.{secret}"

    async def rotate(
        self, token: str, client_id: str, jkt: str, scope: tuple[str, ...] | None = None
    ) -> tuple[RefreshGrant, str]:
        """Spend `token`: its grant and the family's next token. OAuthError invalid_grant otherwise.

        `scope`, when the request names one, must lie within the grant's (checked before spending).
        """
        match = _TOKEN.fullmatch(token)
        if match is None:
            raise invalid_grant("the refresh token is not one this server issued")
        family, secret = match.groups()
        # Read-check-write: serialised (across processes too) so one token cannot be spent twice.
        async with self.state.lock("refresh"):
            record = await self.state.get(_KIND, family)
            if record is None or record["revoked"]:
                raise invalid_grant("the refresh token is unknown or revoked")
            digest = _hash(secret)
            if _among(digest, record["used"]):
                # Security BCP §4.14.2: a rotated token used again means it leaked; end the family.
                await self.revoke(family)
                raise invalid_grant("the refresh token was already used; every token of its grant is revoked")
            if not hmac.compare_digest(digest.encode(), str(record["current"]).encode()):
                raise invalid_grant("the refresh token is unknown or revoked")
            if self._clock() >= float(record["expires_at"]):
                raise invalid_grant("the refresh token has expired")
            # RFC 6749 §6: the token was issued to this client.
            if record["client_id"] != client_id:
                raise invalid_grant("the refresh token was issued to another client")
            # RFC 9449 §5: a public client's refresh token works only with the key it was bound to.
            if record["jkt"] is not None and not hmac.compare_digest(
                str(record["jkt"]).encode(), jkt.encode()
            ):
                raise invalid_grant(
                    "the DPoP proof is signed by another key than the refresh token is bound to"
                )
            # RFC 6749 §6: a refresh may narrow the scope, never widen it.
            if scope is not None and not set(scope) <= set(record["scope"]):
                raise OAuthError("invalid_scope", "the scope is wider than the original grant")
            next_secret = secrets.token_urlsafe(32)
            record["used"] = [*record["used"], digest][-MAX_REMEMBERED:]
            record["current"] = _hash(next_secret)
            record["expires_at"] = self._clock() + self.ttl
            await self.state.put(_KIND, family, record)
        return _grant(record), f"{family}.{next_secret}"

    async def revoke(self, family: str) -> None:
        record = await self.state.get(_KIND, family)
        if record is not None and not record["revoked"]:
            record["revoked"] = True
            await self.state.put(_KIND, family, record)

    async def prune(self) -> int:
        """Forget expired families (called at start-up); returns how many went."""
        now, gone = self._clock(), 0
        for family in await self.state.keys(_KIND):
            record = await self.state.get(_KIND, family)
            if record is not None and now >= float(record["expires_at"]):
                await self.state.delete(_KIND, family)
                gone += 1
        return gone


def _grant(record: dict[str, Any]) -> RefreshGrant:
    return RefreshGrant(
        client_id=record["client_id"],
        account_id=record["account_id"],
        webid=record["webid"],
        scope=tuple(record["scope"]),
        auth_time=int(record["auth_time"]),
        jkt=record["jkt"],
    )
