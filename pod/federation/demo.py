"""`make demo-federation`: two pod servers on loopback ports, and Alice and Bob working across them.

Alice's pod is on server A, Bob's on server B, each server with its own OpenID provider. Alice
grants Bob's WebID read access to one document; Bob reads it with a token from his own server
(A trusts B's provider because Bob's WebID profile on B names it); Bob drops a notification into
Alice's inbox, discovered from her WebID profile. Each step prints what it did and its status.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from pod.app import make_app
from pod.config import Settings
from pod.federation.people import Person, create_person
from pod.ldn.sending import NotifyError, notify

PASSWORD = "a long demo password"
DOCUMENT = "shared/plans.ttl"
NOTE = b"""{
  "@context": "https://www.w3.org/ns/activitystreams",
  "type": "Announce",
  "summary": "Bob has read your plans",
  "actor": {"@id": "ACTOR"},
  "object": {"@id": "OBJECT"}
}"""


@dataclass(frozen=True, slots=True)
class Step:
    what: str
    status: int
    detail: str = ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def running_server(data_dir: Path, port: int | None = None) -> AsyncIterator[str]:
    """A full server (its own data folder and provider) on a loopback port; yields its base URL."""
    port = port or free_port()
    settings = Settings(host="127.0.0.1", port=port, data_dir=data_dir, single_user=False)
    runner = web.AppRunner(make_app(settings), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield settings.base_url
    finally:
        await runner.cleanup()


async def request_as(
    http: aiohttp.ClientSession,
    person: Person,
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    content_type: str | None = None,
    accept: str | None = None,
) -> int:
    """One request as `person` (a token from their own server); returns the status."""
    headers = await person.session(http).headers(method, url)
    if content_type is not None:
        headers["Content-Type"] = content_type
    if accept is not None:
        headers["Accept"] = accept
    async with http.request(method, url, headers=headers, data=body, allow_redirects=False) as answer:
        await answer.read()
        return answer.status


def grant_read(document: str, owner: str, reader: str) -> str:
    """A WAC ACL for one document: its owner keeps full control, `reader` may read it."""
    return f"""@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#owner> a acl:Authorization; acl:agent <{owner}>; acl:accessTo <{document}>;
    acl:mode acl:Read, acl:Write, acl:Control.
<#reader> a acl:Authorization; acl:agent <{reader}>; acl:accessTo <{document}>; acl:mode acl:Read.
"""


async def run_steps(
    http: aiohttp.ClientSession, server_a: str, server_b: str, report: Callable[[Step], None]
) -> list[Step]:
    """The demo's steps against two running servers; each is reported as it completes."""
    steps: list[Step] = []

    def done(step: Step) -> None:
        steps.append(step)
        report(step)

    alice = await create_person(http, server_a, "alice", PASSWORD)
    done(Step(f"Alice has an account on A: {alice.webid}", 200))
    bob = await create_person(http, server_b, "bob", PASSWORD)
    done(Step(f"Bob has an account on B: {bob.webid}", 200))
    document = alice.pod + DOCUMENT
    status = await request_as(
        http,
        alice,
        "PUT",
        document,
        body=b'<#plan> <http://purl.org/dc/terms/title> "Trip".',
        content_type="text/turtle",
    )
    done(Step(f"Alice writes {document}", status))
    status = await request_as(http, bob, "GET", document)
    done(Step("Bob, with a token from B, cannot read it yet", status))
    acl = grant_read(document, alice.webid, bob.webid).encode()
    status = await request_as(http, alice, "PUT", document + ".acl", body=acl, content_type="text/turtle")
    done(Step(f"Alice grants Bob ({bob.webid}) read access", status))
    status = await request_as(http, bob, "GET", document)
    done(Step("Bob reads it with a token from his own server B", status))
    note = NOTE.replace(b"ACTOR", bob.webid.encode()).replace(b"OBJECT", document.encode())
    try:
        inbox, location = await notify(
            http, alice.webid, note, "application/ld+json", bob.session(http).headers
        )
    except NotifyError as error:
        done(Step(f"Bob could not notify Alice: {error}", 0))
        return steps
    done(Step(f"Bob notifies Alice: her inbox {inbox} holds {location}", 201))
    status = await request_as(http, alice, "GET", location, accept="application/ld+json")
    done(Step("Alice reads the notification as JSON-LD", status))
    status = await request_as(http, bob, "GET", location)
    done(Step("Bob cannot read what is in Alice's inbox", status))
    return steps


async def main() -> int:
    with tempfile.TemporaryDirectory(prefix="pod-federation-") as folder:
        async with (
            running_server(Path(folder) / "a") as server_a,
            running_server(Path(folder) / "b") as server_b,
            aiohttp.ClientSession() as http,
        ):
            print(f"server A: {server_a}\nserver B: {server_b}")
            steps = await run_steps(
                http, server_a, server_b, lambda step: print(f"[{step.status}] {step.what}")
            )
    expected = [200, 200, 201, 403, 201, 200, 201, 200, 403]
    ok = [step.status for step in steps] == expected
    print("federation demo: " + ("every step as expected" if ok else "UNEXPECTED STATUSES"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
