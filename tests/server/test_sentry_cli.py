"""The real sentry-cli, pointed at Crashdesk by SENTRY_URL and a Crashdesk token, uploads what it uploads to Sentry."""

from __future__ import annotations

import hashlib
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import Project
from tests.server.sentry_cli_support import make_zip, sentry_api, sentry_cli, upload_bundle_by_chunks
from tests.server.symbolication_support import api, frames, processed, store
from tests.server.test_symbolication_node import _bundle, _crash
from tests.support import REPO

JS = REPO / "tests/js"


def _artifacts(project: Project, release: str = "") -> list[dict]:
    path = f"/releases/{release}/artifacts/" if release else "/artifacts/"
    r = httpx.get(api(project, path), headers=project.auth, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["artifacts"]


def test_sourcemaps_inject_and_upload_then_a_node_crash_resolves_by_debug_id(project: Project, npm_packages: Path, tmp_path: Path) -> None:
    bundle = _bundle(npm_packages, tmp_path / "dist")
    sentry_cli(project, "sourcemaps", "inject", str(bundle.parent), cwd=tmp_path)
    assert "//# debugId=" in bundle.read_text()
    sentry_cli(project, "sourcemaps", "upload", str(bundle.parent), cwd=tmp_path)  # no release: by debug id alone
    stored = _artifacts(project)
    assert sorted((a["kind"], a["name"]) for a in stored) == [("minified_source", "~/app.min.js"), ("source_map", "~/app.min.js.map")]
    assert len({a["debug_id"] for a in stored}) == 1

    event = processed(project, _crash(npm_packages, bundle, project.dsn, "shop-node@9.9.9"))  # a release nothing was uploaded for
    app_frames = [f for f in frames(event) if "raw" in f]
    assert [(f["function"], Path(f["abs_path"]).name, f["lineno"]) for f in app_frames][-3:] == [
        ("checkout", "cart.js", 10),
        ("lineTotal", "cart.js", 4),
        ("priceOf", "pricing.js", 6),
    ]
    assert app_frames[-1]["context_line"].strip() == "throw new Error(`no price for ${sku}`);"


def test_sourcemaps_upload_with_release_and_dist(project: Project, npm_packages: Path, tmp_path: Path) -> None:
    bundle = _bundle(npm_packages, tmp_path / "dist")
    sentry_cli(project, "sourcemaps", "upload", "--release", "shop@2.0", "--dist", "7", str(bundle.parent), cwd=tmp_path)
    stored = _artifacts(project, "shop@2.0")
    assert sorted((a["name"], a["dist"]) for a in stored) == [("~/app.min.js", "7"), ("~/app.min.js.map", "7")]


_MAPPING = b"""\
com.example.shop.Checkout -> a.a:
    java.lang.String currency -> a
    1:4:void pay(int):20:23 -> a
    5:5:void refund():30:30 -> b
com.example.shop.PaymentError -> a.b:
"""


def test_upload_proguard_then_a_java_event_resolves(project: Project, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.txt"
    mapping.write_bytes(_MAPPING)
    out = sentry_cli(project, "upload-proguard", str(mapping), cwd=tmp_path)
    mapping_uuid = str(uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_DNS, "guardsquare.com"), _MAPPING.decode()))
    assert mapping_uuid in out.stdout
    event = processed(project, store(project, {
        "event_id": uuid.uuid4().hex, "platform": "java", "release": "android@3.1",
        "exception": {"values": [{"type": "b", "module": "a", "value": "declined", "stacktrace": {"frames": [
            {"module": "a.a", "function": "b", "lineno": 5},
            {"module": "a.a", "function": "a", "lineno": 3, "in_app": True},
        ]}}]},
        "debug_meta": {"images": [{"type": "proguard", "uuid": mapping_uuid}]},
    }))
    exc = event["exception"][-1]
    assert exc["type"] == "PaymentError" and exc["module"] == "com.example.shop"
    assert [(f["module"], f["function"], f["lineno"]) for f in exc["frames"]] == [
        ("com.example.shop.Checkout", "refund", 30),
        ("com.example.shop.Checkout", "pay", 22),
    ]


def test_debug_files_upload_stores_the_object_by_debug_id(project: Project, tmp_path: Path) -> None:
    source = tmp_path / "app.c"
    source.write_text("int main(int argc, char **argv) { return argc > 1 ? *(volatile int *)0 : 0; }\n")
    subprocess.run(["gcc", "-g", "-O1", "-o", str(tmp_path / "app"), str(source)], check=True, timeout=60)
    out = sentry_cli(project, "debug-files", "upload", str(tmp_path / "app"), cwd=tmp_path)
    [stored] = _artifacts(project)
    assert stored["kind"] == "native_debug" and stored["name"] == "app"
    assert f"OK {stored['debug_ids'][0]} (app;" in out.stdout


def _refused(project: Project, zip_bytes: bytes, why: str) -> None:
    answer = upload_bundle_by_chunks(project, zip_bytes)
    assert answer["state"] == "error" and why in answer["detail"], answer
    assert _artifacts(project) == [] and _artifacts(project, "v1") == []


_JS = b"function a(){throw new Error('x')}\n//# debugId=11111111-2222-3333-4444-555555555555\n"
_OK_FILES = {"files/_/_/a.min.js": {"url": "~/a.min.js", "type": "minified_source", "headers": {}}}


@pytest.mark.parametrize("name, entries, manifest, why", [
    ("parent path", {"../../etc/cron.d/x": _JS}, {"files": {"../../etc/cron.d/x": {"url": "~/x.js", "type": "minified_source"}}}, "points outside the bundle"),
    ("absolute path", {"/tmp/x.js": _JS}, {"files": {}}, "points outside the bundle"),
    ("zip bomb", {"files/_/_/a.min.js": _JS, "pad.bin": b"\0" * (50 << 20)}, {"files": _OK_FILES}, "zip bomb"),
    ("no manifest", {"files/_/_/a.min.js": _JS}, None, "no manifest.json"),
    ("missing entry", {}, {"files": _OK_FILES}, "which the zip does not hold"),
])
def test_hostile_or_malformed_bundle_is_refused_and_nothing_stored(project: Project, name: str, entries: dict, manifest: dict | None, why: str) -> None:
    _refused(project, make_zip(entries, manifest), why)


def test_not_a_zip_is_refused(project: Project) -> None:
    _refused(project, b"PK\x03\x04 not really a zip" * 10, "not a zip archive")


def test_a_good_bundle_is_stored_in_each_named_project(project: Project) -> None:
    answer = upload_bundle_by_chunks(project, make_zip({"files/_/_/a.min.js": _JS}, {"files": _OK_FILES}))
    assert answer == {"state": "ok", "missingChunks": [], "detail": None}
    assert [a["debug_id"] for a in _artifacts(project)] == ["11111111-2222-3333-4444-555555555555"]


def test_older_clis_chunked_release_files_land_in_the_release(project: Project) -> None:
    answer = upload_bundle_by_chunks(project, make_zip({"files/_/_/a.min.js": _JS}, {"files": _OK_FILES}),
                                     assemble="/releases/shop@3.0/assemble/")
    assert answer["state"] == "ok", answer
    assert [a["name"] for a in _artifacts(project, "shop@3.0")] == ["~/a.min.js"]


def test_chunks_are_checked_against_their_names_and_the_announced_limits(project: Project) -> None:
    options = httpx.get(sentry_api(project, f"/organizations/{project.org}/chunk-upload/"), headers=project.auth, timeout=10).json()
    assert options["chunkSize"] == 8 << 20 and options["chunksPerRequest"] == 64 and options["hashAlgorithm"] == "sha1"
    assert {"artifact_bundles", "debug_files", "proguard"} <= set(options["accept"])
    wrong = httpx.post(options["url"], files=[("file", ("0" * 40, b"hello", "application/octet-stream"))], headers=project.auth, timeout=10)
    assert wrong.status_code == 400 and hashlib.sha1(b"hello").hexdigest() in wrong.json()["detail"]
    too_many = [("file", (hashlib.sha1(bytes([i])).hexdigest(), bytes([i]), "application/octet-stream")) for i in range(65)]
    r = httpx.post(options["url"], files=too_many, headers=project.auth, timeout=10)
    assert r.status_code == 400 and "over the announced 64" in r.json()["detail"]


def test_tenancy_and_auth_follow_sentry_conventions(project: Project, server) -> None:  # type: ignore[no-untyped-def]
    other = Project(server, f"org-{uuid.uuid4().hex[:8]}", "app")
    theirs = httpx.get(sentry_api(project, f"/projects/{other.org}/app/"), headers=project.auth, timeout=10)
    assert theirs.status_code == 404 and theirs.json()["detail"] == f"organization {other.org} not found"
    assert httpx.get(sentry_api(project, f"/organizations/{project.org}/"), timeout=10).status_code == 401
    listed = httpx.get(sentry_api(project, f"/organizations/{project.org}/projects/?cursor=&anything=1"), headers=project.auth, timeout=10)
    assert listed.status_code == 200 and [p["slug"] for p in listed.json()] == ["app"]  # Sentry ignores unknown parameters
    mine = httpx.get(sentry_api(project, f"/projects/{project.org}/app/"), headers=project.auth, timeout=10).json()
    assert mine["slug"] == "app" and mine["id"] == str(project.id)
    # Crashdesk's own routes keep numeric project ids: told apart by shape.
    assert httpx.get(api(project, "/events/"), headers=project.auth, timeout=10).status_code == 200


def test_sentry_cli_refuses_a_path_prefix_so_routes_are_told_apart_by_shape(project: Project, tmp_path: Path) -> None:
    out = sentry_cli(project, "releases", "new", "v1", cwd=tmp_path, url=project.server.base_url + "/sentry/", check=False)
    assert out.returncode != 0 and "not on URL root" in out.stderr


def test_legacy_release_file_upload_and_listing(project: Project) -> None:
    url = sentry_api(project, f"/projects/{project.org}/app/releases/shop@4.0/files/")
    r = httpx.post(url, files={"file": ("a.min.js", _JS, "application/javascript")}, data={"name": "~/static/a.min.js", "dist": "9"},
                   headers=project.auth, timeout=10)
    assert r.status_code == 201 and r.json()["name"] == "~/static/a.min.js", r.text
    assert [(f["name"], f["dist"]) for f in httpx.get(url, headers=project.auth, timeout=10).json()] == [("~/static/a.min.js", "9")]
    bad = httpx.post(url, files={"file": ("notes.txt", b"\x00\x01 not an artifact", "text/plain")}, headers=project.auth, timeout=10)
    assert bad.status_code == 400 and "not recognised" in bad.json()["detail"]


def test_a_debug_file_that_is_not_one_is_refused_and_not_stored(project: Project) -> None:
    data = b"\x7fELF but truncated"
    checksum = hashlib.sha1(data).hexdigest()
    httpx.post(sentry_api(project, f"/organizations/{project.org}/chunk-upload/"),
               files=[("file", (checksum, data, "application/octet-stream"))], headers=project.auth, timeout=10)
    r = httpx.post(sentry_api(project, f"/projects/{project.org}/app/files/difs/assemble/"),
                   json={checksum: {"name": "broken", "chunks": [checksum]}}, headers=project.auth, timeout=10)
    answer = r.json()[checksum]
    assert answer["state"] == "error" and "broken" in answer["detail"] and answer["dif"] is None
    assert _artifacts(project) == []
