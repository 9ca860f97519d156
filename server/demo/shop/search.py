"""Product search, backed by a search service that is slow on staging."""

from __future__ import annotations


def query(text: str, *, backend_seconds: float) -> list[str]:
    if backend_seconds > 2.0:
        raise TimeoutError(f"search backend timed out after 2.0s for {text!r}")
    return [f"product matching {text}"]
