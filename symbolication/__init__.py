"""Pure symbolication core: artifacts in as bytes, events in and out as Structs.

Source maps (JavaScript), ProGuard/R8 maps (Java/Android) and native debug files
(via symbolic's SymCache) rewrite frames; minidumps are parsed into events. No I/O,
no clock, no server imports: the server fetches the bytes ``needed_artifacts`` names::

    found, tried = {}, set()
    while refs := [r for r in needed_artifacts(event, found) if r not in tried]:
        tried.update(refs)
        found.update(fetch(refs))  # LoadedArtifact from an LRU, raw bytes, or the ArtifactError hit
    result = symbolicate(event, found)
"""

from symbolication.artifacts import build_cfi, build_symcache, inspect_artifact, load_artifact, proguard_uuid
from symbolication.core import ArtifactValue, needed_artifacts, symbolicate
from symbolication.errors import ArtifactError, MinidumpError, SymbolicationError
from symbolication.minidump_event import parse_minidump
from symbolication.model import ArtifactInfo, ArtifactKind, ArtifactRef, LoadedArtifact, ObjectInfo, SymbolicationResult

__all__ = [
    "ArtifactError",
    "ArtifactInfo",
    "ArtifactKind",
    "ArtifactRef",
    "ArtifactValue",
    "LoadedArtifact",
    "MinidumpError",
    "ObjectInfo",
    "SymbolicationError",
    "SymbolicationResult",
    "build_cfi",
    "build_symcache",
    "inspect_artifact",
    "load_artifact",
    "needed_artifacts",
    "parse_minidump",
    "proguard_uuid",
    "symbolicate",
]
