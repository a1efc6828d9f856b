"""Pods: layout and RDF of a new pod, storages and owners, single-user mode, bad names, protected triples."""

from __future__ import annotations

import pytest
from rdflib import Graph

from pod.app import RESOURCES
from pod.errors import BadRequest, Conflict
from pod.idp.pods import check_pod_name
from pod.ldp.identifiers import ROOT, AuxiliaryKind, ResourceIdentifier
from tests.conftest import ClientFactory
from tests.idp import OWNER_REL, Client, idp_of, new_account, path_of
from tests.rdf_helpers import (
    PIM,
    STORAGE_DESCRIPTION_REL,
    assert_isomorphic,
    graph_of,
    link_targets,
    turtle_graph,
)

BASE = "http://127.0.0.1:9/"  # a fixed base URL, so that the owner's WebID is known before start
ALICE = BASE + "alice/profile/card#me"


@pytest.fixture
async def client(make_client: ClientFactory) -> Client:
    return await make_client(single_user=False)


@pytest.fixture
async def as_alice(make_client: ClientFactory) -> Client:
    """A server where every request is Alice's (the dev-only trusted WebID), with her pod."""
    client = await make_client(single_user=False, base_url=BASE, trusted_webid=ALICE, registration="open")
    account = await new_account(client)
    assert account.webid == ALICE
    return client


def ident(path: str) -> ResourceIdentifier:
    segments = tuple(path.strip("/").split("/")) if path.strip("/") else ()
    return ResourceIdentifier(segments, path.endswith("/"))


async def stored_graph(client: Client, path: str, base: str) -> Graph:
    store = client.server.app[RESOURCES].store
    return turtle_graph((await store.read(ident(path))).decode(), base + path[1:])


async def test_new_pod_has_the_layout_solidos_expects(client: Client) -> None:
    """Issue 7: profile/card, settings/{prefs,publicTypeIndex,privateTypeIndex}.ttl, inbox/, public/,
    private/, with ACLs on the pod, the profile, the public type index and the inbox."""
    await new_account(client)
    store = client.server.app[RESOURCES].store
    for path in (
        "/alice/",
        "/alice/profile/card",
        "/alice/settings/prefs.ttl",
        "/alice/settings/publicTypeIndex.ttl",
        "/alice/settings/privateTypeIndex.ttl",
        "/alice/inbox/",
        "/alice/public/",
        "/alice/private/",
    ):
        assert await store.stat(ident(path)) is not None, path
    for subject in ("/alice/", "/alice/profile/card", "/alice/settings/publicTypeIndex.ttl", "/alice/inbox/"):
        assert await store.stat(ident(subject).auxiliary(AuxiliaryKind.ACL)) is not None, subject


async def test_profile_card_links_everything_an_app_needs(client: Client) -> None:
    """Issue 7: the WebID is a foaf:Person with foaf:name, solid:oidcIssuer (this server), pim:storage,
    ldp:inbox, pim:preferencesFile and both type indexes (as NSS's template, which SolidOS reads)."""
    account = await new_account(client)
    base = str(client.make_url("/"))
    resp = await client.get("/alice/profile/card", headers={"Accept": "text/turtle"})
    assert resp.status == 200
    expected = turtle_graph(
        f"""
        @prefix foaf: <http://xmlns.com/foaf/0.1/>. @prefix solid: <http://www.w3.org/ns/solid/terms#>.
        @prefix pim: <http://www.w3.org/ns/pim/space#>. @prefix ldp: <http://www.w3.org/ns/ldp#>.
        @prefix schema: <http://schema.org/>.
        <> a foaf:PersonalProfileDocument; foaf:maker <#me>; foaf:primaryTopic <#me>.
        <#me> a foaf:Person, schema:Person; foaf:name "alice";
            solid:oidcIssuer <{base}>; pim:storage </alice/>; ldp:inbox </alice/inbox/>;
            pim:preferencesFile </alice/settings/prefs.ttl>;
            solid:publicTypeIndex </alice/settings/publicTypeIndex.ttl>;
            solid:privateTypeIndex </alice/settings/privateTypeIndex.ttl>.
        </alice/> <http://rdfs.org/ns/void#sparqlEndpoint> </alice/.well-known/sparql>.
        """,
        base + "alice/profile/card",
    )
    assert_isomorphic(await graph_of(resp), expected)
    assert account.webid == base + "alice/profile/card#me"


async def test_profile_dereferences_as_json_ld(client: Client) -> None:
    """Issue 7 "Done when": the WebID profile dereferences as Turtle and JSON-LD (the same graph)."""
    await new_account(client)
    turtle = await graph_of(await client.get("/alice/profile/card", headers={"Accept": "text/turtle"}))
    resp = await client.get("/alice/profile/card", headers={"Accept": "application/ld+json"})
    assert resp.status == 200
    assert_isomorphic(await graph_of(resp), turtle)


async def test_settings_documents_are_typed(client: Client) -> None:
    """NSS/SolidOS conventions: prefs.ttl is a pim:ConfigurationFile naming both type indexes; the
    type indexes are solid:TypeIndex, listed and unlisted."""
    await new_account(client)
    base = str(client.make_url("/"))
    prefs = await stored_graph(client, "/alice/settings/prefs.ttl", base)
    expected = turtle_graph(
        f"""@prefix solid: <http://www.w3.org/ns/solid/terms#>. @prefix pim: <http://www.w3.org/ns/pim/space#>.
        <> a pim:ConfigurationFile; <http://purl.org/dc/terms/title> "Preferences file".
        <{base}alice/profile/card#me> solid:publicTypeIndex <publicTypeIndex.ttl>;
            solid:privateTypeIndex <privateTypeIndex.ttl>.""",
        base + "alice/settings/prefs.ttl",
    )
    assert_isomorphic(prefs, expected)
    public = await stored_graph(client, "/alice/settings/publicTypeIndex.ttl", base)
    expected = turtle_graph(
        "<> a <http://www.w3.org/ns/solid/terms#TypeIndex>, <http://www.w3.org/ns/solid/terms#ListedDocument>.",
        base + "alice/settings/publicTypeIndex.ttl",
    )
    assert_isomorphic(public, expected)
    private = await stored_graph(client, "/alice/settings/privateTypeIndex.ttl", base)
    expected = turtle_graph(
        "<> a <http://www.w3.org/ns/solid/terms#TypeIndex>, <http://www.w3.org/ns/solid/terms#UnlistedDocument>.",
        base + "alice/settings/privateTypeIndex.ttl",
    )
    assert_isomorphic(private, expected)


async def test_pod_acl_gives_the_owner_control_of_everything(client: Client) -> None:
    """Issue 7 / acl/pod.acl: the owner has Read, Write, Append and Control on the pod, by default
    on everything in it."""
    account = await new_account(client)
    base = str(client.make_url("/"))
    acl = await stored_graph(client, "/alice/.acl", base)
    query = f"""ASK {{ ?rule <http://www.w3.org/ns/auth/acl#agent> <{account.webid}>;
        <http://www.w3.org/ns/auth/acl#default> <{base}alice/>;
        <http://www.w3.org/ns/auth/acl#mode> <http://www.w3.org/ns/auth/acl#Control> }}"""
    assert acl.query(query).askAnswer


async def test_pod_root_is_a_storage_with_its_owner(as_alice: Client) -> None:
    """Solid Protocol §4.1: the pod root is a pim:Storage and advertises its owner with
    `Link: <webid>; rel="http://www.w3.org/ns/solid/terms#owner"`."""
    resp = await as_alice.get("/alice/")
    assert resp.status == 200
    assert str(PIM.Storage) in link_targets(resp, "type")
    assert link_targets(resp, OWNER_REL) == {ALICE}
    assert link_targets(resp, STORAGE_DESCRIPTION_REL) == {BASE + "alice/.well-known/solid"}
    resp = await as_alice.get("/alice/.well-known/solid")
    assert resp.status == 200


async def test_root_is_a_plain_container_in_multi_user_mode(as_alice: Client) -> None:
    """Issue 7: "by default the server is multi-user: the root `/` is a plain container"."""
    resp = await as_alice.get("/")
    assert resp.status == 200
    assert str(PIM.Storage) not in link_targets(resp, "type")
    assert not link_targets(resp, OWNER_REL)
    assert (await as_alice.get("/.well-known/solid")).status == 404
    assert (await as_alice.delete("/")).status == 405


async def test_single_user_root_is_the_pod_of_the_first_account(make_client: ClientFactory) -> None:
    """Issue 7: "--single-user makes the root the one pod, owned by the account created first"."""
    base = "http://127.0.0.1:9/"
    client = await make_client(
        single_user=True, base_url=base, trusted_webid=base + "profile/card#me", registration="open"
    )
    account = await new_account(client, pod=None)
    resp = await client.post(path_of(account.controls["account"]["pod"]), json={}, headers=account.headers)
    assert resp.status == 200, await resp.text()
    created = await resp.json()
    assert created["pod"] == base and created["webId"] == base + "profile/card#me"
    resp = await client.get("/")
    assert str(PIM.Storage) in link_targets(resp, "type")
    assert link_targets(resp, OWNER_REL) == {base + "profile/card#me"}
    # The one pod belongs to the first account: a second one gets none.
    other = await new_account(client, email="bob@example.org", pod=None)
    resp = await client.post(
        path_of(other.controls["account"]["pod"]), json={"name": "bob"}, headers=other.headers
    )
    assert resp.status == 409


@pytest.mark.parametrize(
    "name",
    [
        "../alice",
        "Alice",
        "ALICE",
        ".account",
        ".oidc",
        ".well-known",
        "a$b",
        "",
        "-alice",
        "a/b",
        "x" * 64,
        7,
    ],
)
async def test_invalid_pod_names_are_400_and_create_nothing(client: Client, name: object) -> None:
    """Issue 7 bad input "pod name ... invalid (`../`, uppercase tricks, reserved names like
    `.account`)": a clear 400, nothing created."""
    account = await new_account(client, pod=None)
    store = client.server.app[RESOURCES].store
    before = {e.identifier for e in await store.children(ROOT)}
    resp = await client.post(
        path_of(account.controls["account"]["pod"]), json={"name": name}, headers=account.headers
    )
    assert resp.status == 400
    assert {e.identifier for e in await store.children(ROOT)} == before
    assert idp_of(client).storages.records() == []


async def test_taken_pod_name_is_409(client: Client) -> None:
    """Issue 7 bad input "pod name taken": 409, and the first pod is left as it was."""
    await new_account(client)
    bob = await new_account(client, email="bob@example.org", pod=None)
    resp = await client.post(
        path_of(bob.controls["account"]["pod"]), json={"name": "alice"}, headers=bob.headers
    )
    assert resp.status == 409
    assert idp_of(client).storages.owners_of(ident("/alice/")) == {
        str(client.make_url("/alice/profile/card#me"))
    }


async def test_existing_container_name_is_taken(client: Client) -> None:
    """A pod never takes over a container someone already made at its name (409)."""
    account = await new_account(client, pod=None)
    await client.server.app[RESOURCES].store.make_container(ident("/photos/"))
    resp = await client.post(
        path_of(account.controls["account"]["pod"]), json={"name": "photos"}, headers=account.headers
    )
    assert resp.status == 409


async def test_failed_pod_creation_leaves_nothing_behind(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 7: "nothing created half-way" — a failure at the last step removes the pod's files,
    its storage registration and its WebID link."""
    account = await new_account(client, pod=None)
    idp = idp_of(client)

    async def fail(*_args: object) -> str:
        raise Conflict("simulated failure")

    monkeypatch.setattr(idp.accounts, "add_pod", fail)
    resp = await client.post(
        path_of(account.controls["account"]["pod"]), json={"name": "alice"}, headers=account.headers
    )
    assert resp.status == 409
    store = client.server.app[RESOURCES].store
    assert await store.stat(ident("/alice/")) is None
    assert not idp.storages.is_storage(ident("/alice/"))
    found = await idp.accounts.by_email("alice@example.org")
    assert found is not None and found.webids == () and found.pods == ()


async def test_put_without_oidc_issuer_is_409(as_alice: Client) -> None:
    """Issue 7: "`solid:oidcIssuer` cannot be removed from the profile by PUT/PATCH (409)"."""
    resp = await as_alice.put(
        "/alice/profile/card",
        data=b'<#me> <http://xmlns.com/foaf/0.1/name> "Alice".',
        headers={"Content-Type": "text/turtle"},
    )
    assert resp.status == 409
    resp = await as_alice.put("/alice/profile/card", data=b"plain", headers={"Content-Type": "text/plain"})
    assert resp.status == 409


async def test_patch_removing_oidc_issuer_is_409(as_alice: Client) -> None:
    """Issue 7: a PATCH that deletes the issuer statement is refused with 409; others go through."""
    patch = f"DELETE DATA {{ <#me> <http://www.w3.org/ns/solid/terms#oidcIssuer> <{BASE}> }}"
    resp = await as_alice.patch(
        "/alice/profile/card", data=patch.encode(), headers={"Content-Type": "application/sparql-update"}
    )
    assert resp.status == 409
    patch = 'INSERT DATA { <#me> <http://xmlns.com/foaf/0.1/nick> "al" }'
    resp = await as_alice.patch(
        "/alice/profile/card", data=patch.encode(), headers={"Content-Type": "application/sparql-update"}
    )
    assert resp.status in (200, 204)


async def test_put_keeping_oidc_issuer_is_allowed(as_alice: Client) -> None:
    """The protection is of one statement, not of the document: the owner may rewrite the rest."""
    body = (
        f'<#me> <http://www.w3.org/ns/solid/terms#oidcIssuer> <{BASE}>; <http://xmlns.com/foaf/0.1/name> "A".'
    )
    resp = await as_alice.put(
        "/alice/profile/card", data=body.encode(), headers={"Content-Type": "text/turtle"}
    )
    assert resp.status in (200, 204)


async def test_profile_is_public(client: Client) -> None:
    """Issue 7 / acl/profile.acl: the profile is readable by everyone."""
    await new_account(client)
    assert (await client.get("/alice/profile/card")).status == 200


async def test_private_and_settings_are_owner_only(client: Client) -> None:
    """Issue 7: "the rest owner-only": anonymous reads of private/ and prefs.ttl are refused."""
    await new_account(client)
    assert (await client.get("/alice/private/")).status == 401
    assert (await client.get("/alice/settings/prefs.ttl")).status == 401
    assert (await client.get("/alice/settings/publicTypeIndex.ttl")).status == 200


async def test_inbox_is_appendable_by_everyone_and_readable_by_the_owner(client: Client) -> None:
    """Issue 7 / acl/inbox.acl: "inbox appendable by everyone, readable by the owner"."""
    await new_account(client)
    resp = await client.post(
        "/alice/inbox/", data=b"<#n> a <#Note>.", headers={"Content-Type": "text/turtle"}
    )
    assert resp.status == 201
    assert (await client.get("/alice/inbox/")).status == 401


async def test_storages_survive_a_restart(make_client: ClientFactory, storage: str) -> None:
    """Brief: the storage registry is persistent (`$pod/storages.json`), loaded at start-up."""
    if storage != "file":
        pytest.skip("the memory storage keeps nothing across restarts")
    first = await make_client(single_user=False, base_url=BASE, registration="open")
    await new_account(first)
    second = await make_client(single_user=False, base_url=BASE, registration="open")
    assert idp_of(second).storages.owners_of(ident("/alice/")) == {ALICE}
    assert idp_of(second).storages.protected_triples(ident("/alice/profile/card"))


def test_a_pod_cannot_take_a_name_the_server_answers_itself() -> None:
    """Issue 7 bad input: reserved names (here the metrics endpoint's) are refused as pod names."""
    with pytest.raises(BadRequest):
        check_pod_name("metrics")
