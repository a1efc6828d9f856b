"""The access log as CSV, safe to open in a spreadsheet (no formula injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime

from pod.visibility.access_log import LogEntry

COLUMNS = ("time", "agent", "client", "origin", "method", "resource", "status")
# OWASP "CSV Injection": a cell starting with one of these is a formula to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading formula character gets a quote before it."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def iso_time(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_csv(entries: Iterable[LogEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(COLUMNS)
    for e in entries:
        row = [iso_time(e.time), e.agent or "public", e.client or "", e.origin or "", e.method, e.resource]
        writer.writerow([cell(value) for value in row] + [str(e.status)])
    return out.getvalue()
