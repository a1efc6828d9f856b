"""DPoP proofs at the token endpoint (RFC 9449 §5): required, checked, never accepted twice.

The checks of one proof are the resource server's own (pod.auth.solid_oidc), so the provider and the
verifier cannot disagree on what a valid proof is; here there is no access token yet (no `ath`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from multidict import MultiMapping

from pod.auth.solid_oidc import InvalidToken, ReplayCache, SolidOidcVerifier, TokenPolicy
from pod.idp.oidc.errors import OAuthError


def invalid_dpop_proof(description: str) -> OAuthError:
    return OAuthError("invalid_dpop_proof", description)


class TokenEndpointProofs:
    def __init__(
        self,
        verifier: SolidOidcVerifier,
        replay_cache: ReplayCache,
        policy: TokenPolicy,
        token_url: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.verifier = verifier
        self.replay_cache = replay_cache
        self.policy = policy
        self.token_url = token_url
        self._clock = clock

    async def thumbprint(self, headers: Mapping[str, str]) -> str:
        """The RFC 7638 thumbprint of the key of the one valid, fresh, unused proof in `headers`."""
        proofs = headers.getall("DPoP", []) if isinstance(headers, MultiMapping) else []
        # RFC 9449 §4.3 (1): exactly one DPoP header. Solid-OIDC §8: tokens are always DPoP-bound.
        if not proofs:
            raise invalid_dpop_proof("a DPoP proof (the DPoP header) is required at the token endpoint")
        if len(proofs) > 1:
            raise invalid_dpop_proof("more than one DPoP header")
        try:
            # RFC 9449 §4.3 (2)–(11): typ, alg, jwk, signature, htm POST, htu the token endpoint, iat.
            checked = self.verifier.check_proof(
                proofs[0].strip(), "POST", self.token_url, None, self._clock()
            )
        except InvalidToken as error:
            raise invalid_dpop_proof(str(error)) from error
        ttl = self.policy.dpop_window + self.policy.clock_tolerance
        # RFC 9449 §11.1: a proof's jti is accepted once while the proof is fresh.
        if not await self.replay_cache.add(f"token:{checked.thumbprint}:{checked.jti}", ttl):
            raise invalid_dpop_proof("the DPoP proof was already used (jti replayed)")
        return checked.thumbprint
