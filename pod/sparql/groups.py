"""Access groups: the graphs whose Read is decided by the same rules, so one decision covers them all.

WAC decides Read on a resource from its effective ACL (WAC §Effective ACL Resource): the
rules of its own ACL that name it with acl:accessTo, or else the acl:default rules of the
nearest container that has an ACL. Every resource inheriting from one container's ACL gets
the same answer for a given agent, so a pod of 10,000 resources usually has a handful of
groups, and a query asks WAC once per group instead of once per resource.

Following DESIGN "SPARQL and auxiliary resources", an `.acl` graph needs Control on its
subject and a `.meta` graph follows its subject's Read: both are in the group of their
subject, marked by the mode WAC wants (`governing` maps them exactly as requests are).

The grouping is computed from the ACL files the last walk saw (each sync lists again any
container whose entry changed, so an ACL created or removed by hand is seen). A group's
answer comes from asking one member `AccessControl.modes` — the same call a GET makes —
after checking that WAC's own discovery finds the ACL the grouping assumed; if not, the
files changed behind the index and the pod is listed again.

Answers are remembered per agent, group and version (ETag) of the group's ACL document,
so a repeated query stats each ACL document once instead of walking WAC for every group.
Not remembered: answers for requests from a browser origin (they depend on the apps the
agent trusts) and answers that involved acl:agentGroup (group documents change on their
own) — those are asked afresh every time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pod.auth.credentials import Credentials
from pod.ldp.cache import Lru
from pod.ldp.identifiers import AuxiliaryKind, ResourceIdentifier
from pod.wac.access_control import AccessControl
from pod.wac.discovery import Stats
from pod.wac.modes import AccessMode
from pod.wac.requirements import READ, governing

# Remembered answers per pod: (agent, app, issuer, owners, group, ACL version) → may read.
MAX_DECISIONS = 8192
DecisionKey = tuple[str | None, str | None, str | None, frozenset[str], str, str | None]

Url = Callable[[ResourceIdentifier], str]


@dataclass(frozen=True, slots=True)
class AccessGroup:
    """Graphs governed by the same rules: those of `acl` about `about`, needing Read or Control."""

    acl: ResourceIdentifier | None  # None: no ACL document anywhere above
    inherited: bool
    about: str  # the URL the rules name (acl:accessTo the subject, or acl:default the container)
    control: bool  # an `.acl` graph: Control on the subject is needed to read it

    @property
    def key(self) -> str:
        mode = "control" if self.control else "read"
        how = "default" if self.inherited else "accessTo"
        return f"{mode} {how} {self.acl.path if self.acl else '-'} {self.about}"


class StaleGrouping(Exception):
    """WAC found another effective ACL than the grouping assumed: the files changed behind the index."""


def group_of(identifier: ResourceIdentifier, acl_files: set[ResourceIdentifier], url: Url) -> AccessGroup:
    """The group of a graph, given which ACL documents exist (as AclDiscovery.effective finds them)."""
    need = governing(identifier, READ)
    subject = need.identifier
    control = AccessMode.CONTROL in need.modes
    own = subject.auxiliary(AuxiliaryKind.ACL)
    if own in acl_files:
        return AccessGroup(own, False, url(subject), control)
    for container in subject.ancestors():
        acl = container.auxiliary(AuxiliaryKind.ACL)
        if acl in acl_files:
            return AccessGroup(acl, True, url(container), control)
    return AccessGroup(None, True, "", control)


class AccessGroups:
    """Which group each graph is in, and the members of each group."""

    def __init__(self, url: Url) -> None:
        self.url = url
        self.of: dict[ResourceIdentifier, AccessGroup] = {}
        self.members: dict[AccessGroup, set[ResourceIdentifier]] = {}
        self._decisions: Lru[DecisionKey, bool] = Lru(MAX_DECISIONS)

    def clear(self) -> None:
        self.of.clear()
        self.members.clear()

    def assign(
        self, graphs: Iterable[ResourceIdentifier], acl_files: set[ResourceIdentifier]
    ) -> dict[ResourceIdentifier, AccessGroup]:
        """(Re)compute the group of these graphs; returns those whose group changed."""
        moved = {}
        for graph in graphs:
            group = group_of(graph, acl_files, self.url)
            before = self.of.get(graph)
            if before == group:
                continue
            if before is not None:
                self._leave(graph, before)
            self.of[graph] = group
            self.members.setdefault(group, set()).add(graph)
            moved[graph] = group
        return moved

    def remove(self, graph: ResourceIdentifier) -> None:
        group = self.of.pop(graph, None)
        if group is not None:
            self._leave(graph, group)

    def _leave(self, graph: ResourceIdentifier, group: AccessGroup) -> None:
        members = self.members.get(group)
        if members is not None:
            members.discard(graph)
            if not members:
                del self.members[group]

    async def readable(
        self, credentials: Credentials, access: AccessControl, owners: frozenset[str]
    ) -> frozenset[str]:
        """The keys of the groups whose graphs this agent may read (WAC, once per group and ACL version)."""
        readable = set()
        stats: Stats = {}
        # DESIGN "Browser origins": with an Origin, the answer depends on the apps the agent trusts.
        remember = credentials.origin is None or credentials.origin == access.own_origin
        for group, members in self.members.items():
            version = None
            if group.acl is not None:
                entry = (
                    await access.discovery.store.stat(group.acl)
                    if group.acl not in stats
                    else stats[group.acl]
                )
                stats[group.acl] = entry
                if entry is None:
                    raise StaleGrouping(f"{group.acl} is gone")
                version = entry.etag
            key = (credentials.agent, credentials.client_id, credentials.issuer, owners, group.key, version)
            known = self._decisions.get(key) if remember else None
            if known is None:
                known = await self._decide(
                    credentials, access, group, next(iter(members)), stats, key, remember
                )
            if known:
                readable.add(group.key)
        return frozenset(readable)

    async def _decide(
        self,
        credentials: Credentials,
        access: AccessControl,
        group: AccessGroup,
        member: ResourceIdentifier,
        stats: Stats,
        key: DecisionKey,
        remember: bool,
    ) -> bool:
        # Trust the grouping only as far as WAC's own discovery, which stats the files, agrees.
        effective = await access.discovery.effective(governing(member, READ).identifier, stats)
        if (effective.acl, effective.inherited) != (group.acl, group.inherited):
            raise StaleGrouping(f"{member} is governed by {effective.acl}, not {group.acl}")
        # The same question a GET of the member asks (WAC §Reading and Writing Resources).
        may_read = AccessMode.READ in await access.modes(credentials, member)
        if remember and not any(rule.groups for rule in effective.authorizations):
            self._decisions.put(key, may_read)
        return may_read
