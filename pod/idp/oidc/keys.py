"""The provider's signing keys: ES256, created on first use, rotated on demand, published as a JWKS.

A rotation retires the current key and makes a new one; a retired key stays in the JWKS until every
token it signed has expired (`retention`), so resource servers can still verify those tokens. The
keys are one internal-state record; the server re-reads it whenever it changes, so
`pod oidc rotate-key` on the same data folder takes effect without a restart.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey

from pod.idp.oidc.state import OidcState, Record

ALGORITHM = "ES256"
_KIND, _KEY = "keys", "signing"


@dataclass(frozen=True, slots=True)
class _StoredKey:
    key: ECKey
    created: float
    retired: float | None

    def to_record(self) -> Record:
        return {"jwk": self.key.as_dict(private=True), "created": self.created, "retired": self.retired}

    @classmethod
    def from_record(cls, record: Record) -> _StoredKey:
        retired = record.get("retired")
        return cls(
            ECKey.import_key(record["jwk"]),
            float(record["created"]),
            None if retired is None else float(retired),
        )


def _new_key(now: float) -> _StoredKey:
    key = ECKey.generate_key("P-256", private=True)
    # RFC 7638 thumbprint as kid: unique per key, and derivable by anyone holding the public key.
    kid = key.thumbprint()
    key = ECKey.import_key({**key.as_dict(private=True), "kid": kid, "alg": ALGORITHM, "use": "sig"})
    return _StoredKey(key, now, None)


class SigningKeys:
    def __init__(self, state: OidcState, *, retention: float, clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self.retention = retention
        self._clock = clock
        self._keys: list[_StoredKey] = []
        self._stamp: int | None = None

    async def _load(self) -> list[_StoredKey]:
        record = await self.state.get(_KIND, _KEY)
        return [_StoredKey.from_record(item) for item in record["keys"]] if record else []

    async def _save(self, keys: list[_StoredKey]) -> None:
        await self.state.put(_KIND, _KEY, {"keys": [stored.to_record() for stored in keys]})
        self._keys, self._stamp = keys, self.state.stamp(_KIND, _KEY)

    async def _current_keys(self) -> list[_StoredKey]:
        stamp = self.state.stamp(_KIND, _KEY)
        if self._keys and stamp == self._stamp:
            return self._keys
        async with self.state.lock("keys"):
            keys = await self._load()
            if any(stored.retired is None for stored in keys):
                self._keys, self._stamp = keys, self.state.stamp(_KIND, _KEY)
            else:
                # First start: make a key, and keep it before anything is signed with it.
                await self._save([*keys, _new_key(self._clock())])
        return self._keys

    async def ensure(self) -> None:
        """Create the first key if there is none yet (called at start-up)."""
        await self._current_keys()

    async def current(self) -> ECKey:
        keys = await self._current_keys()
        return [stored for stored in keys if stored.retired is None][-1].key

    async def jwks(self) -> dict[str, Any]:
        """The public keys that verify tokens still in circulation (RFC 7517 §5)."""
        now = self._clock()
        keys = await self._current_keys()
        return {
            "keys": [
                stored.key.as_dict(private=False)
                for stored in keys
                if stored.retired is None or stored.retired + self.retention > now
            ]
        }

    async def sign(self, claims: dict[str, Any], *, typ: str) -> str:
        key = await self.current()
        header = {"alg": ALGORITHM, "kid": key.kid, "typ": typ}
        return jwt.encode(header, claims, key, algorithms=[ALGORITHM])

    async def rotate(self) -> str:
        """Retire the current key and start signing with a new one; returns the new kid.

        Keys retired longer ago than `retention` are dropped: nothing they signed is valid any more.
        """
        now = self._clock()
        async with self.state.lock("keys"):
            kept = [
                stored if stored.retired is not None else _StoredKey(stored.key, stored.created, now)
                for stored in await self._load()
                if stored.retired is None or stored.retired + self.retention > now
            ]
            fresh = _new_key(now)
            await self._save([*kept, fresh])
        assert fresh.key.kid is not None
        return fresh.key.kid
