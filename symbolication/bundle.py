"""Read a Sentry artifact bundle (a zip with ``manifest.json``) safely, without trusting it.

sentry-cli and the bundler plugins upload minified files and source maps as one zip:
``manifest.json`` lists each entry with the URL it answers to, its type and headers
(``debug-id``, ``sourcemap``). A hostile zip is refused whole, before anything is
stored: entry names that climb out (``../``, absolute, drive letters, backslashes),
more entries or more unpacked bytes than allowed, or a compression ratio only a zip
bomb has. Sizes are enforced while reading, not taken from the zip's headers.
"""

from __future__ import annotations

import io
import posixpath
import zipfile

import msgspec

from symbolication.errors import ArtifactError

MANIFEST = "manifest.json"
_STORED_TYPES = ("minified_source", "source_map")
_MAX_RATIO = 200  # deflate tops out near 1032:1; real text bundles compress 3-20:1
_RATIO_FLOOR = 1 << 20  # small entries may compress absurdly well (runs of spaces)


class BundleFile(msgspec.Struct, frozen=True):
    """One stored entry: the URL it answers to (``~/app.min.js``), its type and bytes."""

    path: str
    url: str
    type: str
    debug_id: str | None
    data: bytes


class Bundle(msgspec.Struct, frozen=True):
    release: str | None
    dist: str | None
    files: tuple[BundleFile, ...]
    skipped: tuple[str, ...]  # entries of types symbolication does not read (original sources)


class _Entry(msgspec.Struct, frozen=True):
    url: str = ""
    type: str = ""
    headers: dict[str, str] = {}


class _Manifest(msgspec.Struct, frozen=True):
    files: dict[str, _Entry] = {}
    release: str | None = None
    dist: str | None = None


def read_bundle(data: bytes, name: str, *, max_bytes: int, max_files: int = 10_000) -> Bundle:
    """Check and unpack ``data``; raise ``ArtifactError`` naming the first problem found."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ArtifactError(name, f"not a zip archive: {exc}") from None
    infos = archive.infolist()
    if len(infos) > max_files:
        raise ArtifactError(name, f"holds {len(infos)} entries, over the limit of {max_files}")
    for info in infos:
        _check_entry(name, info)
    total = sum(i.file_size for i in infos)
    if total > max_bytes:
        raise ArtifactError(name, f"unpacks to {total} bytes, over the artifact limit of {max_bytes} bytes")
    by_name = {i.filename: i for i in infos if not i.is_dir()}
    if MANIFEST not in by_name:
        raise ArtifactError(name, "no manifest.json: not an artifact bundle")
    budget = [max_bytes]
    try:
        manifest = msgspec.json.decode(_read(archive, by_name[MANIFEST], name, budget), type=_Manifest)
    except msgspec.DecodeError as exc:
        raise ArtifactError(name, f"manifest.json is not a bundle manifest: {exc}") from None
    files, skipped = [], []
    for path, entry in sorted(manifest.files.items()):
        norm = _safe_name(name, path)
        if norm not in by_name:
            raise ArtifactError(name, f"manifest.json lists {path!r}, which the zip does not hold")
        if entry.type not in _STORED_TYPES:
            skipped.append(path)
            continue
        headers = {k.lower(): v for k, v in entry.headers.items()}
        body = _read(archive, by_name[norm], name, budget)
        debug_id = headers.get("debug-id") or headers.get("debug_id")
        files.append(BundleFile(path, entry.url or path, entry.type, debug_id.lower() if debug_id else None, body))
    return Bundle(manifest.release or None, manifest.dist or None, tuple(files), tuple(skipped))


def _check_entry(name: str, info: zipfile.ZipInfo) -> None:
    _safe_name(name, info.filename)
    if info.flag_bits & 0x1:
        raise ArtifactError(name, f"entry {info.filename!r} is encrypted")
    if info.file_size > _RATIO_FLOOR and info.file_size > _MAX_RATIO * max(info.compress_size, 1):
        raise ArtifactError(
            name, f"entry {info.filename!r} expands {info.compress_size} bytes to {info.file_size}: refused as a zip bomb"
        )


def _safe_name(name: str, path: str) -> str:
    """The entry name if it stays inside the bundle; otherwise refuse the whole bundle."""
    bad = (
        not path
        or "\\" in path
        or "\x00" in path
        or path.startswith("/")
        or (len(path) > 1 and path[1] == ":")
        or ".." in path.split("/")
    )
    if bad or posixpath.normpath(path).startswith(".."):
        raise ArtifactError(name, f"entry name {path!r} points outside the bundle: refused")
    return path


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: list[int]) -> bytes:
    """Read one entry, stopping at the remaining byte budget whatever its header says."""
    try:
        with archive.open(info) as f:
            body = f.read(budget[0] + 1)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ArtifactError(name, f"entry {info.filename!r} is unreadable: {exc}") from None
    if len(body) > budget[0]:
        raise ArtifactError(name, f"entry {info.filename!r} unpacks past the artifact limit: refused as a zip bomb")
    budget[0] -= len(body)
    return body
