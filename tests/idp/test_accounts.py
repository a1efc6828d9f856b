"""The account store and sessions: password hashing, one answer for wrong logins, rate limits, persistence."""

from __future__ import annotations

from pathlib import Path

import pytest

from pod.errors import TooManyRequests, Unauthorized
from pod.idp.accounts import Accounts
from pod.idp.passwords import verify_password
from pod.idp.ratelimit import SlidingWindowLimiter
from pod.idp.sessions import Sessions
from pod.storage.internal import FileInternalState, InternalState, MemoryInternalState
from tests.idp import PASSWORD


@pytest.fixture(params=["file", "memory"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> InternalState:
    return FileInternalState(tmp_path) if request.param == "file" else MemoryInternalState()


async def alice(accounts: Accounts) -> str:
    account = await accounts.create()
    await accounts.add_password(account.id, "Alice@Example.org", PASSWORD)
    return account.id


async def test_password_is_stored_as_salted_scrypt(state: InternalState) -> None:
    """Issue 7: passwords "hashed with a memory-hard KDF such as scrypt"; per-account salt, parameters
    stored with the hash."""
    accounts = Accounts(state)
    first, second = await alice(accounts), await accounts.create()
    await accounts.add_password(second.id, "bob@example.org", PASSWORD)
    stored = [await state.read(f"accounts/{i}.json") or b"" for i in (first, second.id)]
    assert all(PASSWORD.encode() not in s for s in stored)
    hashes = [s.split(b'"password": "')[1].split(b'"')[0].decode() for s in stored]
    assert all(h.startswith("scrypt$32768$8$1$") for h in hashes)
    assert hashes[0] != hashes[1]  # the same password, two salts
    assert await verify_password(PASSWORD, hashes[0])


async def test_verify_password_finds_the_account_by_email_in_any_case(state: InternalState) -> None:
    """Email addresses are compared case-insensitively."""
    accounts = Accounts(state)
    account_id = await alice(accounts)
    found = await accounts.verify_password("ALICE@example.org", PASSWORD, address="1.2.3.4")
    assert found.id == account_id and found.email == "alice@example.org"


async def test_wrong_password_and_unknown_email_raise_the_same_error(state: InternalState) -> None:
    """Issue 7 bad input: wrong password and unknown account are one Unauthorized, one message."""
    accounts = Accounts(state)
    await alice(accounts)
    with pytest.raises(Unauthorized) as wrong:
        await accounts.verify_password("alice@example.org", "not it at all", address="a")
    with pytest.raises(Unauthorized) as unknown:
        await accounts.verify_password("nobody@example.org", "not it at all", address="b")
    assert wrong.value.detail == unknown.value.detail


async def test_rate_limit_per_address_covers_every_account(state: InternalState) -> None:
    """Issue 7: rate-limited "per address" too: one address guessing many accounts is stopped."""
    accounts = Accounts(state, SlidingWindowLimiter(limit=3, window=60))
    await alice(accounts)
    for n in range(3):
        with pytest.raises(Unauthorized):
            await accounts.verify_password(f"user{n}@example.org", "guess-guess", address="9.9.9.9")
    with pytest.raises(TooManyRequests) as error:
        await accounts.verify_password("alice@example.org", PASSWORD, address="9.9.9.9")
    assert int(error.value.headers["Retry-After"]) > 0
    # Another address is not held back by this one's failures.
    assert await accounts.verify_password("alice@example.org", PASSWORD, address="8.8.8.8")


async def test_rate_limit_per_account_covers_every_address(state: InternalState) -> None:
    """Issue 7: rate-limited "per account": guessing one account from many addresses is stopped."""
    accounts = Accounts(state, SlidingWindowLimiter(limit=3, window=60))
    await alice(accounts)
    for n in range(3):
        with pytest.raises(Unauthorized):
            await accounts.verify_password("alice@example.org", "guess-guess", address=f"10.0.0.{n}")
    with pytest.raises(TooManyRequests):
        await accounts.verify_password("alice@example.org", PASSWORD, address="10.0.0.99")


async def test_accounts_persist_in_the_internal_folder(tmp_path: Path) -> None:
    """DESIGN "Server-internal state ... lives under an internal folder": `$pod/accounts/`, readable
    by a fresh store (a restart, or the CLI beside the server)."""
    account_id = await alice(Accounts(FileInternalState(tmp_path)))
    assert (tmp_path / "$pod" / "accounts" / f"{account_id}.json").is_file()
    again = Accounts(FileInternalState(tmp_path))
    assert (await again.verify_password("alice@example.org", PASSWORD, address="x")).id == account_id
    assert not [p for p in (tmp_path / "$pod" / "accounts").iterdir() if p.name.startswith(".")]


async def test_webid_and_client_credentials_lookups(state: InternalState) -> None:
    """The interface the OpenID provider uses: by_webid, verify_client_credential (bound to a WebID)."""
    accounts = Accounts(state)
    account_id = await alice(accounts)
    webid = "https://pod.example/alice/profile/card#me"
    await accounts.link_webid(account_id, webid)
    assert (await accounts.by_webid(webid)).id == account_id  # type: ignore[union-attr]
    assert await accounts.by_webid(webid + "x") is None
    credential, secret, _ = await accounts.create_client_credential(account_id, "app", webid)
    found = await accounts.verify_client_credential(credential.id, secret)
    assert found == credential and found.webid == webid and found.account_id == account_id
    assert await accounts.verify_client_credential(credential.id, "0" * len(secret)) is None
    assert await accounts.verify_client_credential("unknown", secret) is None


async def test_session_tokens_are_signed_and_end_with_the_session(state: InternalState) -> None:
    """Brief: a signed session; a tampered token is nothing; `end_sessions` (logout) voids old ones."""
    accounts = Accounts(state)
    account = await accounts.get(await alice(accounts))
    assert account is not None
    sessions = Sessions(accounts, state, "http://localhost:3000/")
    await sessions.start()
    token = sessions.issue(account)
    assert await sessions.account_for_token(token) == account
    body, _, mac = token.rpartition(".")
    assert await sessions.account_for_token(body + "." + mac[::-1]) is None
    other_account = token.replace(account.id, "00000000-0000-0000-0000-000000000000")
    assert await sessions.account_for_token(other_account) is None
    await accounts.end_sessions(account.id)
    assert await sessions.account_for_token(token) is None
    assert await sessions.account_for_token(sessions.issue(account)) == account


async def test_return_to_stays_under_the_base_url(state: InternalState) -> None:
    """Brief: after login, redirect only to same-origin URLs under the base URL — never an open redirect."""
    sessions = Sessions(Accounts(state), state, "https://pod.example/base/")
    assert (
        sessions.safe_return_to("https://pod.example/base/.oidc/auth?x=1")
        == "https://pod.example/base/.oidc/auth?x=1"
    )
    assert sessions.safe_return_to("/base/x") == "https://pod.example/base/x"
    for bad in (
        "https://evil.example/base/",
        "//evil.example/base/",
        "/other/",
        "http://pod.example/base/",
        "/\\x",
    ):
        assert sessions.safe_return_to(bad) is None, bad
