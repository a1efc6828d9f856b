"""The inbox limits are settings (issue 12: "Size limit and rate limit per sender per inbox").

LDN §Receiver lets receivers "enact constraints" on what they accept; how much is the operator's
choice: `--inbox-max-bytes`, `--inbox-rate-limit`, `--inbox-rate-window` (POD_INBOX_*).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from pod.cli import parser
from pod.config import Settings, settings_from
from pod.federation.people import create_person
from tests.federation.conftest import PASSWORD, as_person, start_server

TURTLE = {"Content-Type": "text/turtle"}
NOTE = b"<#n> a <https://www.w3.org/ns/activitystreams#Announce> .\n"


async def test_a_changed_size_and_rate_limit_apply(
    aiohttp_server: Any, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Issue 12: with a 1000-byte limit and 3 notifications a minute, 1001 bytes are a 413, a 4th is a 429."""
    base, _ = await start_server(
        aiohttp_server, tmp_path / "a", inbox_max_bytes=1000, inbox_rate_limit=3, inbox_rate_window=60.0
    )
    alice = await create_person(http, base, "alice", PASSWORD)
    inbox = alice.pod + "inbox/"
    big = NOTE + b"#" * (1001 - len(NOTE))
    status, _, body = await as_person(http, None, "POST", inbox, body=big, headers=TURTLE)
    assert status == 413 and b"1000 bytes" in body
    # The refused notification counted against the rate (as before): two more are accepted, then 429.
    for _ in range(2):
        assert (await as_person(http, None, "POST", inbox, body=NOTE, headers=TURTLE))[0] == 201
    status, headers, _ = await as_person(http, None, "POST", inbox, body=NOTE, headers=TURTLE)
    # RFC 6585 §4: 429 with Retry-After, within the configured window.
    assert status == 429 and 1 <= int(headers["Retry-After"]) <= 60


async def test_a_larger_size_limit_accepts_larger_notifications(
    aiohttp_server: Any, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Issue 12: raising the limit above the 256 KiB default lets a 300 KiB notification in."""
    base, _ = await start_server(aiohttp_server, tmp_path / "a", inbox_max_bytes=512 * 1024)
    alice = await create_person(http, base, "alice", PASSWORD)
    big = NOTE + b"#" * (300 * 1024)
    assert (await as_person(http, None, "POST", alice.pod + "inbox/", body=big, headers=TURTLE))[0] == 201


def test_the_inbox_limits_come_from_flags_then_environment_then_defaults() -> None:
    """pod.config: flags win over POD_* variables, which win over the defaults."""
    assert (Settings().inbox_max_bytes, Settings().inbox_rate_limit, Settings().inbox_rate_window) == (
        256 * 1024,
        30,
        60.0,
    )
    environ = {"POD_INBOX_MAX_BYTES": "2048", "POD_INBOX_RATE_LIMIT": "5", "POD_INBOX_RATE_WINDOW": "10"}
    settings = settings_from({}, environ)
    assert (settings.inbox_max_bytes, settings.inbox_rate_limit, settings.inbox_rate_window) == (
        2048,
        5,
        10.0,
    )
    args = parser().parse_args(["serve", "--inbox-max-bytes", "4096", "--inbox-rate-limit", "7"])
    settings = settings_from(vars(args), environ)
    assert (settings.inbox_max_bytes, settings.inbox_rate_limit, settings.inbox_rate_window) == (
        4096,
        7,
        10.0,
    )


@pytest.mark.parametrize("field", ["inbox_max_bytes", "inbox_rate_limit", "inbox_rate_window"])
def test_inbox_limits_must_be_positive(field: str) -> None:
    with pytest.raises(ValueError, match="inbox"):
        Settings(**{field: 0})
