"""Who webhook deliveries come from: the server's own WebID, proven with a DPoP-bound access token
signed by the server's OpenID provider key, as any Solid-OIDC resource server would verify it.

A receiver checks the token against the issuer's JWKS (`/.oidc/jwks`, found by OIDC discovery),
the DPoP proof against the key the token is bound to, and the WebID document
(`{base}.notifications/sender`) for its `solid:oidcIssuer`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable

import pyoxigraph as ox
from joserfc import jwt
from joserfc.jwk import ECKey

from pod.idp.oidc.keys import SigningKeys

# Short-lived: each delivery gets a fresh token, so one seen by a receiver is soon worthless.
TOKEN_LIFETIME = 60
SOLID_OIDC_ISSUER = "http://www.w3.org/ns/solid/terms#oidcIssuer"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
AS_SERVICE = "https://www.w3.org/ns/activitystreams#Service"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class ServerIdentity:
    def __init__(
        self, keys: SigningKeys, issuer: str, webid: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.webid = webid
        self._clock = clock
        # The DPoP key lives as long as the process: tokens are bound to it for a minute at most.
        self._proof_key = ECKey.generate_key("P-256", private=True)

    async def authorization(self, method: str, url: str) -> dict[str, str]:
        """`Authorization` and `DPoP` headers for one request (Solid-OIDC §8, RFC 9449 §7.1)."""
        now = int(self._clock())
        claims = {
            "iss": self.issuer,
            # Solid-OIDC §8.1: "solid" is the audience of every Solid resource server.
            "aud": ["solid", self.webid],
            "sub": self.webid,
            "webid": self.webid,
            "client_id": self.webid,
            "azp": self.webid,
            "cnf": {"jkt": self._proof_key.thumbprint()},
            "iat": now,
            "exp": now + TOKEN_LIFETIME,
            "jti": secrets.token_urlsafe(16),
        }
        token = await self.keys.sign(claims, typ="at+jwt")
        proof_header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self._proof_key.as_dict(private=False)}
        proof_claims = {
            "jti": secrets.token_urlsafe(16),
            "htm": method,
            "htu": url,
            "iat": now,
            # RFC 9449 §4.2: ath binds the proof to this token.
            "ath": _b64(hashlib.sha256(token.encode("ascii")).digest()),
        }
        proof = jwt.encode(proof_header, proof_claims, self._proof_key, algorithms=["ES256"])
        return {"Authorization": f"DPoP {token}", "DPoP": proof}

    def profile(self) -> list[ox.Triple]:
        """The WebID document: Solid-OIDC §6.1, this server's provider is the WebID's issuer."""
        me = ox.NamedNode(self.webid)
        return [
            ox.Triple(me, ox.NamedNode(RDF_TYPE), ox.NamedNode(AS_SERVICE)),
            ox.Triple(me, ox.NamedNode(SOLID_OIDC_ISSUER), ox.NamedNode(self.issuer)),
        ]
