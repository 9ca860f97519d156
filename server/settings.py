"""Settings, read once from the environment into a frozen struct.

A wrong value stops start-up with a message naming the variable, rather than
surfacing later as a confusing failure under load.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import msgspec

from server.errors import ConfigError


def _default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "crashdesk")


class Settings(msgspec.Struct, frozen=True):
    """Every knob of the service; ``from_env`` documents the variable behind each."""

    database_url: str | None = None
    """``DATABASE_URL``: PostgreSQL to use; unset starts an embedded one in ``data_dir``."""
    data_dir: str = ""
    """``CRASHDESK_DATA_DIR``: where the embedded database and other state live."""
    public_url: str | None = None
    """``CRASHDESK_PUBLIC_URL``: base URL clients reach, used in printed DSNs."""
    max_event_bytes: int = 1 << 20
    """``CRASHDESK_MAX_EVENT_BYTES``: the budget of one normalised event; a bigger one is trimmed to it."""
    max_envelope_bytes: int = 20 << 20
    """``CRASHDESK_MAX_ENVELOPE_BYTES``: a whole request body, decompressed."""
    max_attachment_bytes: int = 20 << 20
    """``CRASHDESK_MAX_ATTACHMENT_BYTES``: one attachment item."""
    max_envelope_items: int = 100
    """``CRASHDESK_MAX_ENVELOPE_ITEMS``: items in one envelope (Relay allows 100 sessions per envelope)."""
    max_inflight_body_bytes: int = 256 << 20
    """``CRASHDESK_MAX_INFLIGHT_BODY_BYTES``: request bodies held at once per process; past it, 503."""
    header_timeout_seconds: float = 10.0
    """``CRASHDESK_HEADER_TIMEOUT_SECONDS``: time a client has to send a request's headers."""
    body_timeout_seconds: float = 60.0
    """``CRASHDESK_BODY_TIMEOUT_SECONDS``: time a client has to send a request's body."""
    database_wait_seconds: float = 10.0
    """``CRASHDESK_DATABASE_WAIT_SECONDS``: longest ingest waits on a key lookup or commit before 503."""
    max_json_depth: int = 64
    """``CRASHDESK_MAX_JSON_DEPTH``: nesting allowed in an event payload."""
    batch_max: int = 256
    """``CRASHDESK_BATCH_MAX``: most events committed in one group commit."""
    writer_connections: int = 2
    """``CRASHDESK_WRITER_CONNECTIONS``: concurrent group commits per process."""
    process_events: bool = True
    """``CRASHDESK_PROCESS_EVENTS``: run event-processing workers inside ``serve``."""
    processor_batch: int = 100
    """``CRASHDESK_PROCESSOR_BATCH``: events a processing worker claims at once."""
    key_cache_seconds: float = 5.0
    """``CRASHDESK_KEY_CACHE_SECONDS``: how long a project key lookup is reused."""
    max_artifact_bytes: int = 100 << 20
    """``CRASHDESK_MAX_ARTIFACT_BYTES``: one uploaded artifact (source map, mapping, debug file)."""
    artifact_cache_items: int = 500
    """``CRASHDESK_ARTIFACT_CACHE_ITEMS``: parsed artifacts a processing process keeps in memory."""
    artifact_cache_bytes: int = 512 << 20
    """``CRASHDESK_ARTIFACT_CACHE_BYTES``: stored size of the parsed artifacts kept in memory."""
    sentry_dsn: str | None = None
    """``SENTRY_DSN``: where Crashdesk reports its own errors (may be itself)."""
    webhook_sender: bool = True
    """``CRASHDESK_WEBHOOK_SENDER``: deliver outgoing webhooks from inside ``serve``."""
    webhook_allow_private: bool = False
    """``CRASHDESK_WEBHOOK_ALLOW_PRIVATE``: allow hooks to private, loopback and link-local addresses (SSRF guard off)."""
    webhook_backoff_seconds: float = 30.0
    """``CRASHDESK_WEBHOOK_BACKOFF_SECONDS``: wait before the first retry; each further retry waits twice as long."""
    webhook_max_attempts: int = 10
    """``CRASHDESK_WEBHOOK_MAX_ATTEMPTS``: attempts before a delivery is marked failed."""
    webhook_timeout: float = 10.0
    """``CRASHDESK_WEBHOOK_TIMEOUT``: seconds a receiver has to answer."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=env.get("CRASHDESK_DATA_DIR") or _default_data_dir(),
            public_url=(env.get("CRASHDESK_PUBLIC_URL") or "").rstrip("/") or None,
            max_event_bytes=_int(env, "CRASHDESK_MAX_EVENT_BYTES", 1 << 20),
            max_envelope_bytes=_int(env, "CRASHDESK_MAX_ENVELOPE_BYTES", 20 << 20),
            max_attachment_bytes=_int(env, "CRASHDESK_MAX_ATTACHMENT_BYTES", 20 << 20),
            max_envelope_items=_int(env, "CRASHDESK_MAX_ENVELOPE_ITEMS", 100),
            max_inflight_body_bytes=_int(env, "CRASHDESK_MAX_INFLIGHT_BODY_BYTES", 256 << 20),
            header_timeout_seconds=_float(env, "CRASHDESK_HEADER_TIMEOUT_SECONDS", 10.0),
            body_timeout_seconds=_float(env, "CRASHDESK_BODY_TIMEOUT_SECONDS", 60.0),
            database_wait_seconds=_float(env, "CRASHDESK_DATABASE_WAIT_SECONDS", 10.0),
            max_json_depth=_int(env, "CRASHDESK_MAX_JSON_DEPTH", 64),
            batch_max=_int(env, "CRASHDESK_BATCH_MAX", 256),
            writer_connections=_int(env, "CRASHDESK_WRITER_CONNECTIONS", 2),
            process_events=_bool(env, "CRASHDESK_PROCESS_EVENTS", True),
            processor_batch=_int(env, "CRASHDESK_PROCESSOR_BATCH", 100),
            key_cache_seconds=_float(env, "CRASHDESK_KEY_CACHE_SECONDS", 5.0),
            max_artifact_bytes=_int(env, "CRASHDESK_MAX_ARTIFACT_BYTES", 100 << 20),
            artifact_cache_items=_int(env, "CRASHDESK_ARTIFACT_CACHE_ITEMS", 500),
            artifact_cache_bytes=_int(env, "CRASHDESK_ARTIFACT_CACHE_BYTES", 512 << 20),
            sentry_dsn=env.get("SENTRY_DSN") or None,
            webhook_sender=_bool(env, "CRASHDESK_WEBHOOK_SENDER", True),
            webhook_allow_private=_bool(env, "CRASHDESK_WEBHOOK_ALLOW_PRIVATE", False),
            webhook_backoff_seconds=_float(env, "CRASHDESK_WEBHOOK_BACKOFF_SECONDS", 30.0),
            webhook_max_attempts=_int(env, "CRASHDESK_WEBHOOK_MAX_ATTEMPTS", 10),
            webhook_timeout=_float(env, "CRASHDESK_WEBHOOK_TIMEOUT", 10.0),
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"expected a whole number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(name, f"must be positive, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(name, f"expected a number, got {raw!r}") from None


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(name, f"expected true or false, got {raw!r}")
