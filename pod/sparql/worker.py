"""The index worker: a child process holding one pod's SPARQL index, so that a runaway query can be killed.

pyoxigraph cannot interrupt a query (oxigraph/oxigraph#1926), and a thread cannot be
stopped, so queries run here and the server kills the process when one overruns.

The *master* store holds every RDF resource of the pod as a named graph (graph name = the
resource URL), and in its default graph the version each graph was built from (the
manifest). It is derived from the files and the server can always rebuild it. It is kept
in memory and, for the file store, saved to `{folder}/index.nq` (N-Quads, written aside and
renamed into place) when the worker stops and at most every SAVE_INTERVAL seconds while
it changes, and loaded from there when a worker starts; the server then rebuilds whatever
the saved copy lacks or holds in an older version. (Measured here: RocksDB took 25 ms to
add the 500 triples of one container's representation, memory 0.3 ms — and every write
changes at least one container.) A lock file keeps a second process off the folder.

A query never runs on the master: it runs on a *view*, an in-memory store holding copies
of exactly the graphs of the access groups the agent may read (the server decides which).
What a view does not hold cannot influence any result — rows, counts, ASK, EXISTS,
GRAPH ?g — whatever the query says. Views are kept per set of groups, updated with each
change, and the least recently used are dropped.

Run as `python -m pod.sparql.worker [FOLDER]`; messages come on stdin and go out on stdout.

The worker needs no network, and oxigraph would run a SERVICE clause itself over plain HTTP.
The server never hands it one (pod.sparql.federated runs them), and as a second line of
defence the worker leaves the host's network where the kernel lets it (a Linux network
namespace of its own, with nothing in it but a loopback that is down).
"""

from __future__ import annotations

import ctypes
import fcntl
import logging
import os
import sys
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import pyoxigraph as ox

from pod.errors import PodError
from pod.rdf import formats
from pod.sparql import results, wire

log = logging.getLogger("pod.sparql.worker")

_VERSION = ox.NamedNode("urn:x-pod:sparql:version")
_FORMAT = ox.NamedNode("urn:x-pod:sparql:format")
_INDEX = ox.NamedNode("urn:x-pod:sparql:index")
_DEFAULT = ox.DefaultGraph()
# How many views (one per distinct set of readable groups) stay in memory.
MAX_VIEWS = 4
# Seconds between saves of a changing index (a crash loses at most this much, rebuilt from the files).
SAVE_INTERVAL = 30.0
SNAPSHOT = "index.nq"
LOCK = "lock"


class IndexInUse(Exception):
    """Another process holds the index folder."""


def lock_folder(folder: Path) -> IO[str]:
    """Hold the folder's lock file for as long as the returned file stays open."""
    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / LOCK, "w")  # noqa: SIM115 (held open on purpose)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as error:
        handle.close()
        raise IndexInUse(f"{folder} is in use by another process") from error
    return handle


class ResultTooLarge(Exception):
    pass


class CappedBuffer:
    """A binary sink that refuses to grow past a limit: serialization stops as soon as it is hit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise ResultTooLarge
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def sink(self) -> IO[bytes]:
        """Itself, as the binary file pyoxigraph writes to (it only calls write and flush)."""
        return cast(IO[bytes], self)

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


@dataclass
class View:
    store: ox.Store
    graphs: set[str] = field(default_factory=set)


class WorkerIndex:
    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.master = ox.Store()
        self.groups: dict[str, str] = {}  # graph URL → its access group
        self.views: OrderedDict[frozenset[str], View] = OrderedDict()
        self.changed = False
        self.saved_at = time.monotonic()
        self._lock = lock_folder(folder) if folder is not None else None
        if folder is not None and (folder / SNAPSHOT).exists():
            try:
                self.master.bulk_load(path=folder / SNAPSHOT, format=ox.RdfFormat.N_QUADS)
            except (SyntaxError, OSError) as error:
                log.warning("the saved index in %s is unreadable, rebuilding it: %s", folder, error)
                self.master.clear()

    def save(self, *, now: bool = False) -> None:
        """Write the master to disk if it changed (and, unless `now`, the last save is old enough)."""
        if self.folder is None or not self.changed:
            return
        if not now and time.monotonic() - self.saved_at < SAVE_INTERVAL:
            return
        aside = self.folder / (SNAPSHOT + ".tmp")
        with open(aside, "wb") as file:
            self.master.dump(file, format=ox.RdfFormat.N_QUADS)
            file.flush()
            os.fsync(file.fileno())
        os.replace(aside, self.folder / SNAPSHOT)
        self.changed, self.saved_at = False, time.monotonic()

    # -- the manifest -------------------------------------------------------------------------

    def open(self, tag: str) -> dict[str, str]:
        """The graphs the master holds and their versions; emptied first when built otherwise."""
        stored = [str(q.object) for q in self.master.quads_for_pattern(_INDEX, _FORMAT, None, _DEFAULT)]
        if stored != [str(ox.Literal(tag))]:
            # Another format or base URL: nothing in it can be trusted, start afresh.
            self.master.clear()
            self.changed = True
            self.master.add(ox.Quad(_INDEX, _FORMAT, ox.Literal(tag), _DEFAULT))
        return {
            q.subject.value: q.object.value
            for q in self.master.quads_for_pattern(None, _VERSION, None, _DEFAULT)
            if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal)
        }

    # -- changes ------------------------------------------------------------------------------

    def apply(self, ops: Iterable[tuple[Any, ...]]) -> None:
        self.changed = True
        for op in ops:
            if op[0] == "put":
                _, url, version, group, media_type, data = op
                self._put(url, version, media_type, data)
                self._regroup(url, group, refresh=True)
            elif op[0] == "delete":
                self._delete(url=op[1])
            elif op[0] == "group":
                self._regroup(op[1], op[2], refresh=False)

    def _put(self, url: str, version: str, media_type: str, data: bytes) -> None:
        node = ox.NamedNode(url)
        try:
            triples = formats.parse(data, media_type, url)
        except PodError as error:
            # Stored out of band and not RDF after all: index it as empty, as a GET could not parse it.
            log.warning("%s does not parse, indexed as empty: %s", url, error.detail)
            triples = []
        # Manifest entry first out, last in: a crash in between leaves the graph marked stale.
        self._forget_version(node)
        self.master.remove_graph(node)
        self.master.add_graph(node)
        self.master.extend(ox.Quad(t.subject, t.predicate, t.object, node) for t in triples)
        self.master.add(ox.Quad(node, _VERSION, ox.Literal(version), _DEFAULT))

    def _forget_version(self, node: ox.NamedNode) -> None:
        for quad in list(self.master.quads_for_pattern(node, _VERSION, None, _DEFAULT)):
            self.master.remove(quad)

    def _delete(self, url: str) -> None:
        node = ox.NamedNode(url)
        self._forget_version(node)
        self.master.remove_graph(node)
        self.groups.pop(url, None)
        for view in self.views.values():
            if url in view.graphs:
                view.graphs.discard(url)
                view.store.remove_graph(node)

    def _regroup(self, url: str, group: str, *, refresh: bool) -> None:
        """Put a graph in its access group, and in (or out of) each view accordingly."""
        self.groups[url] = group
        node = ox.NamedNode(url)
        for readable, view in self.views.items():
            present = url in view.graphs
            if group in readable and (refresh or not present):
                if present:
                    view.store.remove_graph(node)
                self._copy(url, view)
            elif group not in readable and present:
                view.graphs.discard(url)
                view.store.remove_graph(node)

    def _copy(self, url: str, view: View) -> None:
        node = ox.NamedNode(url)
        view.store.add_graph(node)
        view.store.extend(self.master.quads_for_pattern(None, None, None, node))
        view.graphs.add(url)

    # -- queries ------------------------------------------------------------------------------

    def view(self, readable: frozenset[str]) -> View:
        """The store of exactly the graphs in these groups (built on first use, then kept current)."""
        view = self.views.get(readable)
        if view is not None:
            self.views.move_to_end(readable)
            return view
        view = View(ox.Store())
        for url, group in self.groups.items():
            if group in readable:
                self._copy(url, view)
        self.views[readable] = view
        while len(self.views) > MAX_VIEWS:
            self.views.popitem(last=False)
        return view

    def query(self, job: wire.QueryJob) -> wire.Answer | wire.Failure:
        view = self.view(job.groups)
        options: dict[str, Any] = {}
        try:
            if job.default_graphs is not None or job.named_graphs is not None:
                # SPARQL 1.1 Protocol §2.1.4: the protocol's dataset overrides FROM and FROM NAMED.
                options["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or ()]
                options["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or ()]
            elif job.union_default_graph:
                # The default graph is the union of the graphs the agent may read (all the view has).
                options["use_default_graph_as_union"] = True
            result = view.store.query(job.query, base_iri=job.base_iri, **options)
            return self._serialize(result, job)
        except SyntaxError as error:
            return wire.Failure(400, f"the query does not parse: {error}")
        except ValueError as error:
            return wire.Failure(400, f"the query cannot be evaluated: {error}")
        except ResultTooLarge:
            return wire.Failure(
                422,
                f"the results are larger than this endpoint's limit of {job.max_bytes} bytes: "
                "add a LIMIT or narrow the query",
            )
        except OSError as error:  # a SERVICE oxigraph tried itself (never given one; no network here)
            return wire.Failure(502, f"the query failed: {error}")

    def _serialize(
        self, result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, job: wire.QueryJob
    ) -> wire.Answer | wire.Failure:
        buffer = CappedBuffer(job.max_bytes)
        if isinstance(result, ox.QueryTriples):
            if job.graph_type is None:
                return _not_acceptable("CONSTRUCT and DESCRIBE", results.GRAPH_FORMATS)
            result.serialize(buffer.sink(), results.GRAPH_FORMATS[job.graph_type])
            return wire.Answer(job.graph_type, buffer.getvalue())
        if job.solutions_type is None:
            return _not_acceptable("SELECT and ASK", results.SOLUTION_FORMATS)
        result.serialize(buffer.sink(), results.SOLUTION_FORMATS[job.solutions_type])
        return wire.Answer(job.solutions_type, buffer.getvalue())

    def close(self) -> None:
        self.views.clear()
        self.save(now=True)


def _not_acceptable(forms: str, available: dict[str, Any]) -> wire.Failure:
    return wire.Failure(406, f"{forms} results are served as {', '.join(available)}")


def handle(index: WorkerIndex, message: tuple[Any, ...]) -> Any:
    kind = message[0]
    if kind == "open":
        return index.open(message[1])
    if kind == "apply":
        index.apply(message[1])
        index.save()
        return None
    if kind == "query":
        return index.query(message[1])
    if kind == "close":
        index.close()
        return None
    raise ValueError(f"unknown message {kind!r}")


def serve(index: WorkerIndex, requests: IO[bytes], replies: IO[bytes]) -> None:
    while (message := wire.read_message(requests)) is not None:
        try:
            reply: Any = ("ok", handle(index, message))
        except Exception as error:  # reported to the server, which restarts the worker
            log.exception("index worker failed on %s", message[0])
            reply = ("error", f"{type(error).__name__}: {error}")
        replies.write(wire.encode(reply))
        replies.flush()
        if message[0] == "close":
            return


# Linux sched.h: unshare(2) flags.
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


def leave_network() -> bool:
    """Move this process into a network namespace of its own, if the kernel allows; whether it did.

    With CAP_SYS_ADMIN a new network namespace is enough; otherwise an unprivileged user
    namespace comes with it, in which this process keeps its own user and group ids. Must run
    before any thread starts (unshare(2) refuses a user namespace to a threaded process).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    if libc.unshare(CLONE_NEWNET) == 0:
        return True
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
        return False
    try:
        for name, text in (
            ("setgroups", "deny"),
            ("uid_map", f"{uid} {uid} 1"),
            ("gid_map", f"{gid} {gid} 1"),
        ):
            with open(f"/proc/self/{name}", "w") as file:
                file.write(text)
    except OSError as error:
        log.debug("the worker's user namespace keeps unmapped ids: %s", error)
    return True


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if not leave_network():
        log.debug("the index worker shares the host's network (no network namespace here)")
    # The protocol owns the original stdout; anything printed by accident goes to stderr.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    try:
        index = WorkerIndex(Path(argv[1]) if len(argv) > 1 else None)
    except IndexInUse as error:
        log.error("%s", error)
        return 3
    serve(index, sys.stdin.buffer, replies)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
