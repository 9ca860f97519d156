"""``POST /api/{project_id}/minidump/``: a Crashpad/Breakpad multipart upload, stored durably.

The dump is stored as an ``event.minidump`` attachment next to an event whose payload
is the SDK's ``sentry`` JSON field (or ``sentry[...]`` fields, as Breakpad annotations
send them); the worker reads the dump into crash reason, threads and modules. Other
file parts are kept as ordinary attachments.
"""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import msgspec
import multipart

from server.ingest.errors import BadRequest, TooLarge
from server.ingest.items import event_row, normalize_event_id
from server.ingest.text import row_text
from server.ingest.writer import AttachmentRow, Submission
from server.pipeline import json_depth
from server.settings import Settings

FIELD = "upload_file_minidump"
_BRACKETS = re.compile(r"\[([^\]]*)\]")
_MAX_FIELD_DEPTH = 16  # sentry[a][b]... deeper than any SDK annotates


def from_multipart(project_id: int, body: bytes, content_type: str, settings: Settings) -> tuple[Submission, str]:
    """The event and attachments of one upload; 400 naming what is wrong with it."""
    mime, options = multipart.parse_options_header(content_type)
    if mime != "multipart/form-data" or not options.get("boundary"):
        raise BadRequest(f"a minidump upload is multipart/form-data with a boundary, got {content_type[:100]!r}")
    cap = settings.max_attachment_bytes
    parser = multipart.MultipartParser(
        io.BytesIO(body), options["boundary"], content_length=len(body), spool_limit=len(body) + 1,
        memory_limit=len(body) + 1, part_limit=256,
    )
    dump: tuple[str, bytes] | None = None
    files: list[tuple[str, str | None, bytes]] = []
    base: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    part_name = "?"
    try:
        for part in parser:
            part_name = repr(part.name[:64])
            if part.filename is not None or part.name == FIELD:
                data = part.raw
                if len(data) > cap:
                    raise TooLarge(f"file {part.filename or part.name} is {len(data)} bytes, over the limit of {cap}")
                name = row_text(part.filename or part.name, f"file name of part {part_name}") or "attachment"
                if part.name == FIELD and dump is None:
                    dump = (name if part.filename else "minidump.dmp", data)
                else:
                    files.append((name, row_text(part.content_type, f"content type of part {part_name}"), data))
            elif part.name == "sentry":
                base = _decode_json(part.raw, settings.max_json_depth)
            elif part.name.startswith("sentry["):
                path = _BRACKETS.findall(part.name)
                if len(path) > _MAX_FIELD_DEPTH:
                    raise BadRequest(f"form field {part_name} nests deeper than {_MAX_FIELD_DEPTH} levels")
                _set_path(fields, path, part.value)
    except multipart.MultipartError as exc:
        raise BadRequest(f"malformed multipart body: {exc}") from None
    except (UnicodeDecodeError, LookupError):
        raise BadRequest(f"form field {part_name} is not valid text in its charset (UTF-8 unless declared)") from None
    if dump is None:
        raise BadRequest(f"no minidump: the upload has no {FIELD!r} file part")
    if not dump[1].startswith((b"MDMP", b"PMDM")):
        raise BadRequest(f"{FIELD} ({dump[0]}) is not a minidump: no MDMP signature")
    event = {**fields, **base}
    event_id = normalize_event_id(event.get("event_id"), "sentry field") or uuid.uuid4().hex
    contexts = event.get("contexts") if isinstance(event.get("contexts"), dict) else {}
    event.update(event_id=event_id, platform=event.get("platform") or "native", level=event.get("level") or "fatal",
                 contexts={**contexts, "minidump": {"attachment": dump[0]}})
    row = event_row(project_id, msgspec.json.encode(event), event_id, settings, "minidump event")
    attachments = [AttachmentRow(project_id, event_id, dump[0], "application/x-dmp", "event.minidump", dump[1])]
    taken = {dump[0]}
    for name, ctype, data in files:
        while name in taken:
            name = f"{name}_"
        taken.add(name)
        attachments.append(AttachmentRow(project_id, event_id, name, ctype, "event.attachment", data))
    return Submission(events=(row,), attachments=tuple(attachments)), event_id


def _decode_json(raw: bytes, max_depth: int) -> dict[str, Any]:
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise BadRequest(f"the 'sentry' field is not valid JSON: {exc}") from None
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the 'sentry' field is not valid UTF-8 (byte {exc.start})") from None
    except RecursionError:
        raise BadRequest("the 'sentry' field is nested too deeply") from None
    if not isinstance(value, dict):
        raise BadRequest("the 'sentry' field must be a JSON object")
    if json_depth(value, max_depth) > max_depth:
        raise BadRequest(f"the 'sentry' field nests deeper than the limit of {max_depth} levels")
    return value


def _set_path(target: dict[str, Any], path: list[str], value: str) -> None:
    """``sentry[tags][os]=linux`` -> ``{"tags": {"os": "linux"}}``."""
    if not path or not all(path):
        return
    for key in path[:-1]:
        nxt = target.get(key)
        if not isinstance(nxt, dict):
            nxt = target[key] = {}
        target = nxt
    target[path[-1]] = value
