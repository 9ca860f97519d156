"""Artifact upload, listing and deletion through the API and the CLI; kind detection; refusals."""

from __future__ import annotations

import hashlib

import httpx

from tests.conftest import Project
from tests.server.symbolication_support import (
    SYMBOLIC,
    TEST_APP_DEBUG_ID,
    TEST_APP_SYM,
    api,
    cli_json,
    upload_api,
    upload_cli,
)

DEMO_MAP = SYMBOLIC / "sourcemaps/demo.js.map"
DEMO_MIN = SYMBOLIC / "sourcemaps/demo.min.js"
PROGUARD = SYMBOLIC / "proguard.txt"
PROGUARD_UUID = "a48ca62b-df26-544e-a8b9-2a5ce210d1d5"


def test_api_upload_detects_kinds_and_lists_and_deletes(project: Project) -> None:
    files = {"demo.js.map": DEMO_MAP.read_bytes(), "~/demo.min.js": DEMO_MIN.read_bytes(), "mapping.txt": PROGUARD.read_bytes()}
    r = upload_api(project, files, release="web@1.0", dist="7")
    assert r.status_code == 201, r.text
    body = r.json()
    got = {a["name"]: a for a in body["artifacts"]}
    assert {n: a["kind"] for n, a in got.items()} == {
        "demo.js.map": "source_map", "~/demo.min.js": "minified_source", "mapping.txt": "proguard"
    }
    assert got["mapping.txt"]["debug_id"] == PROGUARD_UUID
    assert got["demo.js.map"]["checksum"] == hashlib.sha1(files["demo.js.map"]).hexdigest()
    assert got["demo.js.map"]["size"] == len(files["demo.js.map"])
    assert all(a["release"] == "web@1.0" and a["dist"] == "7" for a in got.values())

    listed = httpx.get(api(project, "/releases/web@1.0/artifacts/"), headers=project.auth).json()["artifacts"]
    assert sorted(a["name"] for a in listed) == sorted(files)
    assert httpx.get(api(project, "/releases/web@2.0/artifacts/"), headers=project.auth).json()["artifacts"] == []

    again = upload_api(project, {"demo.js.map": files["demo.js.map"]}, release="web@1.0", dist="7").json()
    assert again["artifacts"][0]["stored"] is False and again["artifacts"][0]["id"] == got["demo.js.map"]["id"]

    gone = got["mapping.txt"]["id"]
    assert httpx.delete(api(project, f"/releases/web@1.0/artifacts/{gone}"), headers=project.auth).status_code == 204
    assert httpx.delete(api(project, f"/releases/web@1.0/artifacts/{gone}"), headers=project.auth).status_code == 404
    listed = httpx.get(api(project, "/releases/web@1.0/artifacts/"), headers=project.auth).json()["artifacts"]
    assert gone not in {a["id"] for a in listed} and len(listed) == 2


def test_api_needs_a_token_of_the_projects_organization(project: Project, server) -> None:  # type: ignore[no-untyped-def]
    r = httpx.post(api(project, "/releases/x/artifacts/"), files={"file": ("a.map", b"{}")})
    assert r.status_code == 401
    other = Project(server, "other-org-artifacts", "app")
    r = httpx.get(api(project, "/releases/x/artifacts/"), headers=other.auth)
    assert r.status_code == 404


def test_api_refuses_unreadable_files_naming_them(project: Project) -> None:
    r = upload_api(project, {"notes.txt": b"just some text\n"}, release="r1")
    assert r.status_code == 400
    assert "notes.txt" in r.json()["detail"] and "not recognised" in r.json()["detail"]
    assert r.json()["code"] == "invalid"
    r = upload_api(project, {"broken.js.map": b'{"version": 3, "mappings": "'}, release="r1")
    assert r.status_code == 400 and "broken.js.map" in r.json()["detail"] and "JSON" in r.json()["detail"]
    r = upload_api(project, {"empty.sym": b""}, release="r1")
    assert r.status_code == 400 and "empty" in r.json()["detail"]
    r = upload_api(project, {"demo.js.map": DEMO_MAP.read_bytes()})  # no release and no debug id
    assert r.status_code == 400 and "release" in r.json()["detail"]
    assert httpx.get(api(project, "/releases/r1/artifacts/"), headers=project.auth).json()["artifacts"] == []


def test_native_debug_file_by_debug_id_without_release(project: Project) -> None:
    r = upload_api(project, {"test_app.sym": TEST_APP_SYM.read_bytes()})
    assert r.status_code == 201, r.text
    (art,) = r.json()["artifacts"]
    assert art["kind"] == "native_debug" and art["release"] is None
    assert art["debug_ids"] == [TEST_APP_DEBUG_ID]
    listed = httpx.get(api(project, "/artifacts/"), headers=project.auth).json()["artifacts"]
    assert [a["id"] for a in listed] == [art["id"]]
    assert httpx.delete(api(project, f"/artifacts/{art['id']}"), headers=project.auth).status_code == 204


def test_cli_upload_prints_kind_debug_id_and_checksum(project: Project) -> None:
    out = cli_json(upload_cli(project, "--release", "app@3", "--url-prefix", "~/js/", str(DEMO_MIN), str(DEMO_MAP), str(TEST_APP_SYM)))
    got = {a["name"]: a for a in out["artifacts"]}
    assert {n: a["kind"] for n, a in got.items()} == {
        "~/js/demo.min.js": "minified_source", "~/js/demo.js.map": "source_map", "~/js/test_app.sym": "native_debug"
    }
    assert got["~/js/test_app.sym"]["debug_ids"] == [TEST_APP_DEBUG_ID]
    assert got["~/js/demo.min.js"]["checksum"] == hashlib.sha1(DEMO_MIN.read_bytes()).hexdigest()
    text = upload_cli(project, "--release", "app@3", str(PROGUARD)).stdout
    assert "proguard" in text
    listed = httpx.get(api(project, "/releases/app@3/artifacts/"), headers=project.auth).json()["artifacts"]
    assert len(listed) == 4


def test_cli_refuses_bad_and_oversized_files(project: Project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "random.bin"
    bad.write_bytes(bytes(range(256)) * 4)
    out = upload_cli(project, "--release", "r", str(DEMO_MAP), str(bad), check=False)
    assert out.returncode == 2 and "random.bin" in out.stderr and "not recognised" in out.stderr
    out = upload_cli(project, "--release", "r", str(DEMO_MAP), check=False, env={"CRASHDESK_MAX_ARTIFACT_BYTES": "100"})
    assert out.returncode == 2 and "over the artifact limit of 100 bytes" in out.stderr
    missing = upload_cli(project, "--release", "r", str(tmp_path / "nope.map"), check=False)
    assert missing.returncode == 2 and "nope.map" in missing.stderr
    assert httpx.get(api(project, "/releases/r/artifacts/"), headers=project.auth).json()["artifacts"] == []
