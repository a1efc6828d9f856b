"""The provider's HTML pages: the consent screen, the logout confirmation and error pages.

Server-rendered, no JavaScript, every value escaped. They may not be framed (clickjacking would
let another site trick a person into approving an app) and are never cached.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from aiohttp import web

from pod.idp.oidc.clients import Client, origin_of

SCOPE_TEXT = {
    "openid": "know that it is you who logs in",
    "webid": "use your WebID to read and write data you have access to, as you",
    "offline_access": "keep access while you are away (until you log out of the app)",
    "profile": "see your WebID",
}
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    # No scripts at all; images (the app's logo) from anywhere; never inside a frame.
    "Content-Security-Policy": "default-src 'none'; img-src https: http:; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'",
    # Not "no-referrer": under it a browser sends `Origin: null` with the consent form, which the
    # cross-site check then refuses (seen in Chromium, tests/interop). "same-origin" still tells other
    # sites nothing (the app's logo, the redirect back to the app).
    "Referrer-Policy": "same-origin",
}
_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}"
    "img.logo{max-width:4rem;max-height:4rem;float:right}"
    "button{font:inherit;padding:.4rem 1rem;margin-right:.5rem}"
    "fieldset{border:1px solid #999;margin:1rem 0}"
)


def _page(title: str, body: str, *, status: int = 200) -> web.Response:
    html = (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )
    return web.Response(status=status, text=html, content_type="text/html", headers=PAGE_HEADERS)


def error_page(title: str, error: str, description: str, *, status: int = 400) -> web.Response:
    """An error the app cannot be told about by redirect (its redirect URI is not trusted)."""
    return _page(
        title,
        f"<h1>{escape(title)}</h1><p>{escape(description)}</p>"
        f"<p>Error code: <code>{escape(error)}</code></p>"
        "<p>Nothing was shared with the app. You can close this page.</p>",
        status=status,
    )


def consent_page(
    *,
    action: str,
    client: Client,
    redirect_uri: str,
    webids: Iterable[str],
    scopes: Iterable[str],
    interaction: str,
    csrf: str,
) -> web.Response:
    name = client.display_name
    logo = f'<img class="logo" src="{escape(client.logo_uri)}" alt="">' if client.logo_uri else ""
    site = (
        f'<p>Its site: <a href="{escape(client.client_uri)}">{escape(client.client_uri)}</a></p>'
        if client.client_uri
        else ""
    )
    webid_list = list(webids)
    if len(webid_list) == 1:
        identity = (
            f"<p>As <strong>{escape(webid_list[0])}</strong></p>"
            f'<input type="hidden" name="webid" value="{escape(webid_list[0])}">'
        )
    else:
        options = "".join(
            f'<div><label><input type="radio" name="webid" value="{escape(webid)}"'
            f"{' checked' if i == 0 else ''}> {escape(webid)}</label></div>"
            for i, webid in enumerate(webid_list)
        )
        identity = f"<fieldset><legend>Log in to the app as</legend>{options}</fieldset>"
    wanted = "".join(f"<li>{escape(SCOPE_TEXT[scope])}</li>" for scope in scopes if scope in SCOPE_TEXT)
    body = (
        f"{logo}<h1>Allow {escape(name)}?</h1>"
        f"<p>The app <strong>{escape(name)}</strong> (<code>{escape(client.client_id)}</code>) "
        "wants to log you in. It will be sent back to "
        f"<strong>{escape(origin_of(redirect_uri))}</strong>.</p>"
        f"{site}<p>It asks to:</p><ul>{wanted}</ul>"
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="interaction" value="{escape(interaction)}">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f"{identity}"
        "<p>Apps you allow can read and write what you can, through your WebID, from their own site. "
        "Your choice is remembered.</p>"
        '<button type="submit" name="decision" value="allow">Allow</button>'
        '<button type="submit" name="decision" value="deny">Deny</button>'
        "</form>"
    )
    return _page(f"Allow {name}?", body)


def logout_page(*, action: str, params: dict[str, str], csrf: str) -> web.Response:
    hidden = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in params.items()
    )
    body = (
        "<h1>Log out?</h1><p>An app asks to end your login on this server.</p>"
        f'<form method="post" action="{escape(action)}">{hidden}'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        '<button type="submit" name="logout" value="yes">Log out</button></form>'
    )
    return _page("Log out?", body)


def logged_out_page() -> web.Response:
    return _page("Logged out", "<h1>You are logged out</h1><p>You can close this page.</p>")
