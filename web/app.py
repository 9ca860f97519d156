"""The web app as one Litestar router: pages, static files and the CSRF check.

Error pages come from the app's exception handlers (``web.errors.html_or``), which also
cover URLs no route matches.

Page modules each export ``ROUTES``; adding a page module means adding it to ``PAGE_MODULES``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Router
from litestar.static_files import create_static_files_router

from web.pages import account, org
from web.session import check_csrf

STATIC = Path(__file__).parent / "static"
PAGE_MODULES: list[Any] = [account, org]


def web_routers() -> list[Any]:
    pages = Router(
        path="/",
        route_handlers=[handler for module in PAGE_MODULES for handler in module.ROUTES],
        before_request=check_csrf,
        include_in_schema=False,
    )
    static = create_static_files_router(
        path="/static", directories=[STATIC], include_in_schema=False, cache_control=None, name="static"
    )
    return [pages, static]
