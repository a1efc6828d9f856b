"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): end the login session, then back to the app.

With a valid `id_token_hint` (an ID token this provider signed; expired is fine) the logout happens
at once; without one, the person confirms on a form first, so that another site cannot log them
out with a link. The app is redirected to only if it registered that `post_logout_redirect_uri`.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from pod.idp.oidc.authorization_request import add_query
from pod.idp.oidc.client_lookup import ClientLookup
from pod.idp.oidc.errors import OAuthError
from pod.idp.oidc.keys import ALGORITHM, SigningKeys
from pod.idp.oidc.pages import error_page, logged_out_page, logout_page
from pod.idp.sessions import SESSIONS

PASSED_ON = ("id_token_hint", "post_logout_redirect_uri", "client_id", "state")


class EndSession:
    def __init__(
        self, *, issuer: str, end_session_url: str, clients: ClientLookup, keys: SigningKeys
    ) -> None:
        self.issuer = issuer
        self.end_session_url = end_session_url
        self.clients = clients
        self.keys = keys

    async def _hinted_client(self, hint: str | None) -> str | None:
        """The azp of an ID token this provider signed, or None (a hint that does not verify is ignored)."""
        if not hint:
            return None
        try:
            keys = KeySet.import_key_set(await self.keys.jwks())  # type: ignore[arg-type]
            # Signature only: an expired ID token still names the app that asks for the logout.
            token = jwt.decode(hint, keys, algorithms=[ALGORITHM])
        except (JoseError, ValueError):
            return None
        azp = token.claims.get("azp")
        return azp if token.claims.get("iss") == self.issuer and isinstance(azp, str) else None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        params: Mapping[str, object] = request.query if request.method == "GET" else await request.post()
        values = {name: str(params[name]) for name in PASSED_ON if isinstance(params.get(name), str)}
        hinted = await self._hinted_client(values.get("id_token_hint"))
        client_id = values.get("client_id") or hinted
        # RP-Initiated Logout §2: client_id and the hint's audience must agree.
        if hinted is not None and client_id != hinted:
            return error_page("Logout refused", "invalid_request", "client_id is not the ID token's client")
        target = values.get("post_logout_redirect_uri")
        if target is not None:
            # RP-Initiated Logout §3: only to a post_logout_redirect_uri the client registered.
            if client_id is None:
                return error_page(
                    "Logout refused", "invalid_request", "a post_logout_redirect_uri needs a client_id"
                )
            try:
                client = await self.clients.find(client_id)
            except OAuthError as error:
                return error_page("Logout refused", error.error, error.description)
            if target not in client.post_logout_redirect_uris:
                return error_page(
                    "Logout refused",
                    "invalid_request",
                    "the post_logout_redirect_uri is not registered for the app",
                )
        sessions = request.app[SESSIONS]
        confirmed = request.method == "POST" and sessions.csrf_ok(request, str(params.get("csrf", "")))
        if hinted is None and not confirmed:
            # RP-Initiated Logout §2 (id_token_hint absent): the OP asks the person first.
            # The CSRF token may come with a pre-session cookie: made on a carrier, moved to the page.
            carrier = web.Response()
            page = logout_page(
                action=self.end_session_url, params=values, csrf=sessions.csrf_token(request, carrier)
            )
            for name, morsel in carrier.cookies.items():
                page.cookies[name] = morsel
            return page
        response: web.Response
        if target is not None:
            state = values.get("state")
            response = web.Response(
                status=303, headers={"Location": add_query(target, {"state": state} if state else {})}
            )
        else:
            response = logged_out_page()
        sessions.log_out(response)
        return response
