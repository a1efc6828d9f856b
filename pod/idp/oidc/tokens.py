"""The JWTs the provider signs: DPoP-bound access tokens and ID tokens (Solid-OIDC §8.1)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from pod.idp.oidc.keys import SigningKeys
from pod.idp.oidc.policy import Lifetimes

# RFC 9068 §2.1: the media type of a JWT access token.
ACCESS_TOKEN_TYPE = "at+jwt"
SOLID_AUDIENCE = "solid"


@dataclass(frozen=True, slots=True)
class Subject:
    """Who a token speaks for, and through which app and key."""

    webid: str
    client_id: str
    jkt: str  # RFC 7638 thumbprint of the client's DPoP key
    scope: str


def _half_hash(token: str) -> str:
    # OIDC Core §3.1.3.6: at_hash is the left half of the SHA-256 (ES256's hash) of the token.
    digest = hashlib.sha256(token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


class TokenIssuer:
    def __init__(
        self, issuer: str, keys: SigningKeys, lifetimes: Lifetimes, clock: Callable[[], float] = time.time
    ) -> None:
        self.issuer = issuer
        self.keys = keys
        self.lifetimes = lifetimes
        self._clock = clock

    async def access_token(self, subject: Subject) -> str:
        now = int(self._clock())
        claims = {
            "iss": self.issuer,
            # Solid-OIDC §8.1: every Solid resource server is an audience ("solid"), and the client.
            "aud": [SOLID_AUDIENCE, subject.client_id],
            "sub": subject.webid,
            "webid": subject.webid,
            "client_id": subject.client_id,
            "azp": subject.client_id,
            # RFC 9449 §6.1: the token is bound to the thumbprint of the proof key.
            "cnf": {"jkt": subject.jkt},
            "scope": subject.scope,
            "iat": now,
            "exp": now + self.lifetimes.access_token,
            "jti": secrets.token_urlsafe(16),
        }
        return await self.keys.sign(claims, typ=ACCESS_TOKEN_TYPE)

    async def id_token(
        self, subject: Subject, *, access_token: str, nonce: str | None, auth_time: int | None
    ) -> str:
        now = int(self._clock())
        claims: dict[str, object] = {
            "iss": self.issuer,
            "sub": subject.webid,
            # Solid-OIDC §8.1: aud is an array holding azp and "solid" (OIDC Core §2 allows several).
            "aud": [subject.client_id, SOLID_AUDIENCE],
            "azp": subject.client_id,
            "webid": subject.webid,
            "cnf": {"jkt": subject.jkt},
            "iat": now,
            "exp": now + self.lifetimes.id_token,
            "jti": secrets.token_urlsafe(16),
            "at_hash": _half_hash(access_token),
        }
        if nonce is not None:
            # OIDC Core §3.1.3.7 (11): the nonce of the authentication request comes back unchanged.
            claims["nonce"] = nonce
        if auth_time is not None:
            claims["auth_time"] = auth_time
        return await self.keys.sign(claims, typ="JWT")
