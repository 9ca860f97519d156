"""The ticket <-> cluster decision: scores, verdict, and the stricter join line."""

from __future__ import annotations

from dedupe import Signature
from dedupe.crosslingual import gloss, parse_cedict_line
from dedupe.ticket_match import (
    KNOWN, Evidence, Ranked, TextDoc, Why, bm25_text, combine, detect_language, idf, join_target, known, line_score,
    text_score,
)


def test_language_detection() -> None:
    assert detect_language("结账失败，错误信息：KeyError: 'sku'") == "zh"
    assert detect_language("Checkout fails with KeyError: 'sku'") == "en"


def test_line_score_needs_the_same_type_and_weighs_the_message() -> None:
    sig = Signature(types=("KeyError",), message="'<str>'")
    assert line_score("ValueError", "'sku'", sig) == 0.0
    assert 0.5 <= line_score("KeyError", "'sku'", sig) <= 0.9
    assert line_score("builtins.KeyError", None, sig) > 0


def test_bm25_prefers_the_document_with_the_rare_words() -> None:
    docs = [TextDoc(1, 10, ("invoic", "pdf"), ("vat", "number")), TextDoc(2, 20, ("order",), ("export", "number"))]
    got = {e.cluster_id: e.score for e in bm25_text(["invoic", "vat", "number"], docs, {"number": 2, "invoic": 1, "vat": 1}, 2, 3)}
    assert got[10] > got[20] > 0
    assert all(0 < v <= 1 for v in got.values())


def test_confirmed_tickets_count_more() -> None:
    plain = TextDoc(1, 10, ("coupon",), ("percent",), source="ticket", label="t1")
    confirmed = TextDoc(2, 20, ("coupon",), ("percent",), source="ticket", confirmed=True, label="t2")
    got = {e.cluster_id: e for e in bm25_text(["coupon", "percent", "refund", "spreadsheet"], [plain, confirmed], {}, 2, 2)}
    assert got[20].score > got[10].score and got[20].why[0].kind == "confirmed"


def test_verdict_and_join_lines() -> None:
    trace = combine([Evidence(1, "trace", 1.0, (Why("frame", "x"),)), Evidence(1, "text", 0.3)])
    assert known(trace) and join_target(trace) is not None and trace[0].score == 1.0
    words = [Ranked(2, 0.78, (), ("text",))]
    assert known(words) and join_target(words) is None  # listed, but words alone never join
    weak_trace = combine([Evidence(5, "trace", 0.4), Evidence(5, "text", 0.97, strength=40.0)])
    assert known(weak_trace) and join_target(weak_trace) is None  # many shared words do not make a weak trace join
    line = combine([Evidence(6, "line", 0.88), Evidence(6, "text", 0.2)])
    assert join_target(line) is not None and join_target(combine([Evidence(6, "line", 0.8)])) is None
    flat = [Ranked(3, 0.3, (), ("text",)), Ranked(4, 0.28, (), ("text",))]
    assert not known(flat)
    assert not known([])


def test_text_confidence_counts_telling_words_not_the_share_of_a_long_ticket() -> None:
    rare = idf(1, 1000)
    # three rarest-term weights agreeing is not enough; five is, however long the ticket
    assert text_score(3 * rare, rare, coverage=0.05) < KNOWN < text_score(5 * rare, rare, coverage=0.05)
    # a short ticket cannot add up much: most of its own score is enough
    assert text_score(2 * rare, rare, coverage=0.6) >= KNOWN
    assert text_score(1e6, rare) < 1.0  # words alone never reach a crash's certainty


def test_stale_counts_do_not_make_every_word_look_common() -> None:
    """Counts cached before the documents arrived (df 0, n 0) must not flatten the scores."""
    docs = [TextDoc(i, i, ("right", "click", "mail"), ("menu",)) if i == 1 else TextDoc(i, i, (f"other{i}",), ("menu",))
            for i in range(1, 6)]
    got = {e.cluster_id: e.score for e in bm25_text(["right", "click", "mail", "menu"], docs, {}, 0, 0.0)}
    assert max(got, key=got.__getitem__) == 1 and got[1] >= KNOWN > got[2]


def test_cedict_gloss() -> None:
    line = "發票 发票 [fa1 piao4] /invoice/receipt or bill for purchase/"
    assert parse_cedict_line(line) == ("发票", ("invoice", "receipt", "or", "bill"))
    # every sense: the technical one is often last
    assert "export" in parse_cedict_line("導出 导出 [dao3 chu1] /to derive/to induce/to export (data)/")[1]  # type: ignore[index]
    assert parse_cedict_line("# comment") is None
    assert gloss("无法下载发票", {"发票": ("invoice",), "下载": ("download",)}) == "download invoice"


def test_a_lone_dollar_sign_makes_no_empty_search_term() -> None:
    from dedupe.text import query_terms, terms

    assert "" not in terms("it costs $ 5, see seamonkey_2_53_1_release").terms
    assert query_terms("$") == ()


def test_the_subject_orders_candidates_without_making_them_surer() -> None:
    docs = [TextDoc(1, 10, ("printer",), ("crash",)), TextDoc(2, 20, ("sidebar",), ("crash",))]
    query = ["sidebar", "printer", "crash"]
    plain = {e.cluster_id: e.score for e in bm25_text(query, docs, {"printer": 1, "sidebar": 1, "crash": 2}, 2, 2)}
    stressed = bm25_text(query, docs, {"printer": 1, "sidebar": 1, "crash": 2}, 2, 2, subject={"sidebar"})
    assert {e.cluster_id: e.score for e in stressed} == plain  # as sure as before
    assert combine(stressed)[0].cluster_id == 20  # but the ticket's subject decides the order


def test_a_recent_ticket_orders_first_without_being_surer() -> None:
    old = TextDoc(1, 10, ("sidebar",), ("crash",), source="ticket", newer=250)
    recent = TextDoc(2, 20, ("sidebar",), ("crash",), source="ticket", newer=3)
    ancient = TextDoc(3, 30, ("sidebar",), ("crash",), source="ticket")  # beyond the window: no boost
    got = bm25_text(["sidebar", "crash"], [old, recent, ancient], {"sidebar": 3, "crash": 3}, 10, 2)
    assert len({e.score for e in got}) == 1  # the same words: equally sure
    assert [r.cluster_id for r in combine(got)] == [20, 10, 30]  # but the one filed lately first
    # a much better match filed long ago still wins
    better = TextDoc(4, 40, ("sidebar", "printer"), ("crash",), source="ticket")
    got = bm25_text(["sidebar", "printer", "crash"], [recent, better], {"sidebar": 2, "crash": 2, "printer": 1}, 10, 2)
    assert combine(got)[0].cluster_id == 40


def test_an_error_line_names_a_cluster_only_when_its_message_is_nearly_the_clusters() -> None:
    # "ReferenceError: dataLayer is not defined" against a cluster of "rel is not defined": the same
    # type, another message. It does not outrank the cluster the ticket's words describe.
    near = Evidence(1, "line", 0.75)
    words = Evidence(2, "text", 0.9, strength=19.0)
    assert [r.cluster_id for r in combine([near, Evidence(1, "text", 0.6, strength=6.0), words])] == [2, 1]
    same = Evidence(1, "line", 0.88)  # the message nearly the cluster's (JOIN_LINE): named first
    assert [r.cluster_id for r in combine([same, words])] == [1, 2]
