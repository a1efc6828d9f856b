"""The owner's JSON (and CSV) endpoints, beside the account API: `{account}/pod/{pod}/access-log/` ...

Like the rest of the account API they take the account cookie or a CSS-Account-Token, and only
the account holding the pod's owner WebID gets an answer.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from pod.errors import BadRequest
from pod.http import conneg
from pod.idp.owned import OwnedPod, owned_pod
from pod.idp.service import SERVICE, AccountService, json_response, read_json
from pod.visibility.app_control import check_client_id
from pod.visibility.csv_export import to_csv
from pod.visibility.revocation import Subject, narrow_everywhere, parse_modes
from pod.visibility.service import (
    LOG_READER,
    VISIBILITY,
    LogFilter,
    entry_json,
    pod_overview,
    settings_json,
)

CSV = "text/csv"


def pod_controls(service: AccountService, account_id: str, pod_id: str) -> dict[str, str]:
    """The URLs of a pod's visibility endpoints (told in the pod resource's answer)."""
    url = service.account_url
    return {
        "accessLog": url(account_id, "pod", pod_id, "access-log"),
        "access": url(account_id, "pod", pod_id, "access"),
        "apps": url(account_id, "pod", pod_id, "apps"),
        "dashboard": url(account_id, "pod", pod_id, "dashboard"),
    }


def _answer(request: web.Request, pod: OwnedPod, body: dict[str, Any]) -> web.Response:
    controls = pod_controls(request.app[SERVICE], pod.account.id, pod.pod_id)
    return json_response({**body, "controls": {"pod": controls}})


async def access_log(request: web.Request) -> web.Response:
    """GET: the pod's log, newest first, filtered (agent, app, resource, since, until, refused,
    limit); as CSV with `?format=csv` or `Accept: text/csv`."""
    pod = await owned_pod(request, to=LOG_READER)
    filters = LogFilter.parse(request.query)
    visibility = request.app[VISIBILITY]
    entries = filters.apply(await visibility.access_log.entries(pod.root))
    wanted = request.query.get("format", "")
    if wanted not in ("", "json", "csv"):
        raise BadRequest("`format` is json or csv")
    accept = conneg.negotiate(conneg.parse_accept(request.headers.get("Accept")), ["application/json", CSV])
    if wanted == "csv" or (not wanted and accept == CSV):
        return web.Response(
            text=to_csv(entries),
            content_type=CSV,
            charset="utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="access-log.csv"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
    body: dict[str, Any] = {"pod": pod.url, "entries": [entry_json(e) for e in entries]}
    if visibility.access_log.dropped:
        body["dropped"] = visibility.access_log.dropped
    return _answer(request, pod, body)


async def access(request: web.Request) -> web.Response:
    """GET: every grant in the pod by whom it is for, and the apps that acted as the owner.
    POST `{kind, iri, modes}`: narrow that subject's grants everywhere to `modes` ([] revokes)."""
    pod = await owned_pod(request, to=LOG_READER)
    visibility = request.app[VISIBILITY]
    if request.method == "POST":
        body = await read_json(request)
        subject = Subject.parse(body.get("kind"), body.get("iri"))
        keep = parse_modes(body.get("modes", []))
        outcome = await narrow_everywhere(
            visibility.resources, visibility.access, pod.root, pod.owner, pod.owners, subject, keep
        )
        return _answer(request, pod, {"changed": outcome.changed})
    return _answer(request, pod, await pod_overview(visibility, pod))


ACTIONS = ("block", "unblock", "approve", "unapprove")


async def apps(request: web.Request) -> web.Response:
    """GET: the pod's app settings; POST `{approvedOnly}` or `{action, clientId}` changes them."""
    pod = await owned_pod(request, to=LOG_READER)
    control = request.app[VISIBILITY].apps
    if request.method == "POST":
        body = await read_json(request)
        if "approvedOnly" in body:
            if not isinstance(body["approvedOnly"], bool):
                raise BadRequest("`approvedOnly` is true or false")
            await control.set_approved_only(pod.root, body["approvedOnly"])
        if "action" in body or "clientId" in body:
            await apply_action(request, pod, body.get("action"), body.get("clientId"))
    return _answer(request, pod, settings_json(await control.settings(pod.root)))


async def apply_action(request: web.Request, pod: OwnedPod, action: object, client_id: object) -> None:
    if action not in ACTIONS:
        raise BadRequest(f"`action` is one of {', '.join(ACTIONS)}")
    control = request.app[VISIBILITY].apps
    client = check_client_id(client_id)
    if action == "block":
        await control.block(pod.root, client)
    elif action == "unblock":
        await control.unblock(pod.root, client)
    elif action == "approve":
        await control.approve(pod.root, client)
    else:
        await control.unapprove(pod.root, client)
