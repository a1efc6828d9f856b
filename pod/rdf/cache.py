"""A bounded cache of parsed graphs, keyed by resource and version (never stale: the key changes on write)."""

from __future__ import annotations

from collections import OrderedDict

from pod.rdf.formats import Graph

# Documents larger than this are parsed each time rather than held in memory.
MAX_CACHED_BYTES = 1024 * 1024


class GraphCache:
    def __init__(self, max_entries: int = 256) -> None:
        self._max_entries = max_entries
        self._graphs: OrderedDict[tuple[str, str], Graph] = OrderedDict()

    def get(self, path: str, version: str) -> Graph | None:
        graph = self._graphs.get((path, version))
        if graph is not None:
            self._graphs.move_to_end((path, version))
        return graph

    def put(self, path: str, version: str, graph: Graph, size: int) -> None:
        if size > MAX_CACHED_BYTES:
            return
        self._graphs[(path, version)] = graph
        self._graphs.move_to_end((path, version))
        while len(self._graphs) > self._max_entries:
            self._graphs.popitem(last=False)
