"""Fixture paths and loaders for the symbolication tests (public data in tests/fixtures)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from protocol import Event, parse_event
from tests.support import FIXTURES

SYMBOLIC = FIXTURES / "symbolic/py/tests/res"
SOURCEMAPS = SYMBOLIC / "sourcemaps"
RUST_MINIDUMP = FIXTURES / "rust-minidump/testdata"
BUGSINK = FIXTURES / "bugsink-event-samples/bugsink"
GLITCHTIP = FIXTURES / "glitchtip-backend/events"


def load_event(path: Path, event_id: str = "e" * 32) -> Event:
    return parse_event(json.loads(path.read_bytes()), event_id=event_id)


def bundle_files(name: str) -> dict[str, bytes]:
    """Files of a Sentry artifact bundle by their manifest URL (``~/captureException.min.js``)."""
    with zipfile.ZipFile(BUGSINK / "artifact_bundles" / name) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        return {entry["url"]: zf.read(path) for path, entry in manifest["files"].items()}
