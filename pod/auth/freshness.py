"""How long a fetched document may be used without asking again: RFC 9111 freshness, simply.

For what the server caches from other servers (WebID profiles): `Cache-Control: max-age` (or
`s-maxage`, which speaks to shared caches such as this one), `no-cache`/`no-store` (revalidate
every time, within the floor below), else `Expires` against `Date`, else a default. The result
is kept between a floor and a ceiling, so that neither a hostile nor a careless server can make
us fetch on every request or trust a document for days.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from multidict import CIMultiDict


def _directives(value: str) -> dict[str, str]:
    found = {}
    for part in value.split(","):
        name, _, argument = part.strip().partition("=")
        if name:
            found[name.strip().lower()] = argument.strip().strip('"')
    return found


def _seconds(text: str) -> float | None:
    try:
        return float(int(text))
    except ValueError:
        return None


def lifetime(headers: Mapping[str, str], *, default: float, floor: float, ceiling: float) -> float:
    """Seconds the response with these headers stays fresh (RFC 9111 §4.2.1), within [floor, ceiling]."""
    headers = CIMultiDict(headers)  # header names are case-insensitive (HTTP/2 sends them lower-cased)
    cache_control = _directives(headers.get("Cache-Control", ""))
    found: float | None = None
    if "no-store" in cache_control or "no-cache" in cache_control:
        found = 0.0  # RFC 9111 §5.2.2.4/5: reuse only after revalidating (here: after the floor)
    elif "s-maxage" in cache_control:
        found = _seconds(cache_control["s-maxage"])  # RFC 9111 §5.2.2.10: wins over max-age for us
    elif "max-age" in cache_control:
        found = _seconds(cache_control["max-age"])
    if found is None and "Expires" in headers:
        try:
            expires = parsedate_to_datetime(headers["Expires"])
            date = parsedate_to_datetime(headers["Date"]) if "Date" in headers else None
            # RFC 9111 §4.2.1: Expires minus Date; an unparsable Expires means already stale.
            found = (expires - date).total_seconds() if date is not None else 0.0
        except (TypeError, ValueError):
            found = 0.0
    if found is None:
        found = default
    return min(ceiling, max(floor, found))
