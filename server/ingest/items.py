"""Turn a decoded request body into the rows to commit: the per-item rules of ingestion."""

from __future__ import annotations

import re
import threading
import uuid
from typing import Any

import msgspec
import zstandard

from protocol import Envelope, EnvelopeError, EnvelopeTooLarge, first_line, parse_envelope
from server.ingest.errors import BadRequest, TooLarge
from server.ingest.text import row_text
from server.ingest.writer import AttachmentRow, EventRow, Submission
from server.settings import Settings

# Item types stored as events; everything else known is accepted and counted.
EVENT_TYPES = frozenset({"event"})
ATTACHMENT_TYPES = frozenset({"attachment"})
SESSION_TYPES = frozenset({"session", "sessions"})  # queued for release health (and counted)


class _Head(msgspec.Struct):
    """The only fields ingestion reads; decoding into it also validates the JSON."""

    event_id: Any = None


_head_decoder = msgspec.json.Decoder(_Head)
# zstandard's compressors are not thread-safe, and big bodies are decoded in a worker thread while
# small ones are decoded on the event loop: one compressor per thread (sharing one crashed serve).
_compressors = threading.local()


def _compress(payload: bytes) -> bytes:
    compressor = getattr(_compressors, "zstd", None)
    if compressor is None:
        compressor = _compressors.zstd = zstandard.ZstdCompressor(level=1)
    return compressor.compress(payload)
_OBJECT_START = re.compile(rb"[ \t\r\n]*\{")  # match() looks at the start without copying the payload
_CANONICAL_ID = re.compile(r"[0-9a-f]{32}")


def normalize_event_id(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{where} event_id must be a string of 32 hex digits, got {type(value).__name__}")
    if _CANONICAL_ID.fullmatch(value):  # what SDKs send; skips building a UUID per request
        return value
    try:
        return uuid.UUID(value).hex
    except ValueError:
        raise BadRequest(f"{where} event_id {value[:64]!r} is not 32 hex digits") from None


def event_row(project_id: int, payload: bytes, header_id: str | None, settings: Settings, where: str) -> EventRow:
    # Any event that fits the envelope is kept as sent; the worker trims it to the event budget.
    if _OBJECT_START.match(payload) is None:
        raise BadRequest(f"{where} must be a JSON object")
    try:
        head = _head_decoder.decode(payload)
    except msgspec.DecodeError as exc:
        raise BadRequest(f"{where} is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadRequest(f"{where} is nested too deeply") from None
    event_id = normalize_event_id(head.event_id, where) or header_id or uuid.uuid4().hex
    return EventRow(project_id=project_id, event_id=event_id, payload=_compress(payload))


def from_store(project_id: int, body: bytes, settings: Settings) -> tuple[Submission, str]:
    row = event_row(project_id, body, None, settings, "event")
    return Submission(events=(row,)), row.event_id


def from_envelope(project_id: int, envelope: Envelope, settings: Settings) -> tuple[Submission, str | None]:
    header_id = normalize_event_id(envelope.headers.get("event_id"), "envelope header")
    events: list[EventRow] = []
    attachments: list[AttachmentRow] = []
    counts: list[tuple[int, str]] = []
    sessions: list[tuple[int, str, bytes]] = []
    for number, item in enumerate(envelope.items, 1):
        where = f"item {number} ({item.type})"
        if item.type in EVENT_TYPES:
            events.append(event_row(project_id, item.payload, header_id, settings, where))
        elif item.type in ATTACHMENT_TYPES:
            if len(item.payload) > settings.max_attachment_bytes:
                raise TooLarge(f"{where} is {len(item.payload)} bytes, over the limit of {settings.max_attachment_bytes}")
            owner = header_id or (events[0].event_id if events else None)
            if owner is None:
                raise BadRequest(f"{where} has no event to belong to (no event_id in the envelope header)")
            attachments.append(
                AttachmentRow(
                    project_id=project_id,
                    event_id=owner,
                    name=row_text(item.headers.get("filename"), f"{where} filename") or f"attachment-{number}",
                    content_type=row_text(item.headers.get("content_type"), f"{where} content_type"),
                    attachment_type=row_text(item.headers.get("attachment_type"), f"{where} attachment_type"),
                    data=item.payload,
                )
            )
        else:
            if item.type in SESSION_TYPES and len(item.payload) <= settings.max_event_bytes:
                sessions.append((project_id, item.type, item.payload))
            counts.append((project_id, item.type[:64]))
    if len(events) > 1:
        raise BadRequest(f"envelope has {len(events)} event items; at most one is allowed")
    reply_id = events[0].event_id if events else header_id
    return Submission(events=tuple(events), attachments=tuple(attachments), counts=tuple(counts), sessions=tuple(sessions)), reply_id


def parse(body: bytes, max_items: int) -> Envelope:
    try:
        return parse_envelope(body, max_items)
    except EnvelopeTooLarge as exc:
        raise TooLarge(exc.reason) from None
    except EnvelopeError as exc:
        raise BadRequest(f"malformed envelope: {exc.reason}") from None


def header_of(line: bytes) -> dict[str, Any]:
    """The envelope header line alone (to find its ``dsn`` before the rest is read)."""
    try:
        return first_line(line)
    except EnvelopeError as exc:
        raise BadRequest(f"malformed envelope: {exc.reason}") from None

