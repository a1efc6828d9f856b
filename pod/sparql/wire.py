"""The messages between the server and an index worker: length-prefixed pickles over a pipe.

Both ends are this server (the worker is a child process it started), so pickle is safe here.
"""

from __future__ import annotations

import pickle
import struct
from dataclasses import dataclass
from typing import IO, Any

_HEADER = struct.Struct(">Q")


@dataclass(frozen=True, slots=True)
class QueryJob:
    """One query as the worker runs it: on the view of `groups`, answered in one of the given types."""

    query: str
    base_iri: str
    groups: frozenset[str]  # the access groups the agent may read
    union_default_graph: bool  # no FROM in the query, no default-graph-uri: the union of the view
    default_graphs: tuple[str, ...] | None  # SPARQL Protocol default-graph-uri, when given
    named_graphs: tuple[str, ...] | None  # SPARQL Protocol named-graph-uri, when given
    solutions_type: str | None  # the media type for SELECT and ASK results, None: not acceptable
    graph_type: str | None  # the media type for CONSTRUCT and DESCRIBE results
    max_bytes: int


@dataclass(frozen=True, slots=True)
class Answer:
    media_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Failure:
    """A query the worker could not answer: the HTTP status it stands for and why."""

    status: int
    detail: str


def encode(message: Any) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def header_size() -> int:
    return _HEADER.size


def body_size(header: bytes) -> int:
    return int(_HEADER.unpack(header)[0])


def decode(data: bytes) -> Any:
    return pickle.loads(data)


def read_message(stream: IO[bytes]) -> Any:
    """The next message from a blocking stream, or None at its end."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    size = body_size(header)
    data = stream.read(size)
    if len(data) < size:
        return None
    return decode(data)
