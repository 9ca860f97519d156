"""An in-process LRU of parsed artifacts, keyed by stored row, bounded by count and bytes.

Stored artifacts never change (a re-upload is a new row), so entries need no
invalidation: a deleted or replaced row is simply never asked for again and ages out.
"""

from __future__ import annotations

from collections import OrderedDict

from server.settings import Settings
from symbolication import ArtifactValue

Key = tuple[str, int]  # ('a', artifact id) or ('o', artifact object id)


class ArtifactCache:
    def __init__(self, max_items: int, max_bytes: int) -> None:
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Key, tuple[ArtifactValue, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Key) -> ArtifactValue | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[0]

    def put(self, key: Key, value: ArtifactValue, size: int) -> None:
        """Keep ``value``; ``size`` approximates its memory (the stored bytes it was parsed from)."""
        if size > self.max_bytes:
            return  # larger than the whole cache: parse again when needed
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        self._entries[key] = (value, size)
        self.bytes += size
        while len(self._entries) > self.max_items or self.bytes > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped


_per_process: dict[tuple[int, int], ArtifactCache] = {}


def artifact_cache(settings: Settings) -> ArtifactCache:
    """The process's cache of that size: processors in one process share what they parsed."""
    size = (settings.artifact_cache_items, settings.artifact_cache_bytes)
    if size not in _per_process:
        _per_process[size] = ArtifactCache(*size)
    return _per_process[size]
