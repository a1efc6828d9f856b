"""The shipped shapes (`shapes/`): valid SHACL, with documents that pass and fail, served read-only."""

from __future__ import annotations

from typing import Any

import pytest
from pyshacl.entrypoints import meta_validate

from pod.idp.pod_template import PRIVATE_TYPE_INDEX, PUBLIC_TYPE_INDEX, PodLayout
from pod.ldp.identifiers import ROOT
from pod.rdf import formats
from pod.shapes.constraints import resource_description
from pod.shapes.engine import CompiledShapes
from pod.shapes.shipped import shipped_document, shipped_names
from pod.shapes.terms import to_rdflib
from pod.wac.templates import acl_folder, acl_template
from tests.conftest import ClientFactory
from tests.rdf_helpers import TURTLE, graph_of
from tests.shapes.documents import CONFORMING, FAILING
from tests.shapes.helpers import Client, constrain, constrained_by, put, report_of, shipped

BASE = "http://pod.example/"
# Where each shipped shape's documents are written in the tests: (container, document name).
PLACES = {
    "contact": ("/contacts/", "ada.ttl"),
    "profile": ("/profile/", "card"),
    "type-index": ("/settings/", "publicTypeIndex.ttl"),
    "notification": ("/inbox/", None),  # LDN §Sender: notifications are POSTed to the inbox
}


def cases(documents: dict[str, dict[str, str]]) -> list[Any]:
    return [
        pytest.param(name, body, id=f"{name}: {label}")
        for name, d in documents.items()
        for label, body in d.items()
    ]


async def write(client: Client, name: str, body: str) -> Any:
    """Write `body` where the shipped shape `name` applies: any `.acl`, or into a constrained container."""
    if name == "acl":
        await client.put("/c/", data=b"", headers={"Content-Type": TURTLE})
        return await put(client, "/c/.acl", body)
    container, document = PLACES[name]
    await constrain(client, container, shipped(client, name))
    if document is None:
        return await client.post(container, data=body.encode(), headers={"Content-Type": TURTLE})
    return await put(client, container + document, body)


def test_every_shipped_shapes_document_is_valid_shacl() -> None:
    """SHACL §Appendix C: each validates against the SHACL-SHACL shapes (the server skips that check)."""
    assert set(shipped_names()) == {"acl", "contact", "notification", "profile", "type-index"}
    for name in shipped_names():
        data = shipped_document(name)
        assert data is not None
        graph = to_rdflib(formats.parse(data, formats.TURTLE, f"{BASE}.shapes/{name}.ttl"))
        conforms, _, text = meta_validate(graph)
        assert conforms, f"{name}: {text}"


def test_every_shipped_shapes_document_has_conforming_and_failing_examples() -> None:
    assert set(CONFORMING) == set(FAILING) == set(shipped_names())


@pytest.mark.parametrize(("name", "body"), cases(CONFORMING))
async def test_conforming_documents_are_written(make_client: ClientFactory, name: str, body: str) -> None:
    client = await make_client()
    resp = await write(client, name, body)
    assert resp.status == 201, await resp.text()


@pytest.mark.parametrize(("name", "body"), cases(FAILING))
async def test_failing_documents_are_refused_with_a_report(
    make_client: ClientFactory, name: str, body: str
) -> None:
    client = await make_client()
    resp = await write(client, name, body)
    assert resp.status == 422, await resp.text()
    assert constrained_by(resp) == {shipped(client, name)}
    await report_of(resp)


async def test_a_patch_that_breaks_an_acl_is_refused(make_client: ClientFactory) -> None:
    """Issue 11: every `.acl` write, PATCH included, keeps its authorizations well-formed."""
    client = await make_client()
    await client.put("/c/", data=b"", headers={"Content-Type": TURTLE})
    acl = "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n<#r> a acl:Authorization;"
    acl += " acl:agentClass <http://xmlns.com/foaf/0.1/Agent>; acl:accessTo <./>;"
    acl += " acl:mode acl:Read, acl:Control."
    await put(client, "/c/.acl", acl)
    misspell = (
        "DELETE DATA { <#r> <http://www.w3.org/ns/auth/acl#mode> <http://www.w3.org/ns/auth/acl#Control> . };"
        " INSERT DATA { <#r> <http://www.w3.org/ns/auth/acl#mode> <http://www.w3.org/ns/auth/acl#control> . }"
    )
    headers = {"Content-Type": "application/sparql-update"}
    resp = await client.patch("/c/.acl", data=misspell.encode(), headers=headers)
    assert resp.status == 422
    assert "acl:Control" in await (await client.get("/c/.acl")).text()


async def test_a_json_ld_activity_streams_notification_is_accepted_by_an_inbox(
    make_client: ClientFactory,
) -> None:
    """LDN notifications are usually JSON-LD with the ActivityStreams context (bundled, never fetched)."""
    client = await make_client()
    await constrain(client, "/inbox/", shipped(client, "notification"))
    body = (
        '{"@context": "https://www.w3.org/ns/activitystreams", "id": "#n", "type": "Announce",'
        ' "actor": "https://bob.example/profile#me", "object": "https://bob.example/shared/doc"}'
    )
    resp = await client.post("/inbox/", data=body.encode(), headers={"Content-Type": "application/ld+json"})
    assert resp.status == 201, await resp.text()
    no_actor = '{"@context": "https://www.w3.org/ns/activitystreams", "id": "#n", "type": "Create"}'
    resp = await client.post(
        "/inbox/", data=no_actor.encode(), headers={"Content-Type": "application/ld+json"}
    )
    assert resp.status == 422


# --- what the server writes itself conforms -------------------------------------------------------


def compiled(name: str) -> CompiledShapes:
    data = shipped_document(name)
    assert data is not None
    return CompiledShapes.compile(formats.parse(data, formats.TURTLE, f"{BASE}.shapes/{name}.ttl"))


def conforms(shapes: CompiledShapes, document: bytes, url: str) -> bool:
    graph = formats.parse(document, formats.TURTLE, url)
    return shapes.validate([*graph, *resource_description(url, rdf=True, media_type=TURTLE)]).conforms


@pytest.mark.parametrize("template", sorted(p.stem for p in acl_folder().glob("*.acl")))
def test_the_acl_templates_conform_to_the_acl_shapes(template: str) -> None:
    values = {"root": BASE, "pod": BASE, "owner": BASE + "profile/card#me", "profile": BASE + "profile/card"}
    values["inbox"] = BASE + "inbox/"
    body = acl_template(template, **values).encode()
    assert conforms(compiled("acl"), body, BASE + ".acl")


def test_a_new_pods_profile_and_type_indexes_conform_to_their_shapes() -> None:
    layout = PodLayout(ROOT, BASE, "Alice")
    assert conforms(compiled("profile"), layout.profile_document(), layout.url(layout.profile))
    for segments, listed in ((PUBLIC_TYPE_INDEX, True), (PRIVATE_TYPE_INDEX, False)):
        index = layout.type_index(segments, listed=listed)
        assert conforms(compiled("type-index"), index, layout.url(layout.at(*segments)))
    assert conforms(compiled("type-index"), layout.preferences_document(), BASE + "settings/prefs.ttl")


# --- served read-only at a reserved URL -----------------------------------------------------------


async def test_shipped_shapes_are_served_as_turtle_and_json_ld(make_client: ClientFactory) -> None:
    client = await make_client()
    resp = await client.get("/.shapes/contact.ttl")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith(TURTLE)
    assert await resp.read() == shipped_document("contact")
    resp = await client.get("/.shapes/contact.ttl", headers={"Accept": "application/ld+json"})
    assert resp.headers["Content-Type"].startswith("application/ld+json")
    assert len(await graph_of(resp)) > 10
    etag = resp.headers["ETag"]
    again = await client.get(
        "/.shapes/contact.ttl", headers={"Accept": "application/ld+json", "If-None-Match": etag}
    )
    assert again.status == 304


async def test_shipped_shapes_are_read_only(make_client: ClientFactory) -> None:
    client = await make_client()
    assert (await put(client, "/.shapes/contact.ttl", "<#a> <#b> <#c>.")).status == 405
    assert (await client.delete("/.shapes/contact.ttl")).status == 405
    assert (await put(client, "/.shapes/mine.ttl", "<#a> <#b> <#c>.")).status == 404
    assert (await client.get("/.shapes/nothing.ttl")).status == 404
    assert (await client.get("/.shapes/%2e%2e/acl/root.acl")).status == 404
    post = await client.post("/.shapes/", data=b"<#a> <#b> <#c>.", headers={"Content-Type": TURTLE})
    assert post.status == 404
