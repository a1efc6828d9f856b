"""The account pages for people: sign up, log in, log out and the dashboard. No JavaScript needed.

Every form POST carries a CSRF token bound to the session (or, before login, to a pre-session
cookie); a POST without the right one is refused with 403 and changes nothing.
"""

from __future__ import annotations

from html import escape

from aiohttp import web
from multidict import MultiDictProxy

from pod.errors import BadRequest, Forbidden, PayloadTooLarge, PodError
from pod.idp import api
from pod.idp.accounts import Account
from pod.idp.html import field, form, hidden, link, message, page
from pod.idp.pod_data import archive_url, usage_of, usage_text
from pod.idp.service import SERVICE, AccountService, is_form, wants_html

MAX_FORM = 64 * 1024
Form = MultiDictProxy[str | bytes | bytearray | web.FileField]


def _service(request: web.Request) -> AccountService:
    return request.app[SERVICE]


async def _form(request: web.Request) -> Form:
    if request.content_length is None or request.content_length > MAX_FORM:
        raise PayloadTooLarge(f"forms are limited to {MAX_FORM} bytes")
    data = await request.post()
    if not _service(request).sessions.csrf_ok(request, _text(data, "csrf")):
        raise Forbidden("the form's security token is missing or stale: reload the page and try again")
    return data


def _text(data: Form, name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


def _redirect(url: str) -> web.Response:
    # 303: after a POST, the browser fetches the next page with GET.
    return web.Response(status=303, headers={"Location": url, "Cache-Control": "no-store"})


def _error_page(request: web.Request, error: PodError) -> web.Response:
    back = link(_service(request).api_root, "Back to your account")
    return page(error.title, message(error.detail, error=True) + f"<p>{back}</p>", status=error.status)


# -- index and login ----------------------------------------------------------------------------


async def index(request: web.Request) -> web.StreamResponse:
    if not wants_html(request):
        return await api.index(request)
    service = _service(request)
    account = await service.sessions.account_of(request)
    if account is None:
        return _redirect(service.sessions.login_url())
    return _redirect(service.account_url(account.id))


async def logins(request: web.Request) -> web.StreamResponse:
    if not wants_html(request):
        return await api.logins(request)
    return _redirect(_service(request).sessions.login_url(request.query.get("returnTo")))


def _login_page(
    request: web.Request, response: web.Response, return_to: str | None, *, error: str = "", email: str = ""
) -> web.Response:
    service = _service(request)
    csrf = service.sessions.csrf_token(request, response)
    content = field("email", "Email address", kind="email", value=email, autocomplete="username")
    content += field("password", "Password", kind="password", autocomplete="current-password")
    if return_to:
        content += hidden("returnTo", return_to)
    register = service.api_root + "login/password/register/"
    if return_to:
        register += "?" + "returnTo=" + escape(return_to, quote=True)
    signup = (
        f"<p>No account yet? {link(register, 'Sign up')}.</p>" if service.registration != "closed" else ""
    )
    body = (
        message(error, error=True)
        + form(service.api_root + "login/password/", csrf, content, "Log in")
        + signup
    )
    rendered = page("Log in", body, status=response.status)
    for cookie in response.cookies.values():
        rendered.cookies[cookie.key] = cookie
    return rendered


async def password_login(request: web.Request) -> web.StreamResponse:
    """GET: the login page (HTML) or the API description; POST: a form login or the JSON API."""
    service = _service(request)
    if request.method == "POST" and not is_form(request):
        return await api.password_login(request)
    if request.method == "GET" and not wants_html(request):
        return await api.password_login(request)
    return_to = service.sessions.safe_return_to(request.query.get("returnTo"))
    if request.method == "GET":
        return _login_page(request, web.Response(), return_to)
    try:
        data = await _form(request)
    except PodError as error:
        return _error_page(request, error)
    return_to = service.sessions.safe_return_to(_text(data, "returnTo"))
    email = _text(data, "email")
    try:
        account = await service.accounts.verify_password(
            email, _text(data, "password"), address=request.remote or "unknown"
        )
    except PodError as error:
        failed = web.Response(status=error.status, headers=error.headers)
        return _login_page(request, failed, return_to, error=error.detail, email=email)
    # Only URLs under this server's base URL: never an open redirect.
    response = _redirect(return_to or service.account_url(account.id))
    service.sessions.log_in(response, account)
    return response


# -- sign-up ------------------------------------------------------------------------------------


def _register_page(
    request: web.Request,
    response: web.Response,
    return_to: str | None,
    *,
    error: str = "",
    values: Form | None = None,
) -> web.Response:
    service = _service(request)
    csrf = service.sessions.csrf_token(request, response)

    def given(name: str) -> str:
        return _text(values, name) if values is not None else ""

    content = field("email", "Email address", kind="email", value=given("email"), autocomplete="username")
    content += field(
        "password", "Password (at least 8 characters)", kind="password", autocomplete="new-password"
    )
    content += field("confirm", "Password again", kind="password", autocomplete="new-password")
    if not service.pods.single_user:
        content += field("podName", "Pod name (lower-case letters, digits, hyphens)", value=given("podName"))
    content += field("name", "Your name (optional)", value=given("name"), required=False)
    if service.registration == "invite":
        content += field("invite", "Invitation code", value=given("invite"))
    if return_to:
        content += hidden("returnTo", return_to)
    body = message(error, error=True)
    if service.registration == "closed":
        body += message("Registration is closed on this server.", error=True)
    else:
        body += form(service.api_root + "login/password/register/", csrf, content, "Sign up")
    body += f"<p>Have an account? {link(service.sessions.login_url(return_to), 'Log in')}.</p>"
    rendered = page("Sign up", body, status=response.status)
    for cookie in response.cookies.values():
        rendered.cookies[cookie.key] = cookie
    return rendered


async def register(request: web.Request) -> web.StreamResponse:
    """The sign-up page: an account, its password login and its pod, in one form."""
    service = _service(request)
    return_to = service.sessions.safe_return_to(request.query.get("returnTo"))
    if request.method == "GET":
        return _register_page(request, web.Response(), return_to)
    try:
        data = await _form(request)
    except PodError as error:
        return _error_page(request, error)
    return_to = service.sessions.safe_return_to(_text(data, "returnTo"))
    account: Account | None = None
    try:
        if _text(data, "password") != _text(data, "confirm"):
            raise BadRequest("the two passwords differ")
        if await service.accounts.by_email(_text(data, "email")) is not None:
            raise BadRequest("there is an account with this email address already")
        pod_name = None if service.pods.single_user else _text(data, "podName")
        service.pods.layout(pod_name)  # a bad name is refused before anything is created
        await service.check_registration(_text(data, "invite"))
        account = await service.accounts.create()
        await service.accounts.add_password(account.id, _text(data, "email"), _text(data, "password"))
        await service.pods.create(account, pod_name, _text(data, "name").strip() or None)
    except PodError as error:
        if account is not None:  # nothing half-made: no account without its login and pod
            await service.accounts.delete(account.id)
        failed = web.Response(status=error.status)
        return _register_page(request, failed, return_to, error=error.detail, values=data)
    response = _redirect(return_to or service.account_url(account.id))
    service.sessions.log_in(response, account)
    return response


# -- logout -------------------------------------------------------------------------------------


async def logout_page(request: web.Request) -> web.StreamResponse:
    service = _service(request)
    account = await service.sessions.account_of(request)
    if request.method == "GET":
        response = web.Response()
        csrf = service.sessions.csrf_token(request, response)
        if account is None:
            body = f"<p>You are not logged in. {link(service.sessions.login_url(), 'Log in')}.</p>"
        else:
            body = f"<p>Logged in as {escape(account.email)}.</p>" + form(
                service.api_root + "logout/", csrf, "", "Log out"
            )
        rendered = page("Log out", body)
        for cookie in response.cookies.values():
            rendered.cookies[cookie.key] = cookie
        return rendered
    try:
        await _form(request)
    except PodError as error:
        return _error_page(request, error)
    response = _redirect(service.sessions.login_url())
    if account is not None:
        await service.accounts.end_sessions(account.id)
    service.sessions.log_out(response)
    return response


# -- dashboard ----------------------------------------------------------------------------------


async def account(request: web.Request) -> web.StreamResponse:
    """The dashboard (HTML) or the account's details (JSON; DELETE deletes the account)."""
    if request.method == "DELETE" or (request.method == "GET" and not wants_html(request)):
        return await api.account_details(request)
    if request.method == "POST" and not is_form(request):
        raise BadRequest("the dashboard takes form posts; the JSON API is at the `controls` URLs")
    service = _service(request)
    current = await service.sessions.account_of(request)
    if current is None:
        return _redirect(service.sessions.login_url(str(request.url.relative())))
    if current.id != request.match_info["account"]:
        return _error_page(request, Forbidden("this is not the account you are logged in as"))
    if request.method == "GET":
        return await _dashboard(request, current)
    try:
        data = await _form(request)
    except PodError as error:
        return _error_page(request, error)
    return await _dashboard_action(request, current, data)


async def _dashboard_action(request: web.Request, current: Account, data: Form) -> web.StreamResponse:
    service = _service(request)
    action = _text(data, "action")
    try:
        if action == "create-pod":
            created = await service.pods.create(current, _text(data, "podName") or None)
            notice = f"Created the pod {created.pod_url} with the WebID {created.webid}."
        elif action == "create-credential":
            credential, secret, _ = await service.accounts.create_client_credential(
                current.id, _text(data, "name"), _text(data, "webId")
            )
            secret_html = (
                '<p role="status" class="notice">New client credentials (the secret is shown only now):'
                f"<br>id: <code>{escape(credential.id)}</code><br>secret: <code>{escape(secret)}</code></p>"
            )
            return await _dashboard(request, current, extra=secret_html)
        elif action == "delete-credential":
            await service.accounts.delete_client_credential(current.id, _text(data, "resource"))
            notice = "Deleted the client credentials."
        elif action == "change-password":
            if _text(data, "newPassword") != _text(data, "confirm"):
                raise BadRequest("the two new passwords differ")
            await service.accounts.change_password(
                current.id, _text(data, "oldPassword"), _text(data, "newPassword")
            )
            refreshed = await service.accounts.get(current.id) or current
            response = await _dashboard(request, refreshed, notice="Changed the password.")
            # Changing the password ends every session, this one too: start a fresh one.
            service.sessions.log_in(response, refreshed)
            return response
        elif action == "delete-account":
            await service.accounts.verify_password(
                current.email, _text(data, "password"), address=request.remote or "unknown"
            )
            await service.pods.release(current)
            await service.accounts.delete(current.id)
            response = page("Account deleted", message("Your account and its pods are deleted."))
            service.sessions.log_out(response)
            return response
        else:
            raise BadRequest(f"unknown action {action[:40]!r}")
    except PodError as error:
        return await _dashboard(request, current, error=error.detail, status=error.status)
    refreshed = await service.accounts.get(current.id) or current
    return await _dashboard(request, refreshed, notice=notice)


async def _dashboard(
    request: web.Request,
    current: Account,
    *,
    notice: str = "",
    error: str = "",
    extra: str = "",
    status: int = 200,
) -> web.Response:
    service = _service(request)
    response = web.Response()
    csrf = service.sessions.csrf_token(request, response)
    here = service.account_url(current.id)
    parts = [message(error, error=True), message(notice), extra]
    parts.append(
        f"<p>Logged in as <strong>{escape(current.email)}</strong>. "
        f"{link(service.api_root + 'logout/', 'Log out')}</p>"
    )

    parts.append("<h2>Pods</h2>")
    # Issue 13: each pod links to its page of who uses it (pod.visibility.dashboard).
    pod_ids = {url: pod_id for pod_id, url in (await service.accounts.pod_links(current.id)).items()}
    pods = ""
    for url in current.pods:
        pod_id = pod_ids.get(url, "")
        # Issue 15: the pod's usage against its quota, and its archive (what `pod export` writes).
        usage = await usage_of(request, service.pods.root_of(url))
        used = f" · {escape(usage_text(usage))}" if usage is not None else ""
        pods += (
            f"<li>{link(url, url)}{used} · "
            f"{link(service.account_url(current.id, 'pod', pod_id, 'dashboard'), 'who uses it')} · "
            f"{link(archive_url(service, current.id, pod_id), 'download an archive')}</li>"
        )
    parts.append(f"<ul>{pods}</ul>" if pods else "<p>No pod yet.</p>")
    if not service.pods.single_user or not current.pods:
        content = hidden("action", "create-pod")
        if not service.pods.single_user:
            content += field("podName", "New pod name")
        parts.append(form(here, csrf, content, "Create pod"))

    parts.append("<h2>WebIDs</h2>")
    webids = "".join(f"<li>{link(webid, webid)}</li>" for webid in current.webids)
    parts.append(f"<ul>{webids}</ul>" if webids else "<p>No WebID yet: create a pod.</p>")

    parts.append("<h2>Client credentials</h2>")
    rows = ""
    for resource, credential in await service.accounts.client_credentials(current.id):
        delete = form(
            here,
            csrf,
            hidden("action", "delete-credential") + hidden("resource", resource),
            "Delete",
            inline=True,
        )
        rows += (
            f"<tr><td><code>{escape(credential.id)}</code></td>"
            f"<td>{escape(credential.webid)}</td><td>{delete}</td></tr>"
        )
    if rows:
        parts.append(f"<table><tr><th>Client id</th><th>WebID</th><th></th></tr>{rows}</table>")
    if current.webids:
        options = "".join(f'<option value="{escape(w)}">{escape(w)}</option>' for w in current.webids)
        content = hidden("action", "create-credential") + field("name", "Name", required=False)
        content += (
            '<label for="f-webId">Acting as WebID</label>'
            f'<select id="f-webId" name="webId">{options}</select>'
        )
        parts.append(form(here, csrf, content, "Create client credentials"))

    parts.append("<h2>Change password</h2>")
    content = hidden("action", "change-password")
    content += field("oldPassword", "Current password", kind="password", autocomplete="current-password")
    content += field("newPassword", "New password", kind="password", autocomplete="new-password")
    content += field("confirm", "New password again", kind="password", autocomplete="new-password")
    parts.append(form(here, csrf, content, "Change password"))

    parts.append(
        "<h2>Delete account</h2><p>This deletes the account and its pods, with everything in them.</p>"
    )
    content = hidden("action", "delete-account")
    content += field(
        "password", "Your password, to confirm", kind="password", autocomplete="current-password"
    )
    parts.append(form(here, csrf, content, "Delete my account"))

    rendered = page("Your account", "".join(parts), status=status)
    for cookie in response.cookies.values():
        rendered.cookies[cookie.key] = cookie
    return rendered
