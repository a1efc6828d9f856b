"""Data folders written by the real Community Solid Server and Node Solid Server (issue 15: "Test
with folders written by the real servers (installed from the npm registry in the test set-up)").

The servers are the ones `make bench` measures against, pinned in bench/package.json and installed
into bench/node_modules by `make test` when npm is there. They are started as bench/servers.py
starts them — on a loopback port, `bench/loopback.cjs` preloaded so that they listen on 127.0.0.1
only, each with a data folder of its own — with what a migration needs instead of a benchmark:
CSS with accounts and a pod per account (`@css:config/file.json`, its base URL on `localhost`,
since CSS accepts http WebIDs only there), NSS in multi-user mode (a folder per host).

Each writer makes two accounts, alice and bob, and writes alice's resources over HTTP as alice:
CSS through Solid-OIDC client credentials with DPoP (pod.client, the flow CSS documents for
scripts), NSS through its session cookie after a password login (how its own pages work). What
each server then serves is recorded, to compare with what this server serves after the import.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from pod.client.account_api import temporary_credential
from pod.client.session import SolidSession
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
NODE_MODULES = BENCH / "node_modules"
CSS_SERVER = NODE_MODULES / "@solid" / "community-server" / "bin" / "server.js"
NSS_PACKAGE = NODE_MODULES / "solid-server"
PASSWORD = "a long secret 123"

# NSS's npm package lacks the dot-files of its account template (as bench/servers.py notes for the
# server template): the ACLs a new account gets, in NSS's template language (its root: the owner's;
# its profile: readable by all, as WebID profiles must be). NSS fills in the WebID and writes them
# into each new account's folder itself.
NSS_ACCOUNT_ROOT_ACL = """@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#owner> a acl:Authorization; acl:agent <{{webId}}>; acl:accessTo </>; acl:default </>;
    acl:mode acl:Read, acl:Write, acl:Control.
"""
NSS_ACCOUNT_PROFILE_ACL = """@prefix acl: <http://www.w3.org/ns/auth/acl#>.
@prefix foaf: <http://xmlns.com/foaf/0.1/>.
<#owner> a acl:Authorization; acl:agent <{{webId}}>; acl:accessTo <./>; acl:default <./>;
    acl:mode acl:Read, acl:Write, acl:Control.
<#public> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>; acl:default <./>;
    acl:mode acl:Read.
"""
NSS_SERVER_ACL = """@prefix acl: <http://www.w3.org/ns/auth/acl#>.
@prefix foaf: <http://xmlns.com/foaf/0.1/>.
<#public> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>; acl:mode acl:Read.
"""


def missing() -> str | None:
    """Why the real servers cannot run here (the reason a test is skipped with), or None."""
    if shutil.which("node") is None:
        return "no `node`: the migration tests need the real CSS and NSS (install node and npm; make test)"
    if not CSS_SERVER.is_file() or not (NSS_PACKAGE / "bin" / "solid").is_file():
        return (
            "bench/node_modules lacks @solid/community-server and solid-server: `make test` installs them "
            "(npm ci in bench/) when npm is there"
        )
    return None


def png(size: int = 3000) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + os.urandom(size)


@dataclass(frozen=True)
class Written:
    """A resource written to the old server, and what the old server then served for it."""

    path: str  # in the pod, as in its URL
    content_type: str
    body: bytes


@dataclass
class PeerFolder:
    """A data folder a real server wrote, and what was written into alice's pod."""

    kind: str  # css | nss
    folder: Path
    pods: dict[str, str]  # alice/bob → old pod URL
    written: list[Written] = field(default_factory=list)
    description: str = ""  # the triple written into notes/n1.ttl.meta (N-Triples, old URLs)


def resources(pod: str, bob: str) -> list[tuple[str, str, bytes]]:
    """(path, media type, body) written into alice's pod: Turtle, JSON-LD, binary, nested containers,
    a name that needs encoding, a non-RDF document whose name has no extension, ACLs."""
    acl = "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n@prefix foaf: <http://xmlns.com/foaf/0.1/>.\n"
    owner = (
        f"<#owner> a acl:Authorization; acl:agent <{pod}profile/card#me>; "
        "acl:mode acl:Read, acl:Write, acl:Control"
    )
    return [
        (
            "notes/n1.ttl",
            "text/turtle",
            f"@prefix ex: <http://ex.org/>.\n# a comment\n<#it> ex:links <{pod}notes/doc.jsonld#it>;\n"
            f"  ex:knows <{bob}profile/card#me>; ex:outside <https://elsewhere.example/x>;\n"
            '  ex:name "One".\n'.encode(),
        ),
        (
            "notes/doc.jsonld",
            "application/ld+json",
            json.dumps(
                {
                    "@id": f"{pod}notes/doc.jsonld#it",
                    "http://ex.org/links": {"@id": f"{pod}notes/n1.ttl#it"},
                    "http://ex.org/name": "Doc",
                }
            ).encode(),
        ),
        ("notes/plain.ttl", "text/turtle", b"<#a> <http://ex.org/b> <#c>.\n"),
        ("media/pic.png", "image/png", png()),
        ("media/blob", "application/octet-stream", os.urandom(2048)),
        ("media/readme", "text/plain", b"plain text in a document whose name has no extension\n"),
        ("media/caf%C3%A9%20menu.txt", "text/plain", "caf\u00e9 menu\n".encode()),
        ("a/b/c/deep.ttl", "text/turtle", b"<#deep> <http://ex.org/depth> 3.\n"),
        ("shared/pub.ttl", "text/turtle", b"<#shared> <http://ex.org/with> <http://ex.org/bob>.\n"),
        (
            "shared/.acl",
            "text/turtle",
            f"{acl}{owner}; acl:accessTo <./>; acl:default <./>.\n"
            f"<#bob> a acl:Authorization; acl:agent <{bob}profile/card#me>;\n"
            "  acl:accessTo <./>; acl:default <./>; acl:mode acl:Read.\n".encode(),
        ),
        ("public.ttl", "text/turtle", b'<#hello> <http://ex.org/says> "hello, world".\n'),
        (
            "public.ttl.acl",
            "text/turtle",
            f"{acl}{owner}; acl:accessTo <public.ttl>.\n"
            "<#all> a acl:Authorization; acl:agentClass foaf:Agent;\n"
            "  acl:accessTo <public.ttl>; acl:mode acl:Read.\n".encode(),
        ),
    ]


def description(pod: str) -> str:
    return f'<{pod}notes/n1.ttl> <http://purl.org/dc/terms/title> "Note one" .'


# -- running a node server -------------------------------------------------------------------------


class NodeServer:
    """A node server in a session of its own, stopped by its process group (nothing else)."""

    def __init__(self, command: list[str], cwd: Path, log: Path) -> None:
        env = os.environ | {"NODE_OPTIONS": f"--require {BENCH / 'loopback.cjs'}", "NODE_ENV": "production"}
        self.log = log
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait(self, port: int, host: str, path: str, timeout: float = 90.0) -> None:
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited at start: {self.log.read_text(errors='replace')[-600:]}"
                )
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                connection.request("GET", path, headers={"Host": host, "Accept": "application/json"})
                response = connection.getresponse()
                response.read()
                if response.status < 500:
                    return
            except OSError:
                pass
            finally:
                connection.close()
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass


Request = Callable[[str, str, bytes | None, dict[str, str]], Awaitable[tuple[int, str, bytes]]]


async def _write_all(peer: PeerFolder, request: Request, patch_description: bool) -> None:
    pod, bob = peer.pods["alice"], peer.pods["bob"]
    for path, content_type, body in resources(pod, bob):
        status, _, answer = await request("PUT", path, body, {"Content-Type": content_type})
        assert status in (200, 201, 204, 205), f"PUT {path}: {status} {answer[:300]!r}"
    # A container made by POST with a Slug, and the description (`.meta`) of a document.
    status, _, answer = await request(
        "POST",
        "",
        b"",
        {
            "Slug": "made",
            "Link": '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"',
            "Content-Type": "text/turtle",
        },
    )
    assert status == 201, f"POST made/: {status} {answer[:300]!r}"
    peer.description = description(pod)
    if patch_description:
        # CSS: descriptions are changed with PATCH only (its 405 says so for PUT).
        patch = (
            "@prefix solid: <http://www.w3.org/ns/solid/terms#>.\n"
            f"_:p a solid:InsertDeletePatch; solid:inserts {{ {peer.description} }}."
        ).encode()
        status, _, answer = await request("PATCH", "notes/n1.ttl.meta", patch, {"Content-Type": "text/n3"})
    else:
        status, _, answer = await request(
            "PUT", "notes/n1.ttl.meta", peer.description.encode(), {"Content-Type": "text/turtle"}
        )
    assert status in (200, 201, 204, 205), f"description: {status} {answer[:300]!r}"
    # What the old server serves for each, as the one to compare with.
    for path, content_type, _ in resources(pod, bob):
        status, served_type, body = await request("GET", path, None, {"Accept": content_type})
        assert status == 200, f"GET {path}: {status}"
        peer.written.append(Written(path, served_type.split(";")[0].strip(), body))


# -- CSS -------------------------------------------------------------------------------------------


async def _css_account(http: aiohttp.ClientSession, base: str, name: str) -> None:
    async with http.post(base + ".account/account/", json={}) as response:
        token = (await response.json())["authorization"]
    auth = {"Authorization": f"CSS-Account-Token {token}"}
    async with http.get(base + ".account/", headers=auth) as response:
        controls = (await response.json())["controls"]
    login = {"email": f"{name}@example.org", "password": PASSWORD}
    async with http.post(controls["password"]["create"], json=login, headers=auth) as response:
        assert response.status == 200, await response.text()
    async with http.post(controls["account"]["pod"], json={"name": name}, headers=auth) as response:
        assert response.status == 200, await response.text()


def css_folder(work: Path) -> PeerFolder:
    """A real CSS 7 (file back end, accounts and pods) data folder with alice's and bob's pods."""
    data = work / "css-data"
    data.mkdir()
    port = free_port()
    base = f"http://localhost:{port}/"
    server = NodeServer(
        [
            "node",
            str(CSS_SERVER),
            "-c",
            "@css:config/file.json",
            "-f",
            str(data),
            "-p",
            str(port),
            "-b",
            base,
            "-l",
            "warn",
        ],
        BENCH,
        work / "css.log",
    )
    peer = PeerFolder("css", data, {"alice": base + "alice/", "bob": base + "bob/"})
    try:
        server.wait(port, f"localhost:{port}", "/.account/")

        async def write() -> None:
            async with aiohttp.ClientSession() as http:
                for name in ("alice", "bob"):
                    await _css_account(http, base, name)
                async with temporary_credential(http, base, "alice@example.org", PASSWORD) as credential:
                    session = SolidSession(http, base, credential)

                    async def request(
                        method: str, path: str, body: bytes | None, headers: dict[str, str]
                    ) -> tuple[int, str, bytes]:
                        url = peer.pods["alice"] + path
                        sent = {**headers, **await session.headers(method, url)}
                        async with http.request(method, url, data=body, headers=sent) as response:
                            return (
                                response.status,
                                response.headers.get("Content-Type", ""),
                                await response.read(),
                            )

                    await _write_all(peer, request, patch_description=True)

        asyncio.run(write())
    finally:
        server.stop()
    return peer


# -- NSS -------------------------------------------------------------------------------------------


# NSS dies of its own start-up race now and then (see below), more often on a loaded machine: one
# `make test` on a busy CI machine lost all of three attempts.
NSS_START_ATTEMPTS = 8


def nss_folder(work: Path) -> PeerFolder:
    """A real NSS 6 multi-user data folder: `localhost/` (the server's own) and a folder per account."""
    data = work / "nss-data"
    data.mkdir()
    config = work / "nss-config"
    templates = config / "templates"
    shutil.copytree(NSS_PACKAGE / "default-templates" / "server", templates / "server")
    (templates / "server" / ".acl").write_text(NSS_SERVER_ACL)
    shutil.copytree(NSS_PACKAGE / "default-templates" / "new-account", templates / "new-account")
    (templates / "new-account" / ".acl").write_text(NSS_ACCOUNT_ROOT_ACL)
    (templates / "new-account" / "profile" / ".acl").write_text(NSS_ACCOUNT_PROFILE_ACL)
    for attempt in range(NSS_START_ATTEMPTS):
        port = free_port()
        server_host = f"localhost:{port}"
        command = ["node", str(NSS_PACKAGE / "bin" / "solid"), "start", "--quiet", "--multiuser"]
        command += ["--root", str(data), "--config-path", str(config), "--db-path", str(work / "nss-db")]
        command += ["--port", str(port), "--server-uri", f"http://{server_host}"]
        server = NodeServer(command, work, work / "nss.log")
        try:
            server.wait(port, server_host, "/")
            break
        except RuntimeError as error:
            # NSS 6 creates its own host folder twice at start without waiting (server-config.mjs,
            # ensureWelcomePage: an un-awaited mkdirp): now and then it dies of its own EEXIST.
            if "EEXIST" not in str(error) or attempt == NSS_START_ATTEMPTS - 1:
                raise
            shutil.rmtree(data)
            data.mkdir()
    pods = {name: f"http://{name}.localhost:{port}/" for name in ("alice", "bob")}
    peer = PeerFolder("nss", data, pods)
    try:

        async def write() -> None:
            # The server is reached on 127.0.0.1; which pod is asked for is told by the Host header.
            async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
                cookie = ""
                for name in ("alice", "bob"):
                    form = {
                        "username": name,
                        "password": PASSWORD,
                        "repeat_password": PASSWORD,
                        "name": name.title(),
                        "email": f"{name}@example.org",
                        "acceptToc": "true",
                    }
                    origin = f"http://127.0.0.1:{port}"
                    async with http.post(
                        origin + "/api/accounts/new",
                        data=form,
                        headers={"Host": server_host},
                        allow_redirects=False,
                    ) as response:
                        assert response.status == 302, await response.text()
                    if name == "alice":
                        login = {"username": name, "password": PASSWORD}
                        async with http.post(
                            origin + "/login/password",
                            data=login,
                            headers={"Host": server_host},
                            allow_redirects=False,
                        ) as response:
                            cookie = response.headers.getall("Set-Cookie")[0].split(";")[0]

                async def request(
                    method: str, path: str, body: bytes | None, headers: dict[str, str]
                ) -> tuple[int, str, bytes]:
                    sent = {**headers, "Host": f"alice.localhost:{port}", "Cookie": cookie}
                    async with http.request(
                        method, f"http://127.0.0.1:{port}/{path}", data=body, headers=sent
                    ) as response:
                        return (
                            response.status,
                            response.headers.get("Content-Type", ""),
                            await response.read(),
                        )

                await _write_all(peer, request, patch_description=False)

        asyncio.run(write())
    finally:
        server.stop()
    return peer
