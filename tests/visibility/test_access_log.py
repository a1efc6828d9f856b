"""Issue 13, the access log: what is recorded for allowed and refused requests, and who may read it."""

from __future__ import annotations

import csv
import io

from tests.idp_oidc.conftest import Client, Person, local
from tests.visibility.conftest import app_for, log_of, pod_api


async def test_allowed_request_is_logged_with_agent_client_method_resource_and_status(
    client: Client, alice: Person
) -> None:
    app = await app_for(client, alice)
    url = alice.pod + "notes/hello.txt"
    put = await app.request("PUT", url, data=b"hi", headers={"Content-Type": "text/plain"})
    assert put.status == 201
    got = await app.request("GET", url)
    assert got.status == 200
    entries = await log_of(client, alice, resource="notes/hello.txt")
    assert [(e["method"], e["status"]) for e in entries] == [("GET", 200), ("PUT", 201)]  # newest first
    for entry in entries:
        assert entry["agent"] == alice.webid
        assert entry["client"] == app.client_id
        assert entry["app"] == app.client_id
        assert entry["resource"] == url
        assert entry["refused"] is False


async def test_refused_requests_are_logged_anonymous_as_public(
    client: Client, alice: Person, bob: Person
) -> None:
    url = alice.pod + "private.txt"
    assert (await client.session.get(url)).status == 401
    bobs_app = await app_for(client, bob)
    assert (await bobs_app.request("GET", url)).status == 403
    entries = await log_of(client, alice, refused="yes")
    assert [(e["agent"], e["client"], e["status"]) for e in entries] == [
        (bob.webid, bobs_app.client_id, 403),
        (None, None, 401),
    ]
    public_only = await log_of(client, alice, agent="public")
    assert [e["status"] for e in public_only] == [401]


async def test_browser_origin_is_the_app_without_a_token(client: Client, alice: Person) -> None:
    await client.session.get(alice.pod + "profile/card", headers={"Origin": "https://app.example"})
    entries = await log_of(client, alice, app="app.example")
    assert (
        entries
        and entries[0]["origin"] == "https://app.example"
        and entries[0]["app"] == "https://app.example"
    )


async def test_requests_outside_the_pod_are_not_in_its_log(
    client: Client, alice: Person, bob: Person
) -> None:
    await client.session.get(bob.pod + "profile/card")
    await client.get("/.account/")
    assert not any(e["resource"].startswith(bob.pod) for e in await log_of(client, alice))
    assert not any("/.account/" in e["resource"] for e in await log_of(client, alice))


async def test_nobody_but_the_owner_reads_the_log(client: Client, alice: Person, bob: Person) -> None:
    urls = await pod_api(client, alice)
    assert (await client.get(urls["accessLog"])).status == 401
    # Bob, logged in, asking for Alice's account's pod: not his account.
    assert (await client.get(urls["accessLog"], headers=bob.auth_header)).status == 403
    # Bob asking under his own account for Alice's pod id: he has no such pod.
    bobs = await pod_api(client, bob)
    alices_pod_id = urls["accessLog"].split("/pod/")[1].split("/")[0]
    sneaky = bobs["accessLog"].replace(bobs["accessLog"].split("/pod/")[1].split("/")[0], alices_pod_id)
    assert (await client.get(sneaky, headers=bob.auth_header)).status == 404
    # A token for the pod (the owner's app) is no account login either.
    app = await app_for(client, alice)
    assert (await app.request("GET", str(client.make_url(urls["accessLog"])))).status == 401
    # And the log is no LDP resource anywhere in the pod.
    assert (await client.session.get(alice.pod + "$pod/")).status in (401, 404)


async def test_csv_download_escapes_formulas(client: Client, alice: Person) -> None:
    await client.session.get(alice.pod + "x", headers={"Origin": '=HYPERLINK("https://evil.example")'})
    await client.session.get(alice.pod + "y", headers={"Origin": "@SUM(1+1)"})
    urls = await pod_api(client, alice)
    answer = await client.get(urls["accessLog"], params={"format": "csv"}, headers=alice.auth_header)
    assert answer.status == 200
    assert answer.content_type == "text/csv"
    rows = list(csv.reader(io.StringIO(await answer.text())))
    assert rows[0] == ["time", "agent", "client", "origin", "method", "resource", "status"]
    origins = {row[3] for row in rows[1:]}
    assert '\'=HYPERLINK("https://evil.example")' in origins
    assert "'@SUM(1+1)" in origins
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)
    by_accept = await client.get(urls["accessLog"], headers={**alice.auth_header, "Accept": "text/csv"})
    assert by_accept.content_type == "text/csv"


async def test_log_filters_refuse_bad_input(client: Client, alice: Person) -> None:
    urls = await pod_api(client, alice)
    for query in (
        {"limit": "0"},
        {"limit": "many"},
        {"limit": "100000"},
        {"since": "yesterday"},
        {"until": "2026-13-45"},
        {"refused": "perhaps"},
        {"format": "xml"},
        {"agent": "x" * 3000},
    ):
        answer = await client.get(urls["accessLog"], params=query, headers=alice.auth_header)
        assert answer.status == 400, (query, await answer.text())


async def test_time_filters_take_iso_and_unix_times(client: Client, alice: Person) -> None:
    await client.session.get(alice.pod + "t")
    assert await log_of(client, alice, since="2000-01-01T00:00:00Z", resource="/t")
    assert not await log_of(client, alice, until="2000-01-01", resource="/t")
    assert not await log_of(client, alice, since="4102444800", resource="/t")


async def test_log_post_is_not_allowed(client: Client, alice: Person) -> None:
    urls = await pod_api(client, alice)
    answer = await client.post(
        local(str(client.make_url(urls["accessLog"]))), json={}, headers=alice.auth_header
    )
    assert answer.status == 405


async def test_a_deleted_pod_takes_its_log_with_it(client: Client, alice: Person) -> None:
    """Issue 13: the log belongs to the pod; a new pod of the same name must not show the old one's."""
    await client.session.get(alice.pod + "private.txt")  # logged (401)
    assert await log_of(client, alice)
    listed = await client.get(local(alice.controls["account"]["pod"]), headers=alice.auth_header)
    resource = (await listed.json())["pods"][alice.pod]
    assert (await client.delete(local(resource), headers=alice.auth_header)).status == 200
    again = await client.post(
        local(alice.controls["account"]["pod"]), json={"name": "alice"}, headers=alice.auth_header
    )
    assert again.status == 200, await again.text()
    assert await log_of(client, alice) == []
