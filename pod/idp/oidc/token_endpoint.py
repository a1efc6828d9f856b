"""The token endpoint (RFC 6749 §3.2): codes, refresh tokens and client credentials become DPoP-bound tokens.

Every request carries a DPoP proof (Solid-OIDC §8): the access token (and the refresh token of a
public client) is bound to the proof's key. Checks come before any change, so a refused request
spends nothing but its proof and — for a replayed code — the tokens that code already gave.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from aiohttp import web

from pod.idp.accounts import Accounts
from pod.idp.oidc.client_auth import PresentedClient, authenticate, presented_client
from pod.idp.oidc.client_lookup import ClientLookup
from pod.idp.oidc.clients import Client
from pod.idp.oidc.codes import AuthorizationCodes, CodeReplayed
from pod.idp.oidc.dpop import TokenEndpointProofs
from pod.idp.oidc.errors import NO_STORE, OAuthError, invalid_client, invalid_grant, invalid_request
from pod.idp.oidc.pkce import verifier_matches
from pod.idp.oidc.policy import Lifetimes
from pod.idp.oidc.refresh import RefreshGrant, RefreshTokens
from pod.idp.oidc.tokens import Subject, TokenIssuer
from pod.idp.ratelimit import RateLimiter, SlidingWindowLimiter
from pod.idp.sessions import SESSIONS

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
# The refusals a guess earns: a wrong client secret, an unknown code or refresh token.
GUESSABLE_ERRORS = frozenset({"invalid_client", "invalid_grant"})
FAILURES_ALLOWED = 20
FAILURE_WINDOW = 300.0
FORM = "application/x-www-form-urlencoded"


def _token_response(body: dict[str, Any]) -> web.Response:
    return web.Response(text=json.dumps(body), content_type="application/json", headers=NO_STORE)


class TokenEndpoint:
    def __init__(
        self,
        *,
        clients: ClientLookup,
        codes: AuthorizationCodes,
        refresh_tokens: RefreshTokens,
        proofs: TokenEndpointProofs,
        issuer: TokenIssuer,
        lifetimes: Lifetimes,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.clients = clients
        self.codes = codes
        self.refresh_tokens = refresh_tokens
        self.proofs = proofs
        self.issuer = issuer
        self.lifetimes = lifetimes
        # Failed client authentications and grants per client address: guessing a client
        # secret, a code or a refresh token costs an attacker FAILURES_ALLOWED tries per window.
        self.limiter: RateLimiter = limiter or SlidingWindowLimiter(FAILURES_ALLOWED, FAILURE_WINDOW)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        key = f"token:{request.remote or 'unknown'}"
        wait = self.limiter.retry_after(key)
        if wait is not None:
            # RFC 6585 §4: too many requests; Retry-After says when this address may try again.
            return OAuthError(
                "invalid_request",
                f"too many failed token requests: try again in {wait} seconds",
                status=429,
                headers={"Retry-After": str(wait)},
            ).response()
        try:
            return await self._handle(request)
        except OAuthError as error:
            if error.error in GUESSABLE_ERRORS:
                self.limiter.failed(key)
            return error.response()

    async def _handle(self, request: web.Request) -> web.Response:
        # RFC 6749 §3.2: parameters are sent form-encoded in the body.
        if request.content_type != FORM:
            raise invalid_request(f"the token request must be {FORM}")
        posted = await request.post()
        form: dict[str, str] = {}
        for name in set(posted.keys()):
            values = posted.getall(name)
            # RFC 6749 §3.2: parameters must not be included more than once.
            if len(values) > 1 or not isinstance(values[0], str):
                raise invalid_request(f"the parameter {name} is given more than once")
            form[name] = values[0]
        grant_type = form.get("grant_type")
        if not grant_type:
            raise invalid_request("grant_type is missing")
        if grant_type not in GRANT_TYPES:
            raise OAuthError("unsupported_grant_type", f"grant_type {grant_type[:50]!r} is not supported")
        presented = presented_client(request, form)
        accounts = request.app[SESSIONS].accounts
        if grant_type == "client_credentials":
            return await self._client_credentials(request, presented, accounts)
        client = await self._client(presented)
        if grant_type not in client.grant_types:
            raise OAuthError("unauthorized_client", f"this client may not use the {grant_type} grant")
        jkt = await self.proofs.thumbprint(request.headers)
        if grant_type == "authorization_code":
            return await self._authorization_code(form, client, jkt, accounts)
        return await self._refresh(form, client, jkt, accounts)

    async def _client(self, presented: PresentedClient) -> Client:
        try:
            client = await self.clients.find(presented.client_id)
        except OAuthError as error:
            raise invalid_client(error.description, basic=presented.basic) from error
        authenticate(client, presented)
        return client

    async def _authorization_code(
        self, form: dict[str, str], client: Client, jkt: str, accounts: Accounts
    ) -> web.Response:
        code, redirect_uri, verifier = form.get("code"), form.get("redirect_uri"), form.get("code_verifier")
        if not code or not redirect_uri:
            raise invalid_request("code and redirect_uri are required")
        # RFC 7636 §4.5: the verifier is required (PKCE is required here).
        if not verifier:
            raise invalid_request("code_verifier is required")
        try:
            grant = self.codes.redeem(code)
        except CodeReplayed as replayed:
            # RFC 6749 §4.1.2: a code used twice is refused, and what it gave is revoked.
            if replayed.family is not None:
                await self.refresh_tokens.revoke(replayed.family)
            raise invalid_grant("the authorization code was already used; its tokens are revoked") from None
        if grant is None:
            raise invalid_grant("the authorization code is unknown or expired")
        # RFC 6749 §4.1.3: the code was issued to this client, for this redirect URI.
        if grant.client_id != client.client_id:
            raise invalid_grant("the authorization code was issued to another client")
        if grant.redirect_uri != redirect_uri:
            raise invalid_grant("redirect_uri differs from the one of the authorization request")
        # RFC 7636 §4.6: the verifier matches the challenge.
        if not verifier_matches(verifier, grant.code_challenge):
            raise invalid_grant("the code_verifier does not match the code_challenge")
        # RFC 9449 §10: a code bound to a DPoP key is exchanged only with a proof by that key.
        if grant.dpop_jkt is not None and not hmac.compare_digest(grant.dpop_jkt.encode(), jkt.encode()):
            raise invalid_grant(
                "the DPoP proof key is not the one the authorization request named (dpop_jkt)"
            )
        account = await accounts.get(grant.account_id)
        if account is None or grant.webid not in account.webids:
            raise invalid_grant("the account or WebID of this authorization no longer exists")
        subject = Subject(grant.webid, client.client_id, jkt, " ".join(grant.scope))
        access = await self.issuer.access_token(subject)
        body = self._access_body(access, subject)
        if "openid" in grant.scope:
            body["id_token"] = await self.issuer.id_token(
                subject, access_token=access, nonce=grant.nonce, auth_time=grant.auth_time
            )
        # OIDC Core §11: refresh tokens only when offline_access was granted.
        if "offline_access" in grant.scope:
            # RFC 9449 §5: a public client's refresh tokens are bound to its DPoP key.
            family, body["refresh_token"] = await self.refresh_tokens.start(
                RefreshGrant(
                    client.client_id,
                    grant.account_id,
                    grant.webid,
                    grant.scope,
                    grant.auth_time,
                    jkt if client.is_public else None,
                )
            )
            self.codes.record_family(code, family)
        return _token_response(body)

    async def _refresh(
        self, form: dict[str, str], client: Client, jkt: str, accounts: Accounts
    ) -> web.Response:
        token = form.get("refresh_token")
        if not token:
            raise invalid_request("refresh_token is required")
        asked = tuple(form["scope"].split()) if "scope" in form else None
        grant, next_token = await self.refresh_tokens.rotate(token, client.client_id, jkt, asked)
        account = await accounts.get(grant.account_id)
        if account is None or grant.webid not in account.webids:
            raise invalid_grant("the account or WebID of this grant no longer exists")
        scope = grant.scope if asked is None else tuple(s for s in grant.scope if s in asked)
        subject = Subject(grant.webid, client.client_id, jkt, " ".join(scope))
        access = await self.issuer.access_token(subject)
        body: dict[str, Any] = self._access_body(access, subject)
        if "openid" in scope:
            body["id_token"] = await self.issuer.id_token(
                subject, access_token=access, nonce=None, auth_time=grant.auth_time
            )
        body["refresh_token"] = next_token
        return _token_response(body)

    def _access_body(self, access: str, subject: Subject) -> dict[str, Any]:
        # RFC 9449 §5: a DPoP-bound token is of token_type DPoP.
        return {
            "access_token": access,
            "token_type": "DPoP",
            "expires_in": self.lifetimes.access_token,
            "scope": subject.scope,
        }

    async def _client_credentials(
        self, request: web.Request, presented: PresentedClient, accounts: Accounts
    ) -> web.Response:
        if presented.secret is None:
            raise invalid_client("client_credentials needs the credential's id and secret")
        credential = await accounts.verify_client_credential(presented.client_id, presented.secret)
        if credential is None:
            registered = await self.clients.registered.get(presented.client_id)
            if registered is not None:
                # RFC 6749 §4.4: only account client credentials may use this grant.
                raise OAuthError(
                    "unauthorized_client", "this client may not use the client_credentials grant"
                )
            raise invalid_client("the client id or secret is wrong", basic=presented.basic)
        jkt = await self.proofs.thumbprint(request.headers)
        # As CSS: a token for the WebID the credential is bound to, the credential id as client_id.
        subject = Subject(credential.webid, credential.id, jkt, "webid")
        access = await self.issuer.access_token(subject)
        return _token_response(self._access_body(access, subject))
