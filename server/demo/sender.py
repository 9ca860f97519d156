"""Run the demo shop as its users would, reporting with the real sentry-sdk (a separate process).

Reads ``{"dsn", "release", "environment", "steps": [{"kind", "user", "n", "at"}]}`` on stdin. Each step
is one user session (release health) doing one thing; crashes are captured as unhandled (the
session crashes), handled errors with ``capture_exception`` (the session is errored). Prints
``{"events": N, "traces": {kind: traceback text}}``: what a customer would paste in a ticket.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import traceback
from collections.abc import Callable
from typing import Any

import sentry_sdk
from sentry_sdk.utils import event_from_exception
from shop import accounts, cart, payments, search  # this folder is sys.path[0] when run as a script

CATALOGUE = [{"sku": "MUG-01", "name": "Enamel mug", "price": 12.5}, {"sku": "TEE-07", "name": "Logo tee", "price": 19.0}]


def browse(n: int) -> None:
    basket: list[dict[str, Any]] = []
    cart.add_item(basket, CATALOGUE[n % 2], quantity=1 + n % 3)
    cart.apply_coupon(basket, 500)
    payments.charge(f"o{n}", cart.subtotal(basket), gateway_seconds=0.4)


def cart_sku(n: int) -> None:
    cart.add_item([], {"name": "Gift card (imported)", "price": 25.0}, quantity=1)


def coupon_zero(n: int) -> None:
    cart.apply_coupon([], 500 + n)


def gateway_timeout(n: int) -> None:
    payments.charge(f"o{1000 + n}", 31.5, gateway_seconds=7.5)


def profile_age(n: int) -> None:
    accounts.update_profile({"name": "Mei"}, {"name": "Mei", "age": ["3O", "4O", "twenty"][n % 3]})


def receipt_none(n: int) -> None:
    accounts.send_receipt({}, f"guest-{n}", f"o{2000 + n}")


def search_timeout(n: int) -> None:
    search.query(["blue mug", "蓝色杯子", "tee xl"][n % 3], backend_seconds=3.2)


STEPS: dict[str, Callable[[int], None]] = {
    "ok": browse, "cart_sku": cart_sku, "coupon_zero": coupon_zero, "gateway_timeout": gateway_timeout,
    "profile_age": profile_age, "receipt_none": receipt_none, "search_timeout": search_timeout,
}
HANDLED = {"gateway_timeout", "search_timeout"}  # the app catches these and shows an error page
WHEN: list[dt.datetime] = []  # the time the running step happened (the plan spreads steps over days)


def dated(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """``before_send``: the event, and its breadcrumbs just before it, at the step's planned time."""
    if WHEN:  # serialised already: RFC 3339 strings, as the SDK writes them
        event["timestamp"] = WHEN[-1].isoformat()
        crumbs = (event.get("breadcrumbs") or {}).get("values") or []
        for back, crumb in enumerate(reversed(crumbs), 1):
            crumb["timestamp"] = (WHEN[-1] - dt.timedelta(seconds=3 * back)).isoformat()
    return event


def run_step(kind: str, user: dict[str, str], n: int, at: float, traces: dict[str, str]) -> str | None:
    WHEN.append(dt.datetime.fromtimestamp(at, dt.UTC))
    scope = sentry_sdk.get_isolation_scope()
    sentry_sdk.set_user(user)
    sentry_sdk.set_tag("locale", user.get("locale", "en"))
    sentry_sdk.set_tag("payment_method", ["card", "paypal", "invoice"][n % 3])
    scope.start_session(session_mode="application")
    sentry_sdk.add_breadcrumb(category="navigation", message="/products", level="info")
    sentry_sdk.add_breadcrumb(category="ui.click", message=f"add to cart ({CATALOGUE[n % 2]['sku']})", level="info")
    sentry_sdk.add_breadcrumb(category="http", data={"method": "POST", "url": "/api/cart", "status_code": 200}, level="info")
    event_id = None
    try:
        STEPS[kind](n)
    except Exception as exc:
        traces.setdefault(kind, "".join(traceback.format_exception(exc)))
        if kind in HANDLED:
            event_id = sentry_sdk.capture_exception(exc)
        else:
            event, hint = event_from_exception(exc, client_options=sentry_sdk.get_client().options,
                                               mechanism={"type": "wsgi", "handled": False})
            event_id = sentry_sdk.capture_event(event, hint=hint)
    finally:
        scope.end_session()
        scope.clear_breadcrumbs()
    return event_id


def main() -> None:
    plan = json.load(sys.stdin)
    sentry_sdk.init(dsn=plan["dsn"], release=plan["release"], environment=plan["environment"],
                    default_integrations=False, in_app_include=["shop"], server_name=f"shop-{plan['environment']}-1",
                    max_breadcrumbs=20, before_send=dated)
    traces: dict[str, str] = {}
    events = sum(1 for step in plan["steps"] if run_step(step["kind"], step["user"], step["n"], step["at"], traces))
    sentry_sdk.flush(timeout=20)
    print(json.dumps({"events": events, "traces": traces}))


if __name__ == "__main__":
    main()
