"""The worker's decoding step: depth limit and unreadable payloads, as failures with reasons."""

from __future__ import annotations

import msgspec
import pytest
import zstandard

from server.pipeline import EventFailed, decode_payload, json_depth


@pytest.mark.parametrize(
    ("value", "depth"),
    [({}, 1), ([], 1), ({"a": 1, "b": "x"}, 1), ({"a": {"b": [1, {"c": []}]}}, 5), ([[[[]]], [1]], 4)],
)
def test_json_depth(value: object, depth: int) -> None:
    assert json_depth(value, 64) == depth


def test_json_depth_stops_past_the_limit() -> None:
    deep: list[object] = []
    for _ in range(500):
        deep = [deep]
    assert json_depth(deep, 10) == 11


def _stored(value: object) -> bytes:
    return zstandard.ZstdCompressor().compress(msgspec.json.encode(value))


def test_too_deep_payload_fails_with_the_limit_named() -> None:
    nested: dict[str, object] = {"event_id": "a" * 32}
    for _ in range(10):
        nested = {"extra": nested}
    with pytest.raises(EventFailed, match="deeper than the limit of 5 levels"):
        decode_payload(_stored(nested), 5)
    assert decode_payload(_stored(nested), 64)["extra"]


def test_unreadable_and_non_object_payloads_fail_with_reasons() -> None:
    with pytest.raises(EventFailed, match="unreadable"):
        decode_payload(b"not zstd", 64)
    with pytest.raises(EventFailed, match="JSON list, not an object"):
        decode_payload(_stored([1, 2]), 64)
