"""Guessing at the token endpoint is rate-limited: RFC 6585 §4 429 with Retry-After.

(Password logins are limited per account and per address: tests/idp/test_account_api.py.)
"""

from __future__ import annotations

from pod.idp.oidc.token_endpoint import FAILURES_ALLOWED
from tests.conftest import ClientFactory

FORM = {"grant_type": "client_credentials", "client_id": "guessed-id", "client_secret": "guessed-secret"}


async def test_wrong_client_secrets_at_the_token_endpoint_end_in_429(make_client: ClientFactory) -> None:
    client = await make_client()
    for _ in range(FAILURES_ALLOWED):
        answer = await client.post("/.oidc/token", data=FORM)
        assert answer.status == 401, await answer.text()
        assert (await answer.json())["error"] == "invalid_client"
    answer = await client.post("/.oidc/token", data=FORM)
    assert answer.status == 429
    assert 0 < int(answer.headers["Retry-After"]) <= 300
    assert "too many" in (await answer.json())["error_description"]
    # The limit holds for every grant from that address, even a well-formed one.
    answer = await client.post("/.oidc/token", data={**FORM, "grant_type": "refresh_token"})
    assert answer.status == 429


async def test_refused_requests_that_are_not_guesses_do_not_count(make_client: ClientFactory) -> None:
    client = await make_client()
    for _ in range(FAILURES_ALLOWED + 5):
        # A malformed request guesses nothing: 400 each time, never 429.
        answer = await client.post("/.oidc/token", data={"client_id": "x"})
        assert answer.status == 400
