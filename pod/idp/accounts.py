"""The account store: email/password logins, WebIDs, pods and client credentials of each account.

Accounts live in the internal state (`$pod/accounts/{id}.json`), never under an LDP URL, with
small index documents (`logins/`, `webids/`, `clients/`) so that a login, a WebID or a client
id finds its account in one read. An index entry is claimed with an exclusive create, so two
processes can never give one email address to two accounts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from pod.errors import BadRequest, Conflict, NotFound, TooManyRequests, Unauthorized
from pod.idp import passwords
from pod.idp.ratelimit import RateLimiter, SlidingWindowLimiter
from pod.storage.internal import InternalState

# Deliberately one message for an unknown email and a wrong password: it tells an attacker nothing.
WRONG_LOGIN = "the email address or the password is wrong"
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,63}|[^@\s]{1,64}@localhost")
_NAME = re.compile(r"[^\w.-]+")
MAX_NAME = 100
LOCK = "accounts"


@dataclass(frozen=True)
class Account:
    id: str
    email: str  # "" until a password login is added (CSS: an account is created before its login)
    webids: tuple[str, ...]
    pods: tuple[str, ...]


@dataclass(frozen=True)
class ClientCredential:
    id: str  # the OAuth client_id
    webid: str
    account_id: str
    name: str


@dataclass
class _Credential:
    resource: str  # the id in the API's resource URL
    client_id: str
    name: str
    webid: str
    secret_hash: str


@dataclass
class _Record:
    """An account as stored."""

    id: str
    email: str = ""
    login: str = ""  # the id in the password login's resource URL
    password: str | None = None
    webids: dict[str, str] = field(default_factory=dict)  # link id -> WebID
    pods: dict[str, str] = field(default_factory=dict)  # pod id -> pod URL
    credentials: list[_Credential] = field(default_factory=list)
    created: int = 0
    # Sessions issued before this instant (ns) are no longer valid: logout, password change.
    sessions_after: int = 0

    def public(self) -> Account:
        return Account(self.id, self.email, tuple(self.webids.values()), tuple(self.pods.values()))

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=1).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> _Record:
        raw: dict[str, Any] = json.loads(data)
        raw["credentials"] = [_Credential(**c) for c in raw.get("credentials", [])]
        return cls(**raw)


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise BadRequest(f"not an email address: {email[:100]!r}")
    return email


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _new_id() -> str:
    return str(uuid.uuid4())


class Accounts:
    """Accounts in the internal state; every method is one step the API, the pages or the CLI take."""

    def __init__(self, state: InternalState, limiter: RateLimiter | None = None) -> None:
        self.state = state
        self.limiter: RateLimiter = limiter or SlidingWindowLimiter()

    # -- reading ------------------------------------------------------------------------------

    async def _record(self, account_id: str) -> _Record | None:
        if not re.fullmatch(r"[0-9a-f-]{36}", account_id):
            return None
        data = await self.state.read(f"accounts/{account_id}.json")
        return None if data is None else _Record.from_json(data)

    async def _indexed(self, index: str, value: str) -> str | None:
        data = await self.state.read(f"{index}/{_digest(value)}.json")
        return None if data is None else str(json.loads(data)["account"])

    async def get(self, account_id: str) -> Account | None:
        record = await self._record(account_id)
        return None if record is None else record.public()

    async def by_email(self, email: str) -> Account | None:
        try:
            email = normalize_email(email)
        except BadRequest:
            return None
        account_id = await self._indexed("logins", email)
        record = None if account_id is None else await self._record(account_id)
        return record.public() if record is not None and record.email == email else None

    async def by_webid(self, webid: str) -> Account | None:
        account_id = await self._indexed("webids", webid)
        record = None if account_id is None else await self._record(account_id)
        return record.public() if record is not None and webid in record.webids.values() else None

    async def all(self) -> list[Account]:
        found = []
        for key in await self.state.keys("accounts"):
            data = await self.state.read(key)
            if data is not None:
                found.append(_Record.from_json(data).public())
        return sorted(found, key=lambda a: (a.email, a.id))

    async def sessions_after(self, account_id: str) -> int | None:
        """The instant (ns) before which this account's sessions are void; None: no such account."""
        record = await self._record(account_id)
        return None if record is None else record.sessions_after

    # -- writing ------------------------------------------------------------------------------

    async def _save(self, record: _Record) -> None:
        await self.state.write(f"accounts/{record.id}.json", record.to_json())

    async def _claim(self, index: str, value: str, account_id: str, owns: str) -> bool:
        """Point `index/value` at the account, unless another account holds it; False when taken.

        An entry whose account no longer names the value (left by a crash or a deletion) is
        taken over: the account record is the truth, the index only finds it.
        """
        key = f"{index}/{_digest(value)}.json"
        body = json.dumps({"account": account_id, owns: value}).encode("utf-8")
        if await self.state.create(key, body):
            return True
        holder = await self._indexed(index, value)
        record = None if holder is None else await self._record(holder)
        if record is not None and holder != account_id:
            still = {
                "logins": record.email == value,
                "webids": value in record.webids.values(),
                "clients": any(c.client_id == value for c in record.credentials),
            }[index]
            if still:
                return False
        await self.state.write(key, body)
        return True

    async def _release(self, index: str, value: str) -> None:
        await self.state.delete(f"{index}/{_digest(value)}.json")

    async def _modify(self, account_id: str) -> _Record:
        record = await self._record(account_id)
        if record is None:
            raise NotFound("there is no such account")
        return record

    async def create(self) -> Account:
        """A new account without any login yet (CSS v7: `controls.account.create`)."""
        record = _Record(_new_id(), created=time.time_ns())
        await self._save(record)
        return record.public()

    async def add_password(self, account_id: str, email: str, password: str) -> Account:
        """Give an account its email/password login (CSS v7: `controls.password.create`)."""
        email = normalize_email(email)
        if (reason := passwords.check_password_rules(password)) is not None:
            raise BadRequest(reason)
        hashed = await passwords.hash_password(password)
        async with self.state.lock(LOCK):
            record = await self._modify(account_id)
            if record.password is not None:
                raise Conflict("this account has a password login already; change its password instead")
            if not await self._claim("logins", email, account_id, "email"):
                raise Conflict("there is an account with this email address already")
            record.email, record.password, record.login = email, hashed, _new_id()
            await self._save(record)
        return record.public()

    async def password_login_id(self, account_id: str) -> str | None:
        record = await self._record(account_id)
        return None if record is None or record.password is None else record.login

    async def verify_password(self, email: str, password: str, *, address: str) -> Account:
        """The account this email and password log in to.

        Raises Unauthorized (one message for an unknown email and a wrong password) or
        TooManyRequests when the account or the address has failed too often lately.
        """
        try:
            email = normalize_email(email)
        except BadRequest:
            email = email.strip().lower()[:254]
        keys = (f"account:{email}", f"address:{address}")
        waits = [w for w in (self.limiter.retry_after(k) for k in keys) if w is not None]
        if waits:
            wait = max(waits)
            raise TooManyRequests(
                f"too many failed logins: try again in {wait} seconds", headers={"Retry-After": str(wait)}
            )
        account_id = await self._indexed("logins", email)
        record = None if account_id is None else await self._record(account_id)
        stored = record.password if record is not None and record.email == email else None
        # Always one scrypt computation, so timing does not reveal whether the account exists.
        if not await passwords.verify_password(password, stored) or record is None:
            for key in keys:
                self.limiter.failed(key)
            raise Unauthorized(WRONG_LOGIN)
        # Only the account's count is cleared: an attacker's own successful logins must not
        # wipe the failures counted against their address.
        self.limiter.succeeded(keys[0])
        return record.public()

    async def change_password(self, account_id: str, old: str, new: str) -> None:
        """Replace the password after checking the old one; every other session ends."""
        record = await self._modify(account_id)
        if record.password is None:
            raise BadRequest("this account has no password login")
        if (reason := passwords.check_password_rules(new)) is not None:
            raise BadRequest(reason)
        await self.verify_password(record.email, old, address=f"account-change:{account_id}")
        hashed = await passwords.hash_password(new)
        async with self.state.lock(LOCK):
            record = await self._modify(account_id)
            record.password = hashed
            record.sessions_after = time.time_ns()
            await self._save(record)

    async def end_sessions(self, account_id: str) -> None:
        """Void every session issued so far (logout; a password change)."""
        async with self.state.lock(LOCK):
            record = await self._modify(account_id)
            record.sessions_after = time.time_ns()
            await self._save(record)

    async def link_webid(self, account_id: str, webid: str) -> str:
        """Link a WebID to the account; returns the link's id. 409 when another account has it."""
        async with self.state.lock(LOCK):
            record = await self._modify(account_id)
            for link, linked in record.webids.items():
                if linked == webid:
                    return link
            if not await self._claim("webids", webid, account_id, "webid"):
                raise Conflict(f"{webid} is linked to another account")
            link = _new_id()
            record.webids[link] = webid
            await self._save(record)
            return link

    async def unlink_webid(self, account_id: str, link: str) -> str:
        async with self.state.lock(LOCK):
            record = await self._modify(account_id)
            webid = record.webids.pop(link, None)
            if webid is None:
                raise NotFound("this account has no such WebID link")
            if any(c.webid == webid for c in record.credentials):
                raise Conflict("client credentials use this WebID: delete them first")
            await self._save(record)
            await self._release("webids", webid)
            return webid

    async def webid_links(self, account_id: str) -> dict[str, str]:
        return dict((await self._modify(account_id)).webids)

    async def add_pod(self, account_id: str, pod_url: str) -> str:
        async with self.state.lock(LOCK):
            record = await self._modify(account_id)
            pod_id = _new_id()
            record.pods[pod_id] = pod_url
            await self._save(record)
            return pod_id

    async def remove_pod(self, account_id: str, pod_id: str) -> None:
        async with self.state.lock(LOCK):
            record = await self._modify(account_id)
            record.pods.pop(pod_id, None)
            await self._save(record)

    async def pod_links(self, account_id: str) -> dict[str, str]:
        return dict((await self._modify(account_id)).pods)

    async def create_client_credential(
        self, account_id: str, name: str, webid: str
    ) -> tuple[ClientCredential, str, str]:
        """A new client id and secret acting as `webid` (one of the account's WebIDs).

        Returns the credential, its secret (shown once, never stored: only its hash is) and the
        id of its resource in the API. CSS v7: the client id is `{name}_{uuid}`.
        """
        record = await self._modify(account_id)
        if webid not in record.webids.values():
            raise BadRequest("this WebID does not belong to the account")
        clean = _NAME.sub("-", name.strip())[:MAX_NAME]
        client_id = f"{clean}_{uuid.uuid4()}"
        secret = secrets.token_hex(64)
        credential = _Credential(_new_id(), client_id, name.strip()[:MAX_NAME], webid, _digest(secret))
        async with self.state.lock(LOCK):
            record = await self._modify(account_id)
            if not await self._claim("clients", client_id, account_id, "client"):
                raise Conflict("client id collision; try again")
            record.credentials.append(credential)
            await self._save(record)
        return ClientCredential(client_id, webid, account_id, credential.name), secret, credential.resource

    async def client_credentials(self, account_id: str) -> list[tuple[str, ClientCredential]]:
        """(resource id, credential) for each of the account's client credentials."""
        record = await self._modify(account_id)
        return [
            (c.resource, ClientCredential(c.client_id, c.webid, account_id, c.name))
            for c in record.credentials
        ]

    async def delete_client_credential(self, account_id: str, resource: str) -> None:
        async with self.state.lock(LOCK):
            record = await self._modify(account_id)
            found = [c for c in record.credentials if c.resource == resource]
            if not found:
                raise NotFound("this account has no such client credentials")
            record.credentials.remove(found[0])
            await self._save(record)
            await self._release("clients", found[0].client_id)

    async def verify_client_credential(self, client_id: str, secret: str) -> ClientCredential | None:
        """The credential this client id and secret name, or None when either is wrong."""
        account_id = await self._indexed("clients", client_id)
        record = None if account_id is None else await self._record(account_id)
        if record is None:
            return None
        given = _digest(secret)
        for credential in record.credentials:
            # The WebID must still be the account's: unlinking it voids the credential.
            if (
                credential.client_id == client_id
                and hmac.compare_digest(credential.secret_hash, given)
                and credential.webid in record.webids.values()
            ):
                return ClientCredential(client_id, credential.webid, record.id, credential.name)
        return None

    async def delete(self, account_id: str) -> Account:
        """Remove the account, its login, WebID links and client credentials (pods: see Pods)."""
        async with self.state.lock(LOCK):
            record = await self._modify(account_id)
            await self.state.delete(f"accounts/{account_id}.json")
            if record.email:
                await self._release("logins", record.email)
            for webid in record.webids.values():
                await self._release("webids", webid)
            for credential in record.credentials:
                await self._release("clients", credential.client_id)
            return record.public()

    # -- invitations ----------------------------------------------------------------------------

    async def create_invite(self) -> str:
        """A one-time invitation code (registration policy `invite`)."""
        code = secrets.token_urlsafe(18)
        await self.state.write(f"invites/{_digest(code)}.json", json.dumps({"created": time.time()}).encode())
        return code

    async def use_invite(self, code: str) -> bool:
        """Consume an invitation code; False when it is unknown or used already."""
        if not code or len(code) > 200:
            return False
        return await self.state.delete(f"invites/{_digest(code.strip())}.json")
