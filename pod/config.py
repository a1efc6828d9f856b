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
# The SolidOS data browser (pod.http.databrowser) loads mashlib from here unless told otherwise.
DEFAULT_MASHLIB_URL = "https://cdn.jsdelivr.net/npm/mashlib@2.3.3/dist/"


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
    # Seconds a connection may go without sending a complete request head: slow senders
    # (slowloris) and idle keep-alive connections alike are closed after it (aiohttp's
    # keep-alive timer, which runs from the connection's start and from each response's end).
    header_timeout: float = 15.0
    # Seconds a request body may pause before the request is refused with a 408.
    body_timeout: float = 60.0
    # The longest request line or header field in bytes; longer ones are refused with a 4xx.
    max_header_size: int = 8190
    # Where the SolidOS data browser's mashlib (its `dist/` folder) is: an http(s) URL, or a local folder
    # that the server then serves itself at /.mashlib/ (offline use); "" turns the data browser off.
    mashlib_url: str = DEFAULT_MASHLIB_URL
    # Seconds one SHACL validation of a write into a constrained container may take (issue 11).
    shapes_time_limit: float = 5.0
    # Seconds a notification channel lives at most, whatever endAt its subscriber asks for (two weeks).
    max_channel_lifetime: int = 14 * 24 * 3600
    # Issue 10, the SPARQL endpoint: seconds one query may run before it is stopped (503), the
    # largest serialized result in bytes (422 beyond), and the only endpoints SERVICE may call.
    sparql_timeout: float = 10.0
    sparql_max_result_bytes: int = 10 * 1024 * 1024
    sparql_service_allowlist: tuple[str, ...] = ()
    # Issue 12: may a SERVICE call carry the asker's identity to the remote endpoint, for an asker
    # who also sends a DPoP proof made for that call (`SPARQL-Service-DPoP`)? Off: every call is anonymous.
    sparql_service_forward_identity: bool = False
    # Issue 12, inboxes (LDN): the largest notification in bytes (413 beyond), and how many
    # notifications one sender may post to one inbox within a window of seconds (429 beyond).
    inbox_max_bytes: int = 256 * 1024
    inbox_rate_limit: int = 30
    inbox_rate_window: float = 60.0
    # Issue 13, the access log: days each pod's log keeps requests, and the most entries it keeps.
    access_log_retention_days: int = 90
    access_log_max_entries: int = 100_000
    # Issue 15: bytes each pod may hold unless its account has its own quota (None: unlimited).
    default_quota: int | None = None
    # One line per request on stderr (the operator's log; each pod's own access log is separate).
    # Off by default: at thousands of requests a second the log line costs about a tenth of each.
    request_log: bool = False
    # Issue 15: `Authorization: Bearer <token>` that opens /metrics (and suspended pods) to the operator.
    admin_token: str | None = None

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
        if self.header_timeout <= 0 or self.body_timeout <= 0:
            raise ValueError("the header and body timeouts must be positive")
        if self.max_header_size < 256:
            raise ValueError("the max header size must be at least 256 bytes")
        if self.shapes_time_limit <= 0:
            raise ValueError("the shapes time limit must be positive")
        if self.max_channel_lifetime <= 0:
            raise ValueError("the notification channel lifetime must be positive")
        if self.sparql_timeout <= 0 or self.sparql_max_result_bytes <= 0:
            raise ValueError("the SPARQL timeout and result size limit must be positive")
        for endpoint in self.sparql_service_allowlist:
            allowed = urlsplit(endpoint)
            if allowed.scheme not in ("http", "https") or not allowed.hostname or "@" in allowed.netloc:
                raise ValueError(f"a SPARQL SERVICE allowed must be an http(s) URL: {endpoint!r}")
        object.__setattr__(self, "sparql_service_allowlist", tuple(self.sparql_service_allowlist))
        if self.inbox_max_bytes <= 0 or self.inbox_rate_limit <= 0 or self.inbox_rate_window <= 0:
            raise ValueError("the inbox size limit, rate limit and rate window must be positive")
        if self.clock_tolerance < 0 or self.dpop_window <= 0:
            raise ValueError("clock tolerance must be >= 0 and the DPoP window positive")
        if self.trusted_webid is not None and urlsplit(self.trusted_webid).scheme not in ("http", "https"):
            raise ValueError(f"the trusted WebID must be an http(s) URL: {self.trusted_webid!r}")
        quota = self.default_quota
        if quota is not None and (isinstance(quota, bool) or quota < 0):
            raise ValueError(f"the default quota must be a number of bytes >= 0: {self.default_quota!r}")
        if self.admin_token is not None and len(self.admin_token) < 16:
            raise ValueError("the admin token must be at least 16 characters long")
        if self.access_log_retention_days <= 0 or self.access_log_max_entries <= 0:
            raise ValueError("the access log's retention and its entry cap must be positive")
        object.__setattr__(self, "base_url", base)
        if self.allow_private_fetch is None:
            loopback = parts.hostname in LOOPBACK_HOSTS
            object.__setattr__(self, "allow_private_fetch", loopback)
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        object.__setattr__(self, "mashlib_url", _mashlib_url(self.mashlib_url))
        if self.registration is None:
            object.__setattr__(self, "registration", "open" if parts.hostname in LOOPBACK_HOSTS else "closed")
        if self.registration not in ("open", "invite", "closed"):
            raise ValueError(f"unknown registration policy {self.registration!r} (open, invite or closed)")

    @property
    def base_path(self) -> str:
        """The path part of the base URL, always ending in '/'."""
        return urlsplit(self.base_url).path or "/"


def _mashlib_url(value: str) -> str:
    if not value or value.startswith(("http://", "https://")):
        return value if not value or value.endswith("/") else value + "/"
    if not (Path(value) / "mashlib.min.js").is_file():
        raise ValueError(f"mashlib URL {value!r} is neither an http(s) URL nor a folder with mashlib.min.js")
    return str(Path(value).resolve())


ENV_PREFIX = "POD_"


def _url_list(value: object) -> tuple[str, ...]:
    """URLs from repeated flags (a list) or one variable (separated by white space or commas)."""
    items = value if isinstance(value, list | tuple) else str(value).replace(",", " ").split()
    return tuple(str(item) for item in items)


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


def _quota(value: object) -> int | None:
    """Bytes (a non-negative integer) or "none"/"unlimited"; anything else is refused."""
    text = str(value).strip().lower()
    if text in ("none", "unlimited"):
        return None
    if not text.isdigit():
        raise ValueError(f"a quota is a number of bytes (or 'none'), not {value!r}")
    return int(text)


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
        "mashlib_url": str,
        "header_timeout": float,
        "body_timeout": float,
        "max_header_size": int,
        "shapes_time_limit": float,
        "max_channel_lifetime": int,
        "sparql_timeout": float,
        "sparql_max_result_bytes": int,
        "sparql_service_allowlist": _url_list,
        "sparql_service_forward_identity": _boolean,
        "inbox_max_bytes": int,
        "inbox_rate_limit": int,
        "inbox_rate_window": float,
        "access_log_retention_days": int,
        "access_log_max_entries": int,
        "default_quota": _quota,
        "admin_token": str,
        "request_log": _boolean,
    }
    for name, convert in converters.items():
        flag = flags.get(name)
        if flag is not None:
            values[name] = convert(flag)
        elif (env := environ.get(ENV_PREFIX + name.upper())) is not None:
            values[name] = convert(env)
    return Settings(**values)  # type: ignore[arg-type]
