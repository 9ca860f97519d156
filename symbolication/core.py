"""Two-phase symbolication: say which artifacts an event needs, then rewrite its frames.

The server answers ``needed_artifacts`` from its store (and LRU), possibly twice: a
minified file names its source map only in its own text, so the map's URL is known
once the file is at hand. ``symbolicate`` never raises; what it could not do becomes a
note and, for absent artifacts, an entry in ``missing``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec

from protocol.model import Event, ExceptionValue, Frame
from symbolication import frames as fr
from symbolication import java, js, native
from symbolication.artifacts import inspect_artifact, load_artifact
from symbolication.errors import SymbolicationError
from symbolication.model import ArtifactRef, LoadedArtifact, SymbolicationResult

ArtifactValue = LoadedArtifact | bytes | SymbolicationError
"""What the server may hand in per ref: parsed, raw bytes (parsed here), or the error it hit."""


def needed_artifacts(event: Event, available: Mapping[ArtifactRef, ArtifactValue] | None = None) -> tuple[ArtifactRef, ...]:
    """Refs to fetch for ``event``, leaving out those in ``available``.

    Call again with what was found until nothing new comes back (at most two rounds:
    the second asks for source maps named by a fetched file's ``sourceMappingURL``).
    """
    have: Mapping[ArtifactRef, ArtifactValue] = available or {}
    resolver = _Resolver(event, have)
    refs: list[ArtifactRef] = []
    urls: set[str] = set()
    java_frames = False
    for frame in fr.iter_frames(event):
        if frame.raw is not None:
            continue
        if fr.is_js(frame, event):
            url = fr.js_url(frame)
            assert url is not None
            if url not in urls:
                urls.add(url)
                refs.extend(resolver.js_refs(url))
        elif fr.is_java(frame, event):
            java_frames = True
        elif frame.instruction_addr and resolver.images:
            found = resolver.images.find(frame)
            if found:
                refs.append(found[0].ref)
    if java_frames or any(e.type for e in event.exceptions if event.platform == "java"):
        refs.extend(fr.proguard_refs(event))
    return tuple(r for r in dict.fromkeys(refs) if r not in have)


def symbolicate(event: Event, artifacts: Mapping[ArtifactRef, ArtifactValue]) -> SymbolicationResult:
    """Rewrite every frame the given artifacts can resolve; keep the rest as they came."""
    resolver = _Resolver(event, artifacts)
    exceptions = []
    for exc in event.exceptions:
        new = msgspec.structs.replace(exc, frames=resolver.stack(exc.frames))
        exceptions.append(resolver.exception(new))
    threads = tuple(msgspec.structs.replace(t, frames=resolver.stack(t.frames)) for t in event.threads)
    out = msgspec.structs.replace(event, exceptions=tuple(exceptions), threads=threads)
    return SymbolicationResult(event=out, notes=tuple(dict.fromkeys(resolver.notes)), missing=tuple(dict.fromkeys(resolver.missing)))


class _Resolver:
    """Per-event lookups over the artifacts map, parsing raw bytes at most once."""

    def __init__(self, event: Event, artifacts: Mapping[ArtifactRef, ArtifactValue]) -> None:
        self.event = event
        self.artifacts = artifacts
        self.images = fr.ImageTable(event)
        self.js_ids = fr.js_debug_ids(event)
        self.notes: list[str] = []
        self.missing: list[ArtifactRef] = []
        self._loaded: dict[ArtifactRef, LoadedArtifact | None] = {}
        self._js: dict[str, tuple[object, object, str | None]] = {}
        self._mappers: list[object] | None = None

    # -- artifacts ---------------------------------------------------------------
    def get(self, ref: ArtifactRef, *, peek: bool = False) -> LoadedArtifact | None:
        if ref in self._loaded:
            return self._loaded[ref]
        value = self.artifacts.get(ref)
        loaded: LoadedArtifact | None = None
        label = _label(ref)
        if isinstance(value, LoadedArtifact):
            if value.info.kind == ref.kind:
                loaded = value
            else:
                self.notes.append(f"{label} is a {value.info.kind}, not a {ref.kind}; ignored")
        elif isinstance(value, SymbolicationError):
            self.notes.append(f"{label} unreadable: {value}")
        elif isinstance(value, (bytes, bytearray, memoryview)):
            try:
                if peek and ref.kind == "minified_source":
                    loaded = LoadedArtifact(info=inspect_artifact(bytes(value), ref.url), handle=None)
                    return loaded  # not cached: symbolicate must still parse it fully
                loaded = load_artifact(ref.kind, bytes(value), ref.url or ref.debug_id)
            except SymbolicationError as exc:
                self.notes.append(f"{label} unreadable: {exc}")
        self._loaded[ref] = loaded
        return loaded

    def lack(self, ref: ArtifactRef, why: str) -> None:
        if ref not in self.artifacts:
            self.missing.append(ref)
        self.notes.append(why)

    # -- JavaScript --------------------------------------------------------------
    def js_refs(self, url: str) -> list[ArtifactRef]:
        refs = []
        debug_id = self.js_ids.get(url)
        if debug_id:
            map_id, min_id = fr.js_id_refs(debug_id)
            refs += [map_id, min_id]
            if self.get(map_id, peek=True) is not None:
                return refs
        min_url = fr.minified_ref(url)
        refs.append(min_url)
        for ref in (refs[1] if debug_id else None, min_url):
            minified = self.get(ref, peek=True) if ref else None
            smu = minified.info.source_mapping_url if minified else None
            if smu and not smu.startswith("data:"):
                refs.append(fr.map_ref_for(url, smu))
                break
        return refs

    def js_for(self, url: str) -> tuple[object, object, str | None]:
        """(SourceMapView or None, minified SourceView or None, map URL) for a file URL."""
        if url in self._js:
            return self._js[url]
        view = minified = None
        map_url: str | None = url
        debug_id = self.js_ids.get(url)
        map_id = None
        if debug_id:
            map_id, min_id = fr.js_id_refs(debug_id)
            sm = self.get(map_id)
            view = sm.handle if sm else None
            m = self.get(min_id)
            minified = m.handle if m else None
        min_url = fr.minified_ref(url)
        by_url = self.get(min_url)
        if minified is None and by_url is not None:
            minified = by_url.handle
        if view is None:
            source = by_url or (self.get(fr.js_id_refs(debug_id)[1]) if debug_id else None)
            smu = source.info.source_mapping_url if source else None
            if source is not None and source.inline_map is not None:
                view = source.inline_map
            elif smu:
                ref = fr.map_ref_for(url, smu)
                sm = self.get(ref)
                view, map_url = (sm.handle if sm else None), ref.url
                if sm is None:
                    self.lack(ref, f"source map {ref.url} (named by {url}) not available")
            elif source is not None:
                self.notes.append(f"{url} names no source map (no sourceMappingURL, no debug id)")
            if view is None and map_id is not None:
                self.lack(map_id, f"source map with debug id {debug_id} for {url} not available")
            elif view is None and source is None:
                self.lack(min_url, f"no minified source or source map for {url}")
        self._js[url] = (view, minified, map_url)
        return self._js[url]

    # -- frames ------------------------------------------------------------------
    def stack(self, frames: Sequence[Frame]) -> tuple[Frame, ...]:
        out: list[Frame] = []
        last = len(frames) - 1
        for i, frame in enumerate(frames):
            try:
                out.extend(self.frame(frame, innermost=i == last))
            except Exception as exc:  # noqa: BLE001 - one bad frame must not lose the event
                self.notes.append(f"frame {i} ({frame.function or frame.instruction_addr}) left as sent: {type(exc).__name__}: {exc}")
                out.append(frame)
        return tuple(out)

    def frame(self, frame: Frame, innermost: bool) -> tuple[Frame, ...]:
        if frame.raw is not None:
            return (frame,)
        if fr.is_js(frame, self.event):
            url = fr.js_url(frame)
            assert url is not None
            view, minified, map_url = self.js_for(url)
            if view is None:
                return (frame,)
            mapped = js.map_frame(frame, view, minified, map_url)  # type: ignore[arg-type]
            if mapped is None:
                self.notes.append(f"{url}:{frame.lineno}:{frame.colno} not covered by its source map")
                return (frame,)
            return (mapped,)
        if fr.is_java(frame, self.event):
            mappers = self.proguard()
            return (mappers and java.remap_frame(frame, mappers)) or (frame,)  # type: ignore[arg-type]
        if frame.instruction_addr and self.images:
            return self.native(frame, innermost) or (frame,)
        return (frame,)

    def native(self, frame: Frame, innermost: bool) -> tuple[Frame, ...] | None:
        found = self.images.find(frame)
        if found is None:
            return None
        image, rel = found
        art = self.get(image.ref)
        if art is None:
            if image.ref not in self.artifacts:
                self.lack(image.ref, f"debug file {image.ref.debug_id} ({image.image.code_file}) not available")
            return None
        caches = dict(art.handle)  # type: ignore[call-overload]
        cache = caches.get(image.ref.debug_id) or (next(iter(caches.values())) if len(caches) == 1 else None)
        if cache is None:
            self.notes.append(f"debug file for {image.ref.debug_id} holds other objects: {sorted(caches)}")
            return None
        return native.lookup_frame(frame, image, rel, cache, native.needs_adjustment(frame, innermost))

    def proguard(self) -> list[object]:
        if self._mappers is None:
            self._mappers = []
            for ref in fr.proguard_refs(self.event):
                art = self.get(ref)
                if art is None and ref not in self.artifacts:
                    self.lack(ref, f"ProGuard mapping {ref.debug_id} not available")
                elif art is not None:
                    self._mappers.append(art.handle)
        return self._mappers

    def exception(self, exc: ExceptionValue) -> ExceptionValue:
        if self.event.platform != "java" or not exc.type:
            return exc
        mappers = self.proguard()
        return (mappers and java.remap_exception(exc, mappers)) or exc  # type: ignore[arg-type]


def _label(ref: ArtifactRef) -> str:
    key = ref.debug_id or ref.url or ",".join(ref.names)
    return f"{ref.kind.replace('_', ' ')} {key}"
