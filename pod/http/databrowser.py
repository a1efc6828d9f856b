"""The SolidOS data browser: a person who opens an RDF resource or a container in a web browser gets a small
HTML page that loads mashlib, which then reads the resource as RDF and shows it (as NSS does).

Other clients are untouched: the page is chosen only when the Accept header prefers text/html to every
RDF type the resource could be served as, so `Accept: */*`, a missing Accept and every RDF client still
get RDF, and the response says `Vary: Accept` like any other negotiated one. A browser holds no token,
so where reading needs one the page comes with the 401 (showing nothing of the resource) and the person
logs in from the data browser."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping, Sequence
from pathlib import Path

from aiohttp import web

from pod.http import conneg, headers
from pod.ldp.conditions import Outcome, Validators, evaluate
from pod.rdf import formats

HTML = "text/html"
# Where the server serves a local copy of mashlib's `dist/` folder, when it is given one (offline use).
LOCAL_PATH = ".mashlib/"
SCRIPT = "mashlib.min.js"
STYLE = "mash.css"

# mashlib's own dist/databrowser.html, with the script and style from a configurable place.
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<title>SolidOS Data Browser</title>
<link rel="stylesheet" href="{style}">
<script defer src="{script}"></script>
<script>document.addEventListener('DOMContentLoaded', function () {{
  if (window.panes) {{ panes.runDataBrowser() }} else {{
    document.getElementById('MainContent').textContent =
      'The data browser (mashlib) could not be loaded from {script_text}.'
  }}
}})</script>
</head>
<body id="PageBody" data-app-shell="databrowser">
<solid-ui-header id="mainSolidUiHeader" brand-link="/"><span slot="title"></span></solid-ui-header>
<div class="app-main" tabindex="-1" aria-live="polite"><div class="app-shell">
<aside id="NavMenu" class="app-nav" aria-label="Application menu" hidden>
<div id="NavMenuContent" class="menu-content"></div></aside>
<main id="MainContent" class="app-view">
<table id="OutlineView" class="outline-view" aria-label="Resource browser"></table>
<section id="GlobalDashboard" class="global-dashboard" aria-label="Dashboard" hidden></section>
</main></div>
<div id="MenuOverlay" class="menu-overlay" hidden aria-hidden="true"></div></div>
<footer id="PageFooter" role="contentinfo"></footer>
</body>
</html>
"""


def is_local(mashlib_url: str) -> bool:
    """A setting that is not an http(s) URL names a local folder (mashlib's `dist/`, see pod.config)."""
    return not mashlib_url.startswith(("http://", "https://"))


class DataBrowser:
    """The page, made once; `wanted` says when a request gets it, `respond` answers with it."""

    def __init__(self, script_base: str) -> None:
        script, style = script_base + SCRIPT, script_base + STYLE
        page = _PAGE.format(
            script=html.escape(script), style=html.escape(style), script_text=html.escape(script_base)
        )
        self.body = page.encode("utf-8")
        self.etag = "databrowser-" + hashlib.blake2b(self.body, digest_size=12).hexdigest()

    @staticmethod
    def wanted(ranges: Sequence[conneg.MediaRange]) -> bool:
        # RDF types come first, so that a tie (`*/*`, `text/*` against turtle…) goes to RDF.
        return conneg.negotiate(ranges, (*formats.RDF_MEDIA_TYPES, HTML)) == HTML

    def respond(
        self,
        request: web.Request,
        resource_headers: Mapping[str, str],
        last_modified: int,
        *,
        status: int = 200,
    ) -> web.Response:
        response_headers = {
            **resource_headers,
            "Content-Type": "text/html; charset=utf-8",
            "Vary": "Accept, Authorization, Origin",
        }
        if status != 200:
            return web.Response(status=status, body=self.body, headers=response_headers)
        # DESIGN "ETags identify a representation": the page has its own.
        response_headers["ETag"] = f'"{self.etag}"'
        response_headers["Last-Modified"] = headers.http_date(last_modified)
        validators = Validators(frozenset({self.etag}), last_modified)
        outcome = evaluate(headers.conditions_from(request.headers), validators, is_read=True)
        if outcome is Outcome.NOT_MODIFIED:
            return web.Response(status=304, headers=response_headers)
        # aiohttp sends no body in answer to HEAD, but the Content-Length of the GET's.
        return web.Response(body=self.body, headers=response_headers)


def make_databrowser(mashlib_url: str, base_url: str) -> DataBrowser | None:
    if not mashlib_url:
        return None
    return DataBrowser(base_url + LOCAL_PATH if is_local(mashlib_url) else mashlib_url)


def add_local_copy(app: web.Application, mashlib_url: str, base_path: str) -> None:
    """Serve a local mashlib folder at {base}.mashlib/ (before the LDP catch-all route)."""
    if mashlib_url and is_local(mashlib_url):
        app.router.add_static(base_path + LOCAL_PATH.rstrip("/"), Path(mashlib_url))
