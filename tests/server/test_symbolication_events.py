"""Events symbolicated end to end by a running server: JS bundles, ProGuard, minidumps, late uploads."""

from __future__ import annotations

import asyncio
import json
import uuid
import zipfile

import asyncpg
import httpx
import pytest

from tests.conftest import Project
from tests.server.symbolication_support import (
    BUGSINK,
    SYMBOLIC,
    TEST_APP_DEBUG_ID,
    TEST_APP_SYM,
    TEST_DMP,
    api,
    cli_json,
    frames,
    post_minidump,
    processed,
    store,
    upload_api,
    upload_cli,
)

BUNDLES = {
    "uglifyjs-minified-sourcemaps-in-bundle.json": ("51a5a327666cf1d11e23adfd55c3becad27ae769.zip", (15, 11, 7)),
    "uglifyjs-minified-sourcemaps-in-bundle-multi-file.json": ("fc8564966f3dff67e1d59a984f97e0d6beb6debb.zip", (10, 6, 2)),
}


def _bundle(name: str) -> dict[str, bytes]:
    """Files of a Sentry artifact bundle by their manifest URL (``~/captureException.min.js``)."""
    with zipfile.ZipFile(BUGSINK / "artifact_bundles" / name) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        return {entry["url"]: zf.read(path) for path, entry in manifest["files"].items()}


def _bugsink_event(name: str, *, debug_ids: bool) -> dict:
    event = json.loads((BUGSINK / name).read_bytes())
    if not debug_ids:
        del event["debug_meta"]  # found by release and file name instead
    return event


def _assert_bundle_frames(event: dict, lines: tuple[int, int, int]) -> None:
    onclick, *mapped = frames(event)
    assert "raw" not in onclick and onclick["lineno"] == 1
    assert [(f["function"], f["filename"], f["lineno"]) for f in mapped] == [
        ("captureException", "captureException.js", lines[0]),
        ("foo", "captureException.js", lines[1]),
        ("bar", "captureException.js", lines[2]),
    ]
    assert all(f["colno"] for f in mapped)
    assert mapped[-1]["context_line"] == '    Sentry.captureException(new Error("Sentry Test Error"));'
    assert [f["raw"]["colno"] for f in mapped] == [121, 87, 40]
    assert all(f["raw"]["filename"].endswith(".min.js") for f in mapped)
    assert any("index.html" in n for n in event["notes"])


@pytest.mark.parametrize("event_file", sorted(BUNDLES))
def test_bugsink_bundle_by_debug_id_without_release(project: Project, event_file: str) -> None:
    bundle, lines = BUNDLES[event_file]
    files = {url: data for url, data in _bundle(bundle).items() if b"debugId=" in data[-200:] or b'"debug_id"' in data}
    r = upload_api(project, files)
    assert r.status_code == 201, r.text
    event_id = store(project, _bugsink_event(event_file, debug_ids=True))
    _assert_bundle_frames(processed(project, event_id), lines)


@pytest.mark.parametrize("event_file", sorted(BUNDLES))
def test_bugsink_bundle_by_release_and_name(project: Project, event_file: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bundle, lines = BUNDLES[event_file]
    paths = []
    for url, data in _bundle(bundle).items():
        path = tmp_path / url.removeprefix("~/")
        path.write_bytes(data)
        paths.append(str(path))
    event = _bugsink_event(event_file, debug_ids=False)
    upload_cli(project, "--release", event["release"], "--url-prefix", "~/", *paths)
    _assert_bundle_frames(processed(project, store(project, event)), lines)


def _java_event() -> dict:
    return {
        "event_id": uuid.uuid4().hex,
        "platform": "java",
        "release": "android@1.0",
        "exception": {"values": [{
            "type": "ConstraintLayout$a", "module": "android.support.constraint", "value": "boom",
            "stacktrace": {"frames": [
                {"module": "android.support.constraint.a.b", "function": "a", "lineno": 116},
                {"module": "io.sentry.sample.MainActivity", "function": "a", "lineno": 1, "filename": "SourceFile", "in_app": True},
            ]},
        }]},
        "debug_meta": {"images": [{"type": "proguard", "uuid": "A48CA62B-DF26-544E-A8B9-2A5CE210D1D5"}]},
    }


def test_proguard_mapping_deobfuscates_frames_and_exception(project: Project) -> None:
    upload_cli(project, str(SYMBOLIC / "proguard.txt"))  # found by its uuid, no release needed
    event = processed(project, store(project, _java_event()))
    exc = event["exception"][-1]
    assert (exc["module"], exc["type"]) == ("android.support.constraint", "ConstraintLayout$LayoutParams")
    assert [(f["module"], f["function"], f["lineno"]) for f in exc["frames"]] == [
        ("android.support.constraint.solver.ArrayRow", "createRowDefinition", 116),
        ("io.sentry.sample.MainActivity", "onClickHandler", 40),
        ("io.sentry.sample.MainActivity", "foo", 44),
        ("io.sentry.sample.MainActivity", "bar", 54),
    ]
    assert all(f["raw"]["function"] == "a" for f in exc["frames"])


def _assert_test_app_stack(event: dict) -> None:
    exc = event["exception"][-1]
    assert exc["type"] == "EXCEPTION_ACCESS_VIOLATION_WRITE"
    top = list(reversed(exc["frames"]))
    assert [(f["function"], f["filename"], f["lineno"]) for f in top[:3]] == [
        ("`anonymous namespace'::CrashFunction", "test_app.cc", 58),
        ("main", "test_app.cc", 65),
        ("__tmainCRTStartup", "crt0.c", 327),
    ]
    assert top[0]["raw"]["instruction_addr"] == "0x40429e" and "function" not in top[0]["raw"]


def test_minidump_endpoint_with_uploaded_sym(project: Project) -> None:
    assert upload_api(project, {"test_app.sym": TEST_APP_SYM.read_bytes()}).status_code == 201
    r = post_minidump(project, TEST_DMP, {"release": "native@1.0", "tags": {"shop": "berlin"}})
    assert r.status_code == 200, r.text
    event = processed(project, r.json()["id"])
    _assert_test_app_stack(event)
    assert event["release"] == "native@1.0" and event["platform"] == "native" and event["level"] == "fatal"
    assert event["normalized"]["contexts"]["minidump"]["crash_address"] == "0x45"
    assert event["normalized"]["contexts"]["os"]["name"] == "Windows"
    assert [(a["name"], a["attachment_type"]) for a in event["attachments"]] == [("test.dmp", "event.minidump")]
    assert event["attachments"][0]["size"] == TEST_DMP.stat().st_size
    assert any("kernel32.dll" in n for n in event["notes"])  # system library symbols were not uploaded
    assert not any(TEST_APP_DEBUG_ID in n for n in event["notes"])


def test_minidump_endpoint_refusals(project: Project) -> None:
    base = f"{project.server.base_url}/api/{project.id}/minidump/"
    r = httpx.post(base + f"?sentry_key={project.public_key}", files={"other": ("x.txt", b"hello")})
    assert r.status_code == 400 and "upload_file_minidump" in r.json()["detail"]
    r = httpx.post(base + f"?sentry_key={project.public_key}", files={"upload_file_minidump": ("x.dmp", b"PK\x03\x04")})
    assert r.status_code == 400 and "not a minidump" in r.json()["detail"]
    r = httpx.post(base + "?sentry_key=nope", files={"upload_file_minidump": ("x.dmp", TEST_DMP.read_bytes())})
    assert r.status_code == 401
    r = httpx.post(base, files={"upload_file_minidump": ("x.dmp", TEST_DMP.read_bytes())}, headers=project.sentry_auth())
    assert r.status_code == 200


def test_late_debug_file_reprocesses_the_minidump(project: Project) -> None:
    r = post_minidump(project, TEST_DMP, {"release": "native@2.0"})
    event_id = r.json()["id"]
    before = processed(project, event_id)
    assert any(TEST_APP_DEBUG_ID in n and "not available" in n for n in before["notes"]), before["notes"]
    assert list(reversed(frames(before)))[0].get("function") is None

    out = cli_json(upload_cli(project, str(TEST_APP_SYM)))
    assert out["requeued_events"] == 1
    after = processed(project, event_id, check=lambda e: "raw" in list(reversed(frames(e)))[0])
    _assert_test_app_stack(after)
    assert not any(TEST_APP_DEBUG_ID in n for n in after["notes"])
    assert after["cluster_id"] is not None
    assert _cluster_event_total(project) == 1  # regrouped, not counted twice


def _cluster_event_total(project: Project) -> int:
    async def total() -> int:
        conn = await asyncpg.connect(project.server.database_url)
        try:
            return int(await conn.fetchval("SELECT coalesce(sum(event_count), 0) FROM clusters WHERE project_id = $1", project.id))
        finally:
            await conn.close()

    return asyncio.run(total())


def test_late_source_map_reprocesses_by_release(project: Project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    event_file = "uglifyjs-minified-sourcemaps-in-bundle-multi-file.json"
    bundle, lines = BUNDLES[event_file]
    event_id = store(project, _bugsink_event(event_file, debug_ids=False))
    before = processed(project, event_id)
    assert any("bundled.min.js" in n for n in before["notes"]), before["notes"]
    cluster = httpx.get(api(project, f"/clusters/{before['cluster_id']}"), headers=project.auth).json()
    assert any("bundled.min.js" in n["note"] and n["events"] == 1 for n in cluster["notes"]), cluster["notes"]
    paths = []
    for url, data in _bundle(bundle).items():
        (tmp_path / url[2:]).write_bytes(data)
        paths.append(str(tmp_path / url[2:]))
    out = cli_json(upload_cli(project, "--release", "my-project-name@2.3.12", "--url-prefix", "~/", *paths))
    assert out["requeued_events"] == 1
    after = processed(project, event_id, check=lambda e: "raw" in frames(e)[-1])
    _assert_bundle_frames(after, lines)
    assert _cluster_event_total(project) == 1


def test_envelope_minidump_attachment_becomes_the_event(project: Project) -> None:
    """sentry-native's breakpad/inproc backends send the dump as an ``event.minidump`` envelope attachment."""
    assert upload_api(project, {"test_app.sym": TEST_APP_SYM.read_bytes()}).status_code == 201
    event_id = uuid.uuid4().hex
    dump = TEST_DMP.read_bytes()
    event = json.dumps({"event_id": event_id, "platform": "native", "release": "native@3.0"}).encode()
    body = b"\n".join([
        json.dumps({"event_id": event_id}).encode(),
        json.dumps({"type": "event", "length": len(event)}).encode(), event,
        json.dumps({"type": "attachment", "length": len(dump), "filename": "crash.dmp",
                    "attachment_type": "event.minidump"}).encode(), dump,
    ])
    r = httpx.post(project.envelope_url, content=body, headers=project.sentry_auth(), timeout=30)
    assert r.status_code == 200, r.text
    _assert_test_app_stack(processed(project, event_id))
