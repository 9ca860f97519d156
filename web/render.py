"""Pages from jinja2 templates: autoescaped, translated, with the CSRF token and the viewer in reach.

Every template gets ``_`` (the locale's translator), ``viewer`` (or None), ``org`` (the
membership of the page's organization, when it has one), ``csrf`` and ``csrf_field()``.
Anything marked safe must be made safe where it is built (``web.svg``, the markdown sanitiser).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import jinja2
from litestar import Request, Response
from markupsafe import Markup

from web import i18n

TEMPLATES = Path(__file__).parent / "templates"
CSRF_COOKIE = "crashdesk_csrf"  # double-submit token for forms shown before sign-in
FLASH_COOKIE = "crashdesk_flash"

ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    extensions=["jinja2.ext.i18n"],
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)


def _qs(**params: Any) -> str:
    """A query string of the non-empty ``params`` (for filter links that keep the other filters)."""
    kept = [(k, v) for k, v in params.items() if v not in (None, "", False)]
    return "?" + "&".join(f"{quote(str(k))}={quote(str(v))}" for k, v in kept) if kept else ""


ENV.globals["qs"] = _qs


def locale_of(request: Request[Any, Any, Any]) -> str:
    return i18n.choose(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))


def csrf_token(request: Request[Any, Any, Any]) -> tuple[str, bool]:
    """(token, whether it is new and must be set as the anonymous cookie)."""
    viewer = getattr(request.state, "viewer", None)
    if viewer is not None:
        return viewer.csrf, False
    existing = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(existing) <= 100:
        return existing, False
    return secrets.token_urlsafe(32), True


def render(request: Request[Any, Any, Any], template: str, *, status: int = 200, **context: Any) -> Response[str]:
    locale = locale_of(request)
    gettext = i18n.translator(locale)
    token, new_token = csrf_token(request)
    flash = unquote(request.cookies.get(FLASH_COOKIE) or "") or None  # percent-encoded: see redirect()
    values = {
        "_": gettext,
        "gettext": gettext,
        "ngettext": lambda s, p, n, **kw: gettext(s if n == 1 else p, n=n, **kw),
        "locale": locale,
        "locales": i18n.LOCALES,
        "viewer": getattr(request.state, "viewer", None),
        "org": getattr(request.state, "membership", None),
        "csrf": token,
        "csrf_field": lambda: Markup('<input type="hidden" name="_csrf" value="{}">').format(token),
        "path": request.url.path,
        "full_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "flash": flash,
    }
    values.update(context)
    html = ENV.get_template(template).render(values)
    response: Response[str] = Response(html, status_code=status, media_type="text/html; charset=utf-8")
    response.headers.update(SECURITY_HEADERS)
    if new_token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies(request), path="/")
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


# No inline scripts and no third-party origins anywhere, so the policy can be strict: an
# injected <script> or event handler would not run even if escaping ever failed.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none';"
        " base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def secure_cookies(request: Request[Any, Any, Any]) -> bool:
    """Cookies get ``Secure`` when the service's public URL is https."""
    public = str(getattr(request.app.state, "public_url", "") or "")
    return public.startswith("https://")


def redirect(request: Request[Any, Any, Any], location: str, *, flash: str | None = None) -> Response[str]:
    """303 to ``location`` (htmx gets ``HX-Redirect``), with an optional message for the next page."""
    headers = {"Location": location}
    if request.headers.get("hx-request"):
        headers = {"HX-Redirect": location}
    response: Response[str] = Response(
        "", status_code=200 if "HX-Redirect" in headers else 303, headers=headers, media_type="text/html; charset=utf-8"
    )
    if flash:  # percent-encoded: a cookie header is latin-1, and a Chinese message raised a 500 there
        response.set_cookie(FLASH_COOKIE, quote(flash[:300]), httponly=True, samesite="lax", secure=secure_cookies(request), path="/")
    return response


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: never ``//host`` or ``https://host`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or "\n" in target:
        return default
    return target
