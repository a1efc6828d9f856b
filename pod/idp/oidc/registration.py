"""Dynamic client registration (RFC 7591): apps without a Client ID Document register here.

Registered clients are kept in the provider's internal state. A confidential client gets a secret
once, in the registration response; only its SHA-256 is kept (it is random and long, so a plain
hash is enough to make a leaked state folder useless).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from pod.idp.oidc.clients import AUTH_METHODS, AuthMethod, Client, is_redirect_uri
from pod.idp.oidc.errors import OAuthError
from pod.idp.oidc.state import OidcState

_KIND = "clients"
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
GRANT_TYPES = frozenset({"authorization_code", "refresh_token"})
MAX_URIS = 20


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(client: Client, secret: str) -> bool:
    if client.secret_hash is None:
        return False
    return hmac.compare_digest(secret_hash(secret).encode(), client.secret_hash.encode())


def _metadata_error(description: str) -> OAuthError:
    return OAuthError("invalid_client_metadata", description)


def _uri_list(metadata: dict[str, Any], name: str, *, required: bool) -> tuple[str, ...]:
    value = metadata.get(name, [] if not required else None)
    error = "invalid_redirect_uri" if name == "redirect_uris" else "invalid_client_metadata"
    if not isinstance(value, list) or (required and not value) or len(value) > MAX_URIS:
        raise OAuthError(
            error, f"{name} must be a list of 1 to {MAX_URIS} URLs" if required else f"{name} must be a list"
        )
    # RFC 7591 §2 / RFC 6749 §3.1.2: absolute http(s) URLs without a fragment.
    if not all(isinstance(uri, str) and is_redirect_uri(uri) for uri in value):
        raise OAuthError(error, f"every one of {name} must be an absolute http(s) URL without a fragment")
    return tuple(value)


def _optional_url(metadata: dict[str, Any], name: str) -> str | None:
    value = metadata.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not is_redirect_uri(value):
        raise _metadata_error(f"{name} must be an http(s) URL")
    return value


def client_from_metadata(metadata: object, client_id: str, secret: str | None) -> Client:
    """Validate RFC 7591 §2 metadata into a Client (the secret, if any, only as its hash)."""
    if not isinstance(metadata, dict):
        raise _metadata_error("the registration request is not a JSON object")
    redirect_uris = _uri_list(metadata, "redirect_uris", required=True)
    post_logout = _uri_list(metadata, "post_logout_redirect_uris", required=False)
    # RFC 7591 §2: token_endpoint_auth_method defaults to client_secret_basic.
    method = metadata.get("token_endpoint_auth_method", "client_secret_basic")
    if method not in AUTH_METHODS:
        raise _metadata_error(f"token_endpoint_auth_method must be one of {', '.join(AUTH_METHODS)}")
    grant_types = metadata.get("grant_types", ["authorization_code"])
    if not isinstance(grant_types, list) or not set(grant_types) <= GRANT_TYPES or not grant_types:
        raise _metadata_error("grant_types may only hold authorization_code and refresh_token")
    # RFC 7591 §2.1: the only response type this provider has is code.
    if metadata.get("response_types", ["code"]) != ["code"]:
        raise _metadata_error('response_types must be ["code"]')
    name = metadata.get("client_name")
    if name is not None and (not isinstance(name, str) or len(name) > 200):
        raise _metadata_error("client_name must be a string of at most 200 characters")
    auth_method: AuthMethod = method
    return Client(
        client_id=client_id,
        redirect_uris=redirect_uris,
        kind="registered",
        post_logout_redirect_uris=post_logout,
        client_name=name,
        logo_uri=_optional_url(metadata, "logo_uri"),
        client_uri=_optional_url(metadata, "client_uri"),
        auth_method=auth_method,
        secret_hash=None if secret is None else secret_hash(secret),
        grant_types=tuple(grant_types),
    )


def _to_record(client: Client, issued_at: int) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "client_name": client.client_name,
        "logo_uri": client.logo_uri,
        "client_uri": client.client_uri,
        "token_endpoint_auth_method": client.auth_method,
        "secret_hash": client.secret_hash,
        "grant_types": list(client.grant_types),
        "client_id_issued_at": issued_at,
    }


class RegisteredClients:
    def __init__(self, state: OidcState, clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self._clock = clock

    async def register(self, metadata: object) -> dict[str, Any]:
        """Register a client; the RFC 7591 §3.2.1 response body (with the secret, shown only now)."""
        client_id = secrets.token_urlsafe(24)
        wants_secret = isinstance(metadata, dict) and metadata.get("token_endpoint_auth_method") != "none"
        secret = secrets.token_urlsafe(32) if wants_secret else None
        client = client_from_metadata(metadata, client_id, secret)
        issued_at = int(self._clock())
        await self.state.put(_KIND, client_id, _to_record(client, issued_at))
        response = {key: value for key, value in _to_record(client, issued_at).items() if value is not None}
        response.pop("secret_hash", None)
        response["response_types"] = ["code"]
        if secret is not None:
            response["client_secret"] = secret
            # RFC 7591 §3.2.1: 0 means the secret does not expire.
            response["client_secret_expires_at"] = 0
        return response

    async def get(self, client_id: str) -> Client | None:
        if not _CLIENT_ID.fullmatch(client_id):
            return None
        record = await self.state.get(_KIND, client_id)
        if record is None:
            return None
        return Client(
            client_id=record["client_id"],
            redirect_uris=tuple(record["redirect_uris"]),
            kind="registered",
            post_logout_redirect_uris=tuple(record["post_logout_redirect_uris"]),
            client_name=record["client_name"],
            logo_uri=record["logo_uri"],
            client_uri=record["client_uri"],
            auth_method=record["token_endpoint_auth_method"],
            secret_hash=record["secret_hash"],
            grant_types=tuple(record["grant_types"]),
        )
