"""The normalised event: what every stage after ingestion reads.

Sentry payloads come in many shapes (legacy ``sentry.interfaces.*`` keys, tags as
pairs or maps, message as string or object, ``null`` frames). ``protocol.parse``
folds them all into these Structs once, so symbolication and grouping each see one
shape and never re-validate.
"""

from __future__ import annotations

import msgspec


class Frame(msgspec.Struct, frozen=True, omit_defaults=True):
    """One stack frame, innermost last (Sentry's order).

    ``raw`` keeps the frame as the SDK sent it when symbolication rewrote it, so the
    original minified or obfuscated location is never lost.
    """

    function: str | None = None
    raw_function: str | None = None
    module: str | None = None
    package: str | None = None
    filename: str | None = None
    abs_path: str | None = None
    lineno: int | None = None
    colno: int | None = None
    context_line: str | None = None
    pre_context: tuple[str, ...] = ()
    post_context: tuple[str, ...] = ()
    in_app: bool | None = None
    platform: str | None = None
    instruction_addr: str | None = None
    symbol_addr: str | None = None
    image_addr: str | None = None
    addr_mode: str | None = None
    trust: str | None = None
    raw: Frame | None = None


class ExceptionValue(msgspec.Struct, frozen=True, omit_defaults=True):
    """One exception of a chain; ``frames`` innermost last."""

    type: str | None = None
    value: str | None = None
    module: str | None = None
    mechanism: str | None = None
    handled: bool | None = None
    synthetic: bool = False
    exception_id: int | None = None
    parent_id: int | None = None
    thread_id: str | None = None
    frames: tuple[Frame, ...] = ()
    frames_omitted: bool = False


class Thread(msgspec.Struct, frozen=True, omit_defaults=True):
    id: str | None = None
    name: str | None = None
    crashed: bool = False
    current: bool = False
    frames: tuple[Frame, ...] = ()
    frames_omitted: bool = False


class DebugImage(msgspec.Struct, frozen=True, omit_defaults=True):
    """A loaded module of a native process, used to map addresses to debug files."""

    type: str | None = None
    code_file: str | None = None
    debug_file: str | None = None
    debug_id: str | None = None
    code_id: str | None = None
    image_addr: str | None = None
    image_size: int | None = None
    image_vmaddr: str | None = None
    arch: str | None = None
    uuid: str | None = None


class Event(msgspec.Struct, frozen=True, omit_defaults=True):
    """A crash or message event in one shape, whatever SDK or protocol version sent it.

    ``exceptions`` is in Sentry's order: the first raised (the cause) first, the one
    that reached the handler last.
    """

    event_id: str
    timestamp: float | None = None
    platform: str = "other"
    level: str = "error"
    logger: str | None = None
    transaction: str | None = None
    server_name: str | None = None
    release: str | None = None
    dist: str | None = None
    environment: str | None = None
    message: str | None = None
    message_template: str | None = None
    exceptions: tuple[ExceptionValue, ...] = ()
    threads: tuple[Thread, ...] = ()
    fingerprint: tuple[str, ...] | None = None
    tags: dict[str, str] = {}
    user: dict[str, str] | None = None
    contexts: dict[str, dict[str, object]] = {}
    sdk_name: str | None = None
    sdk_version: str | None = None
    request_url: str | None = None
    request_method: str | None = None
    debug_images: tuple[DebugImage, ...] = ()
    notes: tuple[str, ...] = ()
