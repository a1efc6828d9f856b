"""Client authentication at the token endpoint (RFC 6749 §2.3): HTTP Basic, form secret, or none."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus, urlsplit

from aiohttp import web

from pod.http.authentication import OtherScheme
from pod.idp.oidc.clients import AuthMethod, Client
from pod.idp.oidc.errors import OAuthError, invalid_client, invalid_request
from pod.idp.oidc.registration import secret_matches

TOKEN_PATH = ".oidc/token"


@dataclass(frozen=True, slots=True)
class PresentedClient:
    """The client identity a token request carries (not yet checked)."""

    client_id: str
    secret: str | None
    method: AuthMethod

    @property
    def basic(self) -> bool:
        return self.method == "client_secret_basic"


CLIENT_BASIC = web.RequestKey("oidc_client_basic", str)


def client_basic_scheme(base_url: str) -> OtherScheme:
    """At the token endpoint `Authorization: Basic` authenticates an OAuth client (RFC 6749
    §2.3.1), not a Solid-OIDC agent: its value goes to request[CLIENT_BASIC]."""
    token_path = urlsplit(base_url).path + TOKEN_PATH
    return OtherScheme(CLIENT_BASIC, lambda request: request.path == token_path)


def presented_client(request: web.Request, form: Mapping[str, str]) -> PresentedClient:
    value = request.get(CLIENT_BASIC)
    form_id, form_secret = form.get("client_id"), form.get("client_secret")
    if value is not None:
        # RFC 6749 §2.3: one authentication method per request.
        if form_secret is not None:
            raise invalid_request("the client authenticates with both HTTP Basic and client_secret")
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise invalid_client("the Basic credentials are not base64", basic=True) from error
        client_id, colon, secret = decoded.partition(":")
        if not colon:
            raise invalid_client("the Basic credentials have no secret", basic=True)
        # RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding (CSS clients do this).
        client_id, secret = unquote_plus(client_id), unquote_plus(secret)
        if form_id is not None and form_id != client_id:
            raise invalid_request("client_id differs from the client of the Basic credentials")
        return PresentedClient(client_id, secret, "client_secret_basic")
    if not form_id:
        raise invalid_client("the request does not say which client it is from (client_id)")
    if form_secret is not None:
        return PresentedClient(form_id, form_secret, "client_secret_post")
    return PresentedClient(form_id, None, "none")


def authenticate(client: Client, presented: PresentedClient) -> None:
    """Refuse the request unless `presented` authenticates `client` the way it registered."""
    if client.is_public:
        if presented.secret is not None:
            raise invalid_client("this client is public: it has no secret", basic=presented.basic)
        return
    if presented.secret is None:
        raise invalid_client("this client must authenticate with its secret")
    # RFC 7591 §2: the client authenticates with the method it registered.
    if presented.method != client.auth_method:
        raise OAuthError("invalid_client", f"this client authenticates with {client.auth_method}", status=401)
    if not secret_matches(client, presented.secret):
        raise invalid_client("the client secret is wrong", basic=presented.basic)
