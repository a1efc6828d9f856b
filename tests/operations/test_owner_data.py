"""Issue 15, what the owner sees: the pod's usage "shown to the owner in the dashboard and the account
API", and "The owner can download the same archive from the dashboard" that `pod export` writes."""

from __future__ import annotations

import asyncio
import io
import json
import re
import tarfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from yarl import URL

from pod.admin.setup import OPERATOR
from pod.cli import main
from pod.idp.setup import IDENTITY_PROVIDER
from pod.ldp.identifiers import ResourceIdentifier
from tests.operations.conftest import Client, Served, ServerFactory

ALICE = ResourceIdentifier(("alice",), True)
PASSWORD = "correct horse battery"
BROWSER = {"Accept": "text/html"}


async def log_in(client: Client, email: str = "alice@example.org") -> dict[str, str]:
    resp = await client.post("/.account/login/password/", json={"email": email, "password": PASSWORD})
    assert resp.status == 200, await resp.text()
    return {"Authorization": f"CSS-Account-Token {(await resp.json())['authorization']}"}


def path_of(url: str) -> str:
    return URL(url).raw_path


async def pod_resource(client: Client, auth: dict[str, str]) -> dict[str, Any]:
    controls = (await (await client.get("/.account/", headers=auth)).json())["controls"]
    pods = (await (await client.get(path_of(controls["account"]["pod"]), headers=auth)).json())["pods"]
    resp = await client.get(path_of(pods[next(iter(pods))]), headers=auth)
    assert resp.status == 200
    body: dict[str, Any] = await resp.json()
    return body


def usage_of(served: Served) -> int:
    return served.client.server.app[OPERATOR].ledger.known()[ALICE]


async def test_the_account_api_shows_usage_and_quota(serve: ServerFactory) -> None:
    """Issue 15: usage "shown to the owner in ... the account API": the pod resource (CSS v7's
    `{baseUrl, owners}`, unchanged) gains `usage: {bytes, quota}`, the running counter's value."""
    served = await serve(default_quota=5_000_000)
    auth = await log_in(served.client)
    body = await pod_resource(served.client, auth)
    assert body["baseUrl"] == served.base + "alice/" and body["owners"][0]["webId"] == served.webid
    assert body["usage"] == {"bytes": usage_of(served), "quota": 5_000_000}
    before = body["usage"]["bytes"]
    resp = await served.client.put("/alice/more.txt", data=b"x" * 700, headers={"Content-Type": "text/plain"})
    assert resp.status == 201
    assert (await pod_resource(served.client, auth))["usage"]["bytes"] == before + 700


async def test_no_quota_is_null(serve: ServerFactory) -> None:
    served = await serve()
    body = await pod_resource(served.client, await log_in(served.client))
    assert body["usage"]["quota"] is None and body["usage"]["bytes"] > 0


async def test_the_dashboard_shows_usage_and_an_archive_link(serve: ServerFactory) -> None:
    """Issue 15: usage "shown to the owner in the dashboard", and the archive to download from it."""
    served = await serve(default_quota=2_000_000)
    await log_in(served.client)  # the answer's cookie logs the browser in too
    resp = await served.client.get(f"/.account/account/{served.account_id}/", headers=BROWSER)
    page = await resp.text()
    assert resp.status == 200
    assert "of 2.0 MB used" in page
    link = re.search(r'href="([^"]*/archive/)"', page)
    assert link is not None
    download = await served.client.get(path_of(link.group(1)))
    assert download.status == 200 and download.headers["Content-Type"] == "application/x-tar"


async def archive_url(served: Served, auth: dict[str, str]) -> str:
    return path_of((await pod_resource(served.client, auth))["archive"])


def read_tar(data: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    return json.loads(members.pop("manifest.json")), members


async def test_the_owner_downloads_the_archive_pod_export_writes(
    serve: ServerFactory, tmp_path: Path
) -> None:
    """Issue 15: "The owner can download the same archive from the dashboard": streamed (chunked, no
    Content-Length), as an attachment, with the documents `pod export` lists, byte for byte."""
    served = await serve()
    big = bytes(range(256)) * 8192  # 2 MiB: exported through a temporary file, not memory
    await served.client.put(
        "/alice/media/big.bin", data=big, headers={"Content-Type": "application/octet-stream"}
    )
    await served.client.put(
        "/alice/notes/a.ttl", data=b"<#a> <#b> <#c>.", headers={"Content-Type": "text/turtle"}
    )
    auth = await log_in(served.client)
    resp = await served.client.get(await archive_url(served, auth), headers=auth)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/x-tar"
    assert (
        resp.headers["Content-Disposition"] == f'attachment; filename="alice-{time.strftime("%Y-%m-%d")}.tar"'
    )
    assert "Content-Length" not in resp.headers and resp.headers.get("Transfer-Encoding") == "chunked"
    manifest, members = read_tar(await resp.read())
    assert members["resources/media/big.bin"] == big
    assert manifest["pod_url"] == served.base + "alice/" and manifest["webids"] == [served.webid]
    exported = tmp_path / "cli.tar"
    code = await asyncio.to_thread(
        main,
        [
            "export",
            "alice",
            "-o",
            str(exported),
            "--data-dir",
            str(served.settings.data_dir),
            "--base-url",
            served.base,
        ],
    )
    assert code == 0
    cli_manifest, cli_members = read_tar(exported.read_bytes())

    def listed(m: dict[str, Any]) -> list[tuple[str, str, int, str]]:
        return sorted((d["path"], d["type"], d["size"], d["sha256"]) for d in m["documents"])

    assert listed(manifest) == listed(cli_manifest)
    assert sorted(manifest["containers"]) == sorted(cli_manifest["containers"])
    assert members == cli_members
    # And it is an archive `pod import` takes.
    (tmp_path / "download.tar").write_bytes(await resp.read())
    code = await asyncio.to_thread(
        main,
        [
            "import",
            str(tmp_path / "download.tar"),
            "--as",
            "copy",
            "--data-dir",
            str(tmp_path / "other"),
            "--base-url",
            served.base,
        ],
    )
    assert code == 0
    assert (tmp_path / "other" / "copy" / "media" / "big.bin").read_bytes() == big


async def test_only_the_owner_gets_the_archive(serve: ServerFactory) -> None:
    """Issue 15 / brief: an authenticated, owner-only endpoint: no login 401, another account 403,
    a pod the account does not hold 404."""
    served = await serve()
    auth = await log_in(served.client)
    url = await archive_url(served, auth)
    served.client.session.cookie_jar.clear()
    assert (await served.client.get(url)).status == 401
    idp = served.client.server.app[IDENTITY_PROVIDER]
    bob = await idp.accounts.create()
    await idp.accounts.add_password(bob.id, "bob@example.org", PASSWORD)
    await idp.pods.create(bob, "bob")
    bob_auth = await log_in(served.client, "bob@example.org")
    served.client.session.cookie_jar.clear()
    assert (await served.client.get(url, headers=bob_auth)).status == 403
    pod_id = url.rstrip("/").split("/")[-2]
    theirs = f"/.account/account/{bob.id}/pod/{pod_id}/archive/"
    assert (await served.client.get(theirs, headers=bob_auth)).status == 404


async def test_the_download_is_streamed_not_buffered(serve: ServerFactory) -> None:
    """Brief: the tar is streamed, never held in memory whole: a 24 MiB pod downloads with a peak of
    a few MiB (server and client in this one process)."""
    served = await serve()
    chunk = b"z" * (1024 * 1024)
    for i in range(3):
        resp = await served.client.put(
            f"/alice/media/part{i}.bin", data=chunk * 8, headers={"Content-Type": "application/octet-stream"}
        )
        assert resp.status == 201
    auth = await log_in(served.client)
    url = await archive_url(served, auth)
    tracemalloc.start()
    try:
        resp = await served.client.get(url, headers=auth)
        received = 0
        async for part in resp.content.iter_chunked(256 * 1024):
            received += len(part)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received > 24 * 1024 * 1024
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
async def test_the_archive_is_read_only(serve: ServerFactory, method: str) -> None:
    served = await serve()
    auth = await log_in(served.client)
    resp = await served.client.request(method, await archive_url(served, auth), headers=auth)
    assert resp.status == 405
