"""The write path's one validation hook: writes into a container constrained by a SHACL shapes document.

A container is constrained when its description resource (`.meta`) says
`<container> ldp:constrainedBy <shapes-document>`. Every write that creates or changes one of
its members is validated (the member's new graph, plus what the server says about the member:
`resource_description`). `.acl` documents are always validated against the shipped ACL shapes.
A write into an unconstrained container costs one `stat` of the container's `.meta` (and, when
there is one, a cache look-up keyed by its ETag): pyshacl is never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

import pyoxigraph as ox

from pod.errors import BadRequest, PodError, UnprocessableContent, UnsupportedMediaType
from pod.ldp.cache import Lru
from pod.ldp.identifiers import AuxiliaryKind, ResourceIdentifier, parse_path
from pod.rdf import formats
from pod.shapes.constraints import constrained_by, link_header, resource_description
from pod.shapes.deadline import TimeLimitExceeded, run_limited
from pod.shapes.engine import CompiledShapes, NotShapes, Outcome
from pod.shapes.errors import ShapeViolation, broken_shapes, rdf_only
from pod.shapes.report import merged_report
from pod.shapes.shipped import ACL_SHAPES, shipped_document, shipped_name, shipped_url
from pod.storage.base import Entry, Store

# Seconds one validation (or compiling one shapes document) may take (pod.config overrides it).
DEFAULT_TIME_LIMIT = 5.0
_CACHE_ENTRIES = 256


@dataclass(frozen=True, slots=True)
class Write:
    """One write as the validator sees it: the resource and its new content."""

    identifier: ResourceIdentifier  # a document, a container, or an auxiliary resource
    graph: Sequence[ox.Triple] | None  # the new RDF content; None for a non-RDF body or a deletion
    media_type: str | None  # None for a container
    size: int | None = None  # of a non-RDF body
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class MembersReport:
    """A write set or changed a container's constraint: how the members already there fare."""

    container: ResourceIdentifier
    shapes: tuple[str, ...]
    members: int
    failing: int
    report: list[ox.Triple]  # one sh:ValidationReport with every failing member's results


class Authority(Protocol):
    """Who is asking, as far as the write path needs to know: the HTTP layer passes one per request."""

    async def require_control(
        self, container: ResourceIdentifier, shapes: Sequence[ResourceIdentifier]
    ) -> None:
        """401/403 unless the agent has Control on `container` and Read on each (local) shapes document."""
        ...

    def constrained(self, report: MembersReport) -> None:
        """Told when this request set or changed a constraint, with its members' report."""
        ...


class Validator(Protocol):
    """The write path's hook: raise to refuse a write before anything of it is stored."""

    async def check(self, write: Write, authority: Authority | None = None) -> None:
        """`authority` None: the server itself is writing (no agent whose Control to check)."""
        ...


class ShapeValidator:
    """Validates writes into constrained containers, and ACL documents, with pyshacl."""

    def __init__(self, store: Store, base_url: str, time_limit: float = DEFAULT_TIME_LIMIT) -> None:
        self.store = store
        self.base_url = base_url
        self.time_limit = time_limit
        # (`.meta` path, ETag) → the shapes documents it names: never stale, the key changes on write.
        self._constraints: Lru[tuple[str, str], tuple[str, ...]] = Lru(_CACHE_ENTRIES)
        # (shapes URL, version) → compiled shapes, or why they cannot be used (not retried per write).
        self._compiled: Lru[tuple[str, str], CompiledShapes | str] = Lru(_CACHE_ENTRIES)

    def url(self, identifier: ResourceIdentifier) -> str:
        return self.base_url + identifier.path[1:]

    # -- the hook -------------------------------------------------------------------------------

    async def check(self, write: Write, authority: Authority | None = None) -> None:
        identifier = write.identifier
        kind = identifier.auxiliary_kind
        if kind is AuxiliaryKind.ACL:
            if write.graph is not None:
                # Issue 11: every ACL document conforms to the shipped ACL shapes, wherever it is.
                await self._conform(shipped_url(self.base_url, ACL_SHAPES), identifier, write)
            return
        if kind is AuxiliaryKind.DESCRIPTION:
            if not identifier.subject.is_container:
                return  # a document's description is not a member of anything
            member = identifier.subject  # a container's description is the container's own content
            await self._constraint_change(member, write, authority)
        else:
            member = identifier
            if identifier.is_container and not write.deleted:  # a new container, described by its body
                await self._constraint_change(member, write, authority)
        parent = member.parent
        if write.deleted or parent is None:
            return
        for shapes_url in await self.constraints_of(parent):
            await self._conform(shapes_url, member, write)

    async def constraints_of(self, container: ResourceIdentifier) -> tuple[str, ...]:
        """The shapes documents constraining `container`: `()` after one `stat` when it has no `.meta`."""
        description = container.auxiliary(AuxiliaryKind.DESCRIPTION)
        entry = await self.store.stat(description)
        if entry is None or not formats.is_rdf(entry.content_type):
            return ()
        key = (description.path, entry.etag)
        found = self._constraints.get(key)
        if found is None:
            assert entry.content_type is not None
            try:
                graph = formats.parse(
                    await self.store.read(description), entry.content_type, self.url(description)
                )
            except BadRequest:
                graph = []  # an unreadable description constrains nothing (and is refused when written)
            found = constrained_by(graph, self.url(container))
            self._constraints.put(key, found)
        return found

    # -- one member against one shapes document -------------------------------------------------

    async def _conform(self, shapes_url: str, member: ResourceIdentifier, write: Write) -> None:
        compiled = await self.compiled(shapes_url)
        member_url = self.url(member)
        media_type = None if member.is_container else write.media_type
        if write.graph is None:
            if not compiled.accepts_non_rdf:
                parent = member.parent or member
                raise rdf_only(str(parent), shapes_url, write.media_type)
            data = resource_description(member_url, rdf=False, media_type=media_type, size=write.size)
        else:
            data = [*write.graph, *resource_description(member_url, rdf=True, media_type=media_type)]
        outcome = await self._validate(shapes_url, compiled, data)
        if not outcome.conforms:
            raise ShapeViolation(shapes_url, outcome.report, str(member))

    async def _validate(self, shapes_url: str, compiled: CompiledShapes, data: list[ox.Triple]) -> Outcome:
        try:
            return await run_limited(lambda: compiled.validate(data), self.time_limit)
        except TimeLimitExceeded:
            raise UnprocessableContent(
                f"validating against <{shapes_url}> did not finish within {self.time_limit:g} s",
                headers=link_header([shapes_url]),
            ) from None
        except (RecursionError, RuntimeError, ValueError, TypeError, KeyError) as error:
            # pyshacl's ReportableRuntimeError (recursion past its depth limit, a shape it cannot
            # evaluate) and errors from a SPARQL constraint's query: the shapes' fault, not the server's.
            raise broken_shapes(shapes_url, f"{type(error).__name__}: {error}") from None

    # -- shapes documents -----------------------------------------------------------------------

    async def compiled(self, shapes_url: str) -> CompiledShapes:
        """The compiled shapes of a document on this server (or shipped); 422 naming it when unusable."""
        source = await self._locate(shapes_url)
        key = (shapes_url, source[0] if isinstance(source, tuple) else "")
        cached = self._compiled.get(key)
        if cached is None or (isinstance(cached, CompiledShapes) and cached.interrupted):
            cached = await self._compile(shapes_url, source)
            self._compiled.put(key, cached)
        if isinstance(cached, str):
            raise broken_shapes(shapes_url, cached)
        return cached

    async def _locate(self, shapes_url: str) -> tuple[str, Entry | None] | str:
        """(version, the stored entry or None when shipped), or why the document cannot be found."""
        if shipped_name(self.base_url, shapes_url) is not None:
            return ("shipped", None)
        identifier = self.local_identifier(shapes_url)
        if identifier is None:
            return "only shapes documents on this server (or shipped with it) can constrain a container"
        entry = await self.store.stat(identifier)
        if entry is None or entry.is_container:
            return "there is no such document"
        return (entry.etag, entry)

    def local_identifier(self, shapes_url: str) -> ResourceIdentifier | None:
        """The resource a shapes URL names in one of this server's pods, or None (remote, shipped, bad)."""
        if not shapes_url.startswith(self.base_url) or "?" in shapes_url:
            return None
        if shipped_name(self.base_url, shapes_url) is not None:
            return None
        try:
            return parse_path("/" + shapes_url[len(self.base_url) :])
        except PodError:
            return None

    async def _compile(self, shapes_url: str, source: tuple[str, Entry | None] | str) -> CompiledShapes | str:
        if isinstance(source, str):
            return source
        entry = source[1]
        if entry is None:
            name = shipped_name(self.base_url, shapes_url)
            data, media_type = shipped_document(name or ""), formats.TURTLE
            if data is None:
                return "the server ships no such shapes document"
        else:
            if not formats.is_rdf(entry.content_type):
                return f"it is {entry.content_type}, not RDF"
            assert entry.content_type is not None
            data, media_type = await self.store.read(entry.identifier), entry.content_type
        try:
            triples = formats.parse(data, media_type, shapes_url)
            shipped = entry is None
            compile_shapes = partial(CompiledShapes.compile, triples, checked=shipped)
            return await run_limited(compile_shapes, self.time_limit)
        except BadRequest as error:
            return error.detail
        except NotShapes as error:
            return str(error)
        except TimeLimitExceeded:
            return f"checking it as SHACL did not finish within {self.time_limit:g} s"
        except (RecursionError, RuntimeError, ValueError, TypeError, KeyError) as error:
            return f"pyshacl cannot load it: {type(error).__name__}: {error}"

    # -- setting a constraint -------------------------------------------------------------------

    async def _constraint_change(
        self, container: ResourceIdentifier, write: Write, authority: Authority | None
    ) -> None:
        """Setting, changing or lifting a constraint needs Control, and usable shapes documents."""
        before = await self.constraints_of(container)
        after = (
            () if write.deleted or write.graph is None else constrained_by(write.graph, self.url(container))
        )
        if before == after:
            return
        local = [i for i in map(self.local_identifier, after) if i is not None]
        if authority is not None:
            # Issue 11: only someone with Control on the container may set or change its constraint.
            await authority.require_control(container, local)
        for shapes_url in after:
            await self.compiled(shapes_url)  # refused when set: unreachable, unparseable or not SHACL
        if after and authority is not None:
            authority.constrained(await self.members_report(container, after))

    async def members_report(self, container: ResourceIdentifier, shapes: tuple[str, ...]) -> MembersReport:
        """Validate the members already in `container`: a new constraint is allowed, but says who fails."""
        members = [c for c in await self.store.children(container) if c.identifier.auxiliary_kind is None]
        failing = 0
        reports: list[ox.Triple] = []
        for child in members:
            try:
                write = await self._stored(child)
                for shapes_url in shapes:
                    await self._conform(shapes_url, child.identifier, write)
            except ShapeViolation as violation:
                failing += 1
                reports += violation.graph or []
            except (BadRequest, UnsupportedMediaType, UnprocessableContent):
                failing += 1  # unparseable, non-RDF where RDF is required, or too costly to check
        report = (
            merged_report(
                reports,
                f"{failing} of {len(members)} members of {self.url(container)} "
                f"do not conform to {', '.join(shapes)}",
            )
            if failing
            else []
        )
        return MembersReport(container, shapes, len(members), failing, report)

    async def _stored(self, entry: Entry) -> Write:
        """A stored member as if it were being written again."""
        identifier = entry.identifier
        if identifier.is_container:
            description = await self.store.stat(identifier.auxiliary(AuxiliaryKind.DESCRIPTION))
            described = description is not None and formats.is_rdf(description.content_type)
            graph = await self._stored_graph(description) if description and described else []
            return Write(identifier, graph, None)
        if not formats.is_rdf(entry.content_type):
            return Write(identifier, None, entry.content_type, entry.size)
        return Write(identifier, await self._stored_graph(entry), entry.content_type)

    async def _stored_graph(self, entry: Entry) -> list[ox.Triple]:
        assert entry.content_type is not None
        return formats.parse(
            await self.store.read(entry.identifier), entry.content_type, self.url(entry.identifier)
        )
