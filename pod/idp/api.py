"""The JSON account API at `/.account/`, in the shape of the Community Solid Server v7 account API.

Every response carries `controls` (the URLs of the other endpoints); account creation and
login return `{"authorization": token}` for `Authorization: CSS-Account-Token <token>`; GET
on an action describes it and lists what exists; resources are deleted with DELETE. See
https://communitysolidserver.github.io/CommunitySolidServer/7.x/usage/account/json-api/
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from pod.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from pod.idp.accounts import Account, ClientCredential
from pod.idp.pod_data import archive_url, usage_json, usage_of
from pod.idp.service import SERVICE, AccountService, json_response, read_json, string_field
from pod.visibility.api import pod_controls

API_VERSION = "0.5"


def controls(service: AccountService, account: Account | None) -> dict[str, Any]:
    """CSS v7 `controls`: public ones always, account ones once logged in."""
    root = service.api_root
    result: dict[str, Any] = {
        "main": {"index": root, "logins": root + "login/"},
        "account": {},
        # `claim` (issue 15): a migrated pod's account taken over with a claim code (pod.idp.claims).
        "password": {"login": root + "login/password/", "claim": root + "login/claim/"},
        "html": {
            "main": {"login": root + "login/"},
            "password": {"login": root + "login/password/", "register": root + "login/password/register/"},
            "account": {},
        },
    }
    if service.registration != "closed":
        result["account"]["create"] = root + "account/"
    if account is not None:
        url = service.account_url
        result["account"].update(
            {
                "account": url(account.id),
                "logout": url(account.id, "logout"),
                "webId": url(account.id, "webid"),
                "pod": url(account.id, "pod"),
                "clientCredentials": url(account.id, "client-credentials"),
            }
        )
        result["password"]["create"] = url(account.id, "login", "password")
        result["html"]["account"] = {
            "account": url(account.id),
            "createPod": url(account.id, "pod"),
            "createClientCredentials": url(account.id, "client-credentials"),
            "linkWebId": url(account.id, "webid"),
        }
        result["html"]["password"]["create"] = url(account.id, "login", "password")
    return result


def _service(request: web.Request) -> AccountService:
    return request.app[SERVICE]


async def _answer(request: web.Request, body: dict[str, Any], account: Account | None) -> web.Response:
    return json_response({**body, "controls": controls(_service(request), account)})


async def _own_account(request: web.Request) -> tuple[AccountService, Account]:
    """The account named in the path, which must be the one the request is logged in as."""
    service = _service(request)
    account = await service.api_account(request)
    if account is None:
        # CSS: the account API answers 401 without a valid account cookie or token.
        raise Unauthorized("log in first: send the account cookie or `Authorization: CSS-Account-Token ...`")
    if account.id != request.match_info["account"]:
        raise Forbidden("this is not the account you are logged in as")
    return service, account


# -- public endpoints ---------------------------------------------------------------------------


async def index(request: web.Request) -> web.Response:
    account = await _service(request).api_account(request)
    return await _answer(request, {"version": API_VERSION}, account)


async def logins(request: web.Request) -> web.Response:
    service = _service(request)
    body = {"logins": {"Email/password combination": service.api_root + "login/password/"}}
    return await _answer(request, body, await service.api_account(request))


async def create_account(request: web.Request) -> web.Response:
    """CSS v7 `controls.account.create`: a new, empty account, logged in."""
    service = _service(request)
    if request.method == "GET":
        return await _answer(request, {}, await service.api_account(request))
    body = await read_json(request)
    await service.check_registration(body.get("invite"))
    account = await service.accounts.create()
    response = await _answer(request, {}, account)
    token = service.sessions.log_in(response, account)
    return await _with_token(request, response, token, account)


async def _with_token(
    request: web.Request, response: web.Response, token: str, account: Account
) -> web.Response:
    answer = json_response({"authorization": token, "controls": controls(_service(request), account)})
    for cookie in response.cookies.values():
        answer.cookies[cookie.key] = cookie
    return answer


async def password_login(request: web.Request) -> web.Response:
    """CSS v7 `controls.password.login`: `{email, password}` → `{authorization}`."""
    service = _service(request)
    if request.method == "GET":
        description = {"email": {"required": True, "type": "string"}, "password": {"required": True}}
        return await _answer(request, {"fields": description}, await service.api_account(request))
    body = await read_json(request)
    account = await service.accounts.verify_password(
        string_field(body, "email"), string_field(body, "password"), address=request.remote or "unknown"
    )
    response = json_response({})
    token = service.sessions.log_in(response, account)
    return await _with_token(request, response, token, account)


# -- account endpoints ----------------------------------------------------------------------


async def account_details(request: web.Request) -> web.Response:
    service, account = await _own_account(request)
    if request.method == "DELETE":
        # Deleting an account deletes its pods: ask for the password, as the dashboard does.
        body = await read_json(request)
        await service.accounts.verify_password(
            account.email, string_field(body, "password"), address=request.remote or "unknown"
        )
        await service.pods.release(account)
        await service.accounts.delete(account.id)
        response = json_response({})
        service.sessions.log_out(response)
        return response
    return await _answer(request, {"id": account.id, "email": account.email}, account)


async def logout(request: web.Request) -> web.Response:
    """CSS v7 `controls.account.logout`: the session (here: every session of the account) ends."""
    service, account = await _own_account(request)
    if request.method == "POST":
        await service.accounts.end_sessions(account.id)
        response = json_response({})
        service.sessions.log_out(response)
        return response
    return await _answer(request, {}, account)


async def password_logins(request: web.Request) -> web.Response:
    """CSS v7 `controls.password.create`: list the login, or add one `{email, password}`."""
    service, account = await _own_account(request)
    if request.method == "POST":
        body = await read_json(request)
        await service.accounts.add_password(
            account.id, string_field(body, "email"), string_field(body, "password")
        )
        login = await service.accounts.password_login_id(account.id)
        assert login is not None
        return await _answer(
            request, {"resource": service.account_url(account.id, "login", "password", login)}, account
        )
    login = await service.accounts.password_login_id(account.id)
    logins = (
        {} if login is None else {account.email: service.account_url(account.id, "login", "password", login)}
    )
    return await _answer(request, {"passwordLogins": logins}, account)


async def password_login_resource(request: web.Request) -> web.Response:
    """One password login: POST `{oldPassword, newPassword}` changes it; it cannot be deleted
    while it is the account's only login."""
    service, account = await _own_account(request)
    if await service.accounts.password_login_id(account.id) != request.match_info["login"]:
        raise NotFound("this account has no such login")
    if request.method == "POST":
        body = await read_json(request)
        await service.accounts.change_password(
            account.id, string_field(body, "oldPassword"), string_field(body, "newPassword")
        )
        return await _answer(request, {}, account)
    if request.method == "DELETE":
        raise Conflict("this is the account's only login: it cannot be removed")
    return await _answer(request, {"email": account.email}, account)


async def pods(request: web.Request) -> web.Response:
    """CSS v7 `controls.account.pod`: list pods, or create one `{name}` →
    `{pod, webId, podResource, webIdResource}`."""
    service, account = await _own_account(request)
    if request.method == "POST":
        body = await read_json(request)
        name = body.get("name")
        if service.pods.single_user:
            name = name if isinstance(name, str) else None
        given = body.get("settings")
        settings: dict[str, Any] = given if isinstance(given, dict) else {}
        if settings.get("webId") is not None:
            raise BadRequest("pods are created with a new WebID in them; `settings.webId` is not supported")
        person = settings.get("name") if isinstance(settings.get("name"), str) else None
        created = await service.pods.create(account, name, person)
        account = await service.accounts.get(account.id) or account
        return await _answer(
            request,
            {
                "pod": created.pod_url,
                "webId": created.webid,
                "podResource": service.account_url(account.id, "pod", created.pod_id),
                "webIdResource": service.account_url(account.id, "webid", created.webid_link),
            },
            account,
        )
    links = await service.accounts.pod_links(account.id)
    listed = {url: service.account_url(account.id, "pod", pod_id) for pod_id, url in links.items()}
    return await _answer(request, {"pods": listed}, account)


async def pod_resource(request: web.Request) -> web.Response:
    """One pod: GET `{baseUrl, owners}` (CSS v7); DELETE deletes it and all it holds."""
    service, account = await _own_account(request)
    pod_id = request.match_info["pod"]
    links = await service.accounts.pod_links(account.id)
    if pod_id not in links:
        raise NotFound("this account has no such pod")
    if request.method == "DELETE":
        await service.pods.delete(account, pod_id)
        return await _answer(request, {}, account)
    base_url = links[pod_id]
    root = service.pods.root_of(base_url)
    owners = sorted(service.pods.storages.owners_of(root))
    # Every owner is advertised with a Link header on the pod root, so all are `visible`.
    body: dict[str, Any] = {"baseUrl": base_url, "owners": [{"webId": w, "visible": True} for w in owners]}
    # Issue 13: the pod's access log, access overview, app control and dashboard.
    body["visibility"] = pod_controls(service, account.id, pod_id)
    # Issue 15: bytes used against the quota, and the pod's archive to download (as `pod export`).
    usage = await usage_of(request, root)
    if usage is not None:
        body["usage"] = usage_json(usage)
    body["archive"] = archive_url(service, account.id, pod_id)
    return await _answer(request, body, account)


async def webids(request: web.Request) -> web.Response:
    """CSS v7 `controls.account.webId`: list the linked WebIDs, or link `{webId}`."""
    service, account = await _own_account(request)
    if request.method == "POST":
        body = await read_json(request)
        webid = string_field(body, "webId")
        if not any(webid.startswith(pod) for pod in account.pods):
            # CSS asks the owner of an outside WebID to add a triple first; not supported here yet.
            raise BadRequest("only WebIDs inside this account's pods can be linked")
        link = await service.accounts.link_webid(account.id, webid)
        return await _answer(request, {"resource": service.account_url(account.id, "webid", link)}, account)
    links = await service.accounts.webid_links(account.id)
    listed = {webid: service.account_url(account.id, "webid", link) for link, webid in links.items()}
    return await _answer(request, {"webIdLinks": listed}, account)


async def webid_resource(request: web.Request) -> web.Response:
    service, account = await _own_account(request)
    link = request.match_info["link"]
    links = await service.accounts.webid_links(account.id)
    if link not in links:
        raise NotFound("this account has no such WebID link")
    if request.method == "DELETE":
        await service.accounts.unlink_webid(account.id, link)
        return await _answer(request, {}, account)
    return await _answer(request, {"webId": links[link]}, account)


async def client_credentials(request: web.Request) -> web.Response:
    """CSS v7 `controls.account.clientCredentials`: list, or create `{name, webId}` →
    `{id, secret, resource}` (the secret is shown this once)."""
    service, account = await _own_account(request)
    if request.method == "POST":
        body = await read_json(request)
        name = string_field(body, "name", required=False)
        credential, secret, resource = await service.accounts.create_client_credential(
            account.id, name, string_field(body, "webId")
        )
        url = service.account_url(account.id, "client-credentials", resource)
        return await _answer(request, {"id": credential.id, "secret": secret, "resource": url}, account)
    listed = {
        credential.id: service.account_url(account.id, "client-credentials", resource)
        for resource, credential in await service.accounts.client_credentials(account.id)
    }
    return await _answer(request, {"clientCredentials": listed}, account)


async def client_credential_resource(request: web.Request) -> web.Response:
    service, account = await _own_account(request)
    resource = request.match_info["credential"]
    owned: dict[str, ClientCredential] = dict(await service.accounts.client_credentials(account.id))
    found = owned.get(resource)
    if found is None:
        raise NotFound("this account has no such client credentials")
    if request.method == "DELETE":
        await service.accounts.delete_client_credential(account.id, resource)
        return await _answer(request, {}, account)
    return await _answer(request, {"id": found.id, "webId": found.webid}, account)
