"""The OpenID provider (Solid-OIDC): discovery, keys, consent, tokens, registration, logout."""

from pod.idp.oidc.client_auth import client_basic_scheme
from pod.idp.oidc.provider import OIDC_PROVIDER, OidcProvider, signing_keys

__all__ = ["OIDC_PROVIDER", "OidcProvider", "client_basic_scheme", "signing_keys"]
