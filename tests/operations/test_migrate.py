"""Issue 15, migration in: `pod import --from-css DIR` / `--from-nss DIR` bring over the pods of
folders written by the real Community Solid Server 7 and Node Solid Server 6 (tests/operations/
peers.py starts them once per module), and this server then serves every resource as the old one
did, under the same access control, with URLs into the old pods rewritten.

The issue: "read a Community Solid Server or Node Solid Server data folder (their file layouts:
`$.ext` media-type suffixes, `.acl`/`.meta` files, NSS's `index.ttl` conventions where they apply)
and bring the pods over, with a report of anything skipped and why. Test with folders written by
the real servers (installed from the npm registry in the test set-up), not by hand." Bad input:
"CSS/NSS folders with files the servers themselves would not have written".
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import shutil
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pyoxigraph as ox
import pytest

from pod.admin import migrate
from pod.admin.archive import Relocation, relocate_graph
from pod.app import make_app
from pod.cli import main
from pod.client.session import ClientCredential, SolidSession
from pod.config import Settings
from pod.idp.claims import Claims
from pod.idp.setup import IDENTITY_PROVIDER
from pod.rdf import formats
from pod.storage import names
from tests.conftest import free_port
from tests.operations import peers
from tests.operations.conftest import ServerFactory
from tests.operations.peers import PeerFolder

PASSWORD = "correct horse battery"
MIGRATED = ("alice", "bob")


# -- the folders the real servers wrote (once per module) ------------------------------------------


@pytest.fixture(scope="module")
def css(tmp_path_factory: pytest.TempPathFactory) -> PeerFolder:
    reason = peers.missing()
    if reason:
        pytest.skip(reason)
    return peers.css_folder(tmp_path_factory.mktemp("css"))


@pytest.fixture(scope="module")
def nss(tmp_path_factory: pytest.TempPathFactory) -> PeerFolder:
    reason = peers.missing()
    if reason:
        pytest.skip(reason)
    return peers.nss_folder(tmp_path_factory.mktemp("nss"))


@pytest.fixture(params=["css", "nss"])
def peer(request: pytest.FixtureRequest) -> PeerFolder:
    folder: PeerFolder = request.getfixturevalue(request.param)
    return folder


# -- this server's side -----------------------------------------------------------------------------


class Imported:
    """The outcome of one `pod import --from-...` run."""

    def __init__(self, code: int, out: str, err: str, report: dict[str, Any]) -> None:
        self.code, self.out, self.err, self.report = code, out, err, report

    def pod(self, name: str) -> dict[str, Any]:
        return next(p for p in self.report["pods"] if p["name"] == name)


def run_import(capsys: pytest.CaptureFixture[str], data: Path, base: str, *args: str) -> Imported:
    report = data.parent / f"report-{uuid.uuid4().hex}.json"
    code = main(["import", *args, "--data-dir", str(data), "--base-url", base, "--report", str(report)])
    out = capsys.readouterr()
    return Imported(code, out.out, out.err, json.loads(report.read_text()) if report.exists() else {})


def import_peer(
    capsys: pytest.CaptureFixture[str], peer: PeerFolder, data: Path, base: str, *args: str
) -> Imported:
    return run_import(capsys, data, base, f"--from-{peer.kind}", str(peer.folder), *args)


class Ours:
    """This server over the imported data folder, and a session per person who claimed an account."""

    def __init__(self, base: str, http: aiohttp.ClientSession) -> None:
        self.base = base
        self.http = http
        self.people: dict[str, SolidSession] = {}

    async def claim(self, name: str, code: str) -> None:
        """Claim the migrated account (pod.idp.claims), then make a client credential to act as it."""
        body = {"code": code, "email": f"{name}@example.org", "password": PASSWORD}
        async with self.http.post(self.base + ".account/login/claim/", json=body) as response:
            assert response.status == 200, await response.text()
            token = (await response.json())["authorization"]
        auth = {"Authorization": f"CSS-Account-Token {token}", "Accept": "application/json"}
        async with self.http.get(self.base + ".account/", headers=auth) as response:
            controls = (await response.json())["controls"]
        async with self.http.get(controls["account"]["webId"], headers=auth) as response:
            webid = next(iter((await response.json())["webIdLinks"]))
        made = {"name": "test", "webId": webid}
        async with self.http.post(
            controls["account"]["clientCredentials"], json=made, headers=auth
        ) as response:
            credential = await response.json()
        self.people[name] = SolidSession(
            self.http, self.base, ClientCredential(credential["id"], credential["secret"])
        )

    async def get(self, path: str, as_: str | None = None, accept: str = "*/*") -> tuple[int, str, bytes]:
        url = self.base + path
        headers = {"Accept": accept}
        if as_ is not None:
            headers |= await self.people[as_].headers("GET", url)
        async with self.http.get(url, headers=headers) as response:
            return response.status, response.headers.get("Content-Type", ""), await response.read()


async def serving(aiohttp_server: Any, data: Path, port: int) -> None:
    settings = Settings(host="127.0.0.1", port=port, data_dir=data)
    await aiohttp_server(make_app(settings), port=port)


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession() as session:
        yield session


async def migrated(
    capsys: pytest.CaptureFixture[str],
    aiohttp_server: Any,
    http: aiohttp.ClientSession,
    peer: PeerFolder,
    tmp: Path,
) -> tuple[Ours, Imported]:
    """Import the peer's folder into a fresh data folder, serve it, and claim alice's and bob's accounts."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    data = tmp / "data"
    result = await asyncio.to_thread(import_peer, capsys, peer, data, base)
    assert result.code == 0, result.err
    await serving(aiohttp_server, data, port)
    ours = Ours(base, http)
    for name in MIGRATED:
        await ours.claim(name, result.pod(name)["account"]["claimCode"])
    return ours, result


def relocated(peer: PeerFolder, base: str) -> Relocation:
    return Relocation({peer.pods[name]: f"{base}{name}/" for name in MIGRATED})


def expected_graph(peer: PeerFolder, base: str, path: str, media_type: str, body: bytes) -> set[ox.Triple]:
    graph = formats.parse(body, media_type, peer.pods["alice"] + path)
    moved, _ = relocate_graph(graph, relocated(peer, base))
    return set(moved)


# -- what comes over --------------------------------------------------------------------------------


async def test_every_resource_comes_back_with_its_content_and_media_type(
    capsys: pytest.CaptureFixture[str],
    aiohttp_server: Any,
    http: aiohttp.ClientSession,
    peer: PeerFolder,
    tmp_path: Path,
) -> None:
    """Issue 15: the pods come over with "their file layouts: `$.ext` media-type suffixes, `.acl`/`.meta`
    files": each resource the old server served, this server serves with the same media type and the
    same content (RDF: the same graph once its URLs are rewritten)."""
    ours, _ = await migrated(capsys, aiohttp_server, http, peer, tmp_path)
    assert len(peer.written) == len(peers.resources("", ""))
    for written in peer.written:
        status, content_type, body = await ours.get(f"alice/{written.path}", "alice", written.content_type)
        assert status == 200, written.path
        assert content_type.split(";")[0] == written.content_type, written.path
        if formats.is_rdf(written.content_type):
            got = set(formats.parse(body, written.content_type, f"{ours.base}alice/{written.path}"))
            assert got == expected_graph(peer, ours.base, written.path, written.content_type, written.body)
        else:
            assert body == written.body, written.path


async def test_containers_and_descriptions_come_over(
    capsys: pytest.CaptureFixture[str],
    aiohttp_server: Any,
    http: aiohttp.ClientSession,
    peer: PeerFolder,
    tmp_path: Path,
) -> None:
    """Issue 15: nested containers, a container made by POST, and a `.meta` description come over."""
    ours, _ = await migrated(capsys, aiohttp_server, http, peer, tmp_path)
    status, _, listing = await ours.get("alice/a/b/", "alice", "text/turtle")
    assert status == 200
    contains = ox.NamedNode("http://www.w3.org/ns/ldp#contains")
    graph = formats.parse(listing, "text/turtle", ours.base + "alice/a/b/")
    assert ox.NamedNode(ours.base + "alice/a/b/c/") in {t.object for t in graph if t.predicate == contains}
    assert (await ours.get("alice/made/", "alice", "text/turtle"))[0] == 200
    status, _, meta = await ours.get("alice/notes/n1.ttl.meta", "alice", "text/turtle")
    assert status == 200
    title = ox.Triple(
        ox.NamedNode(ours.base + "alice/notes/n1.ttl"),
        ox.NamedNode("http://purl.org/dc/terms/title"),
        ox.Literal("Note one"),
    )
    assert title in set(formats.parse(meta, "text/turtle", ours.base + "alice/notes/n1.ttl.meta"))


async def test_acls_still_govern_with_the_migrated_webids(
    capsys: pytest.CaptureFixture[str],
    aiohttp_server: Any,
    http: aiohttp.ClientSession,
    peer: PeerFolder,
    tmp_path: Path,
) -> None:
    """Issue 15: ACLs come over and still decide (their WebIDs rewritten: bob's old WebID in
    alice's ACL names bob's migrated WebID), with real Solid-OIDC logins of the claimed accounts."""
    ours, _ = await migrated(capsys, aiohttp_server, http, peer, tmp_path)
    assert (await ours.get("alice/notes/n1.ttl"))[0] == 401
    assert (await ours.get("alice/public.ttl"))[0] == 200
    assert (await ours.get("alice/shared/pub.ttl"))[0] == 401
    assert (await ours.get("alice/shared/pub.ttl", "bob"))[0] == 200
    assert (await ours.get("alice/notes/n1.ttl", "bob"))[0] == 403
    assert (await ours.get("alice/notes/n1.ttl", "alice"))[0] == 200
    assert (await ours.get("bob/profile/card", "bob"))[0] == 200


async def test_urls_into_the_old_pods_are_rewritten(
    capsys: pytest.CaptureFixture[str],
    aiohttp_server: Any,
    http: aiohttp.ClientSession,
    peer: PeerFolder,
    tmp_path: Path,
) -> None:
    """Issue 15: "URLs that pointed into the old server's pods (in RDF documents and ACLs) are rewritten
    to the new location"; others are kept; the owner's profile names this server as its issuer."""
    ours, result = await migrated(capsys, aiohttp_server, http, peer, tmp_path)
    new_alice, new_bob = ours.base + "alice/", ours.base + "bob/"
    _, _, body = await ours.get("alice/notes/n1.ttl", "alice", "text/turtle")
    graph = formats.parse(body, "text/turtle", new_alice + "notes/n1.ttl")
    objects = {t.object for t in graph}
    assert ox.NamedNode(new_bob + "profile/card#me") in objects
    assert ox.NamedNode(new_alice + "notes/doc.jsonld#it") in objects
    assert ox.NamedNode("https://elsewhere.example/x") in objects
    old_origin = peer.pods["alice"].split("/")[2].split(".", 1)[-1]  # localhost:PORT
    for pod in result.report["pods"]:
        for doc in pod["documents"]:
            if formats.is_rdf(doc["type"]):
                _, _, served = await ours.get(f"{pod['name']}/{doc['path']}", pod["name"], doc["type"])
                assert old_origin.encode() not in served, doc["path"]
    _, _, acl = await ours.get("alice/shared/.acl", "alice", "text/turtle")
    agents = {t.object for t in formats.parse(acl, "text/turtle", new_alice + "shared/.acl")}
    assert ox.NamedNode(new_bob + "profile/card#me") in agents
    _, _, card = await ours.get("alice/profile/card", accept="text/turtle")
    issuers = {
        t.object
        for t in formats.parse(card, "text/turtle", new_alice + "profile/card")
        if t.predicate.value == "http://www.w3.org/ns/solid/terms#oidcIssuer"
    }
    assert issuers == {ox.NamedNode(ours.base)}


async def test_a_document_without_absolute_urls_keeps_its_bytes(
    capsys: pytest.CaptureFixture[str],
    aiohttp_server: Any,
    http: aiohttp.ClientSession,
    peer: PeerFolder,
    tmp_path: Path,
) -> None:
    """DESIGN "Files are the truth": a document whose relative IRIs already mean the same at its new
    URL is kept byte for byte (its comments and layout too), not re-serialised."""
    ours, result = await migrated(capsys, aiohttp_server, http, peer, tmp_path)
    written = next(w for w in peer.written if w.path == "notes/plain.ttl")
    assert (await ours.get("alice/notes/plain.ttl", "alice", "text/turtle"))[2] == written.body
    plain = next(d for d in result.pod("alice")["documents"] if d["path"] == "notes/plain.ttl")
    assert plain["rewritten"] is False


def test_the_report_lists_every_import_and_every_skip_with_its_reason(
    capsys: pytest.CaptureFixture[str], peer: PeerFolder, tmp_path: Path
) -> None:
    """Issue 15: "a report of anything skipped and why": CSS's `.internal/` (accounts) and NSS's own
    host folder are skipped with their reasons; every resource written is listed as imported."""
    result = import_peer(capsys, peer, tmp_path / "data", "http://localhost:3000/")
    assert result.code == 0, result.err
    skipped = {note["path"]: note["reason"] for note in result.report["skipped"]}
    if peer.kind == "css":
        assert "accounts" in skipped[".internal/"] and "not imported" in skipped[".internal/"]
    else:
        assert "own host folder" in skipped[next(p for p in skipped if p.startswith("localhost"))]
    alice = result.pod("alice")
    assert alice["oldUrl"] == peer.pods["alice"]
    assert alice["owners"] == ["http://localhost:3000/alice/profile/card#me"]
    listed = {doc["path"] for doc in alice["documents"]}
    assert {w.path for w in peer.written} <= listed
    assert "notes/n1.ttl.meta" in listed
    for written in peer.written:
        assert f"imported  {written.path}  {written.content_type}" in result.out
    assert alice["account"]["claimCode"] in result.out
    assert (
        oct(os.stat(next(tmp_path.glob("report-*.json"))).st_mode & 0o777) == "0o600"
    )  # it holds claim codes


# -- destination and selection ----------------------------------------------------------------------


def test_an_existing_pod_is_never_overwritten_without_force(
    capsys: pytest.CaptureFixture[str], css: PeerFolder, tmp_path: Path
) -> None:
    """Issue 15: "Existing pod data at the destination must never be overwritten silently": a taken
    name stops the whole run before anything is written; `--force` moves the old pod aside."""
    data, base = tmp_path / "data", "http://localhost:3000/"
    assert (
        main(
            [
                "accounts",
                "create",
                "--email",
                "a@example.org",
                "--password",
                PASSWORD,
                "--pod",
                "alice",
                "--data-dir",
                str(data),
                "--base-url",
                base,
            ]
        )
        == 0
    )
    (data / "alice" / "mine.txt").write_text("the pod that is here")
    capsys.readouterr()
    refused = import_peer(capsys, css, data, base)
    assert refused.code == 1 and "alice" in refused.err and "--force" in refused.err
    assert (data / "alice" / "mine.txt").read_text() == "the pod that is here"
    assert not (data / "bob").exists()  # nothing at all was imported
    forced = import_peer(capsys, css, data, base, "--force")
    assert forced.code == 0, forced.err
    aside = data / forced.pod("alice")["replaced"]
    assert (aside / "mine.txt").read_text() == "the pod that is here"
    assert not (data / "alice" / "mine.txt").exists() and (data / "alice" / "notes" / "n1.ttl").is_file()
    # The account that held the old pod no longer does (it cannot delete the new one).
    listed = main(["accounts", "list", "--data-dir", str(data), "--base-url", base])
    assert listed == 0
    lines = capsys.readouterr().out.splitlines()
    holder = lines.index(next(line for line in lines if line.startswith("a@example.org")))
    assert f"pod    {base}alice/" not in lines[holder + 1 : holder + 3]


def test_one_pod_can_be_imported_under_another_name(
    capsys: pytest.CaptureFixture[str], nss: PeerFolder, tmp_path: Path
) -> None:
    """Issue 15 / brief: `--pod OLD --as NEW` for a single pod; its WebID moves with it."""
    result = import_peer(
        capsys, nss, tmp_path / "data", "http://localhost:3000/", "--pod", "alice", "--as", "ally"
    )
    assert result.code == 0, result.err
    assert [p["name"] for p in result.report["pods"]] == ["ally"]
    assert result.pod("ally")["owners"] == ["http://localhost:3000/ally/profile/card#me"]
    assert not (tmp_path / "data" / "alice").exists()
    refused = import_peer(capsys, nss, tmp_path / "data2", "http://localhost:3000/", "--as", "ally")
    assert refused.code == 1 and "--as names one pod" in refused.err


def test_an_existing_account_can_receive_the_pods(
    capsys: pytest.CaptureFixture[str], css: PeerFolder, tmp_path: Path
) -> None:
    """`--email E`: the operator attaches the migrated pods to an account that exists here."""
    data, base = tmp_path / "data", "http://localhost:3000/"
    assert (
        main(
            [
                "accounts",
                "create",
                "--email",
                "op@example.org",
                "--password",
                PASSWORD,
                "--pod",
                "op",
                "--data-dir",
                str(data),
                "--base-url",
                base,
            ]
        )
        == 0
    )
    capsys.readouterr()
    result = import_peer(capsys, css, data, base, "--pod", "alice", "--email", "op@example.org")
    assert result.code == 0, result.err
    assert result.pod("alice")["account"]["email"] == "op@example.org"
    assert "claimCode" not in result.pod("alice")["account"]


def test_a_dry_run_writes_nothing(
    capsys: pytest.CaptureFixture[str], css: PeerFolder, tmp_path: Path
) -> None:
    result = import_peer(capsys, css, tmp_path / "data", "http://localhost:3000/", "--dry-run")
    assert result.code == 0, result.err
    assert result.report["dryRun"] and result.pod("alice")["counts"]["documents"] >= len(css.written)
    assert not (tmp_path / "data" / "alice").exists()


# -- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["css", "nss"])
def test_a_folder_that_is_no_data_folder_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    """Issue 15 bad input: a folder that is not a CSS/NSS data folder is refused, saying why."""
    stray = tmp_path / "stray"
    (stray / "photos").mkdir(parents=True)
    (stray / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    result = run_import(capsys, tmp_path / "data", "http://localhost:3000/", f"--from-{kind}", str(stray))
    assert result.code == 1
    assert ("Community Solid Server" if kind == "css" else "Node Solid Server") in result.err
    missing = run_import(
        capsys, tmp_path / "data", "http://localhost:3000/", f"--from-{kind}", str(tmp_path / "none")
    )
    assert missing.code == 1 and "is not a folder" in missing.err


def test_a_css_folder_given_as_nss_is_refused(
    capsys: pytest.CaptureFixture[str], css: PeerFolder, tmp_path: Path
) -> None:
    result = run_import(capsys, tmp_path / "data", "http://localhost:3000/", "--from-nss", str(css.folder))
    assert result.code == 1 and "--from-css" in result.err


@pytest.fixture
def tampered(css: PeerFolder, tmp_path: Path) -> Iterator[PeerFolder]:
    """A copy of the real CSS folder with files CSS itself would never have written."""
    folder = tmp_path / "tampered"
    shutil.copytree(css.folder, folder, symlinks=True)
    pod = folder / "alice"
    secret = tmp_path / "outside-secret.txt"
    secret.write_text("outside the folder")
    (pod / "notes" / "escape.txt").symlink_to(secret)
    (pod / "linked-folder").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(pod / "notes" / "pipe")
    (pod / "notes" / "slash%2Fname.txt").write_text("an encoded slash")
    (pod / "notes" / os.fsdecode(b"latin1-\xe9.txt")).write_text("not UTF-8")
    (pod / "box.acl").mkdir()
    (pod / "box.acl" / "inside.ttl").write_text("<#a> <#b> <#c>.")
    (pod / ".well-known").mkdir()
    (pod / ".well-known" / "thing.ttl").write_text("<#a> <#b> <#c>.")
    (pod / "notes" / "broken.ttl").write_text("<#this is not> turtle at all .")
    (pod / "notes" / "locked.txt").write_text("root reads everything; the test makes this one fail")
    yield PeerFolder("css", folder, css.pods, css.written)


def test_files_css_would_not_write_are_skipped_with_reasons(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tampered: PeerFolder, tmp_path: Path
) -> None:
    """Issue 15 bad input: symbolic links are never followed out of DIR, FIFOs are not read, unreadable
    files and names this server cannot represent are skipped, each with its reason; RDF that does
    not parse comes over unchanged with a warning (its bytes are the owner's)."""
    real_open = migrate.open_no_follow

    def unreadable(name: str, dirfd: int) -> int:
        if name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real_open(name, dirfd)

    monkeypatch.setattr(migrate, "open_no_follow", unreadable)
    data = tmp_path / "data"
    result = import_peer(capsys, tampered, data, "http://localhost:3000/", "--pod", "alice")
    assert result.code == 0, result.err
    alice = result.pod("alice")
    skipped = {note["path"]: note["reason"] for note in alice["skipped"]}
    assert "symbolic link" in skipped["notes/escape.txt"]
    assert "symbolic link" in skipped["linked-folder"]
    assert "FIFO" in skipped["notes/pipe"]
    assert "encoded slash" in skipped["notes/slash%2Fname.txt"]
    assert "UTF-8" in skipped["notes/latin1-\\xe9.txt"]
    assert "auxiliary" in skipped["box.acl/"]
    assert ".well-known" in skipped[".well-known/"]
    assert "Permission denied" in skipped["notes/locked.txt"]
    imported = {doc["path"] for doc in alice["documents"]}
    assert not any("escape" in p or "secret" in p or "pipe" in p for p in imported)
    assert not list(data.rglob("*outside*")) and "outside the folder" not in "".join(
        p.read_text(errors="replace") for p in data.rglob("*") if p.is_file() and p.stat().st_size < 10_000
    )
    warnings = {note["path"]: note["reason"] for note in alice["warnings"]}
    assert "imported unchanged" in warnings["notes/broken.ttl"]
    assert (data / "alice" / "notes" / "broken.ttl").read_text() == "<#this is not> turtle at all ."
    for reason in ("symbolic link", "FIFO", "encoded slash", "broken.ttl"):
        assert reason in result.out


def test_huge_files_are_streamed_not_read_into_memory(tampered: PeerFolder, tmp_path: Path) -> None:
    """Issue 15 bad input: absurd sizes. A 64 MiB file is copied in chunks; a 20 MiB Turtle file
    (beyond the rewrite limit) is copied unchanged, with a warning, never parsed."""
    pod = tampered.folder / "alice"
    with open(pod / "media" / "huge.bin", "wb") as huge:
        huge.truncate(64 * 1024**2)
    with open(pod / "notes" / "huge.ttl", "wb") as huge:
        huge.truncate(20 * 1024**2)
    found = migrate.survey("css", tampered.folder, only="alice")
    tracemalloc.start()
    try:
        built = migrate.build_pod(
            found,
            found.selected[0],
            tmp_path / "built",
            "http://localhost:3000/",
            migrate.relocation_for(found.selected, "http://localhost:3000/"),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024**2, f"peak {peak} bytes"
    assert (tmp_path / "built" / "media" / "huge.bin").stat().st_size == 64 * 1024**2
    assert any(n.path == "notes/huge.ttl" and "larger than" in n.reason for n in built.warnings)


# -- claiming a migrated account --------------------------------------------------------------------


async def test_a_claim_code_works_once(
    capsys: pytest.CaptureFixture[str],
    aiohttp_server: Any,
    http: aiohttp.ClientSession,
    css: PeerFolder,
    tmp_path: Path,
) -> None:
    """README "Moving pods": the account made for a migrated pod is taken over once with its code;
    `pod accounts claim-code` makes a new code and the old one stops working."""
    port = free_port()
    base, data = f"http://127.0.0.1:{port}/", tmp_path / "data"
    result = await asyncio.to_thread(import_peer, capsys, css, data, base, "--pod", "alice")
    first = result.pod("alice")["account"]["claimCode"]
    code = await asyncio.to_thread(
        main, ["accounts", "claim-code", "alice", "--data-dir", str(data), "--base-url", base]
    )
    assert code == 0
    second = capsys.readouterr().out.split("claim code: ")[1].split()[0]
    await serving(aiohttp_server, data, port)
    claim = base + ".account/login/claim/"
    body = {"email": "alice@example.org", "password": PASSWORD}
    async with http.post(claim, json={**body, "code": first}) as response:
        assert response.status == 401  # replaced by the new one
    async with http.post(claim, json={**body, "code": second}) as response:
        assert response.status == 200
    async with http.post(claim, json={**body, "code": second, "email": "eve@example.org"}) as response:
        assert response.status == 401  # used
    async with http.get(claim, headers={"Accept": "text/html"}) as response:
        page = await response.text()
        assert response.status == 200 and 'name="code"' in page and "<script" not in page
    login = {"email": "alice@example.org", "password": PASSWORD}
    async with http.post(base + ".account/login/password/", json=login) as response:
        assert response.status == 200


# -- the other layouts --------------------------------------------------------------------------------


def test_host_folders_with_a_port_are_read_too(nss: PeerFolder, tmp_path: Path) -> None:
    """Brief: NSS's "one folder per host like `alice.localhost:8443/`" (NSS 6 names them without the
    port; earlier versions with it): the pod is still `alice`, its old URL on that port."""
    folder = tmp_path / "ported"
    (folder).mkdir()
    port = peer_port(nss)
    for host in ("localhost", "alice.localhost", "bob.localhost"):
        shutil.copytree(nss.folder / host, folder / f"{host}:{port}", symlinks=True)
    found = migrate.survey("nss", folder)
    alice = next(pod for pod in found.selected if pod.name == "alice")
    assert alice.key == f"alice.localhost:{port}" and alice.old_url == nss.pods["alice"]
    assert any(note.path == f"localhost:{port}/" for note in found.skipped)


def peer_port(peer: PeerFolder) -> str:
    return peer.pods["alice"].rsplit(":", 1)[1].strip("/")


def test_a_single_user_nss_folder_is_one_pod_named_with_as(
    capsys: pytest.CaptureFixture[str], nss: PeerFolder, tmp_path: Path
) -> None:
    """NSS single-user: the data folder is the pod (it has the root `.acl`); it needs a name here."""
    folder = tmp_path / "single"
    shutil.copytree(nss.folder / "alice.localhost", folder, symlinks=True)
    unnamed = run_import(capsys, tmp_path / "data", "http://localhost:3000/", "--from-nss", str(folder))
    assert unnamed.code == 1 and "--as" in unnamed.err
    named = run_import(
        capsys,
        tmp_path / "data",
        "http://localhost:3000/",
        "--from-nss",
        str(folder),
        "--as",
        "solo",
        "--old-base-url",
        nss.pods["alice"],
    )
    assert named.code == 0, named.err
    n1 = (tmp_path / "data" / "solo" / "notes" / "n1.ttl").read_bytes()
    assert b"http://localhost:3000/solo/notes/doc.jsonld#it" in n1 and nss.pods["alice"].encode() not in n1


def test_nothing_is_read_through_a_symbolic_link(css: PeerFolder, tmp_path: Path) -> None:
    """Issue 15 bad input, symlinks: even the one file read in CSS's `.internal/` (its base URL) is
    not read when `.internal` links elsewhere."""
    folder = tmp_path / "linked"
    shutil.copytree(css.folder, folder, symlinks=True, ignore=shutil.ignore_patterns(".internal"))
    elsewhere = tmp_path / "elsewhere" / "setup"
    elsewhere.mkdir(parents=True)
    (elsewhere / "current-base-url$.json").write_text('{"payload": "https://evil.example/"}')
    (folder / ".internal").symlink_to(elsewhere.parent, target_is_directory=True)
    found = migrate.survey("css", folder, only="alice")
    alice = found.selected[0]
    assert alice.old_url == css.pods["alice"]
    assert not any("evil" in url for url in alice.aliases)


async def test_the_pod_readme_css_wrote_comes_over_as_markdown(
    capsys: pytest.CaptureFixture[str],
    aiohttp_server: Any,
    http: aiohttp.ClientSession,
    css: PeerFolder,
    tmp_path: Path,
) -> None:
    """CSS gives every new pod a `README$.markdown`: it comes over as text/markdown, stored under a
    name this server reads back (pod.storage.names knows `.md` now; before, `README$.md` was hidden)."""
    assert names.parse_file_name(names.file_name_for("README", "text/markdown")) == names.StoredName(
        "README", "text/markdown"
    )
    ours, _ = await migrated(capsys, aiohttp_server, http, css, tmp_path)
    status, content_type, body = await ours.get("alice/README", "alice")
    assert status == 200 and content_type.startswith("text/markdown") and b"pod" in body


async def test_a_person_claims_their_account_on_the_page(serve: ServerFactory) -> None:
    """README "Migrating from CSS or NSS": the claim page (no JavaScript, CSRF-checked like every
    form) gives a login-less account its email and password, then opens its dashboard."""
    served = await serve()
    idp = served.client.server.app[IDENTITY_PROVIDER]
    account = await idp.accounts.create()
    code = await Claims(idp.accounts).issue(account.id)
    page = await (await served.client.get("/.account/login/claim/", headers={"Accept": "text/html"})).text()
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    form = {"code": code, "email": "carol@example.org", "password": PASSWORD, "confirm": PASSWORD}
    refused = await served.client.post("/.account/login/claim/", data=form, allow_redirects=False)
    assert refused.status == 403  # no CSRF token: nothing happens
    resp = await served.client.post(
        "/.account/login/claim/", data={**form, "csrf": html.unescape(token.group(1))}, allow_redirects=False
    )
    assert resp.status == 303 and resp.headers["Location"].endswith(f"/.account/account/{account.id}/")
    assert (await idp.accounts.get(account.id)).email == "carol@example.org"  # type: ignore[union-attr]
