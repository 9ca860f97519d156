"""Structs going in and out of symbolication.

``ArtifactRef`` is the question the server answers (which stored file is meant),
``LoadedArtifact`` is a parsed file the server may keep in an in-memory LRU, and
``SymbolicationResult`` is the rewritten event plus notes on what could not be done.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from protocol.model import Event

ArtifactKind = Literal["source_map", "minified_source", "proguard", "native_debug", "unknown"]


class ObjectInfo(msgspec.Struct, frozen=True, omit_defaults=True):
    """One object inside a native debug file (a fat Mach-O holds several)."""

    debug_id: str
    arch: str
    code_id: str | None = None
    file_format: str | None = None  # elf, macho, pe, pdb, breakpad, symcache, ...
    kind: str | None = None  # exe, dbg, lib, ... as symbolic names it
    features: tuple[str, ...] = ()  # symtab, debug, unwind, sources


class ArtifactInfo(msgspec.Struct, frozen=True, omit_defaults=True):
    """What an uploaded file is and the identifiers to find it by later."""

    kind: ArtifactKind
    filename: str | None = None
    debug_id: str | None = None  # JS debug id or ProGuard uuid (lower-case, dashed)
    source_mapping_url: str | None = None  # minified source: its sourceMappingURL
    objects: tuple[ObjectInfo, ...] = ()  # native_debug only


class ArtifactRef(msgspec.Struct, frozen=True, omit_defaults=True):
    """One artifact symbolication wants; hashable, used as the key of the artifacts map.

    Look it up by ``debug_id`` when set (JS debug id, ProGuard uuid, native debug id),
    otherwise by ``names`` in order: the full URL, ``~/path``, ``~/basename``, basename.
    """

    kind: ArtifactKind
    debug_id: str | None = None
    url: str | None = None
    names: tuple[str, ...] = ()
    code_id: str | None = None  # native: a second way to find the binary


class LoadedArtifact(msgspec.Struct, frozen=True):
    """An artifact parsed once into its symbolic object, reusable across events.

    ``handle`` is a ``SourceMapView`` (source_map), ``SourceView`` (minified_source),
    ``ProguardMapper`` (proguard) or a tuple of ``(debug_id, SymCache)`` (native_debug).
    ``inline_map`` is a source map embedded as a data: URL in a minified file.
    """

    info: ArtifactInfo
    handle: object
    inline_map: object | None = None


class SymbolicationResult(msgspec.Struct, frozen=True):
    """The event with every frame that could be resolved rewritten (raw kept in ``Frame.raw``)."""

    event: Event
    notes: tuple[str, ...] = ()
    missing: tuple[ArtifactRef, ...] = ()
