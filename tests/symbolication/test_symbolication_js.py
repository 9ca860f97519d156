"""JavaScript frames through source maps: positions, names, context, raw frames, failures."""

from __future__ import annotations

import pytest

from protocol import DebugImage, Event, ExceptionValue, Frame
from symbolication import ArtifactRef, load_artifact, needed_artifacts, symbolicate
from tests.symbolication.helpers import BUGSINK, GLITCHTIP, SOURCEMAPS, bundle_files, load_event

DEMO_ID = "00000000-0000-4000-8000-00000000de70"  # demo.js.map has none; the event names one


def _demo_event(columns: list[tuple[int, str]]) -> Event:
    """Frames at symbolic's 0-based demo positions, as an SDK reports them (1-based)."""
    url = "https://example.com/demo.min.js"
    frames = tuple(Frame(function=name, abs_path=url, lineno=1, colno=col + 1) for col, name in columns)
    return Event(
        event_id="d" * 32,
        platform="javascript",
        exceptions=(ExceptionValue(type="Error", value="failed!", frames=frames),),
        debug_images=(DebugImage(type="sourcemap", code_file=url, debug_id=DEMO_ID),),
    )


def test_demo_positions_and_names_via_debug_id() -> None:
    event = _demo_event([(226, "u"), (179, "i"), (107, "e")])
    refs = needed_artifacts(event)
    assert ArtifactRef(kind="source_map", debug_id=DEMO_ID) in refs
    artifacts = {
        ArtifactRef(kind="source_map", debug_id=DEMO_ID): load_artifact("source_map", (SOURCEMAPS / "demo.js.map").read_bytes()),
        ArtifactRef(kind="minified_source", debug_id=DEMO_ID): (SOURCEMAPS / "demo.min.js").read_bytes(),
    }
    result = symbolicate(event, artifacts)
    got = [(f.function, f.filename, f.lineno - 1, f.colno - 1) for f in result.event.exceptions[0].frames]
    assert got == [("test", "test.js", 26, 4), ("invoke", "test.js", 21, 4), ("onFailure", "test.js", 11, 10)]
    top = result.event.exceptions[0].frames[-1]
    assert top.context_line == "    throw new Error('failed!');"
    assert top.pre_context[-1] == "  function onFailure(data) {"
    assert top.raw == event.exceptions[0].frames[-1]
    assert result.missing == () and result.notes == ()


def test_without_minified_source_positions_resolve_and_names_stay() -> None:
    event = _demo_event([(107, "e")])
    view = load_artifact("source_map", (SOURCEMAPS / "demo.js.map").read_bytes())
    (frame,) = symbolicate(event, {ArtifactRef(kind="source_map", debug_id=DEMO_ID): view}).event.exceptions[0].frames
    assert (frame.function, frame.lineno, frame.colno) == ("e", 12, 11)


@pytest.mark.parametrize(
    ("event_file", "bundle", "lines"),
    [
        ("uglifyjs-minified-sourcemaps-in-bundle.json", "51a5a327666cf1d11e23adfd55c3becad27ae769.zip", (15, 11, 7)),
        ("uglifyjs-minified-sourcemaps-in-bundle-multi-file.json", "fc8564966f3dff67e1d59a984f97e0d6beb6debb.zip", (10, 6, 2)),
    ],
)
def test_bugsink_artifact_bundle_events(event_file: str, bundle: str, lines: tuple[int, int, int]) -> None:
    event = load_event(BUGSINK / event_file)
    files = bundle_files(bundle)
    by_id = {}
    for ref in needed_artifacts(event):
        if ref.debug_id:
            suffix = ".min.js.map" if ref.kind == "source_map" else ".min.js"
            by_id[ref] = next(data for url, data in files.items() if url.endswith(suffix))
    result = symbolicate(event, by_id)
    onclick, *mapped = result.event.exceptions[0].frames
    assert onclick.raw is None and onclick.lineno == 1  # index.html: no artifact, left as sent
    assert [(f.function, f.filename, f.lineno) for f in mapped] == [
        ("captureException", "captureException.js", lines[0]),
        ("foo", "captureException.js", lines[1]),
        ("bar", "captureException.js", lines[2]),
    ]
    assert mapped[-1].context_line == '    Sentry.captureException(new Error("Sentry Test Error"));'
    assert [f.raw.colno for f in mapped] == [121, 87, 40]
    assert [r.url for r in result.missing] == [onclick.abs_path or onclick.filename]


def test_url_flow_follows_source_mapping_url_in_two_rounds() -> None:
    event = load_event(GLITCHTIP / "test_data/incoming_events/small_js_error.json")
    first = needed_artifacts(event)
    assert [(r.kind, r.url) for r in first] == [("minified_source", "http://127.0.0.1:8080/dist/bundle.js")]
    assert "~/dist/bundle.js" in first[0].names
    got: dict = {first[0]: (GLITCHTIP / "tests/test_data/bundle.js").read_bytes()}
    second = needed_artifacts(event, got)
    assert [(r.kind, r.url) for r in second] == [("source_map", "http://127.0.0.1:8080/dist/bundle.js.map")]
    got[second[0]] = (GLITCHTIP / "tests/test_data/bundle.js.map").read_bytes()
    assert needed_artifacts(event, got) == ()
    result = symbolicate(event, got)
    frames = result.event.exceptions[0].frames
    assert {f.abs_path for f in frames} == {"webpack://small-js-error-factory/./src/index.ts"}
    assert frames[0].context_line == 'throw Error("The error");'
    assert result.notes == ()


def test_broken_source_map_is_a_note_not_an_exception() -> None:
    event = _demo_event([(107, "e")])
    ref = ArtifactRef(kind="source_map", debug_id=DEMO_ID)
    result = symbolicate(event, {ref: b'{"version":3,"sources":["a.js"],"names":[],"mappings":"!!!"}'})
    assert result.event.exceptions[0].frames == event.exceptions[0].frames
    assert any("unreadable" in n and DEMO_ID in n for n in result.notes)
    assert ref not in result.missing


def test_missing_source_map_is_reported() -> None:
    event = _demo_event([(107, "e")])
    result = symbolicate(event, {})
    assert ArtifactRef(kind="source_map", debug_id=DEMO_ID) in result.missing
    assert result.event == event


def test_wrong_kind_is_a_note() -> None:
    event = _demo_event([(107, "e")])
    proguard = load_artifact("proguard", b"a.B -> c:\n")
    result = symbolicate(event, {ArtifactRef(kind="source_map", debug_id=DEMO_ID): proguard})
    assert any("is a proguard" in n for n in result.notes)
