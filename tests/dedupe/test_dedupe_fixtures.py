"""Recorded payloads from other projects: cross-browser JS, native minidump groups, SDK samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dedupe import group_event
from protocol import parse_event
from tests.support import FIXTURES

SAMPLES = FIXTURES / "bugsink-event-samples"
SENTRY = SAMPLES / "sentry"


def grouping_of(path: Path):  # type: ignore[no-untyped-def]
    return group_event(parse_event(json.loads(path.read_text()), event_id=path.stem))


def test_the_same_error_from_chrome_firefox_safari_and_edge_groups_together() -> None:
    """Served from file:// and from http://host/, by four engines: one bug, one group."""
    names = ["chrome", "firefox", "safari", "edge", "http-chrome", "http-firefox", "http-safari", "http-edge"]
    hashes = {n: grouping_of(SENTRY / f"javascript-xbrowser-{n}.json").hashes[0] for n in names}
    assert len(set(hashes.values())) == 1, hashes


NATIVE = sorted(SENTRY.glob("group_*_event_*.json"))


@pytest.mark.parametrize("path", NATIVE, ids=lambda p: p.stem)
def test_native_minidump_events_group_on_system_frames_without_crash_machinery(path: Path) -> None:
    g = grouping_of(path)
    assert g.signature.frames, "unsymbolicated or system-only stacks must still give frames"
    assert not {"abort", "raise", "__pthread_kill", "std::terminate"} & set(g.signature.frames[:1])
    assert not any(f.startswith("crashpad::") for f in g.signature.frames)


def test_native_groups_that_differ_in_sentry_differ_here() -> None:
    by_group: dict[str, set[str]] = {}
    for path in NATIVE:
        by_group.setdefault(path.stem.split("_")[1], set()).update(grouping_of(path).hashes)
    groups = list(by_group.values())
    for i, a in enumerate(groups):
        for b in groups[i + 1 :]:
            assert not a & b


ALL = sorted(p for p in SAMPLES.rglob("*.json") if p.stat().st_size < 2_000_000)


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(SAMPLES)))
def test_every_sample_payload_groups_without_failing(path: Path) -> None:
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(payload, dict), "every sample is an event object"
    g = group_event(parse_event(payload, event_id=path.stem))
    assert g.hashes and all(len(h) == 32 for h in g.hashes)
    assert g.title
