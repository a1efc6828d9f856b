"""Discovery (OIDC Discovery §3, Solid-OIDC §10), the JWKS, and dynamic client registration (RFC 7591)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from pod.auth.solid_oidc import ALGORITHMS
from pod.idp.oidc.authorization_request import SUPPORTED_SCOPES
from pod.idp.oidc.clients import AUTH_METHODS
from pod.idp.oidc.errors import NO_STORE, OAuthError
from pod.idp.oidc.keys import ALGORITHM, SigningKeys
from pod.idp.oidc.registration import RegisteredClients
from pod.idp.oidc.token_endpoint import GRANT_TYPES

# Public documents that change rarely: cacheable for a while (keys are re-read on an unknown kid).
_PUBLIC = {"Cache-Control": "public, max-age=300"}


def configuration(issuer: str, urls: dict[str, str]) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": urls["auth"],
        "token_endpoint": urls["token"],
        "jwks_uri": urls["jwks"],
        "registration_endpoint": urls["reg"],
        "end_session_endpoint": urls["end_session"],
        # Solid-OIDC §10: webid among the scopes says this provider speaks Solid-OIDC.
        "scopes_supported": list(SUPPORTED_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "code_challenge_methods_supported": ["S256"],
        # RFC 9449 §5.1: the algorithms accepted for DPoP proofs.
        "dpop_signing_alg_values_supported": list(ALGORITHMS),
        # RFC 9207 §3: iss is in every authorization response.
        "authorization_response_iss_parameter_supported": True,
        "claims_supported": ["iss", "sub", "aud", "azp", "exp", "iat", "auth_time", "nonce", "webid", "cnf"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "solid_oidc_supported": "https://solidproject.org/TR/solid-oidc",
    }


class MetadataEndpoints:
    def __init__(
        self, issuer: str, urls: dict[str, str], keys: SigningKeys, registered: RegisteredClients
    ) -> None:
        self.document = json.dumps(configuration(issuer, urls))
        self.keys = keys
        self.registered = registered

    async def discovery(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text=self.document, content_type="application/json", headers=_PUBLIC)

    async def jwks(self, request: web.Request) -> web.StreamResponse:
        body = json.dumps(await self.keys.jwks())
        # RFC 7517 §8.5: the JWK Set media type.
        return web.Response(text=body, content_type="application/jwk-set+json", headers=_PUBLIC)

    async def register(self, request: web.Request) -> web.StreamResponse:
        # RFC 7591 §3.1: the metadata is a JSON document.
        if request.content_type != "application/json":
            return OAuthError(
                "invalid_client_metadata", "the registration request must be application/json"
            ).response()
        try:
            metadata = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return OAuthError("invalid_client_metadata", "the registration request is not JSON").response()
        try:
            registered = await self.registered.register(metadata)
        except OAuthError as error:
            return error.response()
        # RFC 7591 §3.2.1: 201 Created with the client information.
        return web.Response(
            status=201, text=json.dumps(registered), content_type="application/json", headers=NO_STORE
        )
