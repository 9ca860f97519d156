"""Tickets and the support lookup on real parts: a server, PostgreSQL and crashes from the real sentry-sdk."""

from __future__ import annotations

import textwrap
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import Project
from tests.support import cli, run_sdk, running_server, wait_until

APP = textwrap.dedent(
    """
    PRICES = {"mug": 8, "tee": 20}

    def price_of(sku):
        return PRICES[sku]

    def cart_total(lines):
        return sum(price_of(line["sku"]) * line["qty"] for line in lines)

    def checkout(lines):
        total = cart_total(lines)
        return {"total": total}
    """
)
# the crash happens in a real module file, so the SDK and the printed traceback see the same code
CRASH = textwrap.dedent(
    """
    import traceback
    # as deployed: the SDK told which modules are the app's
    sentry_sdk.init(dsn=sys.argv[1], release=sys.argv[2], environment=sys.argv[3], default_integrations=False,
                    in_app_include=["shopcart"])
    sys.path.insert(0, sys.argv[4])
    import shopcart
    try:
        shopcart.checkout([{"sku": "mug", "qty": 1}, {"sku": sys.argv[5], "qty": 2}])
    except Exception as exc:
        ids.append(sentry_sdk.capture_exception(exc))
        open(sys.argv[6], "w").write("".join(traceback.format_exception(exc)))
    """
)


def _api(project: Project, method: str, path: str, **kw: object) -> httpx.Response:
    return httpx.request(method, f"{project.server.base_url}/api/0/projects/{project.id}{path}", headers=project.auth,
                         timeout=30, **kw)  # type: ignore[arg-type]


def _send_crash(project: Project, tmp_path: Path, sku: str) -> tuple[str, str]:
    """Send one real crash; return its event id and the traceback Python printed for it."""
    (tmp_path / "shopcart.py").write_text(APP)
    out = tmp_path / f"tb-{sku}.txt"
    (event_id,) = run_sdk(project.dsn, CRASH, str(tmp_path), sku, str(out))
    return event_id, out.read_text()


def _crash_event(project: Project, tmp_path: Path, sku: str) -> tuple[str, int, str]:
    """Send one real crash and wait until it is grouped; its event id, cluster and printed traceback."""
    event_id, tb = _send_crash(project, tmp_path, sku)

    def processed() -> dict | None:
        r = _api(project, "GET", f"/events/{event_id}")
        return r.json() if r.status_code == 200 and r.json()["status"] == "processed" else None

    event = wait_until(processed)
    return event_id, int(event["cluster_id"]), tb


def _crash(project: Project, tmp_path: Path, sku: str) -> tuple[int, str]:
    """Send one real crash; return its cluster and the traceback Python printed for it."""
    _, cluster, tb = _crash_event(project, tmp_path, sku)
    return cluster, tb


def _post(project: Project, subject: str, body: str = "", **extra: object) -> dict:
    r = _api(project, "POST", "/tickets", json={"subject": subject, "body": body, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def _lookup(project: Project, **body: object) -> dict:
    r = _api(project, "POST", "/lookup", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_pasted_traceback_lands_in_the_crash_cluster(project: Project, tmp_path: Path) -> None:
    cluster, tb = _crash(project, tmp_path, "hat")
    body = "Hello,\n\ncheckout fails for our customers. Our admin found this in the log:\n\n" + tb + "\nThanks, Tom"
    found = _lookup(project, text=body, version="1.0.0")
    assert found["verdict"] == "known"
    top = found["candidates"][0]
    assert top["cluster_id"] == cluster and top["score"] == 1.0
    assert {"kind", "text"} <= set(top["why"][0]) and top["why"][0]["kind"] == "frame"
    assert top["event_count"] == 1 and top["ticket_count"] == 0 and top["status"] == "unresolved"
    assert top["fixed_in"] is None and top["fix_in_your_version"] is None and top["articles"] == []
    # lookups record nothing
    assert _api(project, "GET", "/tickets").json()["tickets"] == []

    ticket = _post(project, "Checkout fails", body, customer="acme", version="1.0.0")
    assert ticket["cluster_id"] == cluster and ticket["match"]["cluster_id"] == cluster
    assert ticket["language"] == "en" and ticket["match_source"] == "auto"
    assert _api(project, "GET", f"/tickets/{ticket['id']}").json() == ticket
    # the same crash pasted as mangled e-mail (quoted, indentation lost) still joins
    quoted = "\n".join("> " + line.strip() for line in tb.splitlines())
    assert _post(project, "Re: checkout", "See below\n" + quoted)["cluster_id"] == cluster


def test_chinese_ticket_with_an_english_error_finds_its_cluster(project: Project, tmp_path: Path) -> None:
    cluster, _ = _crash(project, tmp_path, "scarf")
    found = _lookup(project, text="你好，\n\n结账的时候页面报错了，每次都会出现。\n\n错误信息：KeyError: 'scarf'\n\n谢谢！")
    assert found["verdict"] == "known"
    assert found["candidates"][0]["cluster_id"] == cluster
    assert any(w["kind"] == "message" for w in found["candidates"][0]["why"])
    ticket = _post(project, "结账失败", "错误信息：KeyError: 'scarf'")
    assert ticket["language"] == "zh" and ticket["cluster_id"] == cluster


def test_duplicate_tickets_without_a_crash_find_each_other(project: Project) -> None:
    first = _post(project, "Invoice PDF shows the wrong VAT number",
                  "Since Monday every invoice PDF we download shows the VAT number of our old company address.")
    assert first["match"] is None and first["match_source"] == "new"
    found = _lookup(project, text="The VAT number printed on invoice PDFs is the old company address one")
    assert found["verdict"] == "known" and found["candidates"][0]["cluster_id"] == first["cluster_id"]
    assert any(w["kind"] == "ticket" for w in found["candidates"][0]["why"])
    second = _post(project, "Wrong VAT number on invoice PDF",
                   "Every invoice PDF we download shows the VAT number of our old company address since Monday.")
    # words alone never merge on POST (a wrong merge costs more than a missed one): the agent confirms
    assert second["cluster_id"] != first["cluster_id"] and second["match"] is None
    r = _api(project, "PUT", f"/tickets/{second['id']}/cluster", json={"cluster_id": first["cluster_id"]})
    assert r.json()["cluster_id"] == first["cluster_id"] and r.json()["match_source"] == "corrected"
    # two tickets quoting the same error line (no crash behind it) are listed, not merged
    one = _post(project, "Import fails", "The importer says: ImportFormatError: products.csv: missing column(s): price")
    found = _lookup(project, text="ImportFormatError: spring.csv: missing column(s): price")
    assert found["verdict"] == "known" and found["candidates"][0]["cluster_id"] == one["cluster_id"]
    two = _post(project, "CSV import broken", "ImportFormatError: spring.csv: missing column(s): price")
    assert two["cluster_id"] != one["cluster_id"]
    page = _api(project, "GET", "/tickets", params={"cluster_id": first["cluster_id"]}).json()
    assert [t["id"] for t in page["tickets"]] == [second["id"], first["id"]] and page["next_cursor"] is None
    first_page = _api(project, "GET", "/tickets", params={"limit": 1}).json()
    assert len(first_page["tickets"]) == 1 and first_page["next_cursor"]
    rest = _api(project, "GET", "/tickets", params={"limit": 10, "cursor": first_page["next_cursor"]}).json()
    assert first_page["tickets"][0]["id"] not in [t["id"] for t in rest["tickets"]] and len(rest["tickets"]) == 3


def test_a_chinese_duplicate_in_other_words_finds_the_earlier_ticket(project: Project) -> None:
    first = _post(project, "导出报表时一直转圈", "你好，我们在后台导出月度销售报表的时候，页面一直转圈，等了半个小时也没有下载文件。昨天还是好的。")
    _post(project, "Invoice PDF shows the wrong VAT number", "Every invoice PDF we download shows our old VAT number.")
    _post(project, "优惠券无法使用", "客户在结账时输入优惠券代码，系统提示优惠券无效，但是优惠券还没有过期。")
    found = _lookup(project, text="销售报表导出不了\n\n后台导出月度销售报表，页面一直在转圈，最后也没有文件下载。")
    assert found["verdict"] == "known" and found["candidates"][0]["cluster_id"] == first["cluster_id"]
    assert any(w["kind"] == "ticket" for w in found["candidates"][0]["why"])
    assert any(w["kind"] == "term" and w["text"] in ("转圈", "报表", "导出") for w in found["candidates"][0]["why"])
    # a question that shares a greeting and a word or two with the earlier tickets is no duplicate
    assert _lookup(project, text="你好，请问后台可以设置多个仓库吗？") == {"verdict": "new", "candidates": []}


def test_unrelated_text_is_new_with_no_guess(project: Project) -> None:
    _post(project, "Invoice PDF shows the wrong VAT number", "every invoice PDF shows the old VAT number")
    found = _lookup(project, text="Do you plan to support WeChat payments next year?")
    assert found == {"verdict": "new", "candidates": []}


def test_tickets_of_one_organization_never_match_another(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mine = Project(server, f"org-{uuid.uuid4().hex[:8]}", "app")
    theirs = Project(server, f"org-{uuid.uuid4().hex[:8]}", "app")
    cluster, tb = _crash(theirs, tmp_path, "belt")
    other = _post(theirs, "Invoice PDF shows the wrong VAT number", "every invoice PDF shows the old VAT number")
    assert _lookup(mine, text=tb)["candidates"] == [] or all(
        c["cluster_id"] not in (cluster, other["cluster_id"]) for c in _lookup(mine, text=tb)["candidates"])
    assert _lookup(mine, text="invoice PDF shows the old VAT number")["verdict"] == "new"
    ticket = _post(mine, "checkout broken", tb)
    assert ticket["cluster_id"] != cluster
    # another organization's ticket, project and cluster are 404, as if they did not exist
    r = httpx.get(f"{server.base_url}/api/0/projects/{theirs.id}/tickets/{other['id']}", headers=mine.auth)
    assert r.status_code == 404
    r = httpx.put(f"{server.base_url}/api/0/projects/{mine.id}/tickets/{ticket['id']}/cluster", headers=mine.auth,
                  json={"cluster_id": cluster})
    assert r.status_code == 404


def test_a_correction_survives_regrouping(project: Project, tmp_path: Path) -> None:
    cluster, _ = _crash(project, tmp_path, "cap")
    ticket = _post(project, "Loyalty points vanish after a refund", "a customer lost all her points after a refund")
    assert ticket["cluster_id"] != cluster
    r = _api(project, "PUT", f"/tickets/{ticket['id']}/cluster", json={"cluster_id": cluster})
    assert r.status_code == 200, r.text
    assert (r.json()["cluster_id"], r.json()["match_source"]) == (cluster, "corrected")
    cli(project.server.database_url, "regroup", project.org, "app")
    again = _api(project, "GET", f"/tickets/{ticket['id']}").json()
    assert (again["cluster_id"], again["match_source"]) == (cluster, "corrected")
    # confirming keeps it and says so
    r = _api(project, "PUT", f"/tickets/{ticket['id']}/cluster", json={"cluster_id": cluster})
    assert r.json()["match_source"] == "confirmed"


@pytest.mark.parametrize("path, body, field", [
    ("/tickets", {"subject": ""}, "subject"),
    ("/tickets", {"subject": "x", "language": "fr"}, "language"),
    ("/tickets", {"subject": "x", "colour": "red"}, "colour"),
    ("/lookup", {}, "text"),
    ("/lookup", {"text": "x", "limit": 21}, "limit"),
    ("/lookup", {"event_id": "not-an-id"}, "event_id"),
])
def test_bad_input_is_a_400_that_says_what(project: Project, path: str, body: dict, field: str) -> None:
    r = _api(project, "POST", path, json=body)
    assert r.status_code == 400, r.text
    assert field in r.text


@pytest.mark.parametrize("field, value", [
    ("customer", "acme\u0000gmbh"),
    ("subject", "checkout \u0000 fails"),
    ("external_ref", "Z-\u00001"),
    ("customer", "c" * 201),
    ("version", "1." * 101),
    ("external_ref", "r" * 201),
])
def test_a_nul_or_an_over_long_label_is_a_400_naming_the_field(project: Project, field: str, value: str) -> None:
    """Values PostgreSQL would refuse, or labels no one filters by, are the sender's mistake named as such,
    not the database's words."""
    r = _api(project, "POST", "/tickets", json={"subject": "Checkout fails", field: value})
    assert r.status_code == 400, r.text
    body = r.json()
    assert set(body) == {"detail", "code"} and body["code"] == "invalid"
    assert body["detail"].startswith(field) and "refused" not in body["detail"]
    assert _api(project, "GET", "/tickets").json()["tickets"] == []
    # at the limit it is a label like any other
    ok = _api(project, "POST", "/tickets", json={"subject": "Checkout fails", "customer": "c" * 200, "version": "9" * 200,
                                                  "external_ref": "r" * 200})
    assert ok.status_code == 201, ok.text


def test_a_cluster_id_beyond_64_bits_is_a_400_naming_it(project: Project) -> None:
    ticket = _post(project, "Checkout fails", "the button does nothing")
    for bad in (2**63, 0):
        r = _api(project, "PUT", f"/tickets/{ticket['id']}/cluster", json={"cluster_id": bad})
        assert r.status_code == 400, r.text
        assert "cluster_id" in r.json()["detail"] and "refused" not in r.json()["detail"]
    r = _api(project, "PUT", f"/tickets/{ticket['id']}/cluster", json={"article_id": 2**63})
    assert r.status_code == 400 and "article_id" in r.json()["detail"]
    assert _api(project, "GET", f"/tickets/{ticket['id']}").json()["cluster_id"] == ticket["cluster_id"]


def test_unknown_event_and_ticket_are_404(project: Project) -> None:
    assert _api(project, "POST", "/lookup", json={"event_id": uuid.uuid4().hex}).status_code == 404
    assert _api(project, "GET", "/tickets/999999").status_code == 404


def test_a_failure_in_plain_words_is_listed_where_a_question_with_them_is_not(project: Project, tmp_path: Path) -> None:
    cluster, _ = _crash(project, tmp_path, "scarf")
    # the customer's words share two with the crash, and a lot of other words; one of them says it fails
    words = "We sell a new scarf in our shop and customers want to gift wrap it with a card at checkout."
    failing = _lookup(project, text=f"Gift wrapping\n\n{words} That fails every time.")
    assert failing["verdict"] == "known" and failing["candidates"][0]["cluster_id"] == cluster
    # the same words in a question are a coincidence, not this crash: no weak guess
    asking = _lookup(project, text=f"Gift wrapping\n\n{words} How do we set that up?")
    assert asking == {"verdict": "new", "candidates": []}


def test_a_lookup_by_crash_and_text_puts_the_crash_first_and_keeps_the_texts_evidence(project: Project,
                                                                                        tmp_path: Path) -> None:
    """A customer sends the crash id from the error page and describes something else too: the crash's
    cluster comes first (it is certain), the ticket the words match is still listed, with its reasons."""
    event_id, cluster, _ = _crash_event(project, tmp_path, "hat")
    vat = _post(project, "Invoice PDF shows the wrong VAT number",
                "Since Monday every invoice PDF we download shows the VAT number of our old company address.")
    text = "Also every invoice PDF we download shows the VAT number of our old company address"
    found = _lookup(project, event_id=event_id, text=text)
    assert found["verdict"] == "known"
    first, *rest = found["candidates"]
    assert first["cluster_id"] == cluster and first["score"] == 1.0 and first["event_count"] == 1
    assert any(w["kind"] == "frame" and "crash itself" in w["text"] for w in first["why"])
    listed = [c for c in rest if c["cluster_id"] == vat["cluster_id"]]
    assert listed, found
    assert any(w["kind"] == "ticket" for w in listed[0]["why"]) and any(w["kind"] == "term" for w in listed[0]["why"])
    # the dashed form the SDKs print is the same crash
    dashed = str(uuid.UUID(event_id))
    assert _lookup(project, event_id=dashed, text=text)["candidates"][0]["cluster_id"] == cluster


def test_a_confirmed_ticket_ranks_its_cluster_first_for_the_next_lookup(project: Project) -> None:
    """Two look-alike tickets each started a cluster (words never join); the agent confirms the older
    one's. A later lookup in the same words, which ranked the newer look-alike first, now lists the
    confirmed cluster first and says an agent confirmed it."""
    older = _post(project, "Orders export times out",
                  "Exporting the monthly orders report times out after a minute and no file is downloaded.")
    newer = _post(project, "Orders export times out",
                  "Exporting the monthly orders report times out after a minute and no file is downloaded!")
    text = "The monthly orders report export times out, no file is downloaded"
    before = _lookup(project, text=text)
    # without a confirmation the more recent of two equal matches comes first
    assert [c["cluster_id"] for c in before["candidates"]][:2] == [newer["cluster_id"], older["cluster_id"]], before
    assert not any(w["kind"] == "confirmed" for c in before["candidates"] for w in c["why"])
    r = _api(project, "PUT", f"/tickets/{older['id']}/cluster", json={"cluster_id": older["cluster_id"]})
    assert r.status_code == 200 and r.json()["match_source"] == "confirmed", r.text
    after = _lookup(project, text=text)
    top = after["candidates"][0]
    assert after["verdict"] == "known" and top["cluster_id"] == older["cluster_id"], after
    assert top["why"][0] == {"kind": "confirmed", "text": f"ticket {older['id']}: Orders export times out"}
    assert top["score"] > before["candidates"][1]["score"]


def test_a_lookup_of_a_crash_still_pending_is_a_409_to_retry(make_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The customer pastes the crash id seconds after the crash, before any worker grouped it: a clear
    409 saying to retry (after a short wait), and the retry answers once a worker has run."""
    db = make_database()
    (tmp_path / "idle").mkdir()
    (tmp_path / "busy").mkdir()
    with running_server(db, tmp_path / "idle", env={"CRASHDESK_PROCESS_EVENTS": "off"}) as idle:
        project = Project(idle, f"org-{uuid.uuid4().hex[:8]}", "app")
        event_id, _ = _send_crash(project, tmp_path, "hat")
        wait_until(lambda: _api(project, "GET", f"/events/{event_id}").json().get("status") == "pending")
        started = time.monotonic()
        r = _api(project, "POST", "/lookup", json={"event_id": event_id, "text": "checkout fails"})
        assert r.status_code == 409, r.text
        assert time.monotonic() - started >= 2.5  # it waited for the worker before answering
        assert r.json()["code"] == "conflict" and event_id in r.json()["detail"] and "retry" in r.json()["detail"]
    with running_server(db, tmp_path / "busy") as busy:
        project.server = busy
        event = wait_until(lambda: (e := _api(project, "GET", f"/events/{event_id}").json())["status"] == "processed" and e)
        found = _lookup(project, event_id=event_id)
        assert found["candidates"][0]["cluster_id"] == event["cluster_id"]
