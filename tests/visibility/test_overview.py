"""Issue 13, the access overview, and revoking or narrowing a grant everywhere in the pod."""

from __future__ import annotations

from typing import Any

import pytest

from tests.idp_oidc.conftest import Client, Person
from tests.visibility.conftest import ACL_PREFIXES, App, app_for, pod_api

GROUP = "https://groups.example/friends#group"


def _acl(resource: str, bob: str, *, default: bool = True, extra: str = "") -> bytes:
    about = f"acl:accessTo <{resource}>" + (f"; acl:default <{resource}>" if default else "")
    return (
        ACL_PREFIXES
        + f"<#bob> a acl:Authorization; acl:agent <{bob}>; {about}; acl:mode acl:Read, acl:Write.\n"
        + extra
    ).encode()


async def _nested(client: Client, alice: Person, bob: Person) -> App:
    """shared/ grants Bob read+write (with the owner's own rule); shared/deep/ grants Bob read+write,
    a group read, and the public read, Bob sharing one rule with the group."""
    owner = await app_for(client, alice)
    shared, deep = alice.pod + "shared/", alice.pod + "shared/deep/"
    mine = (
        f"<#owner> a acl:Authorization; acl:agent <{alice.webid}>; acl:accessTo <{shared}>;"
        f" acl:default <{shared}>; acl:mode acl:Read, acl:Write, acl:Control.\n"
    )
    shared_group = (
        f"<#both> a acl:Authorization; acl:agent <{bob.webid}>; acl:agentGroup <{GROUP}>;"
        f" acl:accessTo <{deep}>; acl:mode acl:Read, acl:Append.\n"
    )
    public = (
        f"<#public> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <{deep}>;"
        " acl:mode acl:Read.\n"
    )
    for url, body in (
        (shared + "doc.txt", None),
        (deep + "doc.txt", None),
        (shared + ".acl", _acl(shared, bob.webid, extra=mine)),
        (deep + ".acl", _acl(deep, bob.webid, extra=mine.replace(shared, deep) + shared_group + public)),
    ):
        content = body if body is not None else b"text"
        kind = "text/turtle" if body is not None else "text/plain"
        answer = await owner.request("PUT", url, data=content, headers={"Content-Type": kind})
        assert answer.status in (201, 204), await answer.text()
    return owner


async def _overview(client: Client, alice: Person) -> dict[str, Any]:
    urls = await pod_api(client, alice)
    answer = await client.get(urls["access"], headers=alice.auth_header)
    assert answer.status == 200, await answer.text()
    body: dict[str, Any] = await answer.json()
    return body


async def _narrow(client: Client, alice: Person, body: dict[str, Any]) -> Any:
    urls = await pod_api(client, alice)
    return await client.post(urls["access"], json=body, headers=alice.auth_header)


async def test_overview_groups_every_grant_of_nested_acls_by_whom(
    client: Client, alice: Person, bob: Person
) -> None:
    await _nested(client, alice, bob)
    body = await _overview(client, alice)
    people = {p["webId"]: p for p in body["people"]}
    bobs = people[bob.webid]["grants"]
    assert {g["acl"] for g in bobs} == {alice.pod + "shared/.acl", alice.pod + "shared/deep/.acl"}
    assert sorted(g["modes"] for g in bobs if g["acl"].endswith("shared/.acl")) == [
        ["append", "read", "write"]
    ]
    assert people[alice.webid]["owner"] is True and people[bob.webid]["owner"] is False
    assert [g["group"] for g in body["groups"]] == [GROUP]
    assert [g["accessTo"] for g in body["public"] if g["acl"].endswith("deep/.acl")] == [
        [alice.pod + "shared/deep/"]
    ]
    # The pod template's own public grants (the profile) are there too.
    assert any(g["acl"] == alice.pod + "profile/card.acl" for g in body["public"])


async def test_overview_lists_apps_that_acted_as_the_owner_with_when(client: Client, alice: Person) -> None:
    app = await app_for(client, alice)
    await app.request("GET", alice.pod)
    apps = (await _overview(client, alice))["apps"]
    assert [a["app"] for a in apps] == [app.client_id]
    assert apps[0]["lastSeen"].endswith("Z") and apps[0]["requests"] == 1


async def test_revoke_removes_a_person_everywhere_keeping_everything_else(
    client: Client, alice: Person, bob: Person
) -> None:
    await _nested(client, alice, bob)
    bobs_app = await app_for(client, bob)
    assert (await bobs_app.request("GET", alice.pod + "shared/doc.txt")).status == 200
    answer = await _narrow(client, alice, {"kind": "agent", "iri": bob.webid, "modes": []})
    assert answer.status == 200, await answer.text()
    assert sorted((await answer.json())["changed"]) == [
        alice.pod + "shared/.acl",
        alice.pod + "shared/deep/.acl",
    ]
    assert (await bobs_app.request("GET", alice.pod + "shared/doc.txt")).status == 403
    body = await _overview(client, alice)
    assert bob.webid not in {p["webId"] for p in body["people"]}
    # The group, the public and the owner keep what they had, in the same documents.
    assert [g["group"] for g in body["groups"]] == [GROUP]
    assert [g["modes"] for g in body["groups"][0]["grants"]] == [["append", "read"]]
    assert any(g["acl"].endswith("deep/.acl") for g in body["public"])
    owner = await app_for(client, alice)
    assert (await owner.request("GET", alice.pod + "shared/deep/.acl")).status == 200
    assert (
        await owner.request(
            "PUT",
            alice.pod + "shared/deep/doc.txt",
            data=b"still mine",
            headers={"Content-Type": "text/plain"},
        )
    ).status == 204


async def test_narrow_keeps_only_the_modes_asked(client: Client, alice: Person, bob: Person) -> None:
    await _nested(client, alice, bob)
    bobs_app = await app_for(client, bob)
    answer = await _narrow(client, alice, {"kind": "agent", "iri": bob.webid, "modes": ["read"]})
    assert answer.status == 200, await answer.text()
    assert (await bobs_app.request("GET", alice.pod + "shared/doc.txt")).status == 200
    write = await bobs_app.request(
        "PUT", alice.pod + "shared/doc.txt", data=b"b", headers={"Content-Type": "text/plain"}
    )
    assert write.status == 403
    people = {p["webId"]: p for p in (await _overview(client, alice))["people"]}
    assert {tuple(g["modes"]) for g in people[bob.webid]["grants"]} == {("read",)}


async def test_revoke_a_group_and_the_public(client: Client, alice: Person, bob: Person) -> None:
    await _nested(client, alice, bob)
    assert (await _narrow(client, alice, {"kind": "group", "iri": GROUP, "modes": []})).status == 200
    assert (await _narrow(client, alice, {"kind": "public", "modes": []})).status == 200
    body = await _overview(client, alice)
    assert body["groups"] == [] and body["public"] == []
    people = {p["webId"]: p for p in body["people"]}
    assert len(people[bob.webid]["grants"]) == 3  # his rule shared with the group stayed his
    assert (await client.session.get(alice.pod + "profile/card")).status == 401


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "cat", "iri": "https://x.example/#me", "modes": []},
        {"kind": "agent", "iri": "javascript:alert(1)", "modes": []},
        {"kind": "agent", "iri": "https://x.example/<bad>", "modes": []},
        {"kind": "agent", "modes": []},
        {"kind": "agent", "iri": "https://x.example/#me", "modes": ["fly"]},
        {"kind": "agent", "iri": "https://x.example/#me", "modes": "read"},
    ],
)
async def test_narrowing_refuses_bad_input(client: Client, alice: Person, body: dict[str, Any]) -> None:
    assert (await _narrow(client, alice, body)).status == 400


async def test_the_owner_cannot_be_revoked(client: Client, alice: Person, bob: Person) -> None:
    await _nested(client, alice, bob)
    answer = await _narrow(client, alice, {"kind": "agent", "iri": alice.webid, "modes": []})
    assert answer.status == 400
    assert alice.webid in {p["webId"] for p in (await _overview(client, alice))["people"]}


async def test_only_the_owner_sees_or_changes_the_overview(
    client: Client, alice: Person, bob: Person
) -> None:
    urls = await pod_api(client, alice)
    assert (await client.get(urls["access"])).status == 401
    assert (await client.get(urls["access"], headers=bob.auth_header)).status == 403
    refused = await client.post(urls["access"], json={"kind": "public", "modes": []}, headers=bob.auth_header)
    assert refused.status == 403


async def test_a_revocation_leaves_acls_that_pass_the_acl_shape_and_no_origin_only_rule(
    client: Client, alice: Person, bob: Person
) -> None:
    owner = await app_for(client, alice)
    folder = alice.pod + "apps/"
    acl = ACL_PREFIXES + (
        f"<#mine> a acl:Authorization; acl:agent <{alice.webid}>; acl:default <{folder}>;"
        f" acl:accessTo <{folder}>; acl:mode acl:Control.\n"
        f"<#bob-in-app> a acl:Authorization; acl:agent <{bob.webid}>; acl:origin <https://app.example>;"
        f" acl:accessTo <{folder}>; acl:mode acl:Read.\n"
    )
    put = await owner.request(
        "PUT", folder + ".acl", data=acl.encode(), headers={"Content-Type": "text/turtle"}
    )
    assert put.status == 201, await put.text()
    assert (await _narrow(client, alice, {"kind": "agent", "iri": bob.webid, "modes": []})).status == 200
    body = await _overview(client, alice)
    assert body["origins"] == []  # not "anyone in https://app.example" now
    # What the revocation wrote passes the ACL shape when written back by the owner.
    stored = await owner.request("GET", folder + ".acl", headers={"Accept": "text/turtle"})
    again = await owner.request(
        "PUT", folder + ".acl", data=await stored.read(), headers={"Content-Type": "text/turtle"}
    )
    assert again.status == 204, await again.text()
