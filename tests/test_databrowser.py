"""The SolidOS data browser (pod.http.databrowser): browsers asking for HTML get a page that loads mashlib,
every other client keeps getting RDF by content negotiation (issue 8; NSS does the same)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from rdf_helpers import media_type, put_turtle

from pod.config import DEFAULT_MASHLIB_URL, Settings, settings_from
from tests.conftest import ClientFactory

Client = TestClient[Any, Any]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
DOC = '<#it> <http://purl.org/dc/terms/title> "Hello" .\n'


async def test_browser_gets_the_data_browser_for_an_rdf_document(client: Client) -> None:
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl", headers={"Accept": BROWSER})
    assert resp.status == 200
    assert media_type(resp) == "text/html"
    page = await resp.text()
    assert f'src="{DEFAULT_MASHLIB_URL}mashlib.min.js"' in page
    assert f'href="{DEFAULT_MASHLIB_URL}mash.css"' in page
    assert "panes.runDataBrowser()" in page
    # The same resource: its Link, Allow and WAC-Allow headers as for any representation.
    assert 'rel="acl"' in resp.headers["Link"]
    assert resp.headers["WAC-Allow"]
    assert "Accept" in resp.headers["Vary"]


async def test_browser_gets_the_data_browser_for_a_container(client: Client) -> None:
    resp = await client.get("/", headers={"Accept": "text/html"})
    assert resp.status == 200
    assert media_type(resp) == "text/html"
    assert "mashlib.min.js" in await resp.text()


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "text/turtle", "application/ld+json", "text/*", "text/turtle;q=0.9, text/html;q=0.9"],
)
async def test_rdf_clients_still_get_rdf(client: Client, accept: str | None) -> None:
    # A tie between HTML and an RDF type goes to RDF: only a client preferring HTML gets the page.
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl", headers={} if accept is None else {"Accept": accept})
    assert resp.status == 200
    assert media_type(resp) != "text/html"
    assert "Accept" in resp.headers["Vary"]


async def test_non_rdf_documents_are_served_as_they_are(client: Client) -> None:
    put = await client.put("/note.txt", data=b"plain", headers={"Content-Type": "text/plain"})
    assert put.status == 201
    resp = await client.get("/note.txt", headers={"Accept": BROWSER})
    assert media_type(resp) == "text/plain"
    assert await resp.text() == "plain"
    page = await client.put("/page.html", data=b"<p>mine</p>", headers={"Content-Type": "text/html"})
    assert page.status == 201
    resp = await client.get("/page.html", headers={"Accept": BROWSER})
    assert await resp.text() == "<p>mine</p>"


async def test_the_page_has_its_own_etag_and_answers_conditional_requests(client: Client) -> None:
    # DESIGN "ETags identify a representation".
    await put_turtle(client, "/doc.ttl", DOC)
    turtle = await client.get("/doc.ttl", headers={"Accept": "text/turtle"})
    page = await client.get("/doc.ttl", headers={"Accept": "text/html"})
    assert page.headers["ETag"] != turtle.headers["ETag"]
    again = await client.get(
        "/doc.ttl", headers={"Accept": "text/html", "If-None-Match": page.headers["ETag"]}
    )
    assert again.status == 304
    # The Turtle client's validator does not match the page.
    other = await client.get(
        "/doc.ttl", headers={"Accept": "text/html", "If-None-Match": turtle.headers["ETag"]}
    )
    assert other.status == 200


async def test_head_gets_the_page_headers_without_a_body(client: Client) -> None:
    await put_turtle(client, "/doc.ttl", DOC)
    page = await client.get("/doc.ttl", headers={"Accept": "text/html"})
    head = await client.head("/doc.ttl", headers={"Accept": "text/html"})
    assert head.status == 200
    assert media_type(head) == "text/html"
    assert head.headers["Content-Length"] == str(len(await page.read()))
    assert await head.read() == b""


async def test_missing_resources_are_404_for_browsers_too(client: Client) -> None:
    resp = await client.get("/nothing.ttl", headers={"Accept": "text/html"})
    assert resp.status == 404


async def test_without_credentials_the_page_comes_with_the_401(make_client: ClientFactory) -> None:
    # A browser opening a URL holds no token: the data browser, sent with the 401, lets the person log
    # in. It says nothing of the resource (not even whether it exists): no Link, no WAC-Allow.
    client = await make_client(single_user=False)
    for path in ("/alice/", "/alice/private/nothing-here.ttl"):
        resp = await client.get(path, headers={"Accept": BROWSER})
        assert resp.status == 401
        assert media_type(resp) == "text/html"
        assert "WWW-Authenticate" in resp.headers
        assert "Link" not in resp.headers and "WAC-Allow" not in resp.headers and "ETag" not in resp.headers
        assert "mashlib.min.js" in await resp.text()
    # Other clients get the problem document as before.
    plain = await client.get("/alice/", headers={"Accept": "text/turtle"})
    assert plain.status == 401
    assert media_type(plain) == "application/problem+json"
    root = await client.get("/", headers={"Accept": "text/html"})
    assert root.status == 200 and media_type(root) == "text/html"


async def test_writes_are_not_touched_by_the_page(make_client: ClientFactory) -> None:
    client = await make_client(single_user=False)
    resp = await client.put(
        "/alice/x.ttl", data=DOC, headers={"Accept": "text/html", "Content-Type": "text/turtle"}
    )
    assert resp.status == 401
    assert media_type(resp) == "application/problem+json"


async def test_no_data_browser_when_the_setting_is_empty(make_client: ClientFactory) -> None:
    client = await make_client(mashlib_url="")
    await put_turtle(client, "/doc.ttl", DOC)
    browser = await client.get("/doc.ttl", headers={"Accept": BROWSER})
    assert media_type(browser) != "text/html"
    only_html = await client.get("/doc.ttl", headers={"Accept": "text/html"})
    assert only_html.status == 406


async def test_mashlib_from_another_url(make_client: ClientFactory) -> None:
    client = await make_client(mashlib_url="https://mashlib.example/dist")
    page = await (await client.get("/", headers={"Accept": "text/html"})).text()
    assert 'src="https://mashlib.example/dist/mashlib.min.js"' in page


async def test_a_local_mashlib_folder_is_served_by_the_server(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    # Offline use: the server serves the folder itself at /.mashlib/ and the page loads it from there.
    folder = tmp_path / "mashlib"
    folder.mkdir()
    (folder / "mashlib.min.js").write_text("window.panes = {};")
    (folder / "mash.css").write_text("body {}")
    client = await make_client(mashlib_url=str(folder))
    base = str(client.make_url("/"))
    page = await (await client.get("/", headers={"Accept": "text/html"})).text()
    assert f'src="{base}.mashlib/mashlib.min.js"' in page
    script = await client.get("/.mashlib/mashlib.min.js")
    assert script.status == 200
    assert await script.text() == "window.panes = {};"
    assert (await client.get("/.mashlib/../../etc/passwd")).status in (403, 404)


def test_the_setting_is_checked(tmp_path: Path) -> None:
    assert Settings().mashlib_url == DEFAULT_MASHLIB_URL
    assert Settings(mashlib_url="http://cdn.example/mashlib").mashlib_url == "http://cdn.example/mashlib/"
    with pytest.raises(ValueError, match="mashlib"):
        Settings(mashlib_url=str(tmp_path))  # a folder without mashlib.min.js
    from_env = settings_from({}, {"POD_MASHLIB_URL": "https://elsewhere.example/"})
    assert from_env.mashlib_url == "https://elsewhere.example/"
    assert settings_from({"mashlib_url": ""}, {"POD_MASHLIB_URL": "https://x.example/"}).mashlib_url == ""
