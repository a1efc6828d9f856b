"""The owner's dashboard page for one pod: apps, who has access, and the access log. No JavaScript.

Every value shown comes from someone else (client ids, origins, paths, WebIDs): all of it is
escaped. Forms carry the account pages' CSRF token; the log filters are a plain GET form.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from pod.errors import BadRequest, Forbidden, PayloadTooLarge, PodError
from pod.idp.html import form, hidden, link, message, page
from pod.idp.owned import OwnedPod, owned_pod
from pod.idp.service import SERVICE, AccountService
from pod.visibility import api
from pod.visibility.access_log import LogEntry
from pod.visibility.csv_export import iso_time
from pod.visibility.revocation import Subject, narrow_everywhere, parse_modes
from pod.visibility.service import LOG_READER, VISIBILITY, LogFilter, pod_overview

MAX_FORM = 16 * 1024
# The log and grant tables need more room than the account pages' narrow column.
WIDE = (
    "<style>body{max-width:76rem}table{font-size:.85rem}td{vertical-align:top;word-break:break-all}"
    "td.t{white-space:nowrap;word-break:normal}"
    ".refused td{background:#fff3f3}.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end}"
    ".filters label{margin:0;font-weight:600;font-size:.85rem}"
    ".filters input[type=text]{width:11rem;padding:.3rem}"
    ".tag{font-size:.75rem;padding:0 .3rem;border-radius:.2rem;background:#eee}"
    ".tag.bad{background:#fde8e8}.tag.good{background:#e8f5e9}</style>"
)


async def dashboard(request: web.Request) -> web.StreamResponse:
    service: AccountService = request.app[SERVICE]
    account = await service.sessions.account_of(request)
    if account is None:
        return _redirect(service.sessions.login_url(str(request.url.relative())))
    try:
        pod = await owned_pod(request, account, to=LOG_READER)
    except PodError as error:
        return page(error.title, message(error.detail, error=True), status=error.status)
    if request.method == "GET":
        return await _render(request, pod)
    try:
        notice = await _act(request, pod)
    except PodError as error:
        return await _render(request, pod, error=error.detail, status=error.status)
    return await _render(request, pod, notice=notice)


def _redirect(url: str) -> web.Response:
    return web.Response(status=303, headers={"Location": url, "Cache-Control": "no-store"})


async def _act(request: web.Request, pod: OwnedPod) -> str:
    if request.content_length is None or request.content_length > MAX_FORM:
        raise PayloadTooLarge(f"forms are limited to {MAX_FORM} bytes")
    data = await request.post()

    def text(name: str) -> str:
        value = data.get(name)
        return value if isinstance(value, str) else ""

    service: AccountService = request.app[SERVICE]
    if not service.sessions.csrf_ok(request, text("csrf")):
        raise Forbidden("the form's security token is missing or stale: reload the page and try again")
    visibility = request.app[VISIBILITY]
    action = text("action")
    if action == "approved-only":
        on = text("on") == "yes"
        await visibility.apps.set_approved_only(pod.root, on)
        return (
            "Only approved apps may act as you in this pod now." if on else "Any app you use may act as you."
        )
    if action in api.ACTIONS:
        await api.apply_action(request, pod, action, text("clientId"))
        return f"Done: {action} {text('clientId')}."
    if action in ("revoke", "narrow"):
        subject = Subject.parse(text("kind"), text("iri"))
        keep = parse_modes([] if action == "revoke" else data.getall("modes", []))
        outcome = await narrow_everywhere(
            visibility.resources, visibility.access, pod.root, pod.owner, pod.owners, subject, keep
        )
        return f"Changed {len(outcome.changed)} ACL document(s)."
    raise BadRequest(f"unknown action {action[:40]!r}")


async def _render(
    request: web.Request, pod: OwnedPod, *, notice: str = "", error: str = "", status: int = 200
) -> web.Response:
    service: AccountService = request.app[SERVICE]
    visibility = request.app[VISIBILITY]
    response = web.Response()
    csrf = service.sessions.csrf_token(request, response)
    here = api.pod_controls(service, pod.account.id, pod.pod_id)["dashboard"]
    try:
        filters = LogFilter.parse(request.query)
    except PodError as bad:
        filters, error = LogFilter(), bad.detail
    overview = await pod_overview(visibility, pod)
    settings = await visibility.apps.settings(pod.root)
    entries = filters.apply(await visibility.access_log.entries(pod.root))
    parts = [
        WIDE,
        message(error, error=True),
        message(notice),
        f"<p>Pod {link(pod.url, pod.url)} — {link(service.account_url(pod.account.id), 'your account')}</p>",
        _apps(here, csrf, overview["apps"], settings.approved_only, settings.blocked, settings.approved),
        _grants(here, csrf, overview),
        _log(here, request, filters, entries),
    ]
    rendered = page("Who uses your pod", "".join(parts), status=status)
    for cookie in response.cookies.values():
        rendered.cookies[cookie.key] = cookie
    return rendered


def _button(here: str, csrf: str, label: str, **fields: str) -> str:
    return form(here, csrf, "".join(hidden(k, v) for k, v in fields.items()), label, inline=True)


def _apps(
    here: str,
    csrf: str,
    acted: list[dict[str, Any]],
    approved_only: bool,
    blocked: tuple[str, ...],
    approved: tuple[str, ...],
) -> str:
    mode = "on" if approved_only else "off"
    toggle = _button(
        here,
        csrf,
        "Allow any app" if approved_only else "Only approved apps",
        action="approved-only",
        on="no" if approved_only else "yes",
    )
    out = [f"<h2>Apps acting as you</h2><p>Only approved apps: <strong>{mode}</strong> {toggle}</p>"]
    rows = []
    for app in acted:
        name = app["app"]
        state = (
            '<span class="tag bad">blocked</span>'
            if app["blocked"]
            else '<span class="tag good">approved</span>'
            if app["approved"]
            else ""
        )
        buttons = (
            _button(here, csrf, "Unblock", action="unblock", clientId=name)
            if app["blocked"]
            else _button(here, csrf, "Block", action="block", clientId=name)
            + (
                ""
                if app["approved"]
                else " " + _button(here, csrf, "Approve", action="approve", clientId=name)
            )
        )
        rows.append(
            f"<tr><td><code>{escape(name)}</code> {state}</td><td>{escape(app['lastSeen'])}</td>"
            f"<td>{app['requests']}</td><td>{buttons}</td></tr>"
        )
    if rows:
        out.append("<table><tr><th>App</th><th>Last acted as you</th><th>Requests</th><th></th></tr>")
        out.append("".join(rows) + "</table>")
    else:
        out.append("<p>No app has acted as you in this pod (within the log's retention).</p>")
    for title, names, undo in (("Blocked", blocked, "unblock"), ("Approved here", approved, "unapprove")):
        if names:
            items = "".join(
                f"<li><code>{escape(n)}</code> "
                f"{_button(here, csrf, undo.capitalize(), action=undo, clientId=n)}</li>"
                for n in names
            )
            out.append(f"<p>{title}:</p><ul>{items}</ul>")
    content = hidden("action", "block") + (
        '<label for="f-clientId">Block an app by its client_id or origin</label>'
        '<input id="f-clientId" name="clientId" type="text" required>'
    )
    out.append(form(here, csrf, content, "Block app"))
    return "".join(out)


def _grant_rows(grants: list[dict[str, Any]]) -> str:
    rows = []
    for grant in grants:
        about = [
            *(f"{r}" for r in grant["accessTo"]),
            *(f"{r} (and what is in it)" for r in grant["default"]),
        ]
        rows.append(
            f"<li>{escape(', '.join(grant['modes']))} on {escape('; '.join(about))} "
            f"<small>({link(grant['acl'], 'ACL')})</small></li>"
        )
    return "<ul>" + "".join(rows) + "</ul>"


def _grants(here: str, csrf: str, overview: dict[str, Any]) -> str:
    out = ["<h2>Who has access</h2>"]
    rows = []

    def who(label: str, kind: str, iri: str, grants: list[dict[str, Any]], owner: bool = False) -> None:
        if owner:
            actions = '<span class="tag">owner: always keeps read and control</span>'
        else:
            actions = _button(here, csrf, "Revoke everywhere", action="revoke", kind=kind, iri=iri)
            actions += " " + _button(
                here, csrf, "Read only", action="narrow", kind=kind, iri=iri, modes="read"
            )
        rows.append(f"<tr><td>{label}</td><td>{_grant_rows(grants)}</td><td>{actions}</td></tr>")

    for person in overview["people"]:
        who(
            f"Person {link(person['webId'], person['webId'])}",
            "agent",
            person["webId"],
            person["grants"],
            person["owner"],
        )
    for group in overview["groups"]:
        who(f"Group {link(group['group'], group['group'])}", "group", group["group"], group["grants"])
    if overview["public"]:
        who("<strong>Everyone</strong> (public)", "public", "", overview["public"])
    if overview["authenticated"]:
        who("Anyone logged in", "authenticated", "", overview["authenticated"])
    for origin in overview["origins"]:
        rows.append(
            f"<tr><td>Apps at <code>{escape(origin['origin'])}</code></td>"
            f"<td>{_grant_rows(origin['grants'])}</td><td></td></tr>"
        )
    out.append("<table><tr><th>Who</th><th>Grants</th><th></th></tr>" + "".join(rows) + "</table>")
    return "".join(out)


def _log(here: str, request: web.Request, filters: LogFilter, entries: list[LogEntry]) -> str:
    def box(name: str, label: str, value: str) -> str:
        return (
            f'<div><label for="q-{name}">{escape(label)}</label>'
            f'<input id="q-{name}" name="{name}" type="text" value="{escape(value)}"></div>'
        )

    query = {
        k: v
        for k, v in request.query.items()
        if k in ("agent", "app", "resource", "since", "until", "refused")
    }
    checked = " checked" if filters.refused_only else ""
    filter_form = (
        f'<form method="get" action="{escape(here)}" class="filters">'
        + box("agent", "Agent (WebID or public)", filters.agent)
        + box("app", "App", filters.app)
        + box("resource", "Resource contains", filters.resource)
        + box("since", "Since (ISO time)", request.query.get("since", ""))
        + box("until", "Until", request.query.get("until", ""))
        + f'<div><label><input type="checkbox" name="refused" value="yes"{checked}> Refused only'
        + "</label></div>"
        + '<div><button type="submit">Filter</button></div></form>'
    )
    base = here.replace("/dashboard/", "/access-log/")
    downloads = (
        f"<p>Download: {link(base + '?' + urlencode({**query, 'format': 'csv'}), 'CSV')} · "
        f"{link(base + '?' + urlencode({**query, 'format': 'json'}), 'JSON')}</p>"
    )
    rows = []
    for entry in entries:
        css = ' class="refused"' if entry.refused else ""
        rows.append(
            f'<tr{css}><td class="t">{escape(iso_time(entry.time))}</td>'
            f"<td>{escape(entry.agent or 'public')}</td>"
            f"<td>{escape(entry.app or '')}</td><td>{escape(entry.method)}</td>"
            f"<td>{escape(entry.resource)}</td><td>{entry.status}</td></tr>"
        )
    table = (
        "<table><tr><th>Time (UTC)</th><th>Agent</th><th>App</th><th>Method</th>"
        "<th>Resource</th><th>Status</th></tr>" + "".join(rows) + "</table>"
        if rows
        else "<p>No request matches.</p>"
    )
    return "<h2>Access log</h2>" + filter_form + downloads + table
