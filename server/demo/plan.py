"""What the demo shop's users do, per release and environment: one session per step.

Phase 1 sends 1.0.0 and 1.1.0; the coupon crash is then resolved in 1.1.0 (its fix); phase 2
sends 1.2.0, where the coupon crash comes back (a regression) and a new receipt crash appears.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

PROJECT = "shop"
PLATFORM = "python"
RELEASES = ("shop@1.0.0", "shop@1.1.0", "shop@1.2.0")
RESOLVED_KIND, RESOLVED_IN = "coupon_zero", "shop@1.1.0"  # resolved between the phases, regresses in 1.2.0
# when each release's crashes happened (days ago, from -> to), so clusters have a history to chart
DAYS_AGO = {"shop@1.0.0": (14.0, 8.0), "shop@1.1.0": (7.0, 3.0), "shop@1.2.0": (2.0, 0.01)}
RESOLVED_DAYS_AGO = 2.5  # the engineer marked the coupon crash fixed in 1.1.0 before 1.2.0 shipped

# (release, environment): how many sessions do each thing
PHASE_1: dict[tuple[str, str], dict[str, int]] = {
    ("shop@1.0.0", "production"): {"ok": 22, "cart_sku": 5, "coupon_zero": 4, "gateway_timeout": 3},
    ("shop@1.0.0", "staging"): {"ok": 4, "coupon_zero": 1, "search_timeout": 2},
    ("shop@1.1.0", "production"): {"ok": 26, "cart_sku": 3, "gateway_timeout": 2, "profile_age": 3},
    ("shop@1.1.0", "staging"): {"ok": 4, "search_timeout": 2, "profile_age": 1},
}
PHASE_2: dict[tuple[str, str], dict[str, int]] = {
    ("shop@1.2.0", "production"): {"ok": 24, "cart_sku": 2, "coupon_zero": 2, "receipt_none": 3, "gateway_timeout": 1},
    ("shop@1.2.0", "staging"): {"ok": 3, "receipt_none": 1, "search_timeout": 1},
}

# exception type and message start of each crash, to find its cluster by title
TITLES = {
    "cart_sku": "KeyError",
    "coupon_zero": "ZeroDivisionError",
    "gateway_timeout": "PaymentGatewayTimeoutError",
    "profile_age": "ValueError",
    "receipt_none": "AttributeError",
    "search_timeout": "TimeoutError",
}

USERS = [
    {"id": "u-1001", "username": "alice.m", "locale": "en"}, {"id": "u-1002", "username": "bob.k", "locale": "en"},
    {"id": "u-1003", "username": "chen.wei", "locale": "zh"}, {"id": "u-1004", "username": "li.na", "locale": "zh"},
    {"id": "u-1005", "username": "dmitri.p", "locale": "en"}, {"id": "u-1006", "username": "wang.fang", "locale": "zh"},
    {"id": "u-1007", "username": "sara.o", "locale": "en"}, {"id": "u-1008", "username": "zhang.min", "locale": "zh"},
    {"id": "u-1009", "username": "tom.r", "locale": "en"}, {"id": "u-1010", "username": "liu.yang", "locale": "zh"},
    {"id": "u-1011", "username": "emma.j", "locale": "en"}, {"id": "u-1012", "username": "zhao.lei", "locale": "zh"},
]


def sender_plans(phase: dict[tuple[str, str], dict[str, int]], dsn: str, now: dt.datetime) -> list[dict[str, Any]]:
    """One sender input per (release, environment): steps shuffled the same way every run, spread over the
    release's days (``at``: the step's Unix time)."""
    plans = []
    for (release, environment), counts in phase.items():
        rng = random.Random(f"{release}/{environment}")
        kinds = [kind for kind, count in counts.items() for _ in range(count)]
        rng.shuffle(kinds)
        start, end = (now - dt.timedelta(days=d) for d in DAYS_AGO[release])
        span = (end - start).total_seconds()
        steps = [{"kind": kind, "user": rng.choice(USERS), "n": n,
                  "at": start.timestamp() + span * (n + rng.random()) / len(kinds)} for n, kind in enumerate(kinds)]
        plans.append({"dsn": dsn, "release": release, "environment": environment, "steps": steps})
    return plans


def sessions() -> int:
    return sum(n for phase in (PHASE_1, PHASE_2) for counts in phase.values() for n in counts.values())
