"""Bench only (issue 5): pod with Web Access Control replaced by allow-everything, to price WAC.

`wac_overhead.py` runs it beside `pod serve` and compares the two. It is not a way to run a server:
nothing in `pod/` can switch WAC off. This file, in its own process only, patches `pod.app` so that
`make_app` builds its LDP handler from a subclass whose two authorization steps (`authorize`, and
`wac_allow` on reads) allow every request and say so in WAC-Allow; everything else is `pod serve` as
it is. It refuses to listen anywhere but on loopback.

    .venv/bin/python bench/wac_off_server.py --host 127.0.0.1 --port 3001 --data-dir DIR  # pod serve's flags
"""

from __future__ import annotations

import sys
from unittest import mock

from aiohttp import web

import pod.app
from pod.cli import parser, serve
from pod.config import LOOPBACK_HOSTS, settings_from
from pod.http.routes import LdpHandler
from pod.ldp.identifiers import ResourceIdentifier
from pod.wac.modes import ALL_MODES, AccessModes, wac_allow_value

EVERYTHING = wac_allow_value(ALL_MODES, ALL_MODES)


class LdpHandlerWithoutWac(LdpHandler):
    """The LDP handler with no access control: every request may do everything."""

    async def authorize(
        self, request: web.Request, identifier: ResourceIdentifier, patch_modes: AccessModes | None = None
    ) -> None:
        return None

    async def wac_allow(self, request: web.Request, identifier: ResourceIdentifier) -> str:
        return EVERYTHING


def main(argv: list[str]) -> int:
    settings = settings_from(vars(parser().parse_args(["serve", *argv])))
    if settings.host not in LOOPBACK_HOSTS:
        print(f"wac_off_server: loopback only, not {settings.host!r}", file=sys.stderr)
        return 2
    with mock.patch.object(pod.app, "LdpHandler", LdpHandlerWithoutWac):
        serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
