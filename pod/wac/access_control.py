"""AccessControl: what an agent, in an app from an origin, may do on a resource (WAC §Authorization)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pod.auth.credentials import ANONYMOUS, Credentials
from pod.errors import Forbidden, PodError, Unauthorized
from pod.ldp.cache import Lru
from pod.ldp.identifiers import ResourceIdentifier
from pod.ldp.storages import Storages
from pod.outbound import OutboundClient
from pod.storage.base import Store
from pod.wac import vocabulary as v
from pod.wac.app_policy import AppPolicy, NoAppPolicy
from pod.wac.authorizations import Authorization
from pod.wac.discovery import AclDiscovery, EffectiveAcl, Stats
from pod.wac.groups import GroupMembership
from pod.wac.modes import ALL_MODES, NO_MODES, AccessMode, AccessModes, describe, wac_allow_value
from pod.wac.origins import NoTrustedApps, TrustedApps, normalize_origin
from pod.wac.requirements import Requirement, governing

# Solid-OIDC §Resource Server: the challenge a 401 carries, for DPoP-bound and bearer tokens.
CHALLENGE = 'DPoP algs="ES256 PS256 RS256 EdDSA", Bearer'
# WAC §Access Modes, Loss of Control Mitigation: what an owner keeps whatever the ACLs say.
OWNER_MODES: AccessModes = frozenset({AccessMode.READ, AccessMode.CONTROL})

OwnersOf = Callable[[ResourceIdentifier], frozenset[str]]


@dataclass(frozen=True, slots=True)
class _Decision:
    granted: AccessModes  # allowed to the agent and to the origin
    for_agent: AccessModes  # allowed to the agent, the origin aside: tells whose fault a refusal is


class AccessControl:
    """Web Access Control over one store: effective ACLs, subjects, groups, origins and owners."""

    def __init__(
        self,
        store: Store,
        storages: Storages,
        base_url: str,
        outbound: OutboundClient,
        owners_of: OwnersOf,
        *,
        trusted_apps: TrustedApps | None = None,
    ) -> None:
        self.storages = storages
        self.base_url = base_url
        self.owners_of = owners_of
        self.store = store
        self.discovery = AclDiscovery(store, base_url)
        self.groups = GroupMembership(store, base_url, outbound)
        self.trusted_apps: TrustedApps = trusted_apps or NoTrustedApps()
        # Issue 13: the owner's app control (pod.visibility), asked before WAC for an owner's requests.
        self.app_policy: AppPolicy = NoAppPolicy()
        self.own_origin = normalize_origin(base_url)
        # Decisions that depend on nothing but the effective ACL (which document, at which version,
        # its own rules or those passed down), the agent and the origin (no owner, no group, no
        # trusted app): a pure function of the key, so never stale.
        self._decisions: Lru[tuple[str, str, bool, str | None, str | None], _Decision] = Lru(2048)
        # The decision last made for (resource path, agent, origin), with the store's ACL
        # generation then: while no ACL document can have changed, a check is one lookup.
        self._decided: Lru[tuple[str, str | None, str | None], tuple[int, _Decision]] = Lru(2048)
        # Anonymous requests' permissions by (resource path, Origin): (ACL generation, user, public).
        self._anonymous: Lru[tuple[str, str | None], tuple[int | None, AccessModes, AccessModes]] = Lru(2048)

    # -- the questions the request path asks ---------------------------------------------------

    async def modes(self, credentials: Credentials, identifier: ResourceIdentifier) -> AccessModes:
        """What this agent, with this origin, may do on `identifier` (auxiliary resources included)."""
        return await self._modes(credentials, identifier, {})

    async def public_modes(self, identifier: ResourceIdentifier) -> AccessModes:
        """What anybody may do on `identifier`: the `public` group of WAC-Allow."""
        return await self._modes(ANONYMOUS, identifier, {})

    async def permissions(
        self, credentials: Credentials, identifier: ResourceIdentifier
    ) -> tuple[AccessModes, AccessModes]:
        """`(modes(...), public_modes(...))` in one go, statting each candidate ACL once."""
        # An anonymous request's answer depends on the ACLs alone (no owner, group or trusted app):
        # while no ACL document can have changed, the answer given last time for the resource and origin.
        quick_key = generation = None
        if credentials.agent is None:
            generation = self.store.acl_generation()
            if generation is not None:
                quick_key = (identifier.path, credentials.origin)
                known = self._anonymous.get(quick_key)
                if known is not None and known[0] == generation:
                    return known[1], known[2]
        stats: Stats = {}
        user = await self._modes(credentials, identifier, stats)
        origin = normalize_origin(credentials.origin) if credentials.origin else None
        if credentials.agent is None and self._no_other_origin(origin):
            public = user  # asked as anybody would be: the same question
        else:
            public = await self._modes(ANONYMOUS, identifier, stats)
        if quick_key is not None:
            self._anonymous.put(quick_key, (generation, user, public))
        return user, public

    def _no_other_origin(self, origin: str | None) -> bool:
        """No Origin (normalized), or this server's own: the origin then plays no part."""
        return origin is None or origin == self.own_origin

    async def authorize(self, credentials: Credentials, requirements: Sequence[Requirement]) -> None:
        """Return when every requirement is met; otherwise raise Unauthorized (401) or Forbidden (403).

        Solid Protocol §Authorization: anonymous and refused → 401 with a challenge; an
        authenticated agent, or an anonymous one refused only because of the origin → 403.
        """
        stats: Stats = {}
        for requirement in requirements:
            needed = governing(requirement.identifier, requirement.modes)
            decision = await self._decide(credentials, needed.identifier, stats, needed.modes)
            missing = needed.modes - decision.granted
            if missing:
                raise self._refusal(credentials, needed.identifier, missing, decision)

    def wac_allow(self, user: AccessModes, public: AccessModes) -> str:
        """WAC §wac-allow HTTP Header: `user="read write append",public="read"`."""
        return wac_allow_value(user, public)

    # -- evaluation ---------------------------------------------------------------------------

    async def _modes(
        self, credentials: Credentials, identifier: ResourceIdentifier, stats: Stats
    ) -> AccessModes:
        needed = governing(identifier, ALL_MODES)  # `.meta` follows its subject
        decision = await self._decide(credentials, needed.identifier, stats, needed.modes)
        if needed.modes != ALL_MODES:
            # WAC §Reading and Writing Resources: an ACL is read and written with Control on its subject.
            return ALL_MODES if needed.modes <= decision.granted else NO_MODES
        return decision.granted

    async def _decide(
        self, credentials: Credentials, subject: ResourceIdentifier, stats: Stats, wanted: AccessModes
    ) -> _Decision:
        agent = credentials.agent
        owner = agent is not None and self._owns(agent, subject)
        if owner:
            storage = self.storages.storage_of(subject)
            assert storage is not None
            # Issue 13: an app the owner blocked (or, approved-only, never approved) is refused (403) here.
            await self.app_policy.check(credentials, storage)
        origin = normalize_origin(credentials.origin) if credentials.origin else None
        if owner or not self._no_other_origin(origin):
            effective = await self.discovery.effective(subject, stats)
            return (await self._evaluate(credentials, subject, effective, origin, wanted, owner))[0]
        # Without an owner or a trusted app to consult, the answer is a function of the effective
        # ACL, the agent and the origin.
        generation = self.store.acl_generation()  # before the ACL is looked up
        quick_key = (subject.path, agent, origin)
        if generation is not None:
            known = self._decided.get(quick_key)
            if known is not None and known[0] == generation:
                return known[1]  # no ACL document can have changed since: no lookup at all
        effective = await self.discovery.effective(subject, stats, generation)
        key = (
            effective.acl.path if effective.acl else "",
            effective.version,
            effective.inherited,
            agent,
            origin,
        )
        decision = self._decisions.get(key)
        if decision is None:
            decision, groups_had_a_say = await self._evaluate(
                credentials, subject, effective, origin, wanted, owner
            )
            if groups_had_a_say:  # group documents change on their own: never remembered
                return decision
            self._decisions.put(key, decision)
        if generation is not None:
            self._decided.put(quick_key, (generation, decision))
        return decision

    async def _evaluate(
        self,
        credentials: Credentials,
        subject: ResourceIdentifier,
        effective: EffectiveAcl,
        origin: str | None,
        wanted: AccessModes,
        owner: bool,
    ) -> tuple[_Decision, bool]:
        """The decision, and whether group documents (which change on their own) had a say."""
        origin_passes = await self._origin_passes(credentials, origin)

        # Modes the agent has through rules that apply from this origin, and through any rule at
        # all (the origin aside: only to tell the agent's refusal from the origin's).
        here: set[AccessMode] = set()
        anywhere: set[AccessMode] = set()
        # WAC §Web Origin Authorization: without an Origin header, acl:origin plays no part.
        for_origin: set[AccessMode] = set(ALL_MODES) if origin_passes else set()
        agent = credentials.agent
        if owner:
            anywhere |= OWNER_MODES
            if origin_passes:  # owner protection is for the owner, not for any app they open
                here |= OWNER_MODES

        grouped: list[Authorization] = []
        for rule in effective.authorizations:
            # An authorization naming origins matches requests from those origins only.
            applies = origin_passes or not rule.origins or origin in rule.origins
            if not origin_passes and applies and (rule.is_public or origin in rule.origins):
                # WAC §Web Origin Authorization: the origin is named, or the mode is public anyway.
                for_origin |= rule.modes
            if rule.modes <= (here if applies else anywhere):
                continue
            if self._matches_directly(rule, credentials):
                anywhere |= rule.modes
                if applies:
                    here |= rule.modes
            elif applies and rule.groups and agent is not None:
                grouped.append(rule)

        # Group documents may be remote: consult them only for modes still wanted.
        for rule in grouped:
            if wanted <= (here & for_origin) or not (rule.modes - here) & wanted:
                continue
            if await self._in_group(rule, credentials):
                here |= rule.modes
                anywhere |= rule.modes
        return _Decision(frozenset(here & for_origin), frozenset(anywhere)), bool(grouped)

    def _owns(self, agent: str, subject: ResourceIdentifier) -> bool:
        storage = self.storages.storage_of(subject)
        return storage is not None and agent in self.owners_of(storage)

    @staticmethod
    def _matches_directly(rule: Authorization, credentials: Credentials) -> bool:
        """WAC §Access Subjects: acl:agent, and the agent classes foaf:Agent and acl:AuthenticatedAgent."""
        if rule.is_public:
            return True
        if credentials.agent is None:
            return False
        return v.AUTHENTICATED_AGENT in rule.agent_classes or credentials.agent in rule.agents

    async def _in_group(self, rule: Authorization, credentials: Credentials) -> bool:
        """WAC §Access Subjects: acl:agentGroup, a vcard:Group listing the agent with vcard:hasMember."""
        assert credentials.agent is not None
        for group in sorted(rule.groups):
            if await self.groups.is_member(group, credentials.agent):
                return True
        return False

    async def _origin_passes(self, credentials: Credentials, origin: str | None) -> bool:
        """DESIGN "Browser origins": no Origin, this server's own, or an app the agent trusts."""
        if origin is None or self._no_other_origin(origin):
            return True  # WAC §Trusted Origins: the same origin may be allowed implicitly
        if credentials.agent is None:
            return False
        return await self.trusted_apps.trusts(credentials, origin)

    def _refusal(
        self,
        credentials: Credentials,
        identifier: ResourceIdentifier,
        missing: AccessModes,
        decision: _Decision,
    ) -> PodError:
        what = f"{describe(missing)} on {identifier.path}"
        who = f"<{credentials.agent}>" if credentials.agent else "anonymous agents"
        if missing - decision.for_agent:
            if credentials.agent is None:
                return Unauthorized(
                    f"{what} is not granted to {who}: authenticate as an agent who may",
                    headers={"WWW-Authenticate": CHALLENGE},
                )
            return Forbidden(f"{what} is not granted to {who}")
        # WAC §Access Subject and Origin Rejection Reason: say it was the origin, not the agent.
        return Forbidden(f"{what} is granted to {who}, but not to apps from the origin {credentials.origin}")
