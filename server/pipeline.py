"""What a worker does to one stored event: decode, normalise, and (next) symbolicate and group.

Pure steps only; the worker owns the transaction around them. A step that fails for
one event fails that event with the reason, never its batch.
"""

from __future__ import annotations

import datetime as dt

import msgspec
import zstandard

from protocol import Event, parse_event, trim_event


class EventFailed(Exception):
    """This event cannot be processed; ``reason`` is kept on its row."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_dctx = zstandard.ZstdDecompressor()


def decode_payload(payload: bytes, max_depth: int) -> dict[str, object]:
    try:
        data = msgspec.json.decode(_dctx.decompress(payload))
    except (msgspec.DecodeError, zstandard.ZstdError) as exc:
        raise EventFailed(f"stored payload is unreadable: {exc}") from None
    except RecursionError:
        raise EventFailed("payload is nested too deeply") from None
    if not isinstance(data, dict):
        raise EventFailed(f"payload is a JSON {type(data).__name__}, not an object")
    depth = json_depth(data, max_depth)
    if depth > max_depth:
        raise EventFailed(f"payload nests deeper than the limit of {max_depth} levels")
    return data


def json_depth(obj: object, limit: int) -> int:
    """Nesting depth of decoded JSON, level by level, stopping once it passes ``limit``."""
    level = [obj]
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return depth
        deeper = []
        for node in level:
            for child in node.values() if type(node) is dict else node:  # type: ignore[attr-defined]
                if type(child) is dict or type(child) is list:
                    deeper.append(child)
        level = deeper
    return depth


def normalise(event_id: str, payload: bytes, received: dt.datetime, max_depth: int, budget: int | None = None) -> Event:
    """The normalised event, trimmed to ``budget`` bytes if its raw payload is bigger than that."""
    data = decode_payload(payload, max_depth)
    event = parse_event(data, event_id=event_id, received=received.timestamp())
    # The stored frame records its size, so an event that fits costs no measuring here.
    if budget is not None and not 0 <= zstandard.frame_content_size(payload) <= budget:
        event = trim_event(event, budget)
    return event


def occurred_at(event: Event, received: dt.datetime) -> dt.datetime:
    """The event's own time, unless it is absent or implausible (clock skew)."""
    if event.timestamp is None:
        return received
    try:
        when = dt.datetime.fromtimestamp(event.timestamp, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return received
    if when > received + dt.timedelta(minutes=5) or when.year < 2000:
        return received
    return when
