"""`pod accounts ...` against a data folder: create, list, credentials, delete, invite."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from pod.cli import main
from pod.idp.accounts import Accounts
from pod.storage.internal import FileInternalState
from tests.conftest import ClientFactory
from tests.idp import PASSWORD, idp_of

BASE = "http://localhost:3000/"


def run(capsys: pytest.CaptureFixture[str], data: Path, *args: str) -> tuple[int, str, str]:
    code = main(["accounts", *args, "--data-dir", str(data), "--base-url", BASE])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def create(
    capsys: pytest.CaptureFixture[str], data: Path, email: str = "alice@example.org", pod: str = "alice"
) -> str:
    code, out, err = run(capsys, data, "create", "--email", email, "--password", PASSWORD, "--pod", pod)
    assert code == 0, err
    return out


def test_create_prints_the_webid_and_the_pod(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Issue 7: "`pod accounts create --email E --password P --pod NAME` (prints the WebID and pod URL)"."""
    out = create(capsys, tmp_path)
    assert f"WebID: {BASE}alice/profile/card#me" in out
    assert f"pod:   {BASE}alice/" in out
    assert (tmp_path / "alice" / "profile" / "card$.ttl").is_file()
    assert (tmp_path / "alice" / ".acl").is_file()


def test_list_shows_accounts_pods_and_webids(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Issue 7: `pod accounts list`."""
    create(capsys, tmp_path)
    code, out, _ = run(capsys, tmp_path, "list")
    assert code == 0
    assert "alice@example.org" in out and f"{BASE}alice/" in out and f"{BASE}alice/profile/card#me" in out


def test_credentials_prints_a_working_pair(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Issue 7: "`pod accounts credentials E` (creates a client-credentials pair and prints it)"."""
    create(capsys, tmp_path)
    code, out, _ = run(capsys, tmp_path, "credentials", "alice@example.org")
    assert code == 0
    client_id = re.search(r"id:\s+(\S+)", out)
    secret = re.search(r"secret:\s+(\S+)", out)
    assert client_id and secret
    accounts = Accounts(FileInternalState(tmp_path))
    found = asyncio.run(accounts.verify_client_credential(client_id.group(1), secret.group(1)))
    assert found is not None and found.webid == f"{BASE}alice/profile/card#me"


def test_delete_removes_the_account_and_its_pod(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Issue 7: `pod accounts delete E`."""
    create(capsys, tmp_path)
    code, _, _ = run(capsys, tmp_path, "delete", "alice@example.org")
    assert code == 0
    assert not (tmp_path / "alice").exists()
    _, out, _ = run(capsys, tmp_path, "list")
    assert "alice@example.org" not in out
    code, _, err = run(capsys, tmp_path, "delete", "alice@example.org")
    assert code == 1 and "no account" in err


def test_invite_prints_a_code_that_registers_once(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Brief: `pod accounts invite` makes a code for `--registration invite`."""
    code, out, _ = run(capsys, tmp_path, "invite")
    assert code == 0
    accounts = Accounts(FileInternalState(tmp_path))
    assert asyncio.run(accounts.use_invite(out.strip()))
    assert not asyncio.run(accounts.use_invite(out.strip()))


@pytest.mark.parametrize("name", ["Alice", "../x", ".account"])
def test_bad_pod_name_fails_and_creates_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    """Issue 7 bad input (pod name invalid) from the command line: an error, no account, no files."""
    code, _, err = run(
        capsys, tmp_path, "create", "--email", "a@example.org", "--password", PASSWORD, "--pod", name
    )
    assert code == 1 and "not a valid pod name" in err
    assert asyncio.run(Accounts(FileInternalState(tmp_path)).all()) == []
    assert [p.name for p in tmp_path.iterdir() if p.name != "$pod"] == []


def test_taken_pod_name_or_email_fails_without_leftovers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Issue 7 "pod name taken ... nothing created half-way": the second account is not kept."""
    create(capsys, tmp_path)
    code, _, err = run(
        capsys, tmp_path, "create", "--email", "bob@example.org", "--password", PASSWORD, "--pod", "alice"
    )
    assert code == 1 and "taken" in err
    code, _, err = run(
        capsys, tmp_path, "create", "--email", "alice@example.org", "--password", PASSWORD, "--pod", "b"
    )
    assert code == 1
    emails = [a.email for a in asyncio.run(Accounts(FileInternalState(tmp_path)).all())]
    assert emails == ["alice@example.org"]
    assert not (tmp_path / "b").exists()


async def test_running_server_sees_accounts_made_by_the_cli(
    make_client: ClientFactory, storage: str, tmp_path: Path
) -> None:
    """README: the CLI may run beside a serving server; the server sees the new pod and its owner."""
    if storage != "file":
        pytest.skip("the CLI works on the data folder")
    client = await make_client(single_user=False, base_url=BASE, registration="open")
    data = tmp_path / "data"
    code = await asyncio.to_thread(
        main,
        ["accounts", "create", "--email", "a@example.org", "--password", PASSWORD, "--pod", "alice",
         "--data-dir", str(data), "--base-url", BASE],
    )  # fmt: skip
    assert code == 0
    assert (await client.get("/alice/profile/card")).status == 200
    await asyncio.sleep(1.1)  # the server re-reads a changed storage registry at most once a second
    from pod.ldp.identifiers import ResourceIdentifier

    owners = idp_of(client).storages.owners_of(ResourceIdentifier(("alice",), True))
    assert owners == {BASE + "alice/profile/card#me"}
    assert (await idp_of(client).accounts.verify_password("a@example.org", PASSWORD, address="t")).pods
