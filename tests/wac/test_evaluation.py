"""Web Access Control evaluation, unit level: AccessControl over a MemoryStore, constructed Credentials."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web

from pod.auth.credentials import ANONYMOUS, Credentials
from pod.errors import Forbidden, MethodNotAllowed, Unauthorized
from pod.ldp.identifiers import ROOT, AuxiliaryKind, ResourceIdentifier, parse_path
from pod.ldp.storages import Storages
from pod.outbound import FetchPolicy, OutboundClient
from pod.storage.base import Entry
from pod.storage.memory import MemoryStore
from pod.wac.access_control import CHALLENGE, AccessControl
from pod.wac.modes import ALL_MODES, NO_MODES, AccessMode, AccessModes
from pod.wac.origins import normalize_origin
from pod.wac.requirements import Requirement, requirements_for
from pod.wac.templates import acl_template, ensure_root_acl

BASE = "http://pod.example/"
ALICE = "https://alice.example/profile#me"
BOB = "https://bob.example/profile#me"
APP = "https://app.example"
OTHER_APP = "https://other.example"

R, W, A, C = AccessMode.READ, AccessMode.WRITE, AccessMode.APPEND, AccessMode.CONTROL

PREFIXES = """@prefix acl: <http://www.w3.org/ns/auth/acl#>.
@prefix foaf: <http://xmlns.com/foaf/0.1/>.
@prefix vcard: <http://www.w3.org/2006/vcard/ns#>.
"""


def ident(path: str) -> ResourceIdentifier:
    return parse_path(path)


def modes(*members: AccessMode) -> AccessModes:
    return frozenset(members)


def as_agent(agent: str | None = None, origin: str | None = None) -> Credentials:
    return Credentials(agent=agent, origin=origin)


def rule(
    subject: str,
    granted: str,
    *,
    access_to: str | None = None,
    default: str | None = None,
    extra: str = "",
    name: str = "rule",
) -> str:
    """One acl:Authorization in Turtle; `subject` is e.g. 'acl:agent <...>', `granted` e.g. 'acl:Read'."""
    objects = ""
    if access_to is not None:
        objects += f" acl:accessTo <{access_to}>;"
    if default is not None:
        objects += f" acl:default <{default}>;"
    return f"<#{name}> a acl:Authorization; {subject};{objects} {extra} acl:mode {granted}.\n"


async def put(store: MemoryStore, path: str, body: str, content_type: str = "text/turtle") -> None:
    """Write a document, creating the containers above it."""
    identifier = ident(path)
    for container in reversed(identifier.ancestors()):
        if not container.is_root:
            await store.make_container(container)
    if identifier.is_container:
        await store.make_container(identifier)
    else:
        await store.write(identifier, body.encode(), content_type)


async def put_acl(store: MemoryStore, path: str, *rules: str) -> None:
    await put(store, path, PREFIXES + "".join(rules))


@dataclass
class Pod:
    store: MemoryStore
    access: AccessControl
    owners: set[str]


@pytest.fixture
async def outbound() -> AsyncIterator[OutboundClient]:
    client = OutboundClient(FetchPolicy(timeout=0.5, max_bytes=4096, allow_private=True))
    yield client
    await client.close()


@pytest.fixture
def pod(outbound: OutboundClient) -> Pod:
    store = MemoryStore()
    owners: set[str] = set()
    access = AccessControl(store, Storages(), BASE, outbound, lambda storage: frozenset(owners))
    return Pod(store, access, owners)


# --- each subject kind × each mode × direct and inherited × resource, container, auxiliary -------

# How a rule names its subject, who it then matches, and who it does not.
SUBJECTS: dict[str, tuple[str, list[Credentials], list[Credentials]]] = {
    "agent": (f"acl:agent <{ALICE}>", [as_agent(ALICE)], [ANONYMOUS, as_agent(BOB)]),
    "public": ("acl:agentClass foaf:Agent", [ANONYMOUS, as_agent(ALICE)], []),
    "authenticated": (
        "acl:agentClass acl:AuthenticatedAgent",
        [as_agent(ALICE), as_agent(BOB)],
        [ANONYMOUS],
    ),
    "local group": (f"acl:agentGroup <{BASE}groups/team#it>", [as_agent(ALICE)], [ANONYMOUS, as_agent(BOB)]),
}
MODES = {"Read": R, "Write": W, "Append": A, "Control": C}
# target, its direct ACL and the IRI its rules name, the container ACL it inherits from and that container.
TARGETS = {
    "resource": ("/c/doc", "/c/doc.acl", f"{BASE}c/doc"),
    "container": ("/c/sub/", "/c/sub/.acl", f"{BASE}c/sub/"),
    "auxiliary": ("/c/doc.meta", "/c/doc.acl", f"{BASE}c/doc"),
}
TEAM = f"""@prefix vcard: <http://www.w3.org/2006/vcard/ns#>.
<#it> a vcard:Group; vcard:hasMember <{ALICE}>.
"""


@pytest.mark.parametrize("target_kind", list(TARGETS))
@pytest.mark.parametrize("inherited", [False, True], ids=["accessTo", "default"])
@pytest.mark.parametrize("mode_name", list(MODES))
@pytest.mark.parametrize("subject_kind", list(SUBJECTS))
async def test_subject_is_granted_the_mode_of_a_direct_or_inherited_rule(
    pod: Pod, subject_kind: str, mode_name: str, inherited: bool, target_kind: str
) -> None:
    """WAC §Access Subjects, §Access Modes, §Access Objects, §Effective ACL Resource: a rule grants its
    mode to the subjects it names, through acl:accessTo in the resource's own ACL or acl:default in
    the nearest container's; a `.meta` follows its subject (DESIGN "SPARQL and auxiliary resources").
    """
    subject, matching, not_matching = SUBJECTS[subject_kind]
    mode = MODES[mode_name]
    target, own_acl, named = TARGETS[target_kind]
    await put(pod.store, "/groups/team", TEAM)
    await put(pod.store, "/c/doc", "<#x> <#y> <#z>.")
    await put(pod.store, "/c/sub/", "")
    if inherited:
        await put_acl(pod.store, "/c/.acl", rule(subject, f"acl:{mode_name}", default=f"{BASE}c/"))
    else:
        await put_acl(pod.store, own_acl, rule(subject, f"acl:{mode_name}", access_to=named))
    expected = modes(mode, A) if mode is W else modes(mode)
    for credentials in matching:
        assert await pod.access.modes(credentials, ident(target)) == expected, credentials
    for credentials in not_matching:
        assert await pod.access.modes(credentials, ident(target)) == NO_MODES, credentials


# --- effective ACL: first found wins, nothing accumulates ----------------------------------------


async def test_own_acl_wins_over_the_containers_and_nothing_accumulates(pod: Pod) -> None:
    """WAC §Effective ACL Resource: the resource's own ACL is used; the container's is not added to it."""
    await put(pod.store, "/c/doc", "")
    await put_acl(
        pod.store, "/c/.acl", rule(f"acl:agent <{ALICE}>", "acl:Read, acl:Write", default=f"{BASE}c/")
    )
    await put_acl(pod.store, "/c/doc.acl", rule(f"acl:agent <{ALICE}>", "acl:Read", access_to=f"{BASE}c/doc"))
    assert await pod.access.modes(as_agent(ALICE), ident("/c/doc")) == modes(R)


async def test_an_own_acl_without_rules_for_the_resource_denies_even_if_the_container_allows(
    pod: Pod,
) -> None:
    """WAC §Effective ACL Resource: an existing ACL resource is the effective one, whatever it holds."""
    await put_acl(pod.store, "/c/.acl", rule("acl:agentClass foaf:Agent", "acl:Read", default=f"{BASE}c/"))
    await put(pod.store, "/c/doc.acl", "")
    assert await pod.access.modes(ANONYMOUS, ident("/c/doc")) == NO_MODES


async def test_nearest_container_acl_wins_over_the_root(pod: Pod) -> None:
    """WAC §Effective ACL Resource: inheritance is from the closest container heading to the root."""
    await put_acl(pod.store, "/.acl", rule("acl:agentClass foaf:Agent", "acl:Read", default=BASE))
    await put_acl(pod.store, "/c/.acl", rule(f"acl:agent <{ALICE}>", "acl:Read", default=f"{BASE}c/"))
    assert await pod.access.modes(ANONYMOUS, ident("/c/d/e/doc")) == NO_MODES
    assert await pod.access.modes(as_agent(ALICE), ident("/c/d/e/doc")) == modes(R)
    assert await pod.access.modes(ANONYMOUS, ident("/other/doc")) == modes(R)


async def test_access_to_rules_of_a_container_do_not_reach_its_members(pod: Pod) -> None:
    """WAC §Access Objects: acl:accessTo grants on the named resource only; members need acl:default."""
    await put_acl(pod.store, "/c/.acl", rule("acl:agentClass foaf:Agent", "acl:Read", access_to=f"{BASE}c/"))
    assert await pod.access.modes(ANONYMOUS, ident("/c/")) == modes(R)
    assert await pod.access.modes(ANONYMOUS, ident("/c/doc")) == NO_MODES


async def test_default_rules_do_not_apply_to_the_container_itself(pod: Pod) -> None:
    """WAC §Access Objects: acl:default is for resources lower in the hierarchy; the container's own
    ACL applies to it through acl:accessTo.
    """
    await put_acl(pod.store, "/c/.acl", rule("acl:agentClass foaf:Agent", "acl:Read", default=f"{BASE}c/"))
    assert await pod.access.modes(ANONYMOUS, ident("/c/")) == NO_MODES
    assert await pod.access.modes(ANONYMOUS, ident("/c/doc")) == modes(R)


async def test_rules_naming_another_resource_do_not_apply(pod: Pod) -> None:
    """WAC §Access Objects: a rule is about the resource its acl:accessTo or acl:default names."""
    await put_acl(
        pod.store,
        "/c/.acl",
        rule("acl:agentClass foaf:Agent", "acl:Read", default=f"{BASE}elsewhere/", access_to=f"{BASE}c/x"),
    )
    assert await pod.access.modes(ANONYMOUS, ident("/c/doc")) == NO_MODES
    assert await pod.access.modes(ANONYMOUS, ident("/c/")) == NO_MODES


async def test_relative_iris_in_an_acl_resolve_against_the_acl_document(pod: Pod) -> None:
    """WAC §ACL Resource Representation: an ACL is an RDF document; `<./>` in `/c/.acl` is `/c/`."""
    await put_acl(
        pod.store, "/c/.acl", rule("acl:agentClass foaf:Agent", "acl:Read", access_to="./", default="./")
    )
    assert await pod.access.modes(ANONYMOUS, ident("/c/")) == modes(R)
    assert await pod.access.modes(ANONYMOUS, ident("/c/doc")) == modes(R)


async def test_no_acl_anywhere_denies_everything(pod: Pod) -> None:
    """WAC §Authorization Evaluation: access is granted only when a conforming Authorization matches."""
    assert await pod.access.modes(as_agent(ALICE), ident("/c/doc")) == NO_MODES
    assert await pod.access.public_modes(ROOT) == NO_MODES


async def test_path_spelling_never_picks_another_acl(pod: Pod) -> None:
    """WAC §Effective ACL Resource: the ACL follows the canonical identifier; `%64` is `d`, case counts."""
    await put_acl(pod.store, "/c/.acl", rule("acl:agentClass foaf:Agent", "acl:Read", default=f"{BASE}c/"))
    assert await pod.access.modes(ANONYMOUS, ident("/c/%64oc")) == modes(R)
    assert await pod.access.modes(ANONYMOUS, ident("/C/doc")) == NO_MODES


# --- modes --------------------------------------------------------------------------------------


async def test_write_implies_append(pod: Pod) -> None:
    """WAC §Access Modes: acl:Append is a subclass of acl:Write, so Write grants Append."""
    await put_acl(pod.store, "/c/.acl", rule(f"acl:agent <{ALICE}>", "acl:Write", default=f"{BASE}c/"))
    await pod.access.authorize(as_agent(ALICE), [Requirement(ident("/c/doc"), modes(A))])
    assert await pod.access.modes(as_agent(ALICE), ident("/c/doc")) == modes(W, A)


async def test_append_does_not_imply_write(pod: Pod) -> None:
    """WAC §Access Modes: Append allows adding, not replacing or removing."""
    await put_acl(pod.store, "/c/.acl", rule(f"acl:agent <{ALICE}>", "acl:Append", default=f"{BASE}c/"))
    with pytest.raises(Forbidden):
        await pod.access.authorize(as_agent(ALICE), [Requirement(ident("/c/doc"), modes(W))])


@pytest.mark.parametrize(
    ("granted", "expected"),
    [
        ("<http://example.org/ns#Delete>", NO_MODES),
        ("acl:Access", NO_MODES),
        ("acl:Read, <http://example.org/ns#Everything>", modes(R)),
        ('"acl:Write"', NO_MODES),
    ],
    ids=["foreign-mode", "acl-Access-superclass", "known-and-unknown", "literal"],
)
async def test_unknown_modes_never_widen_access(pod: Pod, granted: str, expected: AccessModes) -> None:
    """WAC §Access Mode Extensions: unrecognised modes are skipped without error and never add access."""
    await put_acl(pod.store, "/c/.acl", rule("acl:agentClass foaf:Agent", granted, default=f"{BASE}c/"))
    assert await pod.access.modes(ANONYMOUS, ident("/c/doc")) == expected


@pytest.mark.parametrize(
    "authorization",
    [
        f"<#r> acl:agentClass foaf:Agent; acl:default <{BASE}c/>; acl:mode acl:Read.",
        "<#r> a acl:Authorization; acl:agentClass foaf:Agent; acl:mode acl:Read.",
        f"<#r> a acl:Authorization; acl:agentClass foaf:Agent; acl:default <{BASE}c/>.",
        f"<#r> a acl:Authorization; acl:default <{BASE}c/>; acl:mode acl:Read.",
    ],
    ids=["no-type", "no-access-object", "no-mode", "no-subject"],
)
async def test_non_conforming_authorizations_do_not_apply(pod: Pod, authorization: str) -> None:
    """WAC §Authorization Conformance: a type, an access object, a mode and a subject are all needed."""
    await put_acl(pod.store, "/c/.acl", authorization)
    assert await pod.access.modes(ANONYMOUS, ident("/c/doc")) == NO_MODES


# --- origins ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OriginCase:
    rules: tuple[str, ...]
    credentials: Credentials
    expected: AccessModes


ALICE_RW = rule(f"acl:agent <{ALICE}>", "acl:Read, acl:Write", default=f"{BASE}c/", name="alice")
ALICE_RW_FROM_APP = rule(
    f"acl:agent <{ALICE}>", "acl:Read, acl:Write", default=f"{BASE}c/", extra=f"acl:origin <{APP}/>;"
)
PUBLIC_READ = rule("acl:agentClass foaf:Agent", "acl:Read", default=f"{BASE}c/", name="public")
APP_MAY_WRITE = rule(f"acl:origin <{APP}>", "acl:Read, acl:Write", default=f"{BASE}c/", name="app")
PUBLIC_READ_FROM_APP = rule(
    "acl:agentClass foaf:Agent", "acl:Read", default=f"{BASE}c/", extra=f"acl:origin <{APP}>;"
)

ORIGIN_CASES = {
    "no Origin header: origins play no part": OriginCase((ALICE_RW,), as_agent(ALICE), modes(R, W, A)),
    "this server's own origin passes": OriginCase(
        (ALICE_RW,), as_agent(ALICE, "http://pod.example"), modes(R, W, A)
    ),
    "an origin nobody named is refused": OriginCase((ALICE_RW,), as_agent(ALICE, APP), NO_MODES),
    "a rule naming the origin allows it": OriginCase(
        (ALICE_RW_FROM_APP,), as_agent(ALICE, APP), modes(R, W, A)
    ),
    "a rule naming an origin matches only that origin": OriginCase(
        (ALICE_RW_FROM_APP,), as_agent(ALICE, OTHER_APP), NO_MODES
    ),
    "a rule naming an origin still applies without Origin": OriginCase(
        (ALICE_RW_FROM_APP,), as_agent(ALICE), modes(R, W, A)
    ),
    "public modes pass any origin": OriginCase((ALICE_RW, PUBLIC_READ), as_agent(ALICE, APP), modes(R)),
    "agent and origin may be granted by separate rules": OriginCase(
        (ALICE_RW, APP_MAY_WRITE), as_agent(ALICE, APP), modes(R, W, A)
    ),
    "an origin-only rule grants no agent": OriginCase((APP_MAY_WRITE,), as_agent(ALICE, APP), NO_MODES),
    "a public rule naming an origin: that origin": OriginCase(
        (PUBLIC_READ_FROM_APP,), as_agent(None, APP), modes(R)
    ),
    "a public rule naming an origin: another origin": OriginCase(
        (PUBLIC_READ_FROM_APP,), as_agent(None, OTHER_APP), NO_MODES
    ),
}


@pytest.mark.parametrize("case", list(ORIGIN_CASES.values()), ids=list(ORIGIN_CASES))
async def test_origin_enforcement(pod: Pod, case: OriginCase) -> None:
    """WAC §Web Origin Authorization, DESIGN "Browser origins": with an Origin header, a mode needs the
    agent and the origin allowed; the server's own origin and public modes pass; acl:origin limits a rule.
    """
    await put_acl(pod.store, "/c/.acl", *case.rules)
    assert await pod.access.modes(case.credentials, ident("/c/doc")) == case.expected


async def test_refusal_because_of_the_origin_says_so_and_is_403_even_when_anonymous(pod: Pod) -> None:
    """WAC §Access Subject and Origin Rejection Reason: the refusal tells origin from agent."""
    await put_acl(pod.store, "/c/.acl", PUBLIC_READ_FROM_APP)
    with pytest.raises(Forbidden) as refused:
        await pod.access.authorize(as_agent(None, OTHER_APP), [Requirement(ident("/c/doc"), modes(R))])
    assert OTHER_APP in refused.value.detail
    assert "origin" in refused.value.detail


async def test_an_agent_refused_because_of_the_origin_is_told_so(pod: Pod) -> None:
    """WAC §Access Subject and Origin Rejection Reason: Write is the agent's, the origin is not allowed."""
    await put_acl(pod.store, "/c/.acl", ALICE_RW, PUBLIC_READ)
    await pod.access.authorize(as_agent(ALICE, APP), [Requirement(ident("/c/doc"), modes(R))])
    with pytest.raises(Forbidden) as refused:
        await pod.access.authorize(as_agent(ALICE, APP), [Requirement(ident("/c/doc"), modes(W))])
    assert (
        "granted to <https://alice.example/profile#me>, but not to apps from the origin"
        in refused.value.detail
    )


class TrustsApp:
    """The trusted-apps seam as the consent screen will fill it: Alice has approved APP."""

    async def trusts(self, credentials: Credentials, origin: str) -> bool:
        return credentials.agent == ALICE and origin == normalize_origin(APP)


async def test_an_app_the_agent_trusts_passes_the_origin_check(pod: Pod, outbound: OutboundClient) -> None:
    """DESIGN "Browser origins": trust follows the person; an app they approved works with their access."""
    access = AccessControl(
        pod.store, Storages(), BASE, outbound, lambda s: frozenset(), trusted_apps=TrustsApp()
    )
    await put_acl(pod.store, "/c/.acl", ALICE_RW)
    assert await access.modes(as_agent(ALICE, APP), ident("/c/doc")) == modes(R, W, A)
    assert await access.modes(as_agent(ALICE, OTHER_APP), ident("/c/doc")) == NO_MODES


@pytest.mark.parametrize(
    ("written", "normalized"),
    [
        ("https://app.example/", "https://app.example"),
        ("HTTPS://App.Example:443", "https://app.example"),
        ("http://app.example:8080/", "http://app.example:8080"),
        ("http://[::1]:3000", "http://[::1]:3000"),
    ],
)
def test_origins_compare_as_origins(written: str, normalized: str) -> None:
    """RFC 6454 §4, WAC §Web Origin Authorization: an acl:origin IRI and an Origin header compare alike."""
    assert normalize_origin(written) == normalized


# --- broken ACL documents -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("<#r> a acl:Authorization; this is not turtle", "text/turtle"), ("just text", "text/plain")],
    ids=["syntax-error", "not-rdf"],
)
async def test_an_acl_that_does_not_parse_denies_and_is_logged(
    pod: Pod, caplog: pytest.LogCaptureFixture, body: str, content_type: str
) -> None:
    """WAC §ACL Resource Representation: an ACL that is not an RDF document grants nothing, never all."""
    await put_acl(
        pod.store, "/.acl", rule("acl:agentClass foaf:Agent", "acl:Read, acl:Control", default=BASE)
    )
    await put(pod.store, "/c/.acl", body, content_type)
    with caplog.at_level(logging.WARNING, logger="pod.wac"):
        assert await pod.access.modes(ANONYMOUS, ident("/c/doc")) == NO_MODES
    assert "/c/.acl" in caplog.text


# --- groups ---------------------------------------------------------------------------------------


async def test_local_group_membership_follows_the_group_document(pod: Pod) -> None:
    """WAC §Access Subjects: acl:agentGroup names a vcard:Group; its vcard:hasMember list decides."""
    await put(pod.store, "/groups/team", TEAM)
    await put_acl(
        pod.store, "/c/.acl", rule(f"acl:agentGroup <{BASE}groups/team#it>", "acl:Read", default=f"{BASE}c/")
    )
    assert await pod.access.modes(as_agent(BOB), ident("/c/doc")) == NO_MODES
    await put(pod.store, "/groups/team", TEAM + f"<#it> vcard:hasMember <{BOB}>.\n")
    assert await pod.access.modes(as_agent(BOB), ident("/c/doc")) == modes(R)


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        ("/groups/other", TEAM, "text/turtle"),
        ("/groups/team", "not turtle at all <", "text/turtle"),
        ("/groups/team", "alice", "text/plain"),
    ],
    ids=["missing", "syntax-error", "not-rdf"],
)
async def test_a_broken_local_group_denies_that_rule_only(
    pod: Pod, path: str, body: str, content_type: str
) -> None:
    """WAC §Access Subjects: a group that cannot be read has no members; other rules still apply."""
    await put(pod.store, path, body, content_type)
    await put_acl(
        pod.store,
        "/c/.acl",
        rule(f"acl:agentGroup <{BASE}groups/team#it>", "acl:Write", default=f"{BASE}c/", name="group"),
        rule(f"acl:agent <{ALICE}>", "acl:Read", default=f"{BASE}c/"),
    )
    assert await pod.access.modes(as_agent(ALICE), ident("/c/doc")) == modes(R)


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class GroupServer:
    url: str
    hits: dict[str, int]


@pytest.fixture
async def group_server(aiohttp_server: Any) -> GroupServer:
    """A second server, another origin, serving group documents good and bad."""
    hits: dict[str, int] = {}

    def counted(handler: Callable[[web.Request], Awaitable[web.Response]]) -> Any:
        async def handle(request: web.Request) -> web.Response:
            hits[request.path] = hits.get(request.path, 0) + 1
            return await handler(request)

        return handle

    async def team(request: web.Request) -> web.Response:
        return web.Response(text=TEAM, content_type="text/turtle")

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text=TEAM, content_type="text/turtle")

    async def huge(request: web.Request) -> web.Response:
        padding = "".join(f"<#it> vcard:hasMember <https://x.example/{i}#me>.\n" for i in range(1000))
        return web.Response(text=TEAM + padding, content_type="text/turtle")

    async def html(request: web.Request) -> web.Response:
        return web.Response(text=f"<p>{ALICE}</p>", content_type="text/html")

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404)

    app = web.Application()
    for path, handler in {
        "/team": team,
        "/slow": slow,
        "/huge": huge,
        "/html": html,
        "/missing": missing,
    }.items():
        app.router.add_get(path, counted(handler))
    server = await aiohttp_server(app)
    return GroupServer(str(server.make_url("/")), hits)


async def test_remote_group_membership_is_fetched_and_cached(pod: Pod, group_server: GroupServer) -> None:
    """WAC §Access Subjects: a group document may be on another server; it is fetched once, then cached."""
    group = f"{group_server.url}team#it"
    await put_acl(pod.store, "/c/.acl", rule(f"acl:agentGroup <{group}>", "acl:Read", default=f"{BASE}c/"))
    assert await pod.access.modes(as_agent(ALICE), ident("/c/doc")) == modes(R)
    assert await pod.access.modes(as_agent(ALICE), ident("/c/other")) == modes(R)
    assert await pod.access.modes(as_agent(BOB), ident("/c/doc")) == NO_MODES
    assert group_server.hits["/team"] == 1


async def test_group_documents_are_not_fetched_for_anonymous_requests(
    pod: Pod, group_server: GroupServer
) -> None:
    """WAC §Access Subjects: only an agent can be a member; an anonymous request fetches no group."""
    await put_acl(
        pod.store,
        "/c/.acl",
        rule(f"acl:agentGroup <{group_server.url}team#it>", "acl:Read", default=f"{BASE}c/"),
    )
    assert await pod.access.modes(ANONYMOUS, ident("/c/doc")) == NO_MODES
    assert "/team" not in group_server.hits


@pytest.mark.parametrize("document", ["slow", "huge", "html", "missing", "unreachable"])
async def test_a_broken_remote_group_denies_that_rule_only(
    pod: Pod, group_server: GroupServer, closed_port: int, document: str, caplog: pytest.LogCaptureFixture
) -> None:
    """WAC §Access Subjects: a group document that is slow (timeout), huge (size cap), not RDF, missing or
    unreachable grants nothing through its rule; the other rules still apply, and the log says why.
    """
    if document == "unreachable":
        group = f"http://127.0.0.1:{closed_port}/team#it"
    else:
        group = f"{group_server.url}{document}#it"
    await put_acl(
        pod.store,
        "/c/.acl",
        rule(f"acl:agentGroup <{group}>", "acl:Write", default=f"{BASE}c/", name="group"),
        rule(f"acl:agent <{ALICE}>", "acl:Read", default=f"{BASE}c/"),
    )
    with caplog.at_level(logging.WARNING, logger="pod.wac"):
        assert await pod.access.modes(as_agent(ALICE), ident("/c/doc")) == modes(R)
    assert group.split("#")[0] in caplog.text


async def test_groups_are_consulted_only_for_modes_still_needed(pod: Pod, group_server: GroupServer) -> None:
    """WAC §Authorization Evaluation: evaluation stops once the needed modes are granted."""
    await put_acl(
        pod.store,
        "/c/.acl",
        rule(f"acl:agentGroup <{group_server.url}team#it>", "acl:Read", default=f"{BASE}c/", name="group"),
        rule(f"acl:agent <{ALICE}>", "acl:Read", default=f"{BASE}c/"),
    )
    await pod.access.authorize(as_agent(ALICE), [Requirement(ident("/c/doc"), modes(R))])
    assert "/team" not in group_server.hits


# --- auxiliary resources ---------------------------------------------------------------------------


async def test_an_acl_needs_control_on_its_subject(pod: Pod) -> None:
    """WAC §Reading and Writing Resources: reading or writing an ACL resource needs acl:Control."""
    await put_acl(
        pod.store,
        "/c/.acl",
        rule(f"acl:agent <{ALICE}>", "acl:Read, acl:Write", default=f"{BASE}c/"),
        rule(f"acl:agent <{BOB}>", "acl:Control", default=f"{BASE}c/", name="bob"),
    )
    acl = ident("/c/doc.acl")
    assert await pod.access.modes(as_agent(ALICE), acl) == NO_MODES
    assert await pod.access.modes(as_agent(BOB), acl) == ALL_MODES
    with pytest.raises(Forbidden):
        await pod.access.authorize(
            as_agent(ALICE), requirements_for("GET", acl, exists=True, missing_containers=[])
        )
    await pod.access.authorize(
        as_agent(BOB), requirements_for("PUT", acl, exists=False, missing_containers=[])
    )


async def test_control_does_not_imply_read_or_write_on_the_resource(pod: Pod) -> None:
    """WAC §HTTP Method and Access Mode Mapping: Control is about the ACL, not the resource itself."""
    await put_acl(pod.store, "/c/.acl", rule(f"acl:agent <{BOB}>", "acl:Control", default=f"{BASE}c/"))
    assert await pod.access.modes(as_agent(BOB), ident("/c/doc")) == modes(C)


async def test_a_description_resource_follows_its_subject(pod: Pod) -> None:
    """Solid Protocol §Auxiliary Resources, DESIGN: a `.meta` is governed by its subject's rules."""
    await put_acl(pod.store, "/c/.acl", rule(f"acl:agent <{ALICE}>", "acl:Read", default=f"{BASE}c/"))
    assert await pod.access.modes(as_agent(ALICE), ident("/c/doc.meta")) == modes(R)
    assert await pod.access.modes(as_agent(ALICE), ident("/c/.meta")) == NO_MODES  # /c/ itself: accessTo only
    with pytest.raises(Forbidden):
        await pod.access.authorize(
            as_agent(ALICE), requirements_for("PUT", ident("/c/doc.meta"), exists=True, missing_containers=[])
        )


# --- owners -------------------------------------------------------------------------------------


async def test_owners_keep_read_and_control_whatever_the_acls_say(pod: Pod) -> None:
    """WAC §Access Modes, Loss of Control Mitigation: the storage's owner always keeps Read and Control."""
    pod.owners.add(ALICE)
    await put_acl(pod.store, "/.acl", rule(f"acl:agent <{BOB}>", "acl:Read", default=BASE, access_to=BASE))
    await put(pod.store, "/c/.acl", "broken {", "text/turtle")
    for path in ("/", "/doc", "/c/doc"):
        assert await pod.access.modes(as_agent(ALICE), ident(path)) == modes(R, C), path
    assert await pod.access.modes(as_agent(ALICE), ident("/c/.acl")) == ALL_MODES
    assert await pod.access.modes(as_agent(BOB), ident("/c/doc")) == NO_MODES


async def test_owner_protection_needs_an_origin_that_passes(pod: Pod) -> None:
    """DESIGN "Browser origins": owner protection is for the owner, not for any app they open."""
    pod.owners.add(ALICE)
    assert await pod.access.modes(as_agent(ALICE, "http://pod.example"), ROOT) == modes(R, C)
    assert await pod.access.modes(as_agent(ALICE, APP), ROOT) == NO_MODES


# --- authorize: 401 or 403 --------------------------------------------------------------------------


async def test_anonymous_refusal_is_401_with_a_dpop_and_bearer_challenge(pod: Pod) -> None:
    """Solid Protocol §Authorization: no credentials and not allowed → 401 with WWW-Authenticate."""
    with pytest.raises(Unauthorized) as refused:
        await pod.access.authorize(ANONYMOUS, [Requirement(ident("/c/doc"), modes(R))])
    assert refused.value.status == 401
    assert refused.value.headers == {"WWW-Authenticate": CHALLENGE}
    assert refused.value.headers["WWW-Authenticate"] == 'DPoP algs="ES256 PS256 RS256 EdDSA", Bearer'
    assert "Read on /c/doc" in refused.value.detail


async def test_authenticated_refusal_is_403_naming_mode_resource_and_agent(pod: Pod) -> None:
    """Solid Protocol §Authorization: an authenticated agent that is not allowed gets 403."""
    await put_acl(pod.store, "/c/.acl", rule(f"acl:agent <{ALICE}>", "acl:Read", default=f"{BASE}c/"))
    with pytest.raises(Forbidden) as refused:
        await pod.access.authorize(
            as_agent(ALICE), [Requirement(ident("/c/doc"), modes(R)), Requirement(ident("/c/"), modes(A))]
        )
    assert refused.value.status == 403
    assert refused.value.detail == f"Append on /c/ is not granted to <{ALICE}>"


async def test_authorize_checks_every_requirement(pod: Pod) -> None:
    """WAC §Reading and Writing Resources: delete needs Write on the resource and on its container."""
    await put_acl(pod.store, "/c/.acl", rule("acl:agentClass foaf:Agent", "acl:Write", default=f"{BASE}c/"))
    requirements = requirements_for("DELETE", ident("/c/doc"), exists=True, missing_containers=[])
    with pytest.raises(Unauthorized) as refused:
        await pod.access.authorize(ANONYMOUS, requirements)
    assert "Write on /c/" in refused.value.detail


# --- WAC-Allow ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "public", "header"),
    [
        (ALL_MODES, modes(R), 'user="read write append control",public="read"'),
        (modes(W), NO_MODES, 'user="write append",public=""'),
        (modes(A, R), modes(A), 'user="read append",public="append"'),
        (modes(C), modes(C), 'user="control",public="control"'),
        (NO_MODES, NO_MODES, 'user="",public=""'),
    ],
)
def test_wac_allow_header_value(pod: Pod, user: AccessModes, public: AccessModes, header: str) -> None:
    """WAC §wac-allow HTTP Header: lower-case modes per permission group; write implies append."""
    assert pod.access.wac_allow(user, public) == header


async def test_permissions_give_user_and_public_modes(pod: Pod) -> None:
    """WAC §Access Privileges: the `user` and `public` groups of WAC-Allow for one resource."""
    await put_acl(
        pod.store,
        "/c/.acl",
        rule("acl:agentClass foaf:Agent", "acl:Read", default=f"{BASE}c/"),
        rule(f"acl:agent <{ALICE}>", "acl:Write", default=f"{BASE}c/", name="alice"),
    )
    user, public = await pod.access.permissions(as_agent(ALICE), ident("/c/doc"))
    assert (user, public) == (modes(R, W, A), modes(R))
    assert await pod.access.public_modes(ident("/c/doc")) == modes(R)


# --- caching --------------------------------------------------------------------------------------


class CountingStore(MemoryStore):
    """A MemoryStore that counts the calls the access check makes, to check its cost; optionally
    one that cannot tell whether anything changed (as a FileStore without inotify)."""

    def __init__(self, tells_generation: bool = True) -> None:
        super().__init__()
        self.tells_generation = tells_generation
        self.stats = 0
        self.reads = 0

    def generation(self) -> int | None:
        return super().generation() if self.tells_generation else None

    def acl_generation(self) -> int | None:
        return super().acl_generation() if self.tells_generation else None

    async def stat(self, identifier: ResourceIdentifier) -> Entry | None:
        self.stats += 1
        return await super().stat(identifier)

    async def read(self, identifier: ResourceIdentifier) -> bytes:
        self.reads += 1
        return await super().read(identifier)


@pytest.mark.parametrize(("tells_generation", "stats"), [(False, 4), (True, 0)])
async def test_a_cached_acl_costs_no_read_or_parse(
    outbound: OutboundClient, tells_generation: bool, stats: int
) -> None:
    """Issue 5 "Speed": a request whose effective ACL is cached reads no file and parses nothing.
    At depth 3 with only the root's ACL it costs one stat per candidate ACL (4), or none at all
    while the store says no ACL document changed since the decision was made (Store.acl_generation).
    """
    store = CountingStore(tells_generation)
    access = AccessControl(store, Storages(), BASE, outbound, lambda s: frozenset())
    await put_acl(store, "/.acl", rule("acl:agentClass foaf:Agent", "acl:Read", default=BASE))
    target = ident("/a/b/doc")
    assert await access.modes(ANONYMOUS, target) == modes(R)
    assert store.reads == 1
    store.stats = store.reads = 0
    await access.authorize(ANONYMOUS, [Requirement(target, modes(R))])
    assert (store.stats, store.reads) == (stats, 0)
    store.stats = 0
    assert await access.permissions(ANONYMOUS, target) == (modes(R), modes(R))
    assert (store.stats, store.reads) == (stats, 0)


async def test_a_resource_never_seen_costs_one_stat_while_no_acl_changed(outbound: OutboundClient) -> None:
    """Issue 4 "Speed": a resource never asked about (a new document being PUT) is decided from
    what its container passes down, remembered while Store.acl_generation holds: one stat, of its
    own `.acl`; writing other documents meanwhile changes nothing of that."""
    store = CountingStore()
    access = AccessControl(store, Storages(), BASE, outbound, lambda s: frozenset())
    await put_acl(store, "/.acl", rule("acl:agentClass foaf:Agent", "acl:Read, acl:Write", default=BASE))
    assert await access.modes(ANONYMOUS, ident("/a/b/one")) == modes(R, W, A)
    await store.make_container(ident("/a/"))
    await store.make_container(ident("/a/b/"))
    await store.write(ident("/a/b/one"), b"<#a> <#b> <#c>.", "text/turtle")
    store.stats = store.reads = 0
    await access.authorize(ANONYMOUS, [Requirement(ident("/a/b/two"), modes(W))])
    assert (store.stats, store.reads) == (1, 0)


async def test_a_decision_is_made_again_after_any_change(outbound: OutboundClient) -> None:
    """The quick path (Store.acl_generation) never outlives an ACL change: a new ACL below counts at once."""
    store = CountingStore()
    access = AccessControl(store, Storages(), BASE, outbound, lambda s: frozenset())
    await put_acl(store, "/.acl", rule("acl:agentClass foaf:Agent", "acl:Read", default=BASE))
    target = ident("/a/b/doc")
    assert await access.modes(ANONYMOUS, target) == modes(R)
    await store.make_container(ident("/a/"))
    await store.make_container(ident("/a/b/"))
    await put_acl(store, "/a/b/.acl", rule("acl:agentClass foaf:Agent", "acl:Append", default=f"{BASE}a/b/"))
    assert await access.modes(ANONYMOUS, target) == modes(A)


async def test_a_changed_acl_is_read_again(pod: Pod) -> None:
    """DESIGN "Files are the truth": the cache is keyed by the ACL's ETag, so a new version counts at once."""
    await put_acl(pod.store, "/c/.acl", rule("acl:agentClass foaf:Agent", "acl:Read", default=f"{BASE}c/"))
    assert await pod.access.modes(ANONYMOUS, ident("/c/doc")) == modes(R)
    await put_acl(pod.store, "/c/.acl", rule("acl:agentClass foaf:Agent", "acl:Append", default=f"{BASE}c/"))
    assert await pod.access.modes(ANONYMOUS, ident("/c/doc")) == modes(A)
    await pod.store.delete(ident("/c/.acl"))
    assert await pod.access.modes(ANONYMOUS, ident("/c/doc")) == NO_MODES


# --- templates ------------------------------------------------------------------------------------


async def test_the_single_user_root_acl_is_written_once_and_is_open_until_the_owner_claims_it(
    pod: Pod,
) -> None:
    """WAC §ACL Resource Representation: the root's ACL exists and grants acl:Control (here: to everyone)."""
    assert await ensure_root_acl(pod.store, BASE, single_user=True) is True
    assert await pod.access.public_modes(ROOT) == ALL_MODES
    assert await pod.access.public_modes(ident("/any/thing")) == ALL_MODES
    assert await pod.access.public_modes(ROOT.auxiliary(AuxiliaryKind.ACL)) == ALL_MODES
    assert await ensure_root_acl(pod.store, BASE, single_user=True) is False


async def test_the_multi_user_root_is_readable_and_passes_nothing_down(pod: Pod) -> None:
    """DESIGN.md: above the pods the root is a plain container; anyone may list it, nobody write it.

    (Pods are made through the account API; each has its own ACL, so the root has no acl:default.)
    """
    assert await ensure_root_acl(pod.store, BASE, single_user=False) is True
    assert await pod.access.public_modes(ROOT) == modes(R)
    assert await pod.access.public_modes(ident("/squatted/")) == NO_MODES
    assert await pod.access.public_modes(ROOT.auxiliary(AuxiliaryKind.ACL)) == NO_MODES


async def test_pod_templates_give_owner_control_public_profile_and_append_only_inbox(pod: Pod) -> None:
    """WAC §Access Subjects and §Access Modes, applied to the templates new pods get."""
    pod_url, owner = f"{BASE}alice/", f"{BASE}alice/profile/card#me"
    await put(pod.store, "/alice/.acl", acl_template("pod", pod=pod_url, owner=owner))
    await put(
        pod.store,
        "/alice/profile/card.acl",
        acl_template("profile", profile=f"{pod_url}profile/card", owner=owner),
    )
    await put(pod.store, "/alice/inbox/.acl", acl_template("inbox", inbox=f"{pod_url}inbox/", owner=owner))
    alice = as_agent(owner)
    everything = modes(R, W, A, C)
    table = {
        ("/alice/", alice): everything,
        ("/alice/notes/x", alice): everything,
        ("/alice/", ANONYMOUS): NO_MODES,
        ("/alice/notes/x", as_agent(BOB)): NO_MODES,
        ("/alice/profile/card", ANONYMOUS): modes(R),
        ("/alice/profile/card", alice): everything,
        ("/alice/inbox/", ANONYMOUS): modes(A),
        ("/alice/inbox/", alice): everything,
        ("/alice/inbox/message", ANONYMOUS): NO_MODES,
        ("/alice/inbox/message", alice): everything,
    }
    for (path, credentials), expected in table.items():
        assert await pod.access.modes(credentials, ident(path)) == expected, (path, credentials)


# --- requirements_for -------------------------------------------------------------------------------


def req(path: str, *members: AccessMode) -> Requirement:
    return Requirement(ident(path), modes(*members))


REQUIREMENT_CASES: dict[str, tuple[dict[str, Any], list[Requirement]]] = {
    "GET reads": ({"method": "GET", "target": "/c/doc", "exists": True}, [req("/c/doc", R)]),
    "HEAD reads": ({"method": "HEAD", "target": "/c/doc", "exists": True}, [req("/c/doc", R)]),
    "OPTIONS reads": ({"method": "OPTIONS", "target": "/c/", "exists": True}, [req("/c/", R)]),
    "GET of a missing resource reads": (
        {"method": "GET", "target": "/c/x", "exists": False},
        [req("/c/x", R)],
    ),
    "PUT replacing writes": ({"method": "PUT", "target": "/c/doc", "exists": True}, [req("/c/doc", W)]),
    "PUT creating writes and appends to the parent": (
        {"method": "PUT", "target": "/c/doc", "exists": False},
        [req("/c/doc", W), req("/c/", A)],
    ),
    "PUT creating intermediate containers appends to each": (
        {"method": "PUT", "target": "/c/d/e/doc", "exists": False, "missing": ["/c/d/", "/c/d/e/"]},
        [req("/c/d/e/doc", W), req("/c/d/e/", A), req("/c/d/", A), req("/c/", A)],
    ),
    "PUT creating a container": (
        {"method": "PUT", "target": "/c/new/", "exists": False},
        [req("/c/new/", W), req("/c/", A)],
    ),
    "PATCH existing needs the patch's modes": (
        {"method": "PATCH", "target": "/c/doc", "exists": True, "patch": modes(R, A)},
        [req("/c/doc", R, A)],
    ),
    "PATCH existing that deletes needs Write": (
        {"method": "PATCH", "target": "/c/doc", "exists": True, "patch": modes(R, W)},
        [req("/c/doc", R, W)],
    ),
    "PATCH needs at least Append": (
        {"method": "PATCH", "target": "/c/doc", "exists": True, "patch": NO_MODES},
        [req("/c/doc", A)],
    ),
    "PATCH without known modes needs Write": (
        {"method": "PATCH", "target": "/c/doc", "exists": True},
        [req("/c/doc", W)],
    ),
    "PATCH creating appends to the parent and the containers it makes": (
        {"method": "PATCH", "target": "/c/d/doc", "exists": False, "missing": ["/c/d/"], "patch": modes(A)},
        [req("/c/d/doc", A), req("/c/d/", A), req("/c/", A)],
    ),
    "POST appends to the container": ({"method": "POST", "target": "/c/", "exists": True}, [req("/c/", A)]),
    "DELETE writes the resource and its container": (
        {"method": "DELETE", "target": "/c/doc", "exists": True},
        [req("/c/doc", W), req("/c/", W)],
    ),
    "DELETE of a container writes its parent": (
        {"method": "DELETE", "target": "/c/d/", "exists": True},
        [req("/c/d/", W), req("/c/", W)],
    ),
    "DELETE of the root has no parent": ({"method": "DELETE", "target": "/", "exists": True}, [req("/", W)]),
    "any method on an ACL needs Control on its subject": (
        {"method": "GET", "target": "/c/doc.acl", "exists": True},
        [req("/c/doc", C)],
    ),
    "PUT creating an ACL needs Control only": (
        {"method": "PUT", "target": "/c/doc.acl", "exists": False},
        [req("/c/doc", C)],
    ),
    "DELETE of a container's ACL needs Control on the container": (
        {"method": "DELETE", "target": "/c/.acl", "exists": True},
        [req("/c/", C)],
    ),
    "the ACL of an ACL is governed by the subject": (
        {"method": "GET", "target": "/c/doc.acl.acl", "exists": False},
        [req("/c/doc", C)],
    ),
    "GET of a description reads its subject": (
        {"method": "GET", "target": "/c/doc.meta", "exists": True},
        [req("/c/doc", R)],
    ),
    "PATCH of a description needs the same modes on its subject": (
        {"method": "PATCH", "target": "/c/.meta", "exists": False, "patch": modes(A)},
        [req("/c/", A)],
    ),
    "lower-case method names count": (
        {"method": "delete", "target": "/c/doc", "exists": True},
        [
            req("/c/doc", W),
            req("/c/", W),
        ],
    ),
}


@pytest.mark.parametrize(("case", "expected"), list(REQUIREMENT_CASES.values()), ids=list(REQUIREMENT_CASES))
def test_requirements_for(case: dict[str, Any], expected: list[Requirement]) -> None:
    """WAC §Reading and Writing Resources, DESIGN "Creating by PUT or PATCH": the modes each method needs."""
    requirements = requirements_for(
        case["method"],
        ident(case["target"]),
        exists=case["exists"],
        missing_containers=[ident(p) for p in case.get("missing", [])],
        patch_modes=case.get("patch"),
    )
    assert requirements == expected


def test_requirements_for_an_unknown_method_is_405() -> None:
    """RFC 9110 §15.5.6: a method the server does not authorize is not allowed."""
    with pytest.raises(MethodNotAllowed):
        requirements_for("BREW", ident("/c/"), exists=True, missing_containers=[])
