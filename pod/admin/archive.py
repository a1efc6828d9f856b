"""Pod archives: `pod export` writes a pod as a tar, `pod import --as NAME` recreates it elsewhere.

Layout: `resources/<path in the pod>` for every document (auxiliary `.acl`/`.meta` included),
then `manifest.json` last (server version, pod URL, owners' WebIDs, counts, every container,
every document with its media type, size and SHA-256). Import never trusts the archive: it
refuses escaping or duplicate names, anything but regular files, absurd sizes and counts,
files the manifest does not list (or lists and lacks) and checksums that fail; it builds the
new pod in the internal folder and renames it into place only when all is well, so a refused
archive leaves nothing behind. URLs into the old pod are rewritten, in RDF (ACLs included),
to the new pod's URL (`Relocation`, also used by `pod import --from-css/--from-nss`).

The archive is produced member by member (`PodExport`): `pod export` writes it to a file and the
owner's dashboard streams it, holding at most one small document in memory at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from pod import __version__
from pod.errors import BadRequest, Conflict, NotFound
from pod.ldp.identifiers import ResourceIdentifier, parse_path
from pod.rdf import formats
from pod.storage import names
from pod.storage.base import Store

FORMAT = "pod-archive/1"
MANIFEST = "manifest.json"
PREFIX = "resources/"
# Limits on what an archive may hold: far beyond any real pod here, far below a decompression bomb.
MAX_MEMBERS = 1_000_000
MAX_MEMBER_BYTES = 4 * 1024**3
MAX_TOTAL_BYTES = 256 * 1024**3
MAX_MANIFEST_BYTES = 512 * 1024**2
# Export: documents up to this size are read whole; larger ones are copied to a temporary file
# first (their size must be known before their tar header, and must not change under it).
INLINE_EXPORT_BYTES = 1024 * 1024
EXPORT_CHUNK = 256 * 1024


class ArchiveError(BadRequest):
    """An archive refused: the reason says which entry and why."""


@dataclass
class Manifest:
    pod_url: str
    webids: list[str]
    containers: list[str] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    protected: dict[str, list[list[str]]] = field(default_factory=dict)

    def to_json(self) -> bytes:
        body = {
            "format": FORMAT,
            "server": f"pod {__version__}",
            "created": int(time.time()),
            "pod_url": self.pod_url,
            "webids": self.webids,
            "counts": {
                "documents": len(self.documents),
                "containers": len(self.containers),
                "bytes": sum(d["size"] for d in self.documents),
            },
            "containers": self.containers,
            "documents": self.documents,
            "protected": self.protected,
        }
        return json.dumps(body, indent=1).encode("utf-8")


# -- export ---------------------------------------------------------------------------------------


class PodExport:
    """A pod as a tar stream (`chunks()`), member by member; the manifest is the last member.

    Written as tarfile would write it (PAX headers, 512-byte blocks, two zero blocks and padding
    to a 10 KiB record at the end), so any tar reader and `pod import` read it. A document deleted
    while the export runs is left out.
    """

    def __init__(
        self,
        store: Store,
        root: ResourceIdentifier,
        pod_url: str,
        webids: list[str],
        protected: dict[str, list[list[str]]] | None = None,
    ) -> None:
        self.store = store
        self.root = root
        self.manifest = Manifest(pod_url, sorted(webids), protected=protected or {})
        self._written = 0

    def _emit(self, data: bytes) -> bytes:
        self._written += len(data)
        return data

    async def chunks(self) -> AsyncIterator[bytes]:
        pending = [self.root]
        while pending:
            container = pending.pop()
            self.manifest.containers.append(_relative(self.root, container))
            for child in sorted(await self.store.children(container), key=lambda c: c.identifier.path):
                if child.identifier.is_container:
                    pending.append(child.identifier)
                    continue
                path = _relative(self.root, child.identifier)
                try:
                    async for chunk in self._document(path, child.identifier, child.size, child.content_type):
                        yield chunk
                except (NotFound, FileNotFoundError):
                    continue  # deleted since the listing: not part of this export
        body = self.manifest.to_json()
        yield self._emit(_header(MANIFEST, len(body)) + body + _padding(len(body)))
        # The end of a tar: two zero blocks, then zeros up to a whole record (as tarfile writes it).
        end = 2 * tarfile.BLOCKSIZE
        end += -(self._written + end) % tarfile.RECORDSIZE
        yield self._emit(b"\0" * end)

    async def _document(
        self, path: str, identifier: ResourceIdentifier, size: int, media_type: str | None
    ) -> AsyncIterator[bytes]:
        digest = hashlib.sha256()
        if size <= INLINE_EXPORT_BYTES:
            data = await self.store.read(identifier)
            digest.update(data)
            size = len(data)
            # Nothing is yielded before the document is read whole: a failed read leaves no trace.
            self._record(path, media_type, size, digest)
            yield self._emit(_header(PREFIX + path, size) + data + _padding(size))
            return
        with tempfile.TemporaryFile() as spool:
            size = 0
            async for chunk in self.store.stream(identifier):
                digest.update(chunk)
                size += len(chunk)
                await asyncio.to_thread(spool.write, chunk)
            spool.seek(0)
            self._record(path, media_type, size, digest)
            yield self._emit(_header(PREFIX + path, size))
            while chunk := await asyncio.to_thread(spool.read, EXPORT_CHUNK):
                yield self._emit(chunk)
            yield self._emit(_padding(size))

    def _record(self, path: str, media_type: str | None, size: int, digest: Any) -> None:
        self.manifest.documents.append(
            {"path": path, "type": media_type, "size": size, "sha256": digest.hexdigest()}
        )


async def export_pod(
    store: Store,
    root: ResourceIdentifier,
    pod_url: str,
    webids: list[str],
    out: IO[bytes],
    protected: dict[str, list[list[str]]] | None = None,
) -> Manifest:
    """Write the pod under `root` to `out` as a tar stream; the manifest is the last member."""
    export = PodExport(store, root, pod_url, webids, protected)
    async for chunk in export.chunks():
        out.write(chunk)
    return export.manifest


def _relative(root: ResourceIdentifier, identifier: ResourceIdentifier) -> str:
    return identifier.path[len(root.path) :]


def _header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(time.time())
    info.mode = 0o600
    return info.tobuf(tarfile.PAX_FORMAT, tarfile.ENCODING, "surrogateescape")


def _padding(size: int) -> bytes:
    return b"\0" * (-size % tarfile.BLOCKSIZE)


# -- import ---------------------------------------------------------------------------------------


@dataclass
class Imported:
    folder: Path  # the new pod's folder (already in place)
    manifest: dict[str, Any]
    documents: int
    bytes: int
    rewritten: int


def _check_name(name: str) -> str:
    """The pod-relative path of a resource member; refuses any name that could escape."""
    if not name.startswith(PREFIX):
        raise ArchiveError(f"unexpected entry {name[:200]!r}: resources live under {PREFIX}")
    path = name[len(PREFIX) :]
    if not path or "\x00" in path or "\\" in path or path.startswith("/"):
        raise ArchiveError(f"refused entry {name[:200]!r}: not a relative path")
    if any(part in ("..", ".", "") for part in path.split("/")):
        raise ArchiveError(f"refused entry {name[:200]!r}: '..', '.' or empty segments escape or alias")
    return path


def _members(tar: tarfile.TarFile) -> Iterator[tuple[tarfile.TarInfo, IO[bytes] | None]]:
    for count, member in enumerate(tar, start=1):
        if count > MAX_MEMBERS:
            raise ArchiveError(f"the archive has more than {MAX_MEMBERS} entries")
        if member.issym() or member.islnk():
            raise ArchiveError(f"refused entry {member.name[:200]!r}: links are not accepted")
        if not member.isfile():
            raise ArchiveError(f"refused entry {member.name[:200]!r}: only regular files are accepted")
        if member.size > MAX_MEMBER_BYTES:
            raise ArchiveError(f"entry {member.name[:200]!r} is {member.size} bytes: too large")
        yield member, tar.extractfile(member)


def _target(folder: Path, path: str, media_type: str) -> Path:
    """Where a document of the pod goes on disk (the FileStore's naming: pod.storage.names)."""
    identifier = parse_path("/" + path)
    parent = folder.joinpath(*(names.encode_name(s) for s in identifier.segments[:-1]))
    return parent / names.file_name_for(identifier.name, media_type)


def read_archive(source: IO[bytes], staging: Path) -> tuple[dict[str, Any], dict[str, Path]]:
    """Unpack into `staging` (pod-relative path → file), checking every entry against the manifest."""
    received: dict[str, tuple[Path, str, int]] = {}
    manifest_data: bytes | None = None
    total = 0
    raw = staging / "raw"
    raw.mkdir(parents=True)
    with tarfile.open(fileobj=source, mode="r|*") as tar:
        for member, stream in _members(tar):
            assert stream is not None
            if member.name == MANIFEST:
                if manifest_data is not None:
                    raise ArchiveError("duplicate entry: manifest.json")
                if member.size > MAX_MANIFEST_BYTES:
                    raise ArchiveError("the manifest is too large")
                manifest_data = stream.read()
                continue
            path = _check_name(member.name)
            if path in received:
                raise ArchiveError(f"duplicate entry {member.name[:200]!r}")
            total += member.size
            if total > MAX_TOTAL_BYTES:
                raise ArchiveError(f"the archive holds more than {MAX_TOTAL_BYTES} bytes")
            file = raw / uuid.uuid4().hex
            digest = hashlib.sha256()
            with open(file, "wb") as out:
                while chunk := stream.read(1024 * 1024):
                    digest.update(chunk)
                    out.write(chunk)
            received[path] = (file, digest.hexdigest(), member.size)
    if manifest_data is None:
        raise ArchiveError("the archive has no manifest.json")
    try:
        manifest = json.loads(manifest_data)
    except ValueError as error:
        raise ArchiveError(f"the manifest is not JSON: {error}") from None
    if manifest.get("format") != FORMAT:
        raise ArchiveError(f"not a {FORMAT} archive")
    files: dict[str, Path] = {}
    listed = set()
    for doc in manifest.get("documents", []):
        path = _check_name(PREFIX + str(doc.get("path", "")))
        if path in listed:
            raise ArchiveError(f"the manifest lists {path!r} twice")
        listed.add(path)
        got = received.get(path)
        if got is None:
            raise ArchiveError(f"the manifest lists {path!r} but the archive lacks it")
        if got[1] != doc.get("sha256") or got[2] != doc.get("size"):
            raise ArchiveError(f"the checksum of {path!r} does not match the manifest: refused")
        files[path] = got[0]
    extra = set(received) - listed
    if extra:
        raise ArchiveError(f"{len(extra)} entries are not in the manifest, e.g. {sorted(extra)[0]!r}")
    for path in manifest.get("containers", []):
        if path:  # a container's path ends with its slash
            _check_name(PREFIX + str(path).removesuffix("/"))
    return manifest, files


class Relocation:
    """Where IRIs that pointed into moved pods point now: old pod URL → new pod URL.

    Old URLs end with '/'; an IRI is moved by the longest old URL it starts with (a pod at
    `http://old/` and another at `http://old/bob/` both move right), found by looking up its
    prefixes at each '/', so a migration of thousands of pods costs a few lookups per IRI.
    """

    def __init__(self, moves: Mapping[str, str]) -> None:
        self.moves = dict(moves)
        self._slashes = max((old.count("/") for old in self.moves), default=0)

    def __call__(self, iri: str) -> str | None:
        """The IRI's new value, or None when it points into no moved pod."""
        best = None
        pos, seen = iri.find("/"), 0
        while pos >= 0 and seen < self._slashes:
            seen += 1
            if iri[: pos + 1] in self.moves:
                best = iri[: pos + 1]
            pos = iri.find("/", pos + 1)
        if best is not None:
            return self.moves[best] + iri[len(best) :]
        # A pod's URL without its trailing slash names the pod too.
        new = self.moves.get(iri + "/")
        return None if new is None else new[:-1]


class _PrefixRelocation(Relocation):
    """An old URL without its trailing slash (an archive made elsewhere): a plain prefix match."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__({})
        self.old, self.new = old, new

    def __call__(self, iri: str) -> str | None:
        return self.new + iri[len(self.old) :] if iri.startswith(self.old) else None


def relocation_of(old: str, new: str) -> Relocation:
    """The Relocation of one pod (`pod import` of an archive)."""
    return Relocation({old: new}) if old.endswith("/") else _PrefixRelocation(old, new)


def relocate_graph(graph: formats.Graph, relocation: Relocation) -> tuple[formats.Graph, int]:
    """Every IRI that points into a moved pod, pointed into its new place; (graph, IRIs moved)."""
    changed = 0

    def move(term: Any) -> Any:
        nonlocal changed
        if isinstance(term, ox.NamedNode):
            moved = relocation(term.value)
            if moved is not None:
                changed += 1
                return ox.NamedNode(moved)
        return term

    result = [ox.Triple(move(t.subject), move(t.predicate), move(t.object)) for t in graph]
    return result, changed


def rewrite_graph(graph: formats.Graph, old: str, new: str) -> tuple[formats.Graph, int]:
    """Every IRI that points into the old pod, pointed into the new one instead."""
    return relocate_graph(graph, relocation_of(old, new))


def rewrite_iri(iri: str, old: str, new: str) -> str:
    return new + iri[len(old) :] if iri.startswith(old) else iri


def rewrite_document(
    data: bytes, media_type: str, old_iri: str, relocation: Relocation, new_iri: str | None = None
) -> tuple[bytes, bool]:
    """An RDF document that lived at `old_iri`, with every IRI into a moved pod moved.

    Relative IRIs are resolved against the old URL, so `</profile/card#me>` on a server that
    gave each pod a host of its own still names the owner once the pod lives under a path.
    With `new_iri`, a document that already means the same at its new URL (its relative IRIs
    resolve to the moved ones, and no absolute IRI moved) is kept byte for byte, comments and
    layout included. Returns (bytes, whether they changed); BadRequest when it does not parse.
    """
    graph = formats.parse(data, media_type, old_iri)
    moved, changed = relocate_graph(graph, relocation)
    if not changed:
        return data, False
    if new_iri is not None and _same_graph(moved, formats.parse(data, media_type, new_iri)):
        return data, False
    return formats.serialize(moved, media_type), True


def _same_graph(first: formats.Graph, second: formats.Graph) -> bool:
    """Two parses of one document, triple by triple (blank nodes matched by position)."""
    if len(first) != len(second):
        return False
    blanks: dict[str, str] = {}

    def same(a: Any, b: Any) -> bool:
        if isinstance(a, ox.BlankNode) and isinstance(b, ox.BlankNode):
            return blanks.setdefault(a.value, b.value) == b.value
        return bool(a == b)

    return all(
        same(a.subject, b.subject) and same(a.predicate, b.predicate) and same(a.object, b.object)
        for a, b in zip(first, second, strict=True)
    )


def build_pod(
    manifest: dict[str, Any], files: dict[str, Path], folder: Path, new_url: str
) -> tuple[int, int]:
    """Lay the pod out in `folder` as the FileStore stores it; (documents rewritten, total bytes)."""
    old_url = str(manifest["pod_url"])
    relocation = relocation_of(old_url, new_url)
    folder.mkdir()
    for path in sorted(str(p) for p in manifest.get("containers", []) if p):
        identifier = parse_path("/" + path)
        folder.joinpath(*(names.encode_name(s) for s in identifier.segments)).mkdir(
            parents=True, exist_ok=True
        )
    rewritten = total = 0
    for doc in manifest["documents"]:
        path, media_type = str(doc["path"]), str(doc["type"] or "application/octet-stream")
        target = _target(folder, path, media_type)
        target.parent.mkdir(parents=True, exist_ok=True)
        source = files[path]
        if formats.is_rdf(media_type) and old_url != new_url:
            data = source.read_bytes()
            # The document's own URL is the base: relative IRIs resolve into the new pod.
            try:
                data, changed = rewrite_document(data, media_type, old_url + path, relocation)
            except Exception as error:  # the archive's document; we did not write it
                raise ArchiveError(f"{path!r} is not valid {media_type}: {error}") from None
            rewritten += changed
            target.write_bytes(data)
            total += len(data)
        else:
            os.replace(source, target)
            total += target.stat().st_size
    sync_tree(folder)
    return rewritten, total


def sync_tree(folder: Path) -> None:
    """Every file and folder durable before the pod is renamed into place."""
    for current, _dirs, filenames in os.walk(folder):
        for name in filenames:
            fd = os.open(os.path.join(current, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fd = os.open(current, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def import_pod(source: IO[bytes], data_dir: Path, name: str, new_url: str) -> Imported:
    """Check and unpack an archive into `<data>/<name>/` (409 if it exists); nothing on refusal."""
    data_dir = Path(data_dir).resolve()
    final = data_dir / names.encode_name(name)
    if final.exists():
        raise Conflict(f"the pod name {name!r} is taken")
    staging = data_dir / names.INTERNAL_FOLDER / "imports" / uuid.uuid4().hex
    try:
        manifest, files = read_archive(source, staging)
        folder = staging / "pod"
        rewritten, total = build_pod(manifest, files, folder, new_url)
        try:
            # rename() fails on a non-empty target, so a pod made meanwhile is never overwritten.
            os.rename(folder, final)
        except OSError as error:
            raise Conflict(f"the pod name {name!r} is taken") from error
        fd = os.open(data_dir, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Imported(final, manifest, len(files), total, rewritten)
