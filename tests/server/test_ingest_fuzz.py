"""Malformed input gets a 4xx that says what was wrong, never a 5xx (issue 8, case 6).

The named cases of the issue first, then the general proof: hypothesis posts generated and
mutated envelopes, store bodies and minidump forms to a running server; no answer is a
5xx, every refusal has a detail, and the server still takes and processes a valid event.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Project
from tests.protocol.test_envelope_fuzz import envelopes, json_values, mutated
from tests.server.test_ingest_refusals import assert_still_serving, event, event_envelope, refused
from tests.support import Server

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
DUMP = b"MDMP" + bytes(60)


@pytest.fixture(scope="module")
def target(server: Server) -> Iterator[Project]:
    project = Project(server, f"org-{uuid.uuid4().hex[:8]}", "app")
    yield project
    assert_still_serving(project)  # after every example of the module


def _minidump(project: Project, files: dict, data: dict | None = None, raw: bytes | None = None) -> httpx.Response:
    url = f"{project.server.base_url}/api/{project.id}/minidump/?sentry_key={project.public_key}"
    if raw is not None:
        return httpx.post(url, content=raw, headers={"Content-Type": "multipart/form-data; boundary=B"}, timeout=30)
    return httpx.post(url, files=files, data=data or {}, timeout=30)


def _form(*parts: tuple[bytes, bytes]) -> bytes:
    """A multipart body by hand, to put bytes no client library would send."""
    body = b""
    for disposition, value in parts:
        body += b"--B\r\nContent-Disposition: form-data; " + disposition + b"\r\n\r\n" + value + b"\r\n"
    return body + b"--B--\r\n"


_DUMP_PART = (b'name="upload_file_minidump"; filename="a.dmp"', DUMP)


# --- the cases the issue names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "phrase"),
    [
        (b'{"dsn":"\xff"}\n{"type":"event"}\n{}\n', "envelope header is not valid UTF-8"),
        (b'{}\n{"type":"event","filename":"\xc3\x28"}\n{}\n', "item 1 header is not valid UTF-8"),
        (b'{}\n{"type":"event\\r\\nSet-Cookie: a=b"}\n{}\n', "item 1 type is not a short printable name"),
    ],
    ids=["utf8-envelope-header", "utf8-item-header", "crlf-item-type"],
)
def test_malformed_headers_are_400(target: Project, body: bytes, phrase: str) -> None:
    r = httpx.post(target.envelope_url, content=body, headers=target.sentry_auth())
    refused(r, 400, phrase)
    assert "set-cookie" not in r.headers


def test_nul_in_sentry_key_is_400(target: Project) -> None:
    r = httpx.post(f"{target.envelope_url}?sentry_key=ab%00cd", content=event_envelope(event()))
    refused(r, 400, "sentry_key contains control characters")


def test_minidump_form_field_of_invalid_utf8_is_400(target: Project) -> None:
    r = _minidump(target, {}, raw=_form(_DUMP_PART, (b'name="sentry[tags][shop]"', b"\xff\xfe")))
    refused(r, 400, "form field 'sentry[tags][shop]' is not valid text")


def test_minidump_sentry_field_nested_deeply_is_400(target: Project) -> None:
    deep = "[" * 5000 + "]" * 5000
    r = _minidump(target, {"upload_file_minidump": ("a.dmp", DUMP)}, {"sentry": '{"extra": %s}' % deep})
    refused(r, 400, "the 'sentry' field")
    r = _minidump(target, {"upload_file_minidump": ("a.dmp", DUMP)}, {"sentry": '{"extra": %s}' % ("[" * 100 + "]" * 100)})
    refused(r, 400, "the 'sentry' field nests deeper than the limit of 64 levels")


def test_minidump_file_name_with_nul_is_400(target: Project) -> None:
    r = _minidump(target, {}, raw=_form(_DUMP_PART, (b'name="log"; filename="a\x00b.txt"', b"x")))
    assert r.status_code == 400, r.text


# --- the general proof ------------------------------------------------------------------------------


def _ok(r: httpx.Response) -> None:
    assert r.status_code < 500, (r.status_code, r.text)
    if r.status_code >= 400:
        detail = r.json()["detail"]
        assert detail and r.headers["x-sentry-error"]


@FUZZ
@given(st.one_of(mutated(), envelopes().map(lambda case: case[0]), st.binary(max_size=300)))
def test_fuzzed_envelopes_never_5xx(target: Project, body: bytes) -> None:
    _ok(httpx.post(target.envelope_url, content=body, headers=target.sentry_auth(), timeout=30))


@FUZZ
@given(json_values, st.sampled_from(["event_id", "exception", "message", "tags", "user", "contexts", "timestamp", "extra"]))
def test_fuzzed_store_events_never_5xx(target: Project, value: object, field: str) -> None:
    body = json.dumps({"event_id": uuid.uuid4().hex, field: value}).encode()
    _ok(httpx.post(target.store_url, content=body, headers=target.sentry_auth(), timeout=30))


@FUZZ
@given(st.binary(max_size=40), st.binary(max_size=40), st.binary(max_size=80))
def test_fuzzed_minidump_forms_never_5xx(target: Project, name: bytes, filename: bytes, value: bytes) -> None:
    field = (b'name="' + name.replace(b'"', b"") + b'"', value)
    file = (b'name="f"; filename="' + filename.replace(b'"', b"") + b'"', value)
    _ok(_minidump(target, {}, raw=_form(_DUMP_PART, field, file)))
