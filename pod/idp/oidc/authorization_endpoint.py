"""The authorization endpoint and the consent screen: from an app's request to a code at its redirect URI.

GET (or POST, OIDC Core §3.1.2.1) /.oidc/auth checks the request, sends a browser that is not logged
in to the login page (which brings it back), and shows the consent screen — unless this WebID
already approved this app. POST /.oidc/consent records the answer and redirects to the app with
a code, the state and the issuer (RFC 9207).
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDict, MultiMapping

from pod.idp.oidc.authorization_request import (
    AuthorizationError,
    AuthorizationRequest,
    parse_authorization_request,
)
from pod.idp.oidc.client_lookup import ClientLookup
from pod.idp.oidc.codes import AuthorizationCodes, Grant
from pod.idp.oidc.consents import Consents
from pod.idp.oidc.errors import OAuthError
from pod.idp.oidc.pages import consent_page, error_page
from pod.idp.oidc.transient import Expiring
from pod.idp.sessions import SESSIONS
from pod.wac.origins import normalize_origin


@dataclass(frozen=True, slots=True)
class _PendingConsent:
    request: AuthorizationRequest
    account_id: str
    csrf: str


async def _form(request: web.Request) -> MultiDict[str]:
    """The text fields of a posted form (file uploads have no place in these forms)."""
    posted = await request.post()
    return MultiDict((name, value) for name, value in posted.items() if isinstance(value, str))


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


class AuthorizationEndpoint:
    def __init__(
        self,
        *,
        issuer: str,
        auth_url: str,
        consent_url: str,
        clients: ClientLookup,
        consents: Consents,
        codes: AuthorizationCodes,
        interaction_ttl: float,
    ) -> None:
        self.issuer = issuer
        self.auth_url = auth_url
        self.consent_url = consent_url
        self.clients = clients
        self.consents = consents
        self.codes = codes
        self._pending: Expiring[_PendingConsent] = Expiring(interaction_ttl, max_entries=10_000)

    async def authorize(self, request: web.Request) -> web.StreamResponse:
        params = request.query if request.method == "GET" else await _form(request)
        try:
            auth = await parse_authorization_request(params, self.clients)
        except OAuthError as error:
            # RFC 6749 §4.1.2.1: never redirect to an unverified redirect URI; tell the person.
            return error_page("The app's request cannot be used", error.error, error.description)
        except AuthorizationError as error:
            return _see_other(error.location(self.issuer))
        return await self._authorize(request, auth, params)

    async def _authorize(
        self, request: web.Request, auth: AuthorizationRequest, params: MultiMapping[str]
    ) -> web.StreamResponse:
        sessions = request.app[SESSIONS]
        account = await sessions.account_of(request)
        if account is None:
            # OIDC Core §3.1.2.1: prompt=none must not show a login page.
            if "none" in auth.prompt:
                return self._error(auth, "login_required", "nobody is logged in")
            query = urlencode(list(params.items()))
            return _see_other(sessions.login_url(f"{self.auth_url}?{query}"))
        if not account.webids:
            return self._error(auth, "access_denied", "the account has no WebID to log in with")
        known = len(account.webids) == 1 and await self.consents.approved(
            account.webids[0], auth.client.client_id
        )
        if known and "consent" not in auth.prompt and "select_account" not in auth.prompt:
            return self._grant(auth, account.id, account.webids[0])
        if "none" in auth.prompt:
            return self._error(auth, "consent_required", "the app has not been approved yet")
        interaction, csrf = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self._pending.put(interaction, _PendingConsent(auth, account.id, csrf))
        return consent_page(
            action=self.consent_url,
            client=auth.client,
            redirect_uri=auth.redirect_uri,
            webids=account.webids,
            scopes=auth.scopes,
            interaction=interaction,
            csrf=csrf,
        )

    async def consent(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        interaction, csrf = form.get("interaction"), form.get("csrf")
        if not isinstance(interaction, str) or not isinstance(csrf, str):
            return error_page("Not a consent form", "invalid_request", "the form is missing its fields")
        # A cross-site form post is refused: only this server's own pages post here.
        origin = request.headers.get("Origin")
        if origin is not None and normalize_origin(origin) != normalize_origin(self.issuer):
            return error_page("Refused", "access_denied", "the form was sent from another site", status=403)
        pending = self._pending.get(interaction)
        if pending is None:
            return error_page(
                "This page has expired", "invalid_request", "go back to the app and log in again", status=400
            )
        account = await request.app[SESSIONS].account_of(request)
        # CSRF: the token of this screen, shown only to the account it was made for.
        if (
            account is None
            or account.id != pending.account_id
            or not hmac.compare_digest(csrf.encode(), pending.csrf.encode())
        ):
            return error_page("Refused", "access_denied", "this consent screen is not yours", status=403)
        self._pending.pop(interaction)
        auth = pending.request
        if form.get("decision") != "allow":
            return self._error(auth, "access_denied", "the person did not allow the app")
        webid = form.get("webid")
        if not isinstance(webid, str) or webid not in account.webids:
            return error_page("Unknown WebID", "invalid_request", "choose one of your WebIDs")
        await self.consents.approve(webid, auth.client.client_id, auth.redirect_uri)
        return self._grant(auth, account.id, webid)

    def _grant(self, auth: AuthorizationRequest, account_id: str, webid: str) -> web.Response:
        code = self.codes.issue(
            Grant(
                client_id=auth.client.client_id,
                redirect_uri=auth.redirect_uri,
                code_challenge=auth.code_challenge,
                account_id=account_id,
                webid=webid,
                scope=auth.scopes,
                nonce=auth.nonce,
                auth_time=int(time.time()),
                dpop_jkt=auth.dpop_jkt,
            )
        )
        # RFC 6749 §4.1.2 with RFC 9207 §2: code, state and iss.
        return _see_other(auth.redirect(self.issuer, code=code))

    def _error(self, auth: AuthorizationRequest, error: str, description: str) -> web.Response:
        # RFC 6749 §4.1.2.1: errors after the redirect URI is verified go back to the app.
        return _see_other(
            AuthorizationError(error, description, auth.redirect_uri, auth.state).location(self.issuer)
        )
