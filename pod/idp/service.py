"""The account service: the objects the API and the pages share, and the registration policy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from pod.errors import BadRequest, Forbidden, PayloadTooLarge, UnsupportedMediaType
from pod.http import conneg
from pod.idp.accounts import Account, Accounts
from pod.idp.pods import Pods
from pod.idp.sessions import Sessions

MAX_JSON = 64 * 1024
JSON = "application/json"
HTML = "text/html"
FORM = "application/x-www-form-urlencoded"

REGISTRATION_POLICIES = ("open", "invite", "closed")


@dataclass(frozen=True)
class AccountService:
    accounts: Accounts
    sessions: Sessions
    pods: Pods
    base_url: str
    registration: str  # open | invite | closed

    @property
    def api_root(self) -> str:
        return self.base_url + ".account/"

    def account_url(self, account_id: str, *rest: str) -> str:
        return self.api_root + "account/" + "".join(part + "/" for part in (account_id, *rest))

    async def check_registration(self, invite: object) -> None:
        """Refuse a new account unless the policy allows it; `invite` consumes a code when needed."""
        if self.registration == "closed":
            raise Forbidden("registration is closed on this server: ask its administrator for an account")
        if self.registration == "invite" and (
            not isinstance(invite, str) or not await self.accounts.use_invite(invite)
        ):
            raise Forbidden("registration needs a valid invitation code (`pod accounts invite`)")

    async def api_account(self, request: web.Request) -> Account | None:
        """The account of an API request: the CSS-Account-Token header, or the cookie when the
        request comes from this server's own pages (no cross-origin use of the cookie)."""
        origin = request.headers.get("Origin")
        own = self.base_url.split("/", 3)
        same_origin = origin is None or origin.rstrip("/") == f"{own[0]}//{own[2]}"
        return await self.sessions.account_for_token(self.sessions.token_of(request, cookie=same_origin))


SERVICE = web.AppKey("account_service", AccountService)


def wants_html(request: web.Request) -> bool:
    """Content negotiation between the JSON API and the pages: browsers ask for HTML first."""
    ranges = conneg.parse_accept(request.headers.get("Accept"))
    return conneg.negotiate(ranges, [JSON, HTML]) == HTML


def is_form(request: web.Request) -> bool:
    return conneg.essence(request.headers.get("Content-Type")) in (FORM, "multipart/form-data")


async def read_json(request: web.Request) -> dict[str, Any]:
    """A JSON object body; no body is `{}` (CSS scripts create accounts with an empty POST)."""
    if request.content_length is not None and request.content_length > MAX_JSON:
        raise PayloadTooLarge(f"account API bodies are limited to {MAX_JSON} bytes")
    data = await request.content.read(MAX_JSON + 1)
    if len(data) > MAX_JSON:
        raise PayloadTooLarge(f"account API bodies are limited to {MAX_JSON} bytes")
    if not data.strip():
        return {}
    media_type = conneg.essence(request.headers.get("Content-Type"))
    if media_type not in (None, JSON) and not (media_type or "").endswith("+json"):
        raise UnsupportedMediaType(f"the account API takes {JSON}, not {media_type}")
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"the body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def string_field(body: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadRequest(f"the field {name!r} must be a non-empty string")
    return value


def json_response(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(body),
        content_type=JSON,
        headers={"Cache-Control": "no-store", "Vary": "Accept, Authorization, Cookie"},
    )
