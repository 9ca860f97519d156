"""Recognise uploaded artifacts by content, and parse them once into symbolic objects.

Detection looks at bytes, not names, because SDK upload tools name files freely
(``bundle.js.map``, ``~/app.js``, ``mapping.txt``); the filename only breaks ties
between minified JavaScript and other text.
"""

from __future__ import annotations

import base64
import io
import os
import re
import tempfile
import urllib.parse
import uuid

import msgspec
import symbolic

from symbolication.errors import ArtifactError
from symbolication.model import ArtifactInfo, ArtifactKind, LoadedArtifact, ObjectInfo

_NATIVE_MAGIC = (
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # fat Mach-O (a Java class file too: symbolic decides)
    b"MZ",
    b"Microsoft C/C++ MSF 7.00",
    b"MODULE ",
    b"\x00asm",
)
_SYMCACHE_MAGIC = (b"SYMC", b"CMYS")
_PROGUARD_LINE = re.compile(rb"^[\w$.\-]+ -> [\w$.\-]+:\s*$", re.M)
_DEBUG_ID_COMMENT = re.compile(rb"^\s*//# debugId=([0-9a-fA-F-]{32,36})\s*$", re.M)
_MAPPING_URL_COMMENT = re.compile(rb"^\s*//[#@] sourceMappingURL=(\S+)\s*$", re.M)
_JS_SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".bundle", ".jsbundle")
_PROGUARD_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "guardsquare.com")


def inspect_artifact(data: bytes, filename: str | None = None) -> ArtifactInfo:
    """Say what ``data`` is and how to find it again; raise ``ArtifactError`` if unreadable."""
    if not data:
        raise ArtifactError(filename, "the file is empty")
    head = data[:64]
    if head.startswith(_SYMCACHE_MAGIC):
        return ArtifactInfo(kind="native_debug", filename=filename, objects=(_symcache_object(data, filename),))
    if head.lstrip().startswith(_NATIVE_MAGIC):
        return ArtifactInfo(kind="native_debug", filename=filename, objects=_native_objects(data, filename))
    if head.lstrip()[:1] == b"{":
        info = _source_map_info(data, filename)
        if info is not None:
            return info
    if _looks_like_proguard(data):
        return ArtifactInfo(kind="proguard", filename=filename, debug_id=proguard_uuid(data))
    if _looks_like_js(data, filename):
        return _minified_info(data, filename)
    return ArtifactInfo(kind="unknown", filename=filename)


def load_artifact(kind: ArtifactKind, data: bytes, filename: str | None = None) -> LoadedArtifact:
    """Parse ``data`` once into the object symbolication reads; raise ``ArtifactError`` if unreadable."""
    try:
        if kind == "source_map":
            info = _source_map_info(data, filename) or ArtifactInfo(kind="source_map", filename=filename)
            return LoadedArtifact(info=info, handle=symbolic.SourceMapView.from_json_bytes(data))
        if kind == "minified_source":
            info = _minified_info(data, filename)
            inline = _inline_map(info.source_mapping_url)
            view = symbolic.SourceView.from_bytes(data)
            return LoadedArtifact(info=info, handle=view, inline_map=inline)
        if kind == "proguard":
            if not _looks_like_proguard(data):
                raise ArtifactError(filename, "no 'class -> obfuscated:' line; not a ProGuard/R8 mapping")
            mapper = _open_proguard(data)
            return LoadedArtifact(info=ArtifactInfo(kind="proguard", filename=filename, debug_id=str(mapper.uuid)), handle=mapper)
        if kind == "native_debug":
            return _load_native(data, filename)
    except ArtifactError:
        raise
    except (symbolic.SymbolicError, UnicodeError, ValueError, msgspec.DecodeError) as exc:
        raise ArtifactError(filename, f"unreadable {kind}: {exc}") from exc
    raise ArtifactError(filename, f"cannot load an artifact of kind {kind!r}")


def build_symcache(data: bytes, debug_id: str | None = None, filename: str | None = None) -> bytes:
    """Turn a native debug file into SymCache bytes, a compact form worth storing instead.

    ``debug_id`` picks one object out of a multi-object file (fat Mach-O); without it the
    file must hold exactly one object.
    """
    if data[:4] in _SYMCACHE_MAGIC:
        return data
    _archive, objects = _objects(data, filename)
    if debug_id is not None:
        wanted = norm_debug_id(debug_id)
        objects = [o for o in objects if norm_debug_id(o.debug_id) == wanted]
    if len(objects) != 1:
        raise ArtifactError(filename, f"expected one object{' for ' + debug_id if debug_id else ''}, found {len(objects)}")
    try:
        cache = objects[0].make_symcache()
    except symbolic.SymbolicError as exc:
        raise ArtifactError(filename, f"cannot build a symcache: {exc}") from exc
    out = io.BytesIO()
    cache.dump_into(out)
    return out.getvalue()


def build_cfi(data: bytes, debug_id: str | None = None, filename: str | None = None) -> bytes:
    """Breakpad ``STACK CFI`` text of one object's unwind information; empty if it has none."""
    if data[:4] in _SYMCACHE_MAGIC:
        return b""
    _archive, objects = _objects(data, filename)
    if debug_id is not None:
        objects = [o for o in objects if norm_debug_id(o.debug_id) == norm_debug_id(debug_id)]
    if len(objects) != 1:
        return b""
    try:
        cache = symbolic.CfiCache.from_object(objects[0])
    except symbolic.SymbolicError:
        return b""  # no unwind sections (a stripped .sym, a PDB without them): frames walk without CFI
    out = io.BytesIO()
    cache.write_to(out)
    text = out.getvalue()
    return text if text.startswith(b"STACK ") else b""


def proguard_uuid(data: bytes) -> str:
    """The uuid Sentry tooling gives a mapping file: UUIDv5 of its bytes in the guardsquare.com namespace."""
    return str(uuid.uuid5(_PROGUARD_NAMESPACE, data.decode("utf-8", "surrogateescape")))


def norm_debug_id(value: str) -> str:
    try:
        return symbolic.normalize_debug_id(value).lower()
    except symbolic.SymbolicError:
        return value.lower()


def _objects(data: bytes, filename: str | None) -> tuple[symbolic.Archive, list[symbolic.Object]]:
    """The archive (kept to pin its memory) and every object in it."""
    try:
        archive = symbolic.Archive.from_bytes(data)
        objects = [archive._get_object(i) for i in range(archive.object_count)]
    except (symbolic.SymbolicError, LookupError) as exc:
        raise ArtifactError(filename, f"unreadable native debug file: {exc}") from exc
    if not objects:
        raise ArtifactError(filename, "the debug file holds no objects")
    return archive, objects


def _object_info(obj: symbolic.Object) -> ObjectInfo:
    return ObjectInfo(
        debug_id=norm_debug_id(obj.debug_id),
        arch=obj.arch,
        code_id=obj.code_id,
        file_format=obj.file_format,
        kind=obj.kind,
        features=tuple(sorted(obj.features)),
    )


def _native_objects(data: bytes, filename: str | None) -> tuple[ObjectInfo, ...]:
    _archive, objects = _objects(data, filename)
    return tuple(_object_info(o) for o in objects)


def _symcache_object(data: bytes, filename: str | None) -> ObjectInfo:
    try:
        cache = symbolic.SymCache.from_bytes(bytes(data))
    except symbolic.SymbolicError as exc:
        raise ArtifactError(filename, f"unreadable symcache: {exc}") from exc
    return ObjectInfo(debug_id=norm_debug_id(cache.debug_id), arch=cache.arch, file_format="symcache")


def _load_native(data: bytes, filename: str | None) -> LoadedArtifact:
    if data[:4] in _SYMCACHE_MAGIC:
        obj = _symcache_object(data, filename)
        cache = symbolic.SymCache.from_bytes(bytes(data))
        info = ArtifactInfo(kind="native_debug", filename=filename, objects=(obj,))
        return LoadedArtifact(info=info, handle=((obj.debug_id, cache),))
    _archive, objects = _objects(data, filename)
    caches = []
    for obj in objects:
        # Round-trip through bytes: SymCache.from_bytes pins its buffer, so the cache
        # outlives the archive and the caller's ``data``.
        out = io.BytesIO()
        obj.make_symcache().dump_into(out)
        caches.append((norm_debug_id(obj.debug_id), symbolic.SymCache.from_bytes(out.getvalue())))
    info = ArtifactInfo(kind="native_debug", filename=filename, objects=tuple(_object_info(o) for o in objects))
    return LoadedArtifact(info=info, handle=tuple(caches))


def _open_proguard(data: bytes) -> symbolic.ProguardMapper:
    """symbolic 13.9 opens ProGuard maps by path only; hand it an anonymous in-memory file.

    memfd keeps this free of disk I/O; the mapper mmaps the file, so closing the fd after
    opening is safe. A private temporary file is the fallback where memfd is missing.
    """
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("proguard-map", os.MFD_CLOEXEC)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            return symbolic.ProguardMapper.open(f"/proc/self/fd/{fd}")
        finally:
            os.close(fd)
    with tempfile.NamedTemporaryFile(suffix=".txt") as tmp:  # pragma: no cover - non-Linux
        tmp.write(data)
        tmp.flush()
        return symbolic.ProguardMapper.open(tmp.name)


def _looks_like_proguard(data: bytes) -> bool:
    return _PROGUARD_LINE.search(data[:65536]) is not None


def _source_map_info(data: bytes, filename: str | None) -> ArtifactInfo | None:
    """Source map if the JSON object has ``mappings`` or ``sections``; ``None`` for other JSON."""
    try:
        doc = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        if filename and filename.endswith(".map"):
            raise ArtifactError(filename, f"source map is not valid JSON: {exc}") from exc
        return None
    if not isinstance(doc, dict) or not ("mappings" in doc or "sections" in doc):
        return None
    debug_id = doc.get("debug_id") or doc.get("debugId")
    return ArtifactInfo(
        kind="source_map",
        filename=filename,
        debug_id=debug_id.lower() if isinstance(debug_id, str) and debug_id else None,
    )


def _looks_like_js(data: bytes, filename: str | None) -> bool:
    if b"\x00" in data[:8192]:
        return False
    if filename and filename.lower().split("?")[0].endswith(_JS_SUFFIXES):
        return True
    tail = data[-4096:]
    return _MAPPING_URL_COMMENT.search(tail) is not None or _DEBUG_ID_COMMENT.search(tail) is not None


def _minified_info(data: bytes, filename: str | None) -> ArtifactInfo:
    tail = data[-65536:]
    ids = _DEBUG_ID_COMMENT.findall(tail)
    urls = _MAPPING_URL_COMMENT.findall(tail)
    return ArtifactInfo(
        kind="minified_source",
        filename=filename,
        debug_id=ids[-1].decode().lower() if ids else None,
        source_mapping_url=urls[-1].decode("utf-8", "replace") if urls else None,
    )


def _inline_map(url: str | None) -> symbolic.SourceMapView | None:
    """A ``data:application/json;base64,...`` sourceMappingURL holds the map itself."""
    if not url or not url.startswith("data:"):
        return None
    header, _, payload = url.partition(",")
    raw = base64.b64decode(payload) if header.endswith(";base64") else urllib.parse.unquote_to_bytes(payload)
    return symbolic.SourceMapView.from_json_bytes(raw)
