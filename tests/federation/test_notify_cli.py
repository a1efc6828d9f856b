"""`pod notify`: discover a WebID's inbox on another server and deliver, as a person or as the server.

The command runs in-process through `pod.cli.main` in a worker thread (its own event loop), while
the test's loop keeps serving both servers.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from pod.cli import main
from pod.federation.people import Person
from tests.federation.conftest import Servers, as_person

NOTE = {
    "@context": "https://www.w3.org/ns/activitystreams",
    "type": "Offer",
    "summary": "a cup of tea",
}


async def notify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = await asyncio.to_thread(main, ["notify", *argv])
    captured = capsys.readouterr()
    return status, captured.out.strip(), captured.err


@pytest.fixture
def note(tmp_path: Path) -> Path:
    path = tmp_path / "note.jsonld"
    path.write_text(json.dumps(NOTE))
    return path


async def test_bob_notifies_alice_by_her_webid_with_his_own_credential(
    http: aiohttp.ClientSession,
    alice: Person,
    bob: Person,
    note: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    login = ["--id", bob.credential.id, "--secret", bob.credential.secret, "--issuer", bob.server]
    status, out, err = await notify(capsys, "--to", alice.webid, "--file", str(note), *login)
    assert status == 0, err
    assert out.startswith(alice.pod + "inbox/")
    assert f"inbox: {alice.pod}inbox/" in err
    status, _, body = await as_person(http, alice, "GET", out, headers={"Accept": "application/ld+json"})
    assert status == 200 and b"a cup of tea" in body


async def test_the_server_notifies_a_person_on_another_server_as_itself(
    http: aiohttp.ClientSession,
    servers: Servers,
    bob: Person,
    note: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--as-server", "--data-dir", str(servers.data_a), "--base-url", servers.a]
    # Only authenticated agents may append: B then checks A's token, key and sender WebID.
    inbox = bob.pod + "inbox/"
    acl = f"""@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#agents> a acl:Authorization; acl:agentClass acl:AuthenticatedAgent; acl:accessTo <{inbox}>;
    acl:mode acl:Append.
<#owner> a acl:Authorization; acl:agent <{bob.webid}>; acl:accessTo <{inbox}>; acl:default <{inbox}>;
    acl:mode acl:Read, acl:Write, acl:Control."""
    status, _, _ = await as_person(
        http, bob, "PUT", inbox + ".acl", body=acl.encode(), headers={"Content-Type": "text/turtle"}
    )
    assert status in (201, 204)
    status, out, err = await notify(capsys, "--to", bob.webid, "--file", str(note), *argv)
    assert status == 0, err
    assert out.startswith(inbox)
    # Anonymous senders are now refused, so the notification above was authenticated.
    status, out, err = await notify(capsys, "--to", bob.webid, "--file", str(note))
    assert status == 1 and "401" in err


async def test_a_refused_notification_says_why(
    alice: Person, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "note.txt"
    text.write_text("not RDF")
    status, out, err = await notify(capsys, "--to", alice.webid, "--file", str(text), "--type", "text/plain")
    assert status == 1 and out == ""
    assert "415" in err


async def test_a_target_without_an_inbox_is_an_error(
    servers: Servers, note: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The server's root lists pods; it belongs to no one and has no inbox.
    status, _, err = await notify(capsys, "--to", servers.a, "--file", str(note))
    assert status == 1 and "no inbox" in err
