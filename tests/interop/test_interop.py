"""Real Solid clients against the real server (issue 8): Inrupt's solid-client with client credentials, its
WebSocket notifications client, a browser login with solid-client-authn-browser in headless Chromium, and
the SolidOS data browser.

The clients run in Node (tests/interop/scenarios/); this module starts `pod serve`, makes the people
through the account API, runs each scenario and shows its output. `make interop` installs the Node
packages (npm ci) and runs this module; without `node` or the packages, every test here is skipped."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.interop.harness import (
    PASSWORD,
    DpopAgent,
    Person,
    PodServer,
    StaticSite,
    create_person,
    static_site,
)

HERE = Path(__file__).parent
NODE_MODULES = HERE / "node_modules"
ARTIFACTS = HERE / "artifacts"
CHROMIUM = os.environ.get("POD_INTEROP_CHROMIUM", "/usr/bin/chromium")
MASHLIB = NODE_MODULES / "mashlib" / "dist"
NODE = shutil.which("node")

if NODE is None:
    pytest.skip("interop tests skipped: no `node` (see `make interop`)", allow_module_level=True)
if not (NODE_MODULES / "@inrupt" / "solid-client").is_dir():
    pytest.skip(
        "interop tests skipped: tests/interop/node_modules is missing (`make interop` runs npm ci)",
        allow_module_level=True,
    )

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"
)


def run_node(script: str, env: dict[str, str], timeout: int = 300) -> str:
    """Run one scenario; its output is printed (pytest shows it on failure) and returned."""
    assert NODE is not None
    completed = subprocess.run(
        [NODE, str(HERE / "scenarios" / script)],
        cwd=HERE,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = completed.stdout + completed.stderr
    print(output)
    assert completed.returncode == 0, f"{script} failed:\n{output}"
    return output


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodServer]:
    folder = tmp_path_factory.mktemp("interop")
    ARTIFACTS.mkdir(exist_ok=True)
    # The data browser from the locally installed mashlib (offline), served by the pod server itself.
    pod = PodServer(folder / "data", ARTIFACTS / "server.log", "--mashlib-url", str(MASHLIB))
    try:
        yield pod
    finally:
        pod.stop()


@pytest.fixture(scope="module")
def alice(server: PodServer) -> Person:
    return create_person(server.base, "alice")


def person_env(server: PodServer, person: Person) -> dict[str, str]:
    return {
        "POD_BASE": server.base,
        "POD_ROOT": person.pod,
        "POD_WEBID": person.webid,
        "POD_CLIENT_ID": person.client_id,
        "POD_CLIENT_SECRET": person.client_secret,
        "POD_EMAIL": person.email,
        "POD_PASSWORD": PASSWORD,
    }


def test_solid_client_with_client_credentials(server: PodServer, alice: Person) -> None:
    output = run_node("solid-client.mjs", person_env(server, alice))
    assert "all solid-client steps passed" in output


def test_solid_client_notifications_over_a_websocket(server: PodServer, alice: Person) -> None:
    """@inrupt/solid-client-notifications' WebsocketNotification hears an authenticated PUT, PATCH and DELETE.
    Its own discovery speaks Inrupt ESS's pre-standard "notification gateway", not the Solid Notifications
    Protocol, so the scenario checks that it is refused, subscribes as the protocol says and gives the
    library `receiveFrom` (see the comment at the top of notifications.mjs)."""
    output = run_node("notifications.mjs", person_env(server, alice), timeout=120)
    assert "all notifications steps passed" in output


@dataclass(frozen=True)
class AppSite:
    site: StaticSite
    folder: Path
    app: str
    client_id: str


@pytest.fixture(scope="module")
def app_site(server: PodServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppSite]:
    """The test app: its page, its bundle (esbuild), its config and its Client ID Document."""
    build = tmp_path_factory.mktemp("app")
    shutil.copy(HERE / "app" / "index.html", build / "index.html")
    esbuild = NODE_MODULES / ".bin" / "esbuild"
    bundled = subprocess.run(
        [
            str(esbuild),
            str(HERE / "app" / "app.js"),
            "--bundle",
            "--format=esm",
            f"--outfile={build / 'app.js'}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bundled.returncode == 0, bundled.stderr
    with static_site({"/app/": build}) as site:
        app = f"{site.origin}/app/"
        client_id = app + "id.jsonld"
        # Solid-OIDC §5.1: the Client ID Document, at the URL that is the app's client_id.
        document = {
            "@context": ["https://www.w3.org/ns/solid/oidc-context.jsonld"],
            "client_id": client_id,
            "client_name": "pod interop app",
            "redirect_uris": [app],
            "post_logout_redirect_uris": [app],
            "client_uri": app,
            "scope": "openid profile offline_access webid",
            "grant_types": ["refresh_token", "authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }
        (build / "id.jsonld").write_text(json.dumps(document))
        yield AppSite(site, build, app, client_id)


@needs_chromium
def test_browser_login_with_solid_client_authn_browser(
    server: PodServer, alice: Person, app_site: AppSite
) -> None:
    resource = alice.pod + "private/interop-secret.ttl"
    secret = "only alice may read this"
    DpopAgent(server.base, alice).put(resource, f'<#it> <http://schema.org/text> "{secret}" .', "text/turtle")
    config = {"issuer": server.base, "clientId": app_site.client_id, "resource": resource}
    (app_site.folder / "config.json").write_text(json.dumps(config))
    env = {
        **person_env(server, alice),
        "POD_APP": app_site.app,
        "POD_RESOURCE": resource,
        "POD_SECRET": secret,
        "POD_ARTIFACTS": str(ARTIFACTS),
    }
    output = run_node("browser-login.mjs", env)
    assert "all browser login steps passed" in output
    for shot in ("login.png", "consent.png"):
        assert (ARTIFACTS / shot).stat().st_size > 0


@needs_chromium
def test_solidos_data_browser_shows_containers_and_logs_in(server: PodServer, alice: Person) -> None:
    agent = DpopAgent(server.base, alice)
    container = alice.pod + "public/solidos/"
    document = container + "hello.ttl"
    text = "Hello from the data browser test"
    agent.put(document, f'<#it> <http://purl.org/dc/terms/title> "{text}" .', "text/turtle")
    agent.put(container + "notes.txt", "some notes", "text/plain")
    # WAC: the container and what it holds readable by everyone, as a person publishing it would do.
    agent.put(
        container + ".acl",
        f"""@prefix acl: <http://www.w3.org/ns/auth/acl#>.
@prefix foaf: <http://xmlns.com/foaf/0.1/>.
<#owner> a acl:Authorization; acl:agent <{alice.webid}>; acl:accessTo <./>; acl:default <./>;
    acl:mode acl:Read, acl:Write, acl:Control.
<#public> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>; acl:default <./>;
    acl:mode acl:Read.
""",
        "text/turtle",
    )
    private = alice.pod + "private/solidos/"
    agent.put(private + "diary.ttl", '<#today> <http://purl.org/dc/terms/title> "Diary" .', "text/turtle")
    env = {
        **person_env(server, alice),
        "POD_PRIVATE": private,
        "POD_PRIVATE_NAME": "diary.ttl",
        "POD_CONTAINER": container,
        "POD_NAMES": "hello.ttl,notes.txt",
        "POD_DOCUMENT": document,
        "POD_DOCUMENT_TEXT": text,
        "POD_ARTIFACTS": str(ARTIFACTS),
    }
    output = run_node("solidos.mjs", env)
    assert "all SolidOS steps passed" in output
