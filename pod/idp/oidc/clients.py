"""The apps that ask for tokens: who they are, where they may be sent back to, how they authenticate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from pod.config import LOOPBACK_HOSTS
from pod.wac.origins import normalize_origin

AuthMethod = Literal["none", "client_secret_basic", "client_secret_post"]
AUTH_METHODS: tuple[AuthMethod, ...] = ("none", "client_secret_basic", "client_secret_post")


@dataclass(frozen=True, slots=True)
class Client:
    client_id: str
    redirect_uris: tuple[str, ...]
    # "document": a Client ID Document (Solid-OIDC §5.1); "registered": RFC 7591 registration.
    kind: Literal["document", "registered"]
    post_logout_redirect_uris: tuple[str, ...] = ()
    client_name: str | None = None
    logo_uri: str | None = None
    client_uri: str | None = None
    auth_method: AuthMethod = "none"
    # SHA-256 of the secret of a confidential registered client (the secret itself is never kept).
    secret_hash: str | None = None
    grant_types: tuple[str, ...] = ("authorization_code", "refresh_token")

    @property
    def is_public(self) -> bool:
        return self.auth_method == "none"

    @property
    def display_name(self) -> str:
        return self.client_name or self.client_id


def is_url_client_id(client_id: str) -> bool:
    """Solid-OIDC §5: a client_id that is an http(s) URL names a Client ID Document."""
    return client_id.startswith(("https://", "http://"))


def is_acceptable_client_id_url(url: str) -> bool:
    """https; http only for loopback hosts (development), never with a fragment (Solid-OIDC §5.1.1)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.fragment or not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)


def is_redirect_uri(url: str) -> bool:
    """An absolute http(s) URL with no fragment (RFC 6749 §3.1.2)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.fragment


def origin_of(url: str) -> str:
    return normalize_origin(url)
