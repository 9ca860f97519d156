"""Artifact bundles read without trusting them: names, sizes and ratios checked before use."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from symbolication.bundle import read_bundle
from symbolication.errors import ArtifactError


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _manifest(files: dict[str, dict], **top: str) -> bytes:
    return json.dumps({"files": files, **top}).encode()


def test_reads_stored_types_and_skips_original_sources() -> None:
    files = {
        "files/_/_/a.min.js": {"url": "~/a.min.js", "type": "minified_source", "headers": {"Debug-Id": "ABC"}},
        "files/_/_/a.min.js.map": {"url": "~/a.min.js.map", "type": "source_map"},
        "files/_/_/a.ts": {"url": "~/a.ts", "type": "source"},
    }
    data = _zip({"manifest.json": _manifest(files, release="r1", dist="d"), **{k: b"x" for k in files}})
    bundle = read_bundle(data, "b", max_bytes=1 << 20)
    assert (bundle.release, bundle.dist, bundle.skipped) == ("r1", "d", ("files/_/_/a.ts",))
    assert [(f.url, f.type, f.debug_id) for f in bundle.files] == [("~/a.min.js", "minified_source", "abc"), ("~/a.min.js.map", "source_map", None)]


@pytest.mark.parametrize("name", ["../x.js", "a/../../x.js", "/etc/passwd", "C:/x.js", "a\\..\\x.js"])
def test_names_outside_the_bundle_refuse_it_whole(name: str) -> None:
    with pytest.raises(ArtifactError, match="points outside the bundle"):
        read_bundle(_zip({"manifest.json": _manifest({}), name: b"x"}), "b", max_bytes=1 << 20)


def test_unpacked_size_is_bounded_by_the_limit() -> None:
    data = _zip({"manifest.json": _manifest({}), "big": b"a" * 5000})
    with pytest.raises(ArtifactError, match="over the artifact limit"):
        read_bundle(data, "b", max_bytes=4000)
