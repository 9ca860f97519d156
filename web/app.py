"""The web app as one Litestar router: pages, static files and the CSRF check.

Error pages come from the app's exception handlers (``web.errors.html_or``), which also
cover URLs no route matches.

Every module in ``web/pages/`` exports ``ROUTES``; they are all mounted, so a new page module
needs no edit here.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

from litestar import Router
from litestar.static_files import create_static_files_router

import web.pages
from web.session import check_csrf

STATIC = Path(__file__).parent / "static"


def page_modules() -> list[Any]:
    names = sorted(m.name for m in pkgutil.iter_modules(web.pages.__path__))
    return [importlib.import_module(f"web.pages.{name}") for name in names]


def web_routers() -> list[Any]:
    pages = Router(
        path="/",
        route_handlers=[handler for module in page_modules() for handler in module.ROUTES],
        before_request=check_csrf,
        include_in_schema=False,
    )
    static = create_static_files_router(
        path="/static", directories=[STATIC], include_in_schema=False, cache_control=None, name="static"
    )
    return [pages, static]
