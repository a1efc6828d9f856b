"""How long what the OpenID provider hands out stays valid (the numbers CSS and node-oidc-provider use)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Lifetimes:
    # RFC 6749 §4.1.2: codes are short-lived (10 minutes at most; one is plenty for a redirect).
    code: int = 60
    access_token: int = 3600
    id_token: int = 3600
    refresh_token: int = 14 * 24 * 3600
    # A consent screen left open this long must be reloaded.
    interaction: int = 15 * 60
    # Client ID Documents are fetched again after this long.
    client_document: int = 300

    def key_retention(self, clock_tolerance: int) -> int:
        """How long a retired signing key stays in the JWKS: until every token it signed has expired."""
        return max(self.access_token, self.id_token) + clock_tolerance


LIFETIMES = Lifetimes()
