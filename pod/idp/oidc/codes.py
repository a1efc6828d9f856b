"""Authorization codes (RFC 6749 §4.1.2): single-use, short-lived, bound to what was approved.

A code remembers the client, the redirect URI, the PKCE challenge, the account and WebID, and
(RFC 9449 §10) the DPoP key the authorization request named. After use it is kept, marked used,
until it expires, so that a second use is recognised and the tokens it gave are revoked.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from pod.idp.oidc.transient import Expiring


@dataclass(frozen=True, slots=True)
class Grant:
    """What the person approved on the consent screen, for one authorization request."""

    client_id: str
    redirect_uri: str
    code_challenge: str
    account_id: str
    webid: str
    scope: tuple[str, ...]
    nonce: str | None
    auth_time: int
    dpop_jkt: str | None = None


@dataclass(frozen=True, slots=True)
class _Code:
    grant: Grant
    used: bool = False
    # The refresh-token family issued from this code (revoked if the code is replayed).
    family: str | None = None


class CodeReplayed(Exception):
    def __init__(self, family: str | None) -> None:
        super().__init__("the authorization code was already used")
        self.family = family


class AuthorizationCodes:
    def __init__(self, ttl: float) -> None:
        self._codes: Expiring[_Code] = Expiring(ttl)

    def issue(self, grant: Grant) -> str:
        code = secrets.token_urlsafe(32)
        self._codes.put(code, _Code(grant))
        return code

    def redeem(self, code: str) -> Grant | None:
        """The grant of an unused code, which is used from now on; None if unknown or expired.

        Raises CodeReplayed when the code was used before (RFC 6749 §4.1.2).
        """
        found = self._codes.get(code)
        if found is None:
            return None
        if found.used:
            raise CodeReplayed(found.family)
        self._codes.replace(code, replace(found, used=True))
        return found.grant

    def record_family(self, code: str, family: str) -> None:
        found = self._codes.get(code)
        if found is not None:
            self._codes.replace(code, replace(found, family=family))
