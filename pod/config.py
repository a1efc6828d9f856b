"""Server settings: one frozen value built from CLI flags, then POD_* environment variables, then defaults."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_MAX_BODY_SIZE = 100 * 1024 * 1024
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class Settings:
    host: str = "localhost"
    port: int = 3000
    # The only source of truth for the URLs the server writes (works behind a reverse proxy).
    base_url: str = ""
    data_dir: Path = field(default_factory=lambda: Path("data"))
    # "file" (the embedded default) or "memory" (nothing survives a restart: for tests).
    storage: str = "file"
    max_body_size: int = DEFAULT_MAX_BODY_SIZE
    # May the server fetch from private and loopback addresses (WebID profiles, JWKS, groups)?
    # None: only when the server itself runs on a loopback host (development and tests).
    allow_private_fetch: bool | None = None
    # Solid-OIDC: accept tokens without a DPoP proof (RFC 6750 Bearer)? Off: a stolen token is then enough.
    allow_bearer: bool = False
    # Seconds of clock difference tolerated on token and proof timestamps.
    clock_tolerance: int = 60
    # Seconds a DPoP proof stays valid after its iat (and its jti is remembered against replay).
    dpop_window: int = 300
    # Development and tests only: every request is this WebID. Logged loudly; never on by default.
    trusted_webid: str | None = None
    # Who may create accounts: "open", "invite" (a code from `pod accounts invite`) or "closed".
    # None: open when the base URL is a loopback address (development), closed otherwise.
    registration: str | None = None
    # Single-user: the root container is the one pod, owned by the first account. Otherwise the
    # root is a plain container and each pod is `/{name}/`.
    single_user: bool = False

    def __post_init__(self) -> None:
        base = self.base_url or f"http://{self.host}:{self.port}/"
        if not base.endswith("/"):
            base += "/"
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base URL must be an absolute http(s) URL: {base!r}")
        if parts.query or parts.fragment:
            raise ValueError(f"base URL may have no query or fragment: {base!r}")
        if self.storage not in ("file", "memory"):
            raise ValueError(f"unknown storage {self.storage!r} (file or memory)")
        if self.max_body_size <= 0:
            raise ValueError("max body size must be positive")
        if self.clock_tolerance < 0 or self.dpop_window <= 0:
            raise ValueError("clock tolerance must be >= 0 and the DPoP window positive")
        if self.trusted_webid is not None and urlsplit(self.trusted_webid).scheme not in ("http", "https"):
            raise ValueError(f"the trusted WebID must be an http(s) URL: {self.trusted_webid!r}")
        object.__setattr__(self, "base_url", base)
        if self.allow_private_fetch is None:
            loopback = parts.hostname in LOOPBACK_HOSTS
            object.__setattr__(self, "allow_private_fetch", loopback)
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        if self.registration is None:
            object.__setattr__(self, "registration", "open" if parts.hostname in LOOPBACK_HOSTS else "closed")
        if self.registration not in ("open", "invite", "closed"):
            raise ValueError(f"unknown registration policy {self.registration!r} (open, invite or closed)")

    @property
    def base_path(self) -> str:
        """The path part of the base URL, always ending in '/'."""
        return urlsplit(self.base_url).path or "/"


ENV_PREFIX = "POD_"


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


def settings_from(flags: Mapping[str, object], environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings: flags given on the command line win over POD_* variables, which win over defaults."""
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    converters: dict[str, Callable[[Any], object]] = {
        "host": str,
        "port": int,
        "base_url": str,
        "data_dir": Path,
        "storage": str,
        "max_body_size": int,
        "allow_private_fetch": _boolean,
        "allow_bearer": _boolean,
        "clock_tolerance": int,
        "dpop_window": int,
        "trusted_webid": str,
        "registration": str,
        "single_user": _boolean,
    }
    for name, convert in converters.items():
        flag = flags.get(name)
        if flag is not None:
            values[name] = convert(flag)
        elif (env := environ.get(ENV_PREFIX + name.upper())) is not None:
            values[name] = convert(env)
    return Settings(**values)  # type: ignore[arg-type]
