"""Checking an authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636 §4.3, RFC 9449 §10).

Two kinds of refusal: before the client and its redirect URI are established the app cannot be
trusted with a redirect, so the person sees an error page (OAuthError, RFC 6749 §4.1.2.1); after,
the error goes back to the app by redirect (AuthorizationError).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from multidict import MultiMapping

from pod.idp.oidc.client_lookup import ClientLookup
from pod.idp.oidc.clients import Client
from pod.idp.oidc.errors import OAuthError
from pod.idp.oidc.pkce import is_s256_challenge

SUPPORTED_SCOPES = ("openid", "webid", "offline_access", "profile")
PROMPTS = frozenset({"none", "login", "consent", "select_account"})
_THUMBPRINT = re.compile(r"[A-Za-z0-9_-]{43}")


class AuthorizationError(Exception):
    """An error the app is told about at its (verified) redirect URI."""

    def __init__(
        self, error: str, description: str, redirect_uri: str = "", state: str | None = None
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.redirect_uri = redirect_uri
        self.state = state

    def location(self, issuer: str) -> str:
        """RFC 6749 §4.1.2.1 with RFC 9207 §2: error, error_description, state and iss."""
        params = {"error": self.error, "error_description": self.description}
        if self.state is not None:
            params["state"] = self.state
        params["iss"] = issuer
        return add_query(self.redirect_uri, params)


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    client: Client
    redirect_uri: str
    state: str | None
    scopes: tuple[str, ...]
    code_challenge: str
    nonce: str | None
    prompt: frozenset[str]
    dpop_jkt: str | None

    def redirect(self, issuer: str, **params: str) -> str:
        """The redirect URI with the response parameters, `state` and (RFC 9207 §2) `iss`."""
        if self.state is not None:
            params["state"] = self.state
        params["iss"] = issuer
        return add_query(self.redirect_uri, params)


def add_query(url: str, params: Mapping[str, str]) -> str:
    # RFC 6749 §3.1.2: the redirect URI's own query is kept; ours is added to it.
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _single(params: MultiMapping[str], name: str) -> str | None:
    values = params.getall(name, [])
    if len(values) > 1:
        # RFC 6749 §3.1: request parameters must not be included more than once.
        raise OAuthError("invalid_request", f"the parameter {name} is given more than once")
    return values[0] if values else None


async def parse_authorization_request(
    params: MultiMapping[str], clients: ClientLookup
) -> AuthorizationRequest:
    client = await clients.find(_single(params, "client_id") or "")
    redirect_uri = _single(params, "redirect_uri")
    # OIDC Core §3.1.2.1: redirect_uri is required; RFC 6749 §3.1.2.3: compared as exact strings.
    if not redirect_uri:
        raise OAuthError("invalid_request", "redirect_uri is missing")
    if redirect_uri not in client.redirect_uris:
        raise OAuthError(
            "invalid_request",
            f"the redirect_uri {redirect_uri[:200]} is not registered for {client.display_name}",
        )
    state: str | None = None
    try:
        state = _single(params, "state")
        for name in set(params.keys()):
            _single(params, name)
        return _check_rest(params, client, redirect_uri, state)
    except (OAuthError, AuthorizationError) as error:
        raise AuthorizationError(error.error, error.description, redirect_uri, state) from error


def _check_rest(
    params: MultiMapping[str], client: Client, redirect_uri: str, state: str | None
) -> AuthorizationRequest:
    def get(name: str) -> str | None:
        values = params.getall(name, [])
        return values[0] if values else None

    # OIDC Core §6.1/§6.2: request objects are optional, and not supported here.
    if get("request") is not None:
        raise AuthorizationError("request_not_supported", "request objects are not supported")
    if get("request_uri") is not None:
        raise AuthorizationError("request_uri_not_supported", "request_uri is not supported")
    # RFC 6749 §4.1.1: the authorization code flow is response_type=code; the only one offered.
    if get("response_type") != "code":
        raise AuthorizationError("unsupported_response_type", "response_type must be code")
    if get("response_mode") not in (None, "query"):
        raise AuthorizationError("invalid_request", "response_mode must be query")
    requested = (get("scope") or "").split()
    # OIDC Core §3.1.2.1: an OpenID request has the openid scope.
    if "openid" not in requested:
        raise AuthorizationError("invalid_scope", "the scope must include openid")
    # RFC 6749 §3.3: scopes this provider does not know are left out of the grant, not an error.
    scopes = [scope for scope in SUPPORTED_SCOPES if scope in requested]
    if "offline_access" in scopes and "refresh_token" not in client.grant_types:
        scopes.remove("offline_access")
    # RFC 7636 §4.3 and Solid-OIDC §3: PKCE is required, and only S256 (plain is refused, §7.2).
    challenge = get("code_challenge")
    method = get("code_challenge_method")
    if not challenge:
        raise AuthorizationError("invalid_request", "code_challenge is required (PKCE with S256)")
    if method != "S256":
        raise AuthorizationError(
            "invalid_request", "code_challenge_method must be S256 (plain is not supported)"
        )
    if not is_s256_challenge(challenge):
        raise AuthorizationError("invalid_request", "code_challenge is not a base64url SHA-256 value")
    prompt = frozenset((get("prompt") or "").split())
    if not prompt <= PROMPTS or ("none" in prompt and len(prompt) > 1):
        raise AuthorizationError("invalid_request", "prompt has an unknown value or none with another")
    dpop_jkt = get("dpop_jkt")
    # RFC 9449 §10: the code is bound to the DPoP key whose thumbprint the request names.
    if dpop_jkt is not None and not _THUMBPRINT.fullmatch(dpop_jkt):
        raise AuthorizationError("invalid_request", "dpop_jkt is not a JWK SHA-256 thumbprint")
    nonce = get("nonce")
    return AuthorizationRequest(
        client=client,
        redirect_uri=redirect_uri,
        state=state,
        scopes=tuple(scopes),
        code_challenge=challenge,
        nonce=nonce,
        prompt=prompt,
        dpop_jkt=dpop_jkt,
    )
