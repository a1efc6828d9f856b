"""The XSD value types notification features use: xsd:dateTime (startAt, endAt), xsd:duration (rate)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from pod.errors import UnprocessableContent

# XSD 1.1 Part 2 §3.3.6: PnYnMnDTnHnMnS; any part may be left out, but not all, and not a bare T.
_DURATION = re.compile(
    r"P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?"
)
# Years and months have no fixed length; for a minimum interval these approximations will do.
_UNIT_SECONDS = (365 * 86400, 30 * 86400, 86400, 3600, 60, 1)


def parse_datetime(text: str, name: str) -> float:
    """An xsd:dateTime as Unix seconds; a value without a time zone is read as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise UnprocessableContent(f"{name} is not an xsd:dateTime: {text[:100]!r}") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def format_datetime(seconds: float) -> str:
    """Unix seconds as an xsd:dateTime in UTC with milliseconds, as ActivityStreams examples show."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_duration(text: str, name: str) -> float:
    """An xsd:duration as seconds; negative durations make no sense as an interval, so they are refused."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise UnprocessableContent(f"{name} is not a non-negative xsd:duration: {text[:100]!r}")
    return sum(float(part) * unit for part, unit in zip(match.groups(), _UNIT_SECONDS, strict=True) if part)


def format_duration(seconds: float) -> str:
    text = f"{seconds:.3f}".rstrip("0").rstrip(".")
    return f"PT{text}S"
