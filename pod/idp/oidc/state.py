"""The OpenID provider's internal state (signing keys, clients, approvals, refresh tokens) as JSON records.

Kept in the server's internal state (pod.storage.internal: `<data>/$pod/oidc/...` on disk, a
folder no URL maps to, written atomically; in memory for `--storage memory`), one record per key.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from pod.storage.internal import InternalState

Record = dict[str, Any]
# Keys are chosen by the provider (hashes, random ids): never a path, never a dot-name.
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]{1,200}")
_FOLDER = "oidc"


def _path(kind: str, key: str) -> str:
    if not _SAFE_NAME.fullmatch(kind) or not _SAFE_NAME.fullmatch(key):
        raise ValueError(f"not a safe state name: {kind!r}/{key!r}")
    return f"{_FOLDER}/{kind}/{key}.json"


class OidcState:
    """Records by kind and key over the server's InternalState."""

    def __init__(self, state: InternalState) -> None:
        self.state = state

    async def get(self, kind: str, key: str) -> Record | None:
        data = await self.state.read(_path(kind, key))
        if data is None:
            return None
        value = json.loads(data)
        return value if isinstance(value, dict) else None

    async def put(self, kind: str, key: str, value: Record) -> None:
        await self.state.write(_path(kind, key), json.dumps(value, separators=(",", ":")).encode("utf-8"))

    async def delete(self, kind: str, key: str) -> None:
        await self.state.delete(_path(kind, key))

    async def keys(self, kind: str) -> list[str]:
        folder = _path(kind, "x").rsplit("/", 1)[0]
        listed = await self.state.keys(folder)
        return [key.rsplit("/", 1)[1].removesuffix(".json") for key in listed if key.endswith(".json")]

    def stamp(self, kind: str, key: str) -> int | None:
        """Changes whenever the record is written (another process may write it: the CLI)."""
        return self.state.stamp(_path(kind, key))

    def lock(self, name: str) -> contextlib.AbstractAsyncContextManager[None]:
        """A read-modify-write section, exclusive among tasks and processes."""
        return self.state.lock(f"oidc-{name}")
