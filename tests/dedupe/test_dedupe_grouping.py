"""group_event on Python-shaped events: what shares a hash and what must not."""

from __future__ import annotations

import msgspec
import pytest

from dedupe import CONFIG_ID, FingerprintRule, Grouping, GroupingConfig, Signature, group_event
from protocol.model import DebugImage, Event, ExceptionValue, Frame
from tests.dedupe.conftest import py_event, py_frame

WEB = [py_frame("app.web", "handle", "body = view(req)", 40)]
JOB = [py_frame("app.jobs", "run_job", "task(payload)", 12), py_frame("app.tasks", "nightly", "render(o)", 7)]
SITE = py_frame("app.billing", "render", 'addr = meta["billing_address"]', 30)


def one(frames, type_="KeyError", value="'billing_address'", **extra):  # type: ignore[no-untyped-def]
    return group_event(py_event((type_, value, frames), **extra))


def test_same_crash_site_from_different_entry_points_and_releases_shares_the_hash() -> None:
    a = one([*WEB, SITE])
    moved = py_frame("app.billing", "render", 'addr = meta["billing_address"]', 97)
    b = one([*JOB, py_frame("app.deco", "wrapper", "return fn(*args, **kwargs)"), moved])
    assert a.hashes[0] == b.hashes[0]
    assert a.config_id == CONFIG_ID and len(a.hashes[0]) == 32


def test_other_line_in_the_same_function_is_another_bug() -> None:
    other = py_frame("app.billing", "render", 'lines.append("VAT: " + meta["vat_id"])', 31)
    assert one([*WEB, SITE]).hashes[0] != one([*WEB, other], value="'vat_id'").hashes[0]


def test_exception_type_separates_the_same_line() -> None:
    assert one([*WEB, SITE]).hashes[0] != one([*WEB, SITE], type_="TypeError").hashes[0]


def test_message_data_does_not_split_a_crash_site() -> None:
    assert one([*WEB, SITE], value="'LOYAL25'").hashes[0] == one([*WEB, SITE], value="'SPRING10'").hashes[0]


def test_chained_exception_groups_by_the_root_cause() -> None:
    cause = ("ValueError", "invalid literal for int() with base 10: 'x'", [py_frame("app.map", "parse_qty", "return int(cell)")])
    wrapper = ("ImportRowError", "row 3 failed", [*WEB, py_frame("app.map", "quantity", "raise ImportRowError(msg)")])
    plain = group_event(py_event(("ValueError", "invalid literal for int() with base 10: 'y'",
                                  [*WEB, py_frame("app.map", "parse_qty", "return int(cell)")])))
    chained = group_event(py_event(cause, wrapper))
    assert chained.hashes[0] == plain.hashes[0]
    assert chained.title == "ImportRowError: row 3 failed"


def test_stdlib_frames_below_the_app_do_not_count() -> None:
    std = [py_frame("json.decoder", "raw_decode", "obj, end = self.scan_once(s, idx)", in_app=False)]
    site = py_frame("app.cart", "restore", "data = json.loads(raw)")
    a = one([*WEB, site], type_="JSONDecodeError", value="Expecting value: line 1 column 1 (char 0)")
    b = one([*WEB, site, *std], type_="JSONDecodeError", value="Expecting ',' delimiter: line 1 column 9 (char 8)")
    assert a.hashes[0] == b.hashes[0]
    assert a.culprit == "app.cart in restore"


def test_recursion_error_groups_by_the_recursing_function_not_where_the_limit_hit() -> None:
    walk = [py_frame("app.tree", "walk", "return walk(node.parent)")] * 30
    a = one([*WEB, *walk, py_frame("app.db", "fetch", "return copy(row)")], type_="RecursionError", value="maximum recursion depth exceeded")
    b = one([*JOB, *walk[:12], py_frame("app.tree", "label", "return node.name")], type_="RecursionError", value="maximum recursion depth exceeded")
    other = [py_frame("app.graph", "visit", "visit(n)")] * 30
    c = one([*WEB, *other, py_frame("app.db", "fetch", "return copy(row)")], type_="RecursionError", value="maximum recursion depth exceeded")
    assert a.hashes[0] == b.hashes[0] != c.hashes[0]


def test_in_app_rules_override_the_sdk_flag() -> None:
    frames = [*WEB, SITE, py_frame("vendor.lib", "get", "return d[k]", in_app=True)]
    default = group_event(py_event(("KeyError", "'k'", frames)))
    excluded = group_event(py_event(("KeyError", "'k'", frames)), GroupingConfig(in_app_exclude=("vendor.",)))
    assert default.culprit == "vendor.lib in get"
    assert excluded.culprit == "app.billing in render"
    assert excluded.hashes[0] == group_event(py_event(("KeyError", "'k'", frames[:-1]))).hashes[0]


def test_sdk_fingerprint_is_honoured_and_not_fuzzy() -> None:
    a = one([*WEB, SITE], fingerprint=["payments-down"])
    b = one([*JOB, py_frame("app.x", "other", "boom()")], type_="OSError", fingerprint=["payments-down"])
    assert a.hashes == b.hashes and not a.fuzzy and a.candidate_keys == ()
    assert a.components.id == "fingerprint"


def test_default_variable_expands_to_the_default_hash() -> None:
    plain = one([*WEB, SITE])
    only_default = one([*WEB, SITE], fingerprint=["{{ default }}"])
    tenant_a = one([*WEB, SITE], fingerprint=["{{ default }}", "tenant-a"])
    tenant_b = one([*WEB, SITE], fingerprint=["{{default}}", "tenant-b"])
    assert only_default.hashes == plain.hashes and only_default.fuzzy
    assert len({plain.hashes[0], tenant_a.hashes[0], tenant_b.hashes[0]}) == 3
    assert plain.hashes[0] in tenant_a.components.value  # type: ignore[operator]


def test_project_rules_apply_in_order_and_win_over_the_sdk() -> None:
    rules = (
        FingerprintRule(type="Key*", function="render", fingerprint=["billing-keys", "{{ type }}"]),
        FingerprintRule(type="KeyError", fingerprint=["all-keyerrors"]),
    )
    config = GroupingConfig(fingerprint_rules=rules)
    a = group_event(py_event(("KeyError", "'x'", [*WEB, SITE]), fingerprint=["sdk"]), config)
    b = group_event(py_event(("KeyError", "'y'", [*JOB, SITE])), config)
    c = group_event(py_event(("KeyError", "'y'", [*JOB, py_frame("app.o", "other", "d[k]")])), config)
    assert a.hashes == b.hashes != c.hashes
    assert "project rule 0" in (a.components.hint or "") and "billing-keys | KeyError" == a.components.value
    msg_rule = GroupingConfig(fingerprint_rules=(FingerprintRule(message="*timeout*", fingerprint=["timeouts"]),))
    assert not group_event(py_event(("OSError", "read timeout after 3s", WEB)), msg_rule).fuzzy
    assert group_event(py_event(("OSError", "refused", WEB)), msg_rule).fuzzy


def test_grouping_and_signature_round_trip_for_the_server() -> None:
    g = one([*WEB, SITE])
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(g.signature), type=Signature) == g.signature
    assert msgspec.json.decode(msgspec.json.encode(g), type=Grouping) == g
    assert g.signature.frames[0] == "render" and g.signature.context == 'meta["billing_address"]'
    assert 1 <= len(g.candidate_keys) <= 4


def test_components_explain_what_did_not_contribute() -> None:
    g = one([*WEB, SITE])
    exc = g.components.children[0]
    stack = next(c for c in exc.children if c.id == "stacktrace")
    outer, crash = stack.children[-1], stack.children[0]
    assert crash.contributes and not outer.contributes and "callers" in (outer.hint or "")
    assert any(c.id == "lineno" and not c.contributes and c.hint for c in crash.children)


def test_message_only_events_group_by_template_or_parameterised_text() -> None:
    def msg(text: str, **kw):  # type: ignore[no-untyped-def]
        from protocol import parse_event
        return group_event(parse_event({"message": text, "level": "warning", **kw}, event_id="m"))

    assert msg("disk 93% full on 10.0.0.1").hashes == msg("disk 97% full on 10.0.0.2").hashes
    assert msg("disk full").hashes != msg("queue stuck").hashes
    assert msg("disk 93% full").level == "warning"


def test_a_rule_that_raises_becomes_a_note_and_the_default_applies() -> None:
    bad = FingerprintRule(fingerprint=("x",), type=123)  # type: ignore[arg-type]  # wrong type from bad config
    g = group_event(py_event(("KeyError", "'k'", [*WEB, SITE])), GroupingConfig(fingerprint_rules=(bad,)))
    assert g.hashes == one([*WEB, SITE]).hashes
    assert any("fingerprint rule 0 failed" in n for n in g.notes)


def test_validate_rules_names_the_bad_rule() -> None:
    from dedupe import InvalidRule, validate_rules

    validate_rules((FingerprintRule(type="KeyError", fingerprint=("k",)),))
    with pytest.raises(InvalidRule) as err:
        validate_rules((FingerprintRule(type="KeyError", fingerprint=("k",)), FingerprintRule(fingerprint=("x",))))
    assert err.value.index == 1


def test_forced_fingerprint_with_default_keeps_the_default_tree_contributing() -> None:
    g = one([*WEB, SITE], fingerprint=["{{ default }}", "tenant-a"])
    assert g.components.children[0].contributes and "default" in (g.components.children[0].hint or "")
    h = one([*WEB, SITE], fingerprint=["tenant-a"])
    assert not h.components.children[0].contributes


def _native(pcs: list[int], base: int = 0x7F0000000000) -> Event:
    frames = tuple(Frame(instruction_addr=hex(base + pc), platform="native") for pc in pcs)
    image = DebugImage(type="elf", code_file="/usr/lib/libengine.so", image_addr=hex(base), image_size=0x100000)
    return Event(event_id="n", platform="native", exceptions=(ExceptionValue(type="SIGSEGV", frames=frames),),
                 debug_images=(image,))


def test_unsymbolicated_native_frames_are_named_by_module_and_offset() -> None:
    """Same build, different load address (ASLR): one group. Another crash site in the same library: another."""
    a = group_event(_native([0x1200, 0x3400, 0x5600]))
    moved = group_event(_native([0x1200, 0x3400, 0x5600], base=0x7F1234000000))
    elsewhere = group_event(_native([0x1200, 0x3400, 0x9990]))
    assert a.hashes == moved.hashes
    assert a.hashes != elsewhere.hashes
    assert a.signature.frames[0] == "libengine.so+0x5600"
