"""The index is derived from the files: it follows changes made behind the server's back, survives
restarts (rebuilding what is stale), and `pod index rebuild` builds it afresh (issue 10)."""

from __future__ import annotations

import asyncio
import contextlib
import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pod.cli import main
from pod.sparql.setup import SPARQL
from tests.conftest import ClientFactory
from tests.idp_oidc.conftest import Client

ENDPOINT = "/.well-known/sparql"
NOTES = "SELECT ?g WHERE { GRAPH ?g { ?s a <http://example.org/Note> } } ORDER BY ?g"
NOTE = b"<#it> a <http://example.org/Note> .\n"
# One base URL for every server started on the same data (the root ACL names it), whatever the port.
BASE = "http://127.0.0.1:9/"
# On-disk behaviour: the file store only.
pytestmark = pytest.mark.parametrize("storage", ["file"])


async def graphs(client: Client, query: str = NOTES) -> list[str]:
    resp = await client.get(ENDPOINT, params={"query": query})
    assert resp.status == 200, await resp.text()
    return [urlsplit(b["g"]["value"]).path[1:] for b in (await resp.json())["results"]["bindings"]]


async def put(client: Client, path: str, body: bytes = NOTE) -> None:
    resp = await client.put(path, data=body, headers={"Content-Type": "text/turtle"})
    assert resp.status in (201, 204), await resp.text()


async def test_files_written_behind_the_servers_back_are_seen(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    """DESIGN "Files are the truth": a document added by hand is in the next query's dataset."""
    client = await make_client()
    await put(client, "/notes/a.ttl")
    assert await graphs(client) == ["notes/a.ttl"]
    (tmp_path / "data" / "notes" / "b.ttl").write_bytes(NOTE)
    assert await graphs(client) == ["notes/a.ttl", "notes/b.ttl"]
    (tmp_path / "data" / "notes" / "a.ttl").unlink()
    assert await graphs(client) == ["notes/b.ttl"]


async def test_an_acl_written_by_hand_takes_effect_at_once(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    """WAC §Effective ACL Resource: an ACL created beside the server (by hand, by another process)
    governs the very next query — the index's grouping is never trusted over the files."""
    client = await make_client()
    await put(client, "/notes/a.ttl")
    await put(client, "/notes/b.ttl")
    assert await graphs(client) == ["notes/a.ttl", "notes/b.ttl"]
    acl = b"""@prefix acl: <http://www.w3.org/ns/auth/acl#>. <#o> a acl:Authorization;
        acl:agent <https://someone.example/#me>; acl:accessTo <b.ttl>; acl:mode acl:Read."""
    (tmp_path / "data" / "notes" / "b.ttl.acl").write_bytes(acl)
    assert await graphs(client) == ["notes/a.ttl"]


async def test_a_restart_rebuilds_what_changed_while_it_was_down(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    """Issue 10: the index is rebuilt when older than the data (and reused when it is not)."""
    first = await make_client(base_url=BASE)
    await put(first, "/notes/a.ttl")
    await put(first, "/notes/b.ttl")
    assert await graphs(first) == ["notes/a.ttl", "notes/b.ttl"]
    await first.close()
    assert any((tmp_path / "data" / "$pod" / "sparql").iterdir())  # the index stayed on disk
    (tmp_path / "data" / "notes" / "b.ttl").write_bytes(b"<#it> a <http://example.org/Other> .\n")
    (tmp_path / "data" / "notes" / "c.ttl").write_bytes(NOTE)
    second = await make_client(base_url=BASE)
    assert await graphs(second) == ["notes/a.ttl", "notes/c.ttl"]


async def test_a_missing_index_is_built_again(make_client: ClientFactory, tmp_path: Path) -> None:
    first = await make_client(base_url=BASE)
    await put(first, "/notes/a.ttl")
    assert await graphs(first) == ["notes/a.ttl"]
    await first.close()
    for index in (tmp_path / "data" / "$pod" / "sparql").iterdir():
        for part in sorted(index.rglob("*"), reverse=True):
            part.rmdir() if part.is_dir() else part.unlink()
        index.rmdir()
    second = await make_client(base_url=BASE)
    assert await graphs(second) == ["notes/a.ttl"]


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


async def test_index_rebuild_command(make_client: ClientFactory, tmp_path: Path) -> None:
    """Issue 10: `pod index rebuild` builds a pod's index from its files; not while a server uses it."""
    client = await make_client(base_url=BASE)
    base = BASE
    await put(client, "/notes/a.ttl")
    assert await graphs(client) == ["notes/a.ttl"]
    args = ("index", "rebuild", "--data-dir", str(tmp_path / "data"), "--base-url", base, "--single-user")
    status, _, err = await asyncio.to_thread(run_cli, *args)
    assert status == 1 and "in use by a running server" in err
    await client.close()
    status, out, _ = await asyncio.to_thread(run_cli, *args)
    assert status == 0, out
    assert f"rebuilt the index of {base}" in out
    again = await make_client(base_url=BASE)
    assert await graphs(again) == ["notes/a.ttl"]


async def test_writes_while_idle_pods_have_no_index(make_client: ClientFactory, tmp_path: Path) -> None:
    """Issue 10: pods never queried cost nothing — no worker, no index on disk."""
    client = await make_client()
    await put(client, "/notes/a.ttl")
    folder = tmp_path / "data" / "$pod" / "sparql"
    assert not folder.exists() or not any(folder.iterdir())
    assert client.server.app[SPARQL].pods == {}
