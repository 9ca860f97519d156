"""decide(): which changed crash sites join an existing cluster."""

from __future__ import annotations

from dedupe import Candidate, Signature, decide, group_event
from dedupe.fuzzy import MAX_CANDIDATES
from tests.dedupe.conftest import py_event, py_frame

WEB = [py_frame("app.web", "handle", "body = view(req)"), py_frame("app.views", "invoice", "return render(o)")]


def grouping(frames, type_="KeyError", value="'billing_address'", **kw):  # type: ignore[no-untyped-def]
    return group_event(py_event((type_, value, frames), **kw))


OLD = grouping([*WEB, py_frame("app.billing", "render_invoice", 'addr = meta["billing_address"]')])


def test_renamed_and_moved_function_with_the_same_statement_joins() -> None:
    new = grouping([*WEB, py_frame("app.invoicing", "build_invoice", 'address = meta["billing_address"]')])
    assert new.hashes[0] != OLD.hashes[0]
    assert set(new.candidate_keys) & set(OLD.candidate_keys)
    d = decide(new, [Candidate(7, OLD.signature)])
    assert d.cluster_id == 7 and d.score is not None and d.score >= 0.9


def test_extracted_helper_joins_the_cluster_of_the_function_it_came_from() -> None:
    new = grouping([*WEB, py_frame("app.billing", "render_invoice", "addr = _address(meta)"),
                    py_frame("app.billing", "_address", 'return meta["billing_address"]')], value="'billing_address'")
    assert set(new.candidate_keys) & set(OLD.candidate_keys)
    assert decide(new, [Candidate(3, OLD.signature)]).cluster_id == 3


def test_another_line_of_the_same_function_with_another_key_stays_apart() -> None:
    twin = grouping([*WEB, py_frame("app.billing", "render_invoice", 'lines.append("VAT: " + meta["vat_id"])')], value="'vat_id'")
    d = decide(twin, [Candidate(7, OLD.signature)])
    assert d.cluster_id is None and d.scores[0].cluster_id == 7


def test_same_message_from_an_unrelated_crash_site_stays_apart() -> None:
    other = grouping([py_frame("app.cli", "main", "run()"), py_frame("app.export", "rows", '"addr": meta["billing_address"],')])
    assert decide(other, [Candidate(1, OLD.signature)]).cluster_id is None


def test_root_type_must_match() -> None:
    s = OLD.signature
    changed = Signature(types=("TypeError",), message=s.message, frames=s.frames, modules=s.modules, context=s.context)
    assert decide(OLD, [Candidate(1, changed)]).cluster_id is None


def test_forced_fingerprint_is_never_fuzzy_joined() -> None:
    forced = grouping([*WEB, py_frame("app.billing", "render_invoice", 'addr = meta["billing_address"]')], fingerprint=["x"])
    d = decide(forced, [Candidate(1, OLD.signature)])
    assert d.cluster_id is None and "forced" in d.reason


def test_candidates_are_capped_and_ties_go_to_the_older_cluster() -> None:
    cands = [Candidate(i, OLD.signature) for i in range(MAX_CANDIDATES + 40, 0, -1)]
    d = decide(OLD, cands)
    assert len(d.scores) == MAX_CANDIDATES
    assert d.cluster_id == min(c.cluster_id for c in cands[:MAX_CANDIDATES])
    assert decide(OLD, []).cluster_id is None
