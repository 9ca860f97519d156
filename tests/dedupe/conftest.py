"""Builders for small sentry-sdk style Python payloads."""

from __future__ import annotations

from typing import Any

import pytest

from protocol import Event, parse_event


def py_frame(module: str, function: str, line: str, lineno: int = 10, in_app: bool = True) -> dict[str, Any]:
    return {"module": module, "function": function, "context_line": f"    {line}", "lineno": lineno,
            "filename": module.replace(".", "/") + ".py", "in_app": in_app}


def py_event(*chain: tuple[str, str, list[dict[str, Any]]], event_id: str = "e1", **extra: Any) -> Event:
    """``chain`` is (type, value, frames outermost first), cause first."""
    values = [{"type": t, "value": v, "stacktrace": {"frames": frames}} for t, v, frames in chain]
    return parse_event({"platform": "python", "exception": {"values": values}, **extra}, event_id=event_id)


@pytest.fixture
def make_event():  # type: ignore[no-untyped-def]
    return py_event
