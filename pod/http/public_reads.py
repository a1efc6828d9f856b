"""Answers to public reads of documents, given again while nothing they were made from changed.

A GET with no credentials is answered from what is stored alone: the document, its ACLs (for the
public, no owner, group or trusted app plays a part: see `AccessControl.permissions`) and the
storages' records. While the store's generation and the storages' version stay the same, the
answer made last time for the same path, Accept and Origin is the answer, headers and body. WebID
profiles, which other servers and apps fetch without logging in, are read this way all the time.

Only documents (containers list their children's times, which a folder watch does not report
for sub-folders), only complete 200 answers with a small body, and only requests with no
condition or range, which would need the answer worked out afresh.
"""

from __future__ import annotations

from typing import NamedTuple

from aiohttp import web

from pod.http.authentication import CREDENTIALS
from pod.http.headers import CONDITIONAL_HEADERS
from pod.ldp.cache import Lru
from pod.ldp.identifiers import ResourceIdentifier
from pod.ldp.storages import Storages
from pod.storage.base import Store

MAX_ENTRIES = 256
MAX_BODY_BYTES = 32 * 1024  # so the answers kept take 8 MB at most
# A request with one of these is answered afresh.
_FRESH = (*CONDITIONAL_HEADERS, "Range")


class PublicRead(NamedTuple):
    """A public read that may be answered from memory, and when its answer holds."""

    key: tuple[str, str | None, str | None]  # (path, Accept, Origin)
    generation: int  # the store's, taken before the answer is made
    storages_version: int


class _Answer(NamedTuple):
    generation: int
    storages_version: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class PublicReads:
    def __init__(self, store: Store, storages: Storages) -> None:
        self.store = store
        self.storages = storages
        self._answers: Lru[tuple[str, str | None, str | None], _Answer] = Lru(MAX_ENTRIES)

    def read_of(self, request: web.Request, identifier: ResourceIdentifier) -> PublicRead | None:
        """The GET as a public read, or None when its answer must be made afresh."""
        credentials = request[CREDENTIALS]
        if credentials.agent is not None or credentials.client_id is not None or identifier.is_container:
            return None
        request_headers = request.headers
        for name in _FRESH:
            if name in request_headers:
                return None
        generation = self.store.generation()
        if generation is None:
            return None  # the store cannot tell whether anything changed
        key = (identifier.path, request_headers.get("Accept"), credentials.origin)
        return PublicRead(key, generation, self.storages.version)

    def answer(self, read: PublicRead) -> web.Response | None:
        """The answer given last time, if it still holds."""
        answer = self._answers.get(read.key)
        if answer is None:
            return None
        if answer.generation != read.generation or answer.storages_version != read.storages_version:
            self._answers.pop(read.key)
            return None
        return web.Response(body=answer.body, headers=answer.headers)

    def remember(self, read: PublicRead, response: web.StreamResponse) -> None:
        """Keep a complete 200 answer with a small body (before its CORS headers are added)."""
        if type(response) is not web.Response or response.status != 200:
            return
        body = response.body
        if not isinstance(body, bytes) or len(body) > MAX_BODY_BYTES:
            return
        answer = _Answer(read.generation, read.storages_version, tuple(response.headers.items()), body)
        self._answers.put(read.key, answer)
