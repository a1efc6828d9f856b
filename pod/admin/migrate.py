"""Migration in: the pods of a Community Solid Server or Node Solid Server data folder, brought here.

`pod import --from-css DIR` / `--from-nss DIR` (pod.admin.archive_commands). What each server
wrote, and how it is read:

- CSS (file back end): `DIR/.internal/` is its internal state (accounts, password hashes,
  sessions, keys): not imported, and said so in the report; only its
  `setup/current-base-url$.json` is read, for the old base URL. A pod is a top-level folder
  whose `.meta` says it is a `pim:Storage` (DIR itself for a root pod). A file's name is its
  URL's decoded name, `name$.ext` when the name's own extension does not tell the media type,
  with `<>:"|?*` percent-encoded.
- NSS: multi-user, a folder per host (`alice.example.org`, some versions `alice.example.org:8443`),
  the server's own host folder (its home page) skipped; single-user, DIR is the pod (it has a
  root `.acl`). Names are decoded, `name$.ext` likewise; a container's `index.html`, which NSS
  served as the container's HTML view, is a document of its own here.

Each pod is built in the internal folder (`$pod/imports/`): files are copied in chunks, and RDF
documents (ACLs and descriptions included) have their URLs into any pod of the run rewritten to
the new location (pod.admin.archive.Relocation, shared with the archive import). The command
renames a finished pod into place. Nothing is left out silently: symbolic links (never followed,
so nothing outside DIR is read), FIFOs and devices, unreadable files and names this server
cannot represent are skipped with the reason; RDF that does not parse is imported unchanged (its
bytes are the owner's) with a warning that its URLs were not rewritten.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import pyoxigraph as ox

from pod.admin.archive import Relocation, rewrite_document, sync_tree
from pod.errors import BadRequest, PodError
from pod.idp.pod_template import OIDC_ISSUER
from pod.idp.pods import check_pod_name
from pod.ldp.identifiers import MAX_DEPTH, AuxiliaryKind, ResourceIdentifier, check_name
from pod.ldp.storages import WELL_KNOWN
from pod.rdf import formats
from pod.storage import names
from pod.storage.base import OCTET_STREAM

CSS = "css"
NSS = "nss"
ROOT_POD = "/"
# RDF documents up to this size are parsed and rewritten; larger ones are copied unchanged.
REWRITE_LIMIT = 16 * 1024**2
COPY_CHUNK = 1024 * 1024
# Small files the survey reads (a `.meta`, a profile, CSS's base URL record).
SMALL_FILE = 1024 * 1024
MAX_FILE_NAME_BYTES = 255

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PIM_STORAGE = "http://www.w3.org/ns/pim/space#Storage"
PRIMARY_TOPIC = "http://xmlns.com/foaf/0.1/primaryTopic"
ACL = "http://www.w3.org/ns/auth/acl#"
UNKNOWN_BASE = "http://unknown.invalid/"

# Extensions CSS and NSS give a media type (the `mime-types` package's table) that Python's
# built-in table lacks: without them such files would come over as application/octet-stream.
MIME_DB = {
    "7z": "application/x-7z-compressed",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "epub": "application/epub+zip",
    "flac": "audio/x-flac",
    "geojson": "application/geo+json",
    "gpx": "application/gpx+xml",
    "gz": "application/gzip",
    "ics": "text/calendar",
    "kml": "application/vnd.google-earth.kml+xml",
    "m4a": "audio/mp4",
    "markdown": "text/markdown",
    "md": "text/markdown",
    "mkv": "video/x-matroska",
    "odt": "application/vnd.oasis.opendocument.text",
    "ogg": "audio/ogg",
    "otf": "font/otf",
    "rq": "application/sparql-query",
    "shex": "text/shex",
    "ttf": "font/ttf",
    "woff": "font/woff",
    "woff2": "font/woff2",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "yaml": "text/yaml",
    "yml": "text/yaml",
}
# CSS keeps these characters percent-encoded in file names (they are not allowed on Windows).
_CSS_ESCAPES = re.compile(r"%(3C|3E|3A|22|7C|3F|2A)", re.IGNORECASE)
# Both servers keep an encoded slash (CSS: or backslash) encoded in a file name: a name with one
# holds a '/', which no resource name here can.
_ENCODED_SLASH = re.compile(r"%(?:25)*(?:2f|5c)", re.IGNORECASE)
_HOST = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d{1,5})?"
)


class MigrationError(BadRequest):
    """The folder or the options cannot be migrated: the reason says what to do."""


@dataclass(frozen=True)
class Note:
    """Something skipped or worth knowing, with the reason (a path relative to its pod or DIR)."""

    path: str
    reason: str


@dataclass(frozen=True)
class ImportedDocument:
    path: str  # the resource's path in its pod, as in its URL
    type: str
    size: int
    rewritten: bool


@dataclass
class SourcePod:
    """One pod of the old server, and what it will be here."""

    key: str  # how DIR names it: its folder's name, or "/" for a root pod
    folder: Path
    old_url: str | None  # its URL on the old server (the base of its relative IRIs)
    aliases: list[str] = field(default_factory=list)  # other URLs that named it
    name: str | None = None  # its name here; None: not imported (see `reason`)
    reason: str = ""
    excluded: frozenset[str] = frozenset()  # top-level names that are not part of this pod
    notes: list[Note] = field(default_factory=list)


@dataclass
class Survey:
    kind: str
    folder: Path
    pods: list[SourcePod]
    skipped: list[Note]

    @property
    def selected(self) -> list[SourcePod]:
        return [pod for pod in self.pods if pod.name is not None]


@dataclass
class BuiltPod:
    source: SourcePod
    url: str
    documents: list[ImportedDocument] = field(default_factory=list)
    containers: int = 0
    skipped: list[Note] = field(default_factory=list)
    warnings: list[Note] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    # Profiles whose solid:oidcIssuer now names this server: document path → WebID.
    issuers: dict[str, str] = field(default_factory=dict)

    @property
    def bytes(self) -> int:
        return sum(d.size for d in self.documents)

    @property
    def rewritten(self) -> int:
        return sum(d.rewritten for d in self.documents)


# -- reading small files safely -------------------------------------------------------------------


def _read_small(folder: Path, *parts: str, limit: int = SMALL_FILE) -> bytes | None:
    """A small regular file's bytes at `folder/parts...`, opened one folder at a time without
    following any symbolic link below `folder`; None when it is not such a file."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        for part in parts[:-1]:
            inner = os.open(part, flags | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        file_fd = os.open(parts[-1], flags | os.O_NONBLOCK, dir_fd=fd)
    except OSError:
        return None
    finally:
        os.close(fd)
    with os.fdopen(file_fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        return file.read(limit)


def _graph(data: bytes | None, base: str) -> formats.Graph:
    if data is None:
        return []
    try:
        return formats.parse(data, formats.TURTLE, base)
    except BadRequest:
        return []


def _storage_url(folder: Path, *pod: str) -> str | None:
    """The URL a CSS pod's `.meta` says is a pim:Storage (CSS writes it absolute)."""
    for triple in _graph(_read_small(folder, *pod, ".meta"), UNKNOWN_BASE):
        subject = triple.subject
        if (
            isinstance(subject, ox.NamedNode)
            and triple.predicate.value == RDF_TYPE
            and triple.object == ox.NamedNode(PIM_STORAGE)
            and not subject.value.startswith(UNKNOWN_BASE)
        ):
            return subject.value if subject.value.endswith("/") else subject.value + "/"
    return None


def _profile(folder: Path, *pod: str) -> bytes | None:
    """A pod's `profile/card` (`card$.ttl` as both servers write it, or `card`)."""
    for name in ("card$.ttl", "card"):
        data = _read_small(folder, *pod, "profile", name)
        if data is not None:
            return data
    return None


def _issuer_of(folder: Path, pod: tuple[str, ...], base: str) -> str | None:
    """The solid:oidcIssuer named in a pod's profile (NSS: the server's own URL)."""
    for triple in _graph(_profile(folder, *pod), base + "profile/card"):
        value = triple.object.value if isinstance(triple.object, ox.NamedNode) else ""
        if triple.predicate.value == OIDC_ISSUER and value.startswith(("http://", "https://")):
            return value
    return None


def _css_base_url(folder: Path) -> str | None:
    """CSS records its base URL in `.internal/setup/current-base-url$.json` (the one file read there)."""
    data = _read_small(folder, ".internal", "setup", "current-base-url$.json", limit=64 * 1024)
    if data is None:
        return None
    try:
        payload = json.loads(data).get("payload")
    except (ValueError, AttributeError):
        return None
    if isinstance(payload, str) and payload.startswith(("http://", "https://")):
        return payload if payload.endswith("/") else payload + "/"
    return None


def _entries(folder: Path) -> list[tuple[str, str]]:
    """(name, kind) of each entry directly in a folder: dir, file, link or other (never followed)."""
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_symlink():
                kind = "link"
            elif entry.is_dir(follow_symlinks=False):
                kind = "dir"
            elif entry.is_file(follow_symlinks=False):
                kind = "file"
            else:
                kind = "other"
            found.append((entry.name, kind))
    return sorted(found)


def _base(url: str) -> str:
    url = url.strip()
    if not url.startswith(("http://", "https://")):
        raise MigrationError(f"--old-base-url must be an http(s) URL, not {url[:100]!r}")
    return url if url.endswith("/") else url + "/"


# -- finding the pods -----------------------------------------------------------------------------

SYMLINK = "a symbolic link: not followed (nothing outside the folder is read)"
NOT_REGULAR = "not a regular file or folder (a FIFO, socket or device)"


def survey(
    kind: str,
    folder: Path,
    *,
    old_base_url: str | None = None,
    only: str | None = None,
    rename: str | None = None,
) -> Survey:
    """The pods of a CSS or NSS data folder, what each will be called here, and what is skipped."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MigrationError(f"{folder} is not a folder")
    try:
        entries = _entries(folder)
    except OSError as error:
        raise MigrationError(f"{folder} cannot be read: {error.strerror}") from None
    base = _base(old_base_url) if old_base_url else None
    if kind == CSS:
        found = _survey_css(folder, entries, base)
    elif kind == NSS:
        found = _survey_nss(folder, entries, base)
    else:
        raise ValueError(kind)
    if not found.pods:
        raise MigrationError(f"there is no pod in {folder} to import")
    _select(found, only, rename)
    return found


def _survey_css(folder: Path, entries: list[tuple[str, str]], given: str | None) -> Survey:
    names_here = {name for name, _ in entries}
    recorded = _css_base_url(folder)
    base = given or recorded
    root_url = _storage_url(folder)
    if (
        ".internal" not in names_here
        and root_url is None
        and not any(kind == "dir" and _storage_url(folder, name) for name, kind in entries)
    ):
        raise MigrationError(
            f"{folder} does not look like a Community Solid Server data folder (file back end): it has "
            "no .internal/ folder and no pod (a folder whose .meta says it is a pim:Storage)"
        )
    pods: list[SourcePod] = []
    skipped: list[Note] = []
    for name, kind in entries:
        if name == ".internal":
            skipped.append(
                Note(
                    ".internal/",
                    "CSS's internal state (accounts, password hashes, sessions, OpenID keys): not imported; "
                    "each pod gets an account here, with a claim code (README: Migrating from CSS or NSS)",
                )
            )
            continue
        if kind == "link":
            skipped.append(Note(name, SYMLINK))
            continue
        if kind == "other":
            skipped.append(Note(name, NOT_REGULAR))
            continue
        if kind == "file" or name.startswith("."):
            if root_url is None:
                skipped.append(Note(name, "not inside any pod (the old server's own root)"))
            continue
        storage = _storage_url(folder, name)
        if storage is None and _profile(folder, name) is None:
            if root_url is None:
                skipped.append(
                    Note(name + "/", "not a pod: its .meta does not say pim:Storage, and it has no profile")
                )
            continue  # in a root pod, an ordinary container of it
        pod = SourcePod(name, folder / name, None)
        derived = base + quote(name) + "/" if base else None
        urls = [u for u in (storage, derived, recorded + quote(name) + "/" if recorded else None) if u]
        if urls:
            pod.old_url, pod.aliases = urls[0], sorted(set(urls[1:]) - {urls[0]})
        pods.append(pod)
    if root_url is not None:
        root = SourcePod(ROOT_POD, folder, root_url)
        root.aliases = sorted({u for u in (given, recorded) if u and u != root_url})
        root.excluded = frozenset({".internal", *(pod.key for pod in pods)})
        pods.insert(0, root)
    return Survey(CSS, folder, pods, skipped)


def _split_host(host: str) -> tuple[str, str]:
    hostname, _, port = host.partition(":")
    return hostname.lower(), port


def _nss_urls(hostname: str, port: str, given: str | None, issuer: str | None) -> tuple[str, list[str], str]:
    """(old URL, aliases, a note when guessed) of an NSS pod served at `hostname`."""
    told = given or issuer
    if told:
        parts = urlsplit(told)
        scheme = parts.scheme or "https"
        port = port or (str(parts.port) if parts.port else "")
    else:
        scheme = "https"
    suffix = f":{port}" if port else ""
    url = f"{scheme}://{hostname}{suffix}/"
    aliases = {f"{s}://{hostname}{p}/" for s in ("http", "https") for p in ("", suffix)} - {url}
    guessed = (
        ""
        if told
        else f"its old URL is guessed as {url} (no solid:oidcIssuer in its profile): give --old-base-url "
        "if the server had another"
    )
    return url, sorted(aliases), guessed


def _survey_nss(folder: Path, entries: list[tuple[str, str]], given: str | None) -> Survey:
    names_here = {name for name, kind in entries}
    skipped: list[Note] = []
    internal = {".db": "NSS's account database (user names, password hashes, OpenID clients): not imported"}
    if ".internal" in names_here:
        raise MigrationError(
            f"{folder} has a .internal/ folder, which the Community Solid Server keeps: use --from-css"
        )
    if ".acl" in names_here:
        # Single-user: the folder is the pod; its URL is the server's, which its profile names as issuer.
        issuer = _issuer_of(folder, (), UNKNOWN_BASE)
        told = given or (_base(issuer) if issuer else None)
        pod = SourcePod(ROOT_POD, folder, told)
        if told is None:
            pod.notes.append(
                Note("", "its old URL is unknown (no solid:oidcIssuer in its profile): give --old-base-url")
            )
        excluded = {name for name in names_here if name in internal}
        skipped += [Note(name + "/", internal[name]) for name in sorted(excluded)]
        pod.excluded = frozenset(excluded)
        return Survey(NSS, folder, [pod], skipped)
    hosts = [name for name, kind in entries if kind == "dir" and _HOST.fullmatch(name)]
    hostnames = {_split_host(h)[0] for h in hosts}
    # The server's own folder is the host the others are subdomains of; a pod's host has a dot.
    servers = {h for h in hosts if any(o.endswith("." + _split_host(h)[0]) for o in hostnames)}
    pod_hosts = [h for h in hosts if h not in servers and "." in _split_host(h)[0]]
    if not pod_hosts:
        raise MigrationError(
            f"{folder} does not look like a Node Solid Server data folder: it has no root .acl (single-user) "
            "and no folder per host such as alice.example.org/ (multi-user)"
        )
    for name, kind in entries:
        if name in pod_hosts:
            continue
        if name in servers:
            skipped.append(
                Note(
                    name + "/",
                    "the old server's own host folder (its home page and server-wide files): not a pod",
                )
            )
        elif name in internal:
            skipped.append(Note(name + "/", internal[name]))
        elif kind == "link":
            skipped.append(Note(name, SYMLINK))
        elif kind == "dir":
            skipped.append(Note(name + "/", "not a host folder of NSS's multi-user layout: not a pod"))
        elif kind == "other":
            skipped.append(Note(name, NOT_REGULAR))
        else:
            skipped.append(Note(name, "not inside any pod"))
    pods: list[SourcePod] = []
    for host in pod_hosts:
        hostname, port = _split_host(host)
        issuer = _issuer_of(folder, (host,), f"https://{hostname}/")
        url, aliases, guessed = _nss_urls(hostname, port, given, issuer)
        pod = SourcePod(host, folder / host, url, aliases)
        if guessed:
            pod.notes.append(Note("", guessed))
        pods.append(pod)
    return Survey(NSS, folder, pods, skipped)


def _default_name(survey: Survey, pod: SourcePod) -> str:
    if survey.kind == NSS:
        return _split_host(pod.key)[0].split(".")[0]
    return pod.key


def _select(found: Survey, only: str | None, rename: str | None) -> None:
    """Pick the pods to import (`--pod`), name them (`--as`, else their old names) and check the names."""
    if only is not None:
        chosen = [
            p
            for p in found.pods
            if only in (p.key, p.key.rstrip("/")) or (found.kind == NSS and _default_name(found, p) == only)
        ]
        if not chosen:
            listed = ", ".join(p.key for p in found.pods)
            raise MigrationError(f"there is no pod {only!r} in {found.folder} (its pods: {listed})")
        for pod in found.pods:
            if pod not in chosen:
                found.skipped.append(Note(pod.key, f"not selected (--pod {only})"))
        found.pods = chosen
    if rename is not None and len(found.pods) != 1:
        raise MigrationError(
            f"--as names one pod, but {found.folder} has {len(found.pods)}: choose one with --pod "
            f"({', '.join(p.key for p in found.pods)})"
        )
    taken: set[str] = set()
    for pod in found.pods:
        if pod.old_url is None:
            pod.reason = (
                "its URL on the old server is unknown, so its links cannot be rewritten: give --old-base-url"
            )
            continue
        if rename is not None:
            wanted = rename
        elif pod.key == ROOT_POD:
            pod.reason = f"the root of {found.folder} is a pod: give it a name here with --pod / --as NAME"
            continue
        else:
            wanted = _default_name(found, pod)
        try:
            check_pod_name(wanted)
        except PodError as error:
            pod.reason = f"{error.detail}: import it alone with --pod {pod.key} --as NAME"
            continue
        if wanted in taken:
            pod.reason = (
                f"another pod of this folder is imported as {wanted!r}: "
                f"import it alone with --pod {pod.key} --as NAME"
            )
            continue
        taken.add(wanted)
        pod.name = wanted
    for pod in found.pods:
        if pod.name is None:
            found.skipped.append(Note(pod.key if pod.key == ROOT_POD else pod.key + "/", pod.reason))


def relocation_for(pods: list[SourcePod], base_url: str) -> Relocation:
    """Every old URL of every pod of the run → its new URL: links between them follow too."""
    moves: dict[str, str] = {}
    for pod in pods:
        if pod.name is None or pod.old_url is None:
            continue
        new = f"{base_url}{pod.name}/"
        for old in (pod.old_url, *pod.aliases):
            moves.setdefault(old, new)
    return Relocation(moves)


# -- names ------------------------------------------------------------------------------------------


def _extension(file_name: str) -> str:
    match = re.search(r"\.([^./]+)$", file_name)
    return match.group(1).lower() if match else ""


def old_media_type(extension: str) -> str:
    """The media type CSS and NSS give a file by its extension (`.acl` and `.meta` are Turtle)."""
    if extension in ("acl", "meta"):
        return formats.TURTLE
    if extension in MIME_DB:
        return MIME_DB[extension]
    if not extension or extension.startswith(names.TYPE_MARK):
        return OCTET_STREAM
    return names.media_type_of_extension(extension) or OCTET_STREAM


def _css_folder_name(name: str) -> str:
    return _CSS_ESCAPES.sub(lambda m: chr(int(m.group(1), 16)), name)


def resource_of_file(kind: str, file_name: str) -> tuple[str, str] | str:
    """(resource name, media type) of a file of the old server, or why it cannot be one here."""
    if _ENCODED_SLASH.search(file_name):
        return "its name holds an encoded slash (%2F), which no resource name here can hold"
    extension = _extension(file_name)
    media_type = old_media_type(extension)
    if kind == CSS:
        # CSS: `name$.ext` only when the name ends with `$.` and the extension itself.
        stem = (
            file_name[: -len(extension) - 2]
            if extension and file_name.lower().endswith("$." + extension)
            else file_name
        )
        name = _css_folder_name(stem)
    else:
        # NSS: everything from the last `$.` on is the type's extension.
        name = re.sub(r"\$\.[^$]*$", "", file_name)
    if not name:
        return "the file name is only a media-type suffix: it names no resource"
    return name, media_type


def _folder_name(kind: str, folder_name: str) -> str | None:
    if _ENCODED_SLASH.search(folder_name):
        return None
    return _css_folder_name(folder_name) if kind == CSS else folder_name


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- building a pod ---------------------------------------------------------------------------------


def build_pod(
    survey: Survey, source: SourcePod, target: Path, base_url: str, relocation: Relocation
) -> BuiltPod:
    """Copy one pod into `target` (made here) as this server stores it; what was done, in full."""
    assert source.name is not None and source.old_url is not None
    built = BuiltPod(source, f"{base_url}{source.name}/")
    built.warnings += source.notes
    target.mkdir(parents=True)
    files: dict[str, tuple[Path, str]] = {}  # resource path → (built file, media type)
    containers: dict[str, tuple[str, ...]] = {".": ()}

    def unreadable(error: OSError) -> None:
        shown = os.path.relpath(str(error.filename), source.folder) if error.filename else "?"
        built.skipped.append(Note(shown + "/", f"unreadable folder: {error.strerror}"))

    for dirpath, dirnames, filenames, dirfd in os.fwalk(source.folder, onerror=unreadable):
        relative = os.path.relpath(dirpath, source.folder)
        segments = containers[relative]
        folder = target.joinpath(*(names.encode_name(s) for s in segments))
        folder.mkdir(exist_ok=True)
        built.containers += 1
        shown = "" if relative == "." else relative + "/"
        used: set[str] = set()
        keep = []
        for entry in sorted(dirnames):
            if not segments and entry in source.excluded:
                continue
            # fwalk lists a link to a folder among the folders (and does not descend into it).
            if _is_link(entry, dirfd):
                built.skipped.append(Note(_shown(shown + entry), SYMLINK))
                continue
            name, why = _container_name(survey.kind, entry, segments)
            if name is None:
                built.skipped.append(Note(_shown(shown + entry) + "/", why))
                continue
            containers[os.path.normpath(os.path.join(relative, entry))] = (*segments, name)
            used.add(name)
            keep.append(entry)
        dirnames[:] = keep
        for entry in sorted(filenames):
            if not segments and entry in source.excluded:
                continue
            _copy_file(
                survey.kind,
                source,
                built,
                files,
                dirfd,
                entry,
                _shown(shown + entry),
                segments,
                used,
                folder,
                relocation,
            )
    if ".acl" not in files:
        built.warnings.append(
            Note("", "the pod has no root .acl: only its owner can read it (and give it an ACL)")
        )
    _set_owners(source, built, files, base_url)
    sync_tree(target)
    return built


def _is_link(name: str, dirfd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dirfd, follow_symlinks=False).st_mode)
    except OSError:
        return True  # gone or unreadable: not followed either


def _shown(path: str) -> str:
    """A path for the report: a name that is not UTF-8 is shown with its bytes escaped."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _container_name(kind: str, entry: str, segments: tuple[str, ...]) -> tuple[str | None, str]:
    """(the resource name of a folder, "") or (None, why it cannot be a container here)."""
    if not _utf8(entry):
        return None, "the folder name is not valid UTF-8"
    name = _folder_name(kind, entry)
    if name is None:
        return None, "its name holds an encoded slash (%2F), which no resource name here can hold"
    if not segments and name == WELL_KNOWN:
        return (
            None,
            "`.well-known/` in a pod's root is this server's own (its SPARQL endpoint, storage description)",
        )
    if any(name.endswith(aux.value) for aux in AuxiliaryKind):
        return None, "a folder cannot have an auxiliary resource's name (.acl, .meta) here"
    if len(segments) + 1 >= MAX_DEPTH:
        return None, f"deeper than {MAX_DEPTH} levels"
    try:
        return check_name(name), ""
    except PodError as error:
        return None, error.detail


def _stored_name(name: str, media_type: str) -> str | None:
    """The file name this server stores the resource under, checked to read back as it was."""
    for stored in (
        names.file_name_for(name, media_type),
        f"{names.encode_name(name)}{names.SEPARATOR}.{names.TYPE_MARK}{quote(media_type, safe='')}",
    ):
        if names.parse_file_name(stored) == names.StoredName(name, media_type):
            return stored
    return None


def _copy_file(
    kind: str,
    source: SourcePod,
    built: BuiltPod,
    files: dict[str, tuple[Path, str]],
    dirfd: int,
    entry: str,
    shown: str,
    segments: tuple[str, ...],
    used: set[str],
    folder: Path,
    relocation: Relocation,
) -> None:
    def skip(reason: str) -> None:
        built.skipped.append(Note(shown, reason))

    old_url = source.old_url
    assert old_url is not None

    if not _utf8(entry):
        return skip("the file name is not valid UTF-8")
    parsed = resource_of_file(kind, entry)
    if isinstance(parsed, str):
        return skip(parsed)
    name, media_type = parsed
    try:
        check_name(name)
    except PodError as error:
        return skip(error.detail)
    if name in used:
        return skip(f"another file or folder of this folder already stands for the resource {name!r}")
    stored = _stored_name(name, media_type)
    if stored is None:
        return skip(f"its media type {media_type} cannot be stored here with this name")
    if len(stored.encode("utf-8")) > MAX_FILE_NAME_BYTES:
        return skip("its name is too long to be stored here with its media type")
    try:
        fd = open_no_follow(entry, dirfd)
    except OSError as error:
        return skip(SYMLINK if error.errno == errno.ELOOP else f"unreadable: {error.strerror}")
    with os.fdopen(fd, "rb") as readable:
        info = os.fstat(readable.fileno())
        if not stat.S_ISREG(info.st_mode):
            return skip(NOT_REGULAR)
        used.add(name)
        path = ResourceIdentifier((*segments, name), False).path[1:]
        target = folder / stored
        rewritten = False
        if formats.is_rdf(media_type) and info.st_size <= REWRITE_LIMIT:
            data = readable.read()
            try:
                data, rewritten = rewrite_document(
                    data, media_type, old_url + path, relocation, built.url + path
                )
            except BadRequest as error:
                built.warnings.append(
                    Note(shown, f"imported unchanged, its URLs not rewritten: {error.detail[:300]}")
                )
            with open(target, "xb") as out:
                out.write(data)
            size = len(data)
        else:
            if formats.is_rdf(media_type):
                built.warnings.append(
                    Note(
                        shown,
                        f"imported unchanged, its URLs not rewritten: larger than {REWRITE_LIMIT} bytes",
                    )
                )
            with open(target, "xb") as out:
                shutil.copyfileobj(readable, out, COPY_CHUNK)
                size = out.tell()
    files[path] = (target, media_type)
    built.documents.append(ImportedDocument(path, media_type, size, rewritten))
    if kind == NSS and name == "index.html":
        built.warnings.append(
            Note(shown, "NSS served it as its container's HTML view; here it is a document of its own")
        )
    return None


def open_no_follow(name: str, dirfd: int) -> int:
    """A file of the old folder opened for reading: never through a symbolic link, never blocking
    on a FIFO (its type is checked after opening)."""
    return os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dirfd)


# -- owners ---------------------------------------------------------------------------------------


def _parsed(files: dict[str, tuple[Path, str]], path: str, base: str) -> formats.Graph | None:
    found = files.get(path)
    if found is None or not formats.is_rdf(found[1]) or found[0].stat().st_size > REWRITE_LIMIT:
        return None
    try:
        return formats.parse(found[0].read_bytes(), found[1], base)
    except BadRequest:
        return None


def _set_owners(
    source: SourcePod, built: BuiltPod, files: dict[str, tuple[Path, str]], base_url: str
) -> None:
    """The pod's owners: the profile's primary topic, else the agents with Control in the root ACL.

    A WebID in the pod names this server as its solid:oidcIssuer from now on: it is this server
    that logs its person in (the old server cannot vouch for a WebID it no longer serves).
    """
    owners: list[str] = []
    card = _parsed(files, "profile/card", built.url + "profile/card")
    if card:
        owners = sorted(
            {
                t.object.value
                for t in card
                if t.predicate.value == PRIMARY_TOPIC and isinstance(t.object, ox.NamedNode)
            }
        )
    if not owners:
        acl = _parsed(files, ".acl", built.url + ".acl") or []
        controlled = {
            t.subject
            for t in acl
            if t.predicate.value == ACL + "mode" and t.object == ox.NamedNode(ACL + "Control")
        }
        owners = sorted(
            {
                t.object.value
                for t in acl
                if t.subject in controlled
                and t.predicate.value == ACL + "agent"
                and isinstance(t.object, ox.NamedNode)
            }
        )
    if not owners:
        built.warnings.append(
            Note("", "no owner found (no profile/card naming one, no acl:Control agent in the root .acl)")
        )
    built.owners = owners
    for webid in owners:
        if not webid.startswith(built.url):
            built.warnings.append(Note("", f"its owner {webid} is outside the pod: kept as it is"))
            continue
        path = webid[len(built.url) :].partition("#")[0]
        profile = _parsed(files, path, built.url + path)
        if profile is None:
            built.warnings.append(
                Note(path, f"the profile of {webid} is not here or not RDF: its issuer is unchanged")
            )
            continue
        me = ox.NamedNode(webid)
        was = sorted(
            str(getattr(t.object, "value", t.object))
            for t in profile
            if t.subject == me and t.predicate.value == OIDC_ISSUER
        )
        if was == [base_url]:
            built.issuers[path] = webid
            continue
        graph = [t for t in profile if not (t.subject == me and t.predicate.value == OIDC_ISSUER)]
        graph.append(ox.Triple(me, ox.NamedNode(OIDC_ISSUER), ox.NamedNode(base_url)))
        target, media_type = files[path]
        data = formats.serialize(graph, media_type)
        target.write_bytes(data)
        built.issuers[path] = webid
        built.documents = [
            ImportedDocument(d.path, d.type, len(data), True) if d.path == path else d
            for d in built.documents
        ]
        built.warnings.append(
            Note(
                path,
                f"solid:oidcIssuer of {webid} now names this server ({base_url}); "
                f"it named {', '.join(was) or 'nothing'}",
            )
        )


def place(built_folder: Path, final: Path) -> None:
    """Move a built pod into the data folder; refuses (FileExistsError) when the name is taken."""
    if final.exists() or final.is_symlink():
        raise FileExistsError(str(final))
    os.rename(built_folder, final)
    fd = os.open(final.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
