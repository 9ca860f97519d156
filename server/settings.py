"""Settings: every knob of the service, read and checked once from the environment.

Each field declares its variable and parser beside it (``Annotated[T, Env(...)]``); adding a
setting is one field. A wrong value stops any command with one line naming the variable, the
value and what is expected. Settings are passed in, never read from ``os.environ`` elsewhere.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, get_type_hints
from urllib.parse import urlsplit

import msgspec

from server.errors import ConfigError


@dataclass(frozen=True)
class Parser:
    """Turns a variable's text into a value; ``bad`` is a wrong example the tests try."""

    expected: str
    convert: Callable[[str], Any]
    bad: str

    def __call__(self, raw: str) -> Any:
        try:
            return self.convert(raw)
        except (ValueError, TypeError, KeyError):
            raise ValueError(self.expected) from None


@dataclass(frozen=True)
class Env:
    """The environment variable behind a setting and how its text is checked."""

    var: str
    parse: Parser


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError(raw)
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= 65535:
        raise ValueError(raw)
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0 or value == float("inf"):
        raise ValueError(raw)
    return value


def _bool(raw: str) -> bool:
    return {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}[
        raw.lower()
    ]


def _url(schemes: tuple[str, ...], *, need_host: bool = True, need_user: bool = False) -> Callable[[str], str]:
    def check(raw: str) -> str:
        parts = urlsplit(raw)
        if parts.scheme not in schemes or (need_host and not parts.hostname) or (need_user and not parts.username):
            raise ValueError(raw)
        return raw.rstrip("/") if parts.scheme.startswith("http") else raw

    return check


def _host(raw: str) -> str:
    with_brackets = raw.strip("[]")
    try:
        ipaddress.ip_address(with_brackets)
        return with_brackets
    except ValueError:
        pass
    if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?", raw):
        raise ValueError(raw)
    return raw


def _absolute_path(raw: str) -> str:
    path = Path(raw).expanduser()
    if not path.is_absolute():
        raise ValueError(raw)
    return str(path)


POSITIVE_INT = Parser("a whole number above 0", _positive_int, "two")
PORT = Parser("a port number from 1 to 65535", _port, "abc")
SECONDS = Parser("a number of seconds above 0", _positive_float, "soon")
BOOL = Parser("true or false (also 1/0, yes/no, on/off)", _bool, "maybe")
HOST = Parser("a host name or IP address to listen on", _host, "not a host")
HTTP_URL = Parser("an http:// or https:// URL", _url(("http", "https")), "crash.example.com")
POSTGRES_URL = Parser("a postgresql:// URL", _url(("postgresql", "postgres"), need_host=False), "mysql://db/crashdesk")
SENTRY_DSN = Parser("a DSN like https://<public_key>@<host>/<project_id>", _url(("http", "https"), need_user=True), "not-a-dsn")
ABSOLUTE_PATH = Parser("an absolute folder path", _absolute_path, "relative/folder")


def _default_data_dir(env: Mapping[str, str]) -> str:
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local" / "share")
    return str(Path(base) / "crashdesk")


class Settings(msgspec.Struct, frozen=True):
    """Every knob of the service; each field names its environment variable."""

    database_url: Annotated[str | None, Env("DATABASE_URL", POSTGRES_URL)] = None
    """PostgreSQL to use; unset starts an embedded one in ``data_dir``."""
    data_dir: Annotated[str, Env("CRASHDESK_DATA_DIR", ABSOLUTE_PATH)] = ""
    """Where the embedded database and first-run secrets live (default ``~/.local/share/crashdesk``)."""
    public_url: Annotated[str | None, Env("CRASHDESK_PUBLIC_URL", HTTP_URL)] = None
    """Base URL clients reach, used in printed DSNs."""
    host: Annotated[str, Env("CRASHDESK_HOST", HOST)] = "127.0.0.1"
    """Address ``serve`` listens on (``--host``)."""
    port: Annotated[int, Env("CRASHDESK_PORT", PORT)] = 8000
    """Port ``serve`` listens on (``--port``)."""
    workers: Annotated[int, Env("CRASHDESK_WORKERS", POSITIVE_INT)] = 1
    """HTTP processes of ``serve`` (``--workers``)."""
    max_event_bytes: Annotated[int, Env("CRASHDESK_MAX_EVENT_BYTES", POSITIVE_INT)] = 1 << 20
    """The budget of one normalised event; a bigger one is trimmed to it."""
    max_envelope_bytes: Annotated[int, Env("CRASHDESK_MAX_ENVELOPE_BYTES", POSITIVE_INT)] = 20 << 20
    """A whole request body, decompressed."""
    max_attachment_bytes: Annotated[int, Env("CRASHDESK_MAX_ATTACHMENT_BYTES", POSITIVE_INT)] = 20 << 20
    """One attachment item."""
    max_envelope_items: Annotated[int, Env("CRASHDESK_MAX_ENVELOPE_ITEMS", POSITIVE_INT)] = 100
    """Items in one envelope (Relay allows 100 sessions per envelope)."""
    max_inflight_body_bytes: Annotated[int, Env("CRASHDESK_MAX_INFLIGHT_BODY_BYTES", POSITIVE_INT)] = 256 << 20
    """Request bodies held at once per process; past it, 503."""
    header_timeout_seconds: Annotated[float, Env("CRASHDESK_HEADER_TIMEOUT_SECONDS", SECONDS)] = 10.0
    """Time a client has to send a request's headers."""
    body_timeout_seconds: Annotated[float, Env("CRASHDESK_BODY_TIMEOUT_SECONDS", SECONDS)] = 60.0
    """Time a client has to send a request's body."""
    database_wait_seconds: Annotated[float, Env("CRASHDESK_DATABASE_WAIT_SECONDS", SECONDS)] = 10.0
    """Longest ingest waits on a key lookup or commit before 503."""
    max_json_depth: Annotated[int, Env("CRASHDESK_MAX_JSON_DEPTH", POSITIVE_INT)] = 64
    """Nesting allowed in an event payload."""
    batch_max: Annotated[int, Env("CRASHDESK_BATCH_MAX", POSITIVE_INT)] = 256
    """Most events committed in one group commit."""
    writer_connections: Annotated[int, Env("CRASHDESK_WRITER_CONNECTIONS", POSITIVE_INT)] = 2
    """Concurrent group commits per process."""
    process_events: Annotated[bool, Env("CRASHDESK_PROCESS_EVENTS", BOOL)] = True
    """Run event-processing workers inside ``serve``."""
    processor_batch: Annotated[int, Env("CRASHDESK_PROCESSOR_BATCH", POSITIVE_INT)] = 100
    """Events a processing worker claims at once."""
    key_cache_seconds: Annotated[float, Env("CRASHDESK_KEY_CACHE_SECONDS", SECONDS)] = 5.0
    """How long a project key lookup is reused."""
    max_artifact_bytes: Annotated[int, Env("CRASHDESK_MAX_ARTIFACT_BYTES", POSITIVE_INT)] = 100 << 20
    """One uploaded artifact (source map, mapping, debug file)."""
    artifact_cache_items: Annotated[int, Env("CRASHDESK_ARTIFACT_CACHE_ITEMS", POSITIVE_INT)] = 500
    """Parsed artifacts a processing process keeps in memory."""
    artifact_cache_bytes: Annotated[int, Env("CRASHDESK_ARTIFACT_CACHE_BYTES", POSITIVE_INT)] = 512 << 20
    """Stored size of the parsed artifacts kept in memory."""
    sentry_dsn: Annotated[str | None, Env("SENTRY_DSN", SENTRY_DSN)] = None
    """Where Crashdesk reports its own errors (may be itself)."""
    webhook_sender: Annotated[bool, Env("CRASHDESK_WEBHOOK_SENDER", BOOL)] = True
    """Deliver outgoing webhooks from inside ``serve``."""
    webhook_allow_private: Annotated[bool, Env("CRASHDESK_WEBHOOK_ALLOW_PRIVATE", BOOL)] = False
    """Allow hooks to private, loopback and link-local addresses (SSRF guard off)."""
    webhook_backoff_seconds: Annotated[float, Env("CRASHDESK_WEBHOOK_BACKOFF_SECONDS", SECONDS)] = 30.0
    """Wait before the first retry; each further retry waits twice as long."""
    webhook_max_attempts: Annotated[int, Env("CRASHDESK_WEBHOOK_MAX_ATTEMPTS", POSITIVE_INT)] = 10
    """Attempts before a delivery is marked failed."""
    webhook_timeout: Annotated[float, Env("CRASHDESK_WEBHOOK_TIMEOUT", SECONDS)] = 10.0
    """Seconds a receiver has to answer."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every field's variable; raise ``ConfigError`` naming the first wrong one."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for name, source in sources().items():
            raw = (env.get(source.var) or "").strip()
            if not raw:
                continue
            try:
                values[name] = source.parse(raw)
            except ValueError:
                raise ConfigError(source.var, f"got {raw!r}, expected {source.parse.expected}") from None
        values.setdefault("data_dir", _default_data_dir(env))
        return cls(**values)


@cache
def sources() -> dict[str, Env]:
    """Field name -> where it comes from, in declaration order (every field must have one)."""
    hints = get_type_hints(Settings, include_extras=True)
    found: dict[str, Env] = {}
    for name in Settings.__struct_fields__:
        meta = [m for m in getattr(hints[name], "__metadata__", ()) if isinstance(m, Env)]
        if len(meta) != 1:
            raise TypeError(f"Settings.{name} must declare exactly one Env(...)")
        found[name] = meta[0]
    return found


def variables() -> frozenset[str]:
    """Every environment variable Crashdesk reads."""
    return frozenset(source.var for source in sources().values())
