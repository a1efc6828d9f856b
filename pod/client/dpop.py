"""DPoP proofs (RFC 9449 §4) made with a fresh ES256 key that lives only as long as the process."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable

from joserfc import jwt
from joserfc.jwk import ECKey
from yarl import URL


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def target_uri(url: str) -> str:
    """The `htu` of a request to `url`: as sent, without query and fragment (RFC 9449 §4.2)."""
    return str(URL(url).with_query(None).with_fragment(None))


class DpopKey:
    """A client's proof-of-possession key; tokens bound to it are useless to anyone who steals them."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.key = ECKey.generate_key("P-256", private=True)
        self._clock = clock

    def proof(self, method: str, url: str, access_token: str | None = None) -> str:
        """A proof for one request; with `access_token`, bound to it by its hash (`ath`)."""
        claims: dict[str, str | int] = {
            "htm": method,
            "htu": target_uri(url),
            "iat": int(self._clock()),
            # RFC 9449 §11.1: servers refuse a jti they have seen, so every proof gets a new one.
            "jti": secrets.token_urlsafe(16),
        }
        if access_token is not None:
            claims["ath"] = _b64(hashlib.sha256(access_token.encode("ascii")).digest())
        header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self.key.as_dict(private=False)}
        return jwt.encode(header, claims, self.key, algorithms=["ES256"])
