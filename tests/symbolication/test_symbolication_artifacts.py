"""Artifact kind detection from content, for each fixture kind, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import symbolic

from symbolication import ArtifactError, build_symcache, inspect_artifact, load_artifact
from tests.symbolication.helpers import BUGSINK, GLITCHTIP, RUST_MINIDUMP, SOURCEMAPS, SYMBOLIC, bundle_files

TEST_APP_SYM = RUST_MINIDUMP / "symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym"


@pytest.mark.parametrize(
    "path",
    [SOURCEMAPS / "demo.js.map", SOURCEMAPS / "jquery.min.map", SOURCEMAPS / "indexed.sourcemap.js",
     GLITCHTIP / "tests/test_data/bundle.js.map"],
    ids=lambda p: p.name,
)
def test_source_maps_are_recognised(path: Path) -> None:
    assert inspect_artifact(path.read_bytes(), path.name).kind == "source_map"


def test_source_map_debug_id_is_read() -> None:
    files = bundle_files("51a5a327666cf1d11e23adfd55c3becad27ae769.zip")
    info = inspect_artifact(files["~/captureException.min.js.map"], "captureException.min.js.map")
    assert (info.kind, info.debug_id) == ("source_map", "9b7990f8-1f25-571a-a422-03bea91eb8ab")


def test_minified_source_gives_debug_id_and_mapping_url() -> None:
    files = bundle_files("51a5a327666cf1d11e23adfd55c3becad27ae769.zip")
    info = inspect_artifact(files["~/captureException.min.js"], None)
    assert info.kind == "minified_source"
    assert info.debug_id == "9b7990f8-1f25-571a-a422-03bea91eb8ab"
    assert info.source_mapping_url == "captureException.min.js.map"


def test_minified_source_by_name_without_comments() -> None:
    info = inspect_artifact((SOURCEMAPS / "demo.min.js").read_bytes(), "demo.min.js")
    assert (info.kind, info.debug_id, info.source_mapping_url) == ("minified_source", None, None)
    bundle = inspect_artifact((GLITCHTIP / "tests/test_data/bundle.js").read_bytes(), "bundle.js")
    assert bundle.source_mapping_url == "bundle.js.map"


def test_proguard_uuid_matches_symbolic() -> None:
    info = inspect_artifact((SYMBOLIC / "proguard.txt").read_bytes(), "mapping.txt")
    assert (info.kind, info.debug_id) == ("proguard", "a48ca62b-df26-544e-a8b9-2a5ce210d1d5")


def test_breakpad_symbols() -> None:
    info = inspect_artifact(TEST_APP_SYM.read_bytes(), "test_app.sym")
    assert info.kind == "native_debug"
    (obj,) = info.objects
    assert (obj.debug_id, obj.arch, obj.file_format) == ("5a9832e5-2872-41c1-838e-d98914e9b7ff-1", "x86", "breakpad")


def test_elf_object() -> None:
    """symbolic's own shared library stands in for an uploaded ELF."""
    lib = Path(symbolic.__file__).with_name("_lowlevel__lib.so")
    (obj,) = inspect_artifact(lib.read_bytes(), lib.name).objects
    assert obj.file_format == "elf" and obj.code_id and obj.debug_id


def test_symcache_round_trip() -> None:
    cache = build_symcache(TEST_APP_SYM.read_bytes(), filename="test_app.sym")
    assert cache[:4] == b"SYMC"
    info = inspect_artifact(cache, "test_app.symcache")
    assert info.kind == "native_debug"
    assert info.objects[0].debug_id == "5a9832e5-2872-41c1-838e-d98914e9b7ff-1"
    assert len(cache) < TEST_APP_SYM.stat().st_size


def test_unknown_and_minidump_are_not_artifacts() -> None:
    assert inspect_artifact(b"hello, world\n", "notes.txt").kind == "unknown"
    assert inspect_artifact((RUST_MINIDUMP / "test.dmp").read_bytes(), "test.dmp").kind == "unknown"


@pytest.mark.parametrize(
    ("data", "name"),
    [(b"", "empty.js.map"), (b"\x7fELF\x02\x01\x01 truncated", "libfoo.so"), (b'{"version": 3, "mappin', "app.js.map")],
)
def test_unreadable_data_raises_with_filename(data: bytes, name: str) -> None:
    with pytest.raises(ArtifactError) as err:
        inspect_artifact(data, name)
    assert err.value.filename == name and err.value.reason


def test_load_broken_source_map_raises_artifact_error() -> None:
    with pytest.raises(ArtifactError, match="unreadable source_map"):
        load_artifact("source_map", b'{"version":3,"sources":[],"names":[],"mappings":"!!!!"}', "bad.js.map")


def test_load_proguard_rejects_non_mapping() -> None:
    with pytest.raises(ArtifactError, match="ProGuard"):
        load_artifact("proguard", b"just text", "mapping.txt")


def test_bugsink_events_exist() -> None:
    assert (BUGSINK / "uglifyjs-minified-sourcemaps-in-bundle.json").is_file()
