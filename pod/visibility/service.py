"""What the owner's API and dashboard share: the pieces, the filters and the answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from pod.errors import BadRequest
from pod.idp.owned import OwnedPod
from pod.ldp.operations import Resources
from pod.visibility.access_log import AccessLog, LogEntry, matching
from pod.visibility.app_control import AppControl, AppSettings
from pod.visibility.csv_export import iso_time
from pod.visibility.grants import overview, pod_rules
from pod.wac.access_control import AccessControl

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class Visibility:
    access_log: AccessLog
    apps: AppControl
    resources: Resources
    access: AccessControl


VISIBILITY = web.AppKey("visibility", Visibility)
# Only the pod's owner reads its log and manages its apps: the end of the 403's reason for others.
LOG_READER = "sees who accessed it"


# -- filters ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogFilter:
    agent: str = ""
    app: str = ""
    resource: str = ""
    since: float | None = None
    until: float | None = None
    refused_only: bool = False
    limit: int = DEFAULT_LIMIT

    @classmethod
    def parse(cls, query: MultiMapping[str]) -> LogFilter:
        def text(name: str) -> str:
            value = query.get(name, "").strip()
            if len(value) > 2000:
                raise BadRequest(f"the filter {name!r} is longer than 2000 characters")
            return value

        refused = text("refused").lower()
        if refused not in ("", "0", "1", "true", "false", "yes", "no", "on", "off"):
            raise BadRequest("`refused` is yes or no")
        limit_text = text("limit") or str(DEFAULT_LIMIT)
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
            raise BadRequest(f"`limit` is a whole number from 1 to {MAX_LIMIT}")
        return cls(
            text("agent"),
            text("app"),
            text("resource"),
            _moment(text("since"), "since"),
            _moment(text("until"), "until"),
            refused in ("1", "true", "yes", "on"),
            int(limit_text),
        )

    def apply(self, entries: list[LogEntry]) -> list[LogEntry]:
        """The matching entries, newest first, at most `limit` of them."""
        found = matching(
            entries,
            agent=self.agent or None,
            app=self.app or None,
            resource=self.resource or None,
            since=self.since,
            until=self.until,
            refused_only=self.refused_only,
        )
        return found[::-1][: self.limit]


def _moment(value: str, name: str) -> float | None:
    """A time filter: Unix seconds, or an ISO 8601 date or date-time (UTC unless it says otherwise)."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"`{name}` is Unix seconds or an ISO 8601 date-time, not {value[:40]!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.now().astimezone().tzinfo).astimezone()
    return parsed.timestamp()


# -- answers ----------------------------------------------------------------------------------------


def entry_json(entry: LogEntry) -> dict[str, Any]:
    return {
        "time": iso_time(entry.time),
        "timestamp": entry.time,
        "agent": entry.agent,
        "client": entry.client,
        "origin": entry.origin,
        "app": entry.app,
        "method": entry.method,
        "resource": entry.resource,
        "status": entry.status,
        "refused": entry.refused,
    }


def apps_acting_as(
    entries: list[LogEntry], owners: frozenset[str], settings: AppSettings
) -> list[dict[str, Any]]:
    """The apps that acted as an owner (from the log), with when they last did, most recent first."""
    seen: dict[str, tuple[float, int]] = {}
    for entry in entries:
        app = entry.app
        if entry.agent in owners and app is not None:
            last, count = seen.get(app, (0.0, 0))
            seen[app] = (max(last, entry.time), count + 1)
    return [
        {
            "app": app,
            "lastSeen": iso_time(last),
            "requests": count,
            "blocked": app in settings.blocked,
            "approved": app in settings.approved,
        }
        for app, (last, count) in sorted(seen.items(), key=lambda item: -item[1][0])
    ]


async def pod_overview(visibility: Visibility, pod: OwnedPod) -> dict[str, Any]:
    resources = visibility.resources
    rules = await pod_rules(resources.store, pod.root, resources.url)
    body: dict[str, Any] = {"pod": pod.url, "owners": sorted(pod.owners)}
    body.update(overview(rules, pod.owners, resources.url))
    entries = await visibility.access_log.entries(pod.root)
    body["apps"] = apps_acting_as(entries, pod.owners, await visibility.apps.settings(pod.root))
    return body


def settings_json(settings: AppSettings) -> dict[str, Any]:
    return settings.to_json()
