"""What the interop tests need besides the clients under test: the real server in a subprocess, people made
through the CSS-shaped account API, a plain DPoP client to lay out test data, and a static web site for the
test app and the local copy of mashlib."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.server
import json
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from joserfc import jwt
from joserfc.jwk import ECKey

PASSWORD = "interop: a long enough secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Answer:
    """One HTTP request without redirects; any status is an answer, not an exception."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    prepared = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with opener.open(prepared, timeout=30) as response:
            return Answer(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers.items()), error.read())


class PodServer:
    """`python -m pod serve` on a free loopback port, with its log kept for failure reports."""

    def __init__(self, data_dir: Path, log_path: Path, *extra: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/"
        self.log_path = log_path
        command = [sys.executable, "-m", "pod", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--data-dir", str(data_dir), *extra]
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited at start:\n{self.log_text()}")
            with contextlib.suppress(OSError):
                if request("GET", self.base + ".well-known/openid-configuration").status == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not answer within 30 s:\n{self.log_text()}")

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-20000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@dataclass
class Person:
    """An account with a password, a pod and client credentials, made through the account API."""

    name: str
    email: str
    webid: str
    pod: str
    client_id: str
    client_secret: str


def create_person(base: str, name: str) -> Person:
    made = request("POST", base + ".account/account/", b"{}", {"Content-Type": "application/json"})
    assert made.status == 200, made.body
    token = made.json()["authorization"]
    auth = {"Authorization": f"CSS-Account-Token {token}", "Content-Type": "application/json"}
    controls = request("GET", base + ".account/", headers=auth).json()["controls"]

    def post(url: str, payload: dict[str, str]) -> Any:
        answer = request("POST", url, json.dumps(payload).encode(), auth)
        assert answer.status == 200, f"{url}: {answer.status} {answer.body!r}"
        return answer.json()

    email = f"{name}@example.org"
    post(controls["password"]["create"], {"email": email, "password": PASSWORD})
    pod = post(controls["account"]["pod"], {"name": name})
    credentials = post(controls["account"]["clientCredentials"], {"name": "interop", "webId": pod["webId"]})
    return Person(name, email, pod["webId"], pod["pod"], credentials["id"], credentials["secret"])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class DpopAgent:
    """A minimal Solid-OIDC client (client credentials + DPoP) that lays out data for the scenarios, so that
    no client under test depends on another one having worked."""

    base: str
    person: Person
    key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256", private=True))
    token: str = ""

    def proof(self, method: str, url: str, access_token: str | None = None) -> str:
        claims: dict[str, Any] = {
            "htm": method,
            "htu": url,
            "iat": int(time.time()),
            "jti": secrets.token_urlsafe(12),
        }
        if access_token:
            claims["ath"] = _b64(hashlib.sha256(access_token.encode()).digest())
        header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self.key.as_dict(private=False)}
        return jwt.encode(header, claims, self.key, algorithms=["ES256"])

    def log_in(self) -> None:
        pair = f"{quote(self.person.client_id, safe='')}:{quote(self.person.client_secret, safe='')}"
        token_url = self.base + ".oidc/token"
        answer = request(
            "POST",
            token_url,
            urlencode({"grant_type": "client_credentials", "scope": "webid"}).encode(),
            {
                "Authorization": "Basic " + base64.b64encode(pair.encode()).decode(),
                "Content-Type": "application/x-www-form-urlencoded",
                "DPoP": self.proof("POST", token_url),
            },
        )
        assert answer.status == 200, answer.body
        self.token = answer.json()["access_token"]

    def send(
        self, method: str, url: str, body: bytes | None = None, content_type: str | None = None
    ) -> Answer:
        if not self.token:
            self.log_in()
        headers = {"Authorization": f"DPoP {self.token}", "DPoP": self.proof(method, url, self.token)}
        if content_type:
            headers["Content-Type"] = content_type
        return request(method, url, body, headers)

    def put(self, url: str, body: str | bytes, content_type: str) -> None:
        data = body.encode() if isinstance(body, str) else body
        answer = self.send("PUT", url, data, content_type)
        assert answer.status in (201, 204), f"PUT {url}: {answer.status} {answer.body!r}"


class StaticSite:
    """Files from folders on a loopback port: the test app (its page, its bundle, its Client ID Document)
    and mashlib's dist folder."""

    def __init__(self, folders: dict[str, Path]) -> None:
        self.port = free_port()
        self.origin = f"http://localhost:{self.port}"
        mounts = dict(folders)

        class Handler(http.server.SimpleHTTPRequestHandler):
            extensions_map = {  # noqa: RUF012 - the standard library's own class attribute
                **http.server.SimpleHTTPRequestHandler.extensions_map,
                ".js": "text/javascript",
                ".mjs": "text/javascript",
                ".jsonld": "application/ld+json",
            }

            def translate_path(self, path: str) -> str:
                clean = path.split("?", 1)[0].split("#", 1)[0]
                for prefix, folder in mounts.items():
                    if clean.startswith(prefix):
                        relative = clean[len(prefix) :].lstrip("/") or "index.html"
                        target = (folder / relative).resolve()
                        if folder.resolve() in target.parents or target == folder.resolve():
                            return str(target)
                return str(Path("/nonexistent"))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def static_site(folders: dict[str, Path]) -> Iterator[StaticSite]:
    site = StaticSite(folders)
    try:
        yield site
    finally:
        site.stop()
