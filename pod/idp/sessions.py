"""Login sessions: a signed, HttpOnly, SameSite=Lax cookie (or a CSS-Account-Token header), and CSRF tokens.

A session token is `v1.{account id}.{issued ns}.{nonce}.{HMAC}`, signed with a key kept in
the internal state (`$pod/session-key`). Nothing per session is stored: a token is valid while
its signature checks, it is younger than MAX_AGE, and its account has not ended its sessions
since it was issued (logout, password change — `Accounts.end_sessions`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit

from aiohttp import web

from pod.http.authentication import OtherScheme
from pod.idp.accounts import Account, Accounts
from pod.storage.internal import InternalState

COOKIE = "pod-account"
CSRF_COOKIE = "pod-csrf"
MAX_AGE = 14 * 24 * 3600
KEY_NAME = "session-key"
# CSS v7 account API: `Authorization: CSS-Account-Token <token>` does what the cookie does.
TOKEN_SCHEME = "css-account-token"
ACCOUNT_TOKEN = web.RequestKey("account_token", str)
# The account API's credential, not Solid-OIDC's: the authentication middleware hands it over.
ACCOUNT_TOKEN_SCHEME = OtherScheme(ACCOUNT_TOKEN)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class SessionToken:
    account_id: str
    issued_ns: int
    nonce: str


class Sessions:
    """Issues and checks session tokens and the CSRF tokens bound to them."""

    def __init__(self, accounts: Accounts, state: InternalState, base_url: str) -> None:
        self.accounts = accounts
        self.state = state
        self._signing_key: bytes | None = None
        self.base_url = base_url
        parts = urlsplit(base_url)
        self.cookie_path = parts.path or "/"
        self.secure = parts.scheme == "https"

    async def start(self) -> None:
        """Load the signing key, made on first start and kept in the internal state (shared with the CLI)."""
        key = await self.state.read(KEY_NAME)
        if key is None:
            await self.state.create(KEY_NAME, secrets.token_bytes(32))
            key = await self.state.read(KEY_NAME)
        assert key is not None
        self._signing_key = key

    @property
    def _key(self) -> bytes:
        if self._signing_key is None:
            raise RuntimeError("Sessions.start() has not run")
        return self._signing_key

    # -- tokens -------------------------------------------------------------------------------

    def _mac(self, message: str) -> str:
        return _b64(hmac.new(self._key, message.encode("utf-8"), hashlib.sha256).digest())

    def issue(self, account: Account) -> str:
        # +1: a login in the same nanosecond as a logout must not be void.
        body = f"v1.{account.id}.{time.time_ns() + 1}.{secrets.token_urlsafe(12)}"
        return f"{body}.{self._mac(body)}"

    def parse(self, token: str | None) -> SessionToken | None:
        """The token's content when its signature checks and it has not expired."""
        if not token or len(token) > 300:
            return None
        body, _, mac = token.rpartition(".")
        if not hmac.compare_digest(self._mac(body), mac):
            return None
        version, account_id, issued, nonce = [*body.split("."), "", "", "", ""][:4]
        if version != "v1" or not issued.isdigit():
            return None
        if time.time_ns() - int(issued) > MAX_AGE * 1_000_000_000:
            return None
        return SessionToken(account_id, int(issued), nonce)

    async def account_for_token(self, token: str | None) -> Account | None:
        parsed = self.parse(token)
        if parsed is None:
            return None
        after = await self.accounts.sessions_after(parsed.account_id)
        if after is None or parsed.issued_ns <= after:
            return None
        return await self.accounts.get(parsed.account_id)

    def token_of(self, request: web.Request, *, cookie: bool = True) -> str | None:
        """The session token a request carries: the CSS-Account-Token header, else the cookie."""
        header: str | None = request.get(ACCOUNT_TOKEN)
        if header is not None:
            return header
        return request.cookies.get(COOKIE) if cookie else None

    async def account_of(self, request: web.Request) -> Account | None:
        """The account logged in on this request, or None."""
        return await self.account_for_token(self.token_of(request))

    # -- cookies ------------------------------------------------------------------------------

    def set_cookie(self, response: web.StreamResponse, token: str) -> None:
        response.set_cookie(
            COOKIE,
            token,
            max_age=MAX_AGE,
            path=self.cookie_path,
            httponly=True,
            samesite="Lax",
            secure=self.secure,
        )

    def log_in(self, response: web.StreamResponse, account: Account) -> str:
        """Start a session for `account` on this response; returns its token."""
        token = self.issue(account)
        self.set_cookie(response, token)
        return token

    def log_out(self, response: web.StreamResponse) -> None:
        """Forget the session in this browser (`Accounts.end_sessions` ends it everywhere)."""
        response.del_cookie(COOKIE, path=self.cookie_path)

    # -- CSRF ---------------------------------------------------------------------------------

    def _binding(self, request: web.Request) -> str | None:
        parsed = self.parse(request.cookies.get(COOKIE))
        if parsed is not None:
            return "session." + parsed.nonce
        pre = request.cookies.get(CSRF_COOKIE)
        return "pre." + pre if pre and len(pre) <= 64 else None

    def csrf_token(self, request: web.Request, response: web.StreamResponse) -> str:
        """The token a form must send back: bound to the session, or to a pre-session cookie."""
        binding = self._binding(request)
        if binding is None:
            pre = secrets.token_urlsafe(24)
            response.set_cookie(
                CSRF_COOKIE, pre, path=self.cookie_path, httponly=True, samesite="Lax", secure=self.secure
            )
            binding = "pre." + pre
        return self._mac("csrf." + binding)

    def csrf_ok(self, request: web.Request, token: str | None) -> bool:
        binding = self._binding(request)
        if binding is None or not token:
            return False
        return hmac.compare_digest(self._mac("csrf." + binding), token)

    # -- where to go after logging in ---------------------------------------------------------

    def safe_return_to(self, value: str | None) -> str | None:
        """`value` as an absolute URL when it is under this server's base URL; None otherwise.

        Never an open redirect: other hosts, schemes, `//host` and backslash tricks are refused.
        """
        if not value or len(value) > 2000 or any(c in value for c in "\\\r\n\t\0"):
            return None
        absolute = urljoin(self.base_url, value)
        target, base = urlsplit(absolute), urlsplit(self.base_url)
        if (target.scheme, target.netloc) != (base.scheme, base.netloc):
            return None
        if not target.path.startswith(self.cookie_path):
            return None
        return absolute

    def login_url(self, return_to: str | None = None) -> str:
        """The login page, coming back to `return_to` afterwards (the OpenID provider uses this)."""
        url = self.base_url + ".account/login/password/"
        return url + "?" + urlencode({"returnTo": return_to}) if return_to else url


SESSIONS = web.AppKey("sessions", Sessions)


async def account_of(request: web.Request) -> Account | None:
    """The account logged in on this request (by cookie or CSS-Account-Token), or None."""
    return await request.app[SESSIONS].account_of(request)


def log_in(request: web.Request, response: web.StreamResponse, account: Account) -> str:
    """Start a session for `account`: sets the cookie on `response`, returns the token."""
    return request.app[SESSIONS].log_in(response, account)


def log_out(request: web.Request, response: web.StreamResponse) -> None:
    request.app[SESSIONS].log_out(response)
