"""Claim codes: how a person takes over an account that was made for them without a login.

`pod import --from-css/--from-nss` gives each migrated pod an account with no password (the old
server's password hashes are not imported) and prints a one-time code for it. The person opens
`/.account/login/claim/`, gives the code, an email address and a password, and the account (its
pod and WebID) is theirs, logged in. A code is kept only as its hash, works once, expires after
CLAIM_DAYS, and `pod accounts claim-code POD` makes a new one (the older one stops working).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time

from aiohttp import web

from pod.errors import BadRequest, Conflict, NotFound, PodError, Unauthorized
from pod.idp.accounts import Account, Accounts
from pod.idp.html import field, form, link, message, page
from pod.idp.pages import _form, _text  # the pages' CSRF-checked form reading
from pod.idp.service import (
    SERVICE,
    AccountService,
    is_form,
    json_response,
    read_json,
    string_field,
    wants_html,
)

FOLDER = "claims"
CLAIM_DAYS = 30
PATH = "login/claim/"
UNKNOWN = "this claim code is unknown or used already"


def _key(code: str) -> str:
    return f"{FOLDER}/{hashlib.sha256(code.strip().encode('utf-8')).hexdigest()}.json"


class Claims:
    """The claim codes of accounts without a login, in the internal state (`claims/`)."""

    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts
        self.state = accounts.state

    async def issue(self, account_id: str, days: int = CLAIM_DAYS) -> str:
        """A new code for the account; an earlier one stops working. 409 if it has a login."""
        if await self.accounts.get(account_id) is None:
            raise NotFound("there is no such account")
        if await self.accounts.password_login_id(account_id) is not None:
            raise Conflict("this account has a login already: it cannot be claimed")
        for key in await self.state.keys(FOLDER):
            data = await self.state.read(key)
            if data is not None and json.loads(data).get("account") == account_id:
                await self.state.delete(key)
        code = secrets.token_urlsafe(24)
        body = {"account": account_id, "expires": int(time.time()) + days * 86400}
        await self.state.write(_key(code), json.dumps(body).encode("utf-8"))
        return code

    async def redeem(self, code: str, email: str, password: str) -> Account:
        """Give the code's account this email/password login; the code is used up."""
        if not code.strip() or len(code) > 200:
            raise Unauthorized(UNKNOWN)
        key = _key(code)
        data = await self.state.read(key)
        if data is None:
            raise Unauthorized(UNKNOWN)
        claim = json.loads(data)
        if int(claim.get("expires", 0)) < time.time():
            await self.state.delete(key)
            raise Unauthorized("this claim code has expired: ask the server's operator for a new one")
        account_id = str(claim.get("account"))
        if await self.accounts.get(account_id) is None:
            await self.state.delete(key)
            raise Unauthorized(UNKNOWN)
        # add_password refuses a second login (409), so two people racing with one code get one account.
        account = await self.accounts.add_password(account_id, email, password)
        await self.state.delete(key)
        return account


def claim_url(service: AccountService) -> str:
    return service.api_root + PATH


async def claim(request: web.Request) -> web.StreamResponse:
    """GET: the claim page (HTML) or a description of the fields (JSON).
    POST: a form (logs in, then the dashboard) or JSON `{code, email, password}` → `{authorization}`."""
    service: AccountService = request.app[SERVICE]
    claims = Claims(service.accounts)
    if request.method == "GET":
        if wants_html(request):
            return _page(request, web.Response())
        fields = {name: {"required": True, "type": "string"} for name in ("code", "email", "password")}
        return json_response({"fields": fields})
    if not is_form(request):
        body = await read_json(request)
        account = await claims.redeem(
            string_field(body, "code"), string_field(body, "email"), string_field(body, "password")
        )
        response = json_response({})
        token = service.sessions.log_in(response, account)
        answer = json_response({"authorization": token})
        for cookie in response.cookies.values():
            answer.cookies[cookie.key] = cookie
        return answer
    try:
        data = await _form(request)
        if _text(data, "password") != _text(data, "confirm"):
            raise BadRequest("the two passwords differ")
        account = await claims.redeem(_text(data, "code"), _text(data, "email"), _text(data, "password"))
    except PodError as error:
        return _page(request, web.Response(status=error.status), error=error.detail)
    redirect = web.Response(
        status=303, headers={"Location": service.account_url(account.id), "Cache-Control": "no-store"}
    )
    service.sessions.log_in(redirect, account)
    return redirect


def _page(request: web.Request, response: web.Response, *, error: str = "") -> web.Response:
    service: AccountService = request.app[SERVICE]
    csrf = service.sessions.csrf_token(request, response)
    content = field("code", "Claim code (from the server's operator)", autocomplete="off")
    content += field("email", "Your email address", kind="email", autocomplete="username")
    content += field(
        "password", "A password (at least 8 characters)", kind="password", autocomplete="new-password"
    )
    content += field("confirm", "The password again", kind="password", autocomplete="new-password")
    body = (
        "<p>Your pod was moved to this server. Give the claim code you received, and choose the email "
        "address and password you will log in with.</p>"
        + message(error, error=True)
        + form(claim_url(service), csrf, content, "Claim my account")
        + f"<p>{link(service.sessions.login_url(), 'Log in')} instead.</p>"
    )
    rendered = page("Claim your account", body, status=response.status)
    for cookie in response.cookies.values():
        rendered.cookies[cookie.key] = cookie
    return rendered
