"""Property tests of the envelope parser: any bytes give an Envelope or an EnvelopeError, nothing else."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import EnvelopeError, EnvelopeTooLarge, parse_envelope

MAX_ITEMS = 8
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=10)
item_types = st.sampled_from(["event", "attachment", "session", "client_report"]) | st.text(max_size=12)


@st.composite
def envelopes(draw: st.DrawFn) -> tuple[bytes, list[tuple[str, bytes]]]:
    """A well-formed envelope and the items it holds."""
    head = draw(st.dictionaries(st.text(max_size=8), json_values, max_size=3))
    items = draw(st.lists(st.tuples(st.sampled_from(["event", "attachment", "session"]), st.binary(max_size=60)), max_size=MAX_ITEMS))
    parts = [json.dumps(head).encode()]
    for kind, payload in items:
        parts.append(json.dumps({"type": kind, "length": len(payload)}).encode())
        parts.append(payload)
    return b"\n".join(parts) + b"\n", items


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid envelope with bytes flipped, cut or inserted: the malformed input senders make."""
    body, _ = draw(envelopes())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        cut = draw(st.integers(0, 4))
        body = body[:at] + draw(st.binary(max_size=6)) + body[at + cut :]
    return body


def _check(body: bytes) -> None:
    try:
        envelope = parse_envelope(body, MAX_ITEMS)
    except EnvelopeError as exc:
        assert exc.reason and exc.reason.isprintable()
        return
    assert len(envelope.items) <= MAX_ITEMS
    for item in envelope.items:
        assert item.type and item.type.isprintable() and len(item.type) <= 64


@FAST
@given(st.binary(max_size=400))
def test_any_bytes(body: bytes) -> None:
    _check(body)


@FAST
@given(mutated())
def test_mutated_envelopes(body: bytes) -> None:
    _check(body)


@FAST
@given(envelopes())
def test_well_formed_envelopes_round_trip(case: tuple[bytes, list[tuple[str, bytes]]]) -> None:
    body, items = case
    envelope = parse_envelope(body, MAX_ITEMS)
    assert [(i.type, i.payload) for i in envelope.items] == items


@FAST
@given(st.text(max_size=12), json_values)
def test_item_headers_of_any_shape(kind: str, extra: object) -> None:
    body = b"{}\n" + json.dumps({"type": kind, "x": extra}).encode() + b"\n{}\n"
    _check(body)


def test_too_many_items_stop_the_parse() -> None:
    body = b"{}\n" + b'{"type":"x"}\n\n' * 1000
    try:
        parse_envelope(body, MAX_ITEMS)
    except EnvelopeTooLarge as exc:
        assert exc.reason == f"envelope has more than {MAX_ITEMS} items"
    else:
        raise AssertionError("an envelope over the item limit was parsed")


def test_invalid_utf8_headers_are_named() -> None:
    for body, phrase in [
        (b'{"a":"\xff"}\n', "envelope header is not valid UTF-8"),
        (b'{}\n{"type":"event","x":"\xc3\x28"}\n{}\n', "item 1 header is not valid UTF-8"),
        (b'{}\n{"type":"ev\\r\\nX-A: b"}\n{}\n', "item 1 type is not a short printable name"),
    ]:
        try:
            parse_envelope(body)
        except EnvelopeError as exc:
            assert phrase in exc.reason, exc.reason
        else:
            raise AssertionError(body)
