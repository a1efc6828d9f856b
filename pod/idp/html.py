"""Server-rendered HTML for the account pages: one layout, form fields with labels, everything escaped."""

from __future__ import annotations

from html import escape

from aiohttp import web

STYLE = """
body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-top:1px solid #ddd;padding-top:1rem}
label{display:block;margin:.6rem 0 .2rem;font-weight:600}
input[type=text],input[type=email],input[type=password],select{width:100%;padding:.4rem;box-sizing:border-box}
button{margin-top:.8rem;padding:.4rem 1rem}
.error{background:#fde8e8;border:1px solid #c00;padding:.6rem}
.notice{background:#e8f5e9;border:1px solid #2e7d32;padding:.6rem}
code{background:#f3f3f3;padding:0 .2rem;word-break:break-all}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem;border-bottom:1px solid #eee}
form.inline{display:inline;margin:0}form.inline button{margin:0}
"""


def page(title: str, body: str, *, status: int = 200) -> web.Response:
    """A whole page; `body` is HTML built with the helpers below (values already escaped)."""
    document = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )
    return web.Response(
        status=status,
        text=document,
        content_type="text/html",
        headers={
            "Cache-Control": "no-store",
            # The pages never need scripts or framing: say so, so an injection could do nothing.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
            "frame-ancestors 'none'",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",
        },
    )


def message(text: str | None, *, error: bool = False) -> str:
    if not text:
        return ""
    role = 'role="alert" class="error"' if error else 'role="status" class="notice"'
    return f"<p {role}>{escape(text)}</p>"


def field(
    name: str,
    label: str,
    *,
    kind: str = "text",
    value: str = "",
    autocomplete: str = "",
    required: bool = True,
) -> str:
    ident = "f-" + name
    extra = f' autocomplete="{escape(autocomplete)}"' if autocomplete else ""
    extra += " required" if required else ""
    return (
        f'<label for="{ident}">{escape(label)}</label>'
        f'<input id="{ident}" name="{escape(name)}" type="{kind}" value="{escape(value)}"{extra}>'
    )


def hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'


def form(action: str, csrf: str, content: str, button: str, *, inline: bool = False) -> str:
    css = ' class="inline"' if inline else ""
    return (
        f'<form method="post" action="{escape(action)}"{css}>{hidden("csrf", csrf)}{content}'
        f'<button type="submit">{escape(button)}</button></form>'
    )


def link(url: str, text: str) -> str:
    return f'<a href="{escape(url)}">{escape(text)}</a>'
