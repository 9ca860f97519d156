"""Which frames of an event belong to which platform, and which artifact each one needs.

Shared by ``needed_artifacts`` and ``symbolicate`` so that both agree exactly on the
refs: the server fetches what ``needed_artifacts`` names and ``symbolicate`` looks up
those very refs.
"""

from __future__ import annotations

import bisect
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

from protocol.model import DebugImage, Event, Frame
from symbolication.artifacts import norm_debug_id
from symbolication.model import ArtifactRef

JS_PLATFORMS = frozenset({"javascript", "node"})
_NOT_NATIVE_IMAGES = frozenset({"sourcemap", "proguard", "jvm", "dart_symbols"})


def iter_frames(event: Event) -> Iterator[Frame]:
    for exc in event.exceptions:
        yield from exc.frames
    for thread in event.threads:
        yield from thread.frames


def frame_platform(frame: Frame, event: Event) -> str:
    return frame.platform or event.platform


def is_js(frame: Frame, event: Event) -> bool:
    return (
        frame_platform(frame, event) in JS_PLATFORMS
        and frame.lineno is not None
        and frame.colno is not None
        and js_url(frame) is not None
    )


def js_url(frame: Frame) -> str | None:
    url = frame.abs_path or frame.filename
    if not url or url.startswith(("<", "node:")) or url in ("native", "[native code]"):
        return None  # node's own modules (node:internal/...) are never minified by the app
    return url


def is_java(frame: Frame, event: Event) -> bool:
    return frame_platform(frame, event) == "java" and bool(frame.module) and bool(frame.function)


def url_names(url: str) -> tuple[str, ...]:
    """Names an artifact for ``url`` may be stored under, best first (Sentry's ``~/`` convention)."""
    clean = url.split("#", 1)[0].split("?", 1)[0]
    parts = urllib.parse.urlsplit(clean)
    path = parts.path if parts.scheme else clean
    names = [url, clean]
    if parts.scheme and path.startswith("/"):
        names.append("~" + path)
    base = path.rstrip("/").rsplit("/", 1)[-1]
    if base:
        names += ["~/" + base, base]
    return tuple(dict.fromkeys(names))


def js_debug_ids(event: Event) -> dict[str, str]:
    """code_file URL -> JS debug id, from ``debug_meta.images`` of type ``sourcemap``."""
    return {
        img.code_file: img.debug_id.lower()
        for img in event.debug_images
        if img.type == "sourcemap" and img.code_file and img.debug_id
    }


def minified_ref(url: str) -> ArtifactRef:
    return ArtifactRef(kind="minified_source", url=url, names=url_names(url))


def map_ref_for(url: str, source_mapping_url: str) -> ArtifactRef:
    """The source map a minified file names, resolved against the file's own URL."""
    full = urllib.parse.urljoin(url, source_mapping_url)
    return ArtifactRef(kind="source_map", url=full, names=url_names(full))


def js_id_refs(debug_id: str) -> tuple[ArtifactRef, ArtifactRef]:
    """(source map, minified source) refs for a JS debug id."""
    return ArtifactRef(kind="source_map", debug_id=debug_id), ArtifactRef(kind="minified_source", debug_id=debug_id)


def proguard_refs(event: Event) -> tuple[ArtifactRef, ...]:
    ids = [img.uuid or img.debug_id for img in event.debug_images if img.type == "proguard"]
    return tuple(dict.fromkeys(ArtifactRef(kind="proguard", debug_id=i.lower()) for i in ids if i))


def parse_addr(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value, 0)
    except ValueError:
        return None


@dataclass(frozen=True)
class Image:
    """A native module as loaded in the process, with the ref to its debug file."""

    index: int
    start: int
    end: int | None
    image: DebugImage
    ref: ArtifactRef


def _basename(path: str | None) -> str | None:
    if not path:
        return None
    return path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or None


def native_ref(img: DebugImage, debug_id: str) -> ArtifactRef:
    names = tuple(dict.fromkeys(n for n in (_basename(img.debug_file), _basename(img.code_file)) if n))
    return ArtifactRef(kind="native_debug", debug_id=debug_id, names=names, code_id=img.code_id)


class ImageTable:
    """Native debug images sorted by load address, to find the module holding an address."""

    def __init__(self, event: Event) -> None:
        self.by_index: dict[int, Image] = {}
        images = []
        for index, img in enumerate(event.debug_images):
            start = parse_addr(img.image_addr)
            debug_id = img.debug_id or img.uuid
            if img.type in _NOT_NATIVE_IMAGES or start is None or not debug_id:
                continue
            end = start + img.image_size if img.image_size else None
            entry = Image(index, start, end, img, native_ref(img, norm_debug_id(debug_id)))
            images.append(entry)
            self.by_index[index] = entry
        images.sort(key=lambda i: i.start)
        self._images = images
        self._starts = [i.start for i in images]

    def __bool__(self) -> bool:
        return bool(self._images)

    def find(self, frame: Frame) -> tuple[Image, int] | None:
        """(image, address relative to the image) for a frame, honouring ``addr_mode``."""
        addr = parse_addr(frame.instruction_addr)
        if addr is None:
            return None
        mode = frame.addr_mode or "abs"
        if mode.startswith("rel:"):
            try:
                image = self.by_index.get(int(mode[4:]))
            except ValueError:
                return None
            return (image, addr) if image else None
        pos = bisect.bisect_right(self._starts, addr) - 1
        if pos < 0:
            return None
        image = self._images[pos]
        if image.end is not None and addr >= image.end:
            return None
        return image, addr - image.start
