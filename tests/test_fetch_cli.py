"""`pod fetch` against a real multi-user server: the owner's requests with client credentials succeed.

The command runs in-process through `pod.cli.main`, in a worker thread: it runs its own event loop
(`asyncio.run`) while the test's loop keeps serving the pod server it talks to.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from rdflib import Graph, Literal, URIRef

from pod.cli import main
from tests.conftest import ClientFactory
from tests.idp import PASSWORD, ApiAccount, new_account, path_of

Client = TestClient[Any, Any]
TITLE = URIRef("http://purl.org/dc/terms/title")
CREATOR = URIRef("http://purl.org/dc/terms/creator")
N3_PATCH = """@prefix solid: <http://www.w3.org/ns/solid/terms#>.
_:p a solid:InsertDeletePatch; solid:inserts { <#it> <http://purl.org/dc/terms/creator> "me" . }."""


@pytest.fixture
def storage() -> str:
    # The command only talks HTTP: one storage back end is enough.
    return "file"


@pytest.fixture
async def client(make_client: ClientFactory) -> Client:
    return await make_client(single_user=False)


@pytest.fixture
async def alice(client: Client) -> ApiAccount:
    return await new_account(client)


async def credential(client: Client, account: ApiAccount) -> tuple[str, str]:
    """A client credential of the account, made through the account API (as a person would)."""
    made = await client.post(
        path_of(account.controls["account"]["clientCredentials"]),
        json={"name": "tests", "webId": account.webid},
        headers=account.headers,
    )
    assert made.status == 200, await made.text()
    body = await made.json()
    return body["id"], body["secret"]


async def fetch(capsys: pytest.CaptureFixture[bytes], *argv: str) -> tuple[int, bytes, str]:
    """Run `pod fetch ARGV`; returns the exit status, what it printed, and its error output."""
    status = await asyncio.to_thread(main, ["fetch", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err.decode()


def turtle(data: bytes, base: str) -> Graph:
    return Graph().parse(data=data.decode(), format="turtle", publicID=base)


async def test_the_owner_puts_gets_patches_and_deletes(
    client: Client, alice: ApiAccount, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    client_id, secret = await credential(client, alice)
    login = ["--id", client_id, "--secret", secret]
    url = alice.pod + "notes/today.ttl"
    it = URIRef(url + "#it")

    status, out, err = await fetch(
        capsysbinary, *login, "-i", "-X", "PUT", "-H", "Content-Type: text/turtle",
        "--data", '<#it> <http://purl.org/dc/terms/title> "Hello" .', url,
    )  # fmt: skip
    assert status == 0, err
    assert out.startswith(b"HTTP/1.1 201 Created\n")
    assert f"Location: {url}\n".encode() in out

    status, out, err = await fetch(capsysbinary, *login, url)
    assert status == 0, err
    assert (it, TITLE, Literal("Hello")) in turtle(out, url)

    status, _, err = await fetch(
        capsysbinary, *login, "-X", "PATCH", "-H", "Content-Type: text/n3", "--data", N3_PATCH, url
    )
    assert status == 0, err
    status, out, _ = await fetch(capsysbinary, *login, url)
    assert (it, CREATOR, Literal("me")) in turtle(out, url)

    status, _, err = await fetch(capsysbinary, *login, "-X", "DELETE", url)
    assert status == 0, err
    status, out, _ = await fetch(capsysbinary, *login, "-i", url)
    assert status == 1
    assert out.startswith(b"HTTP/1.1 404 ")


async def test_anonymous_put_is_refused_with_exit_status_1(
    client: Client, alice: ApiAccount, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    url = alice.pod + "notes/anonymous.txt"
    status, out, _ = await fetch(capsysbinary, "-i", "-X", "PUT", "--data", "hi", url)
    assert status == 1
    assert out.startswith(b"HTTP/1.1 401 Unauthorized\n")
    assert (await client.get(path_of(url))).status == 401  # and nothing was written: still unreadable


async def test_a_wrong_secret_is_a_clear_error(
    client: Client, alice: ApiAccount, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    client_id, _ = await credential(client, alice)
    status, out, err = await fetch(capsysbinary, "--id", client_id, "--secret", "wrong", alice.pod)
    assert status == 1
    assert out == b""
    assert err.startswith("pod fetch: getting a token from ")
    assert "401 Unauthorized (invalid_client): the client id or secret is wrong" in err


async def test_credentials_from_the_environment(
    client: Client,
    alice: ApiAccount,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client_id, secret = await credential(client, alice)
    monkeypatch.setenv("POD_CLIENT_ID", client_id)
    monkeypatch.setenv("POD_CLIENT_SECRET", secret)
    status, _, err = await fetch(capsysbinary, alice.pod + "private/")
    assert status == 0, err


async def test_post_without_a_body_creates_a_container(
    client: Client, alice: ApiAccount, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    # Solid Protocol §5.3: a POST with a container type and no body creates an empty container; the
    # command must not invent a Content-Type for the missing body.
    client_id, secret = await credential(client, alice)
    link = 'Link: <http://www.w3.org/ns/ldp#BasicContainer>; rel="type"'
    status, out, err = await fetch(
        capsysbinary, "--id", client_id, "--secret", secret, "-i", "-X", "POST",
        "-H", "Slug: photos", "-H", link, alice.pod,
    )  # fmt: skip
    assert status == 0, err
    assert f"Location: {alice.pod}photos/\n".encode() in out


async def test_a_file_is_sent_byte_for_byte_and_ranges_come_back(
    client: Client,
    alice: ApiAccount,
    capsysbinary: pytest.CaptureFixture[bytes],
    tmp_path: Path,
) -> None:
    client_id, secret = await credential(client, alice)
    login = ["--id", client_id, "--secret", secret]
    data = bytes(range(256)) * 8
    (tmp_path / "upload.bin").write_bytes(data)
    url = alice.pod + "photos/upload.bin"
    status, _, err = await fetch(
        capsysbinary, *login, "-X", "PUT", "-H", "Content-Type: application/octet-stream",
        "--data-file", str(tmp_path / "upload.bin"), url,
    )  # fmt: skip
    assert status == 0, err
    status, out, _ = await fetch(capsysbinary, *login, url)
    assert out == data
    status, out, _ = await fetch(capsysbinary, *login, "-H", "Range: bytes=250-259", url)
    assert status == 0
    assert out == data[250:260]


async def test_email_and_password_use_a_credential_only_for_the_run(
    client: Client, alice: ApiAccount, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    listing = path_of(alice.controls["account"]["clientCredentials"])
    status, out, err = await fetch(
        capsysbinary, "--email", "alice@example.org", "--password", PASSWORD, alice.pod + "private/"
    )
    assert status == 0, err
    assert b"ldp:Container" in out or b"ldp#Container" in out
    left = await (await client.get(listing, headers=alice.headers)).json()
    assert left["clientCredentials"] == {}


async def test_a_wrong_password_is_a_clear_error(
    client: Client, alice: ApiAccount, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    status, _, err = await fetch(
        capsysbinary, "--email", "alice@example.org", "--password", "wrong", alice.pod
    )
    assert status == 1
    assert err.startswith("pod fetch: logging in as alice@example.org failed: 401")
