"""``crashdesk import tickets``: CSV and JSONL, bad rows reported by line, resumable by external_ref."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from server.database import create_pool
from server.services.ticket_import import import_batch
from server.services.ticket_model import TicketCreate
from tests.conftest import Project
from tests.support import REPO

CSV = """external_ref,subject,body,customer,version,language
A-1,Invoice PDF shows the wrong VAT number,Every invoice PDF shows the VAT number of our old address.,acme,1.0.0,
A-2,,a row without a subject,acme,,
A-3,Wrong VAT number on invoice PDFs,The invoice PDF prints the VAT number of our old company address.,bolt,1.1.0,en
A-4,Cannot log in,"Login says ""password expired"" although it was changed yesterday",acme,,xx
"""


def _import(project: Project, path: Path) -> dict:
    env = {**os.environ, "DATABASE_URL": project.server.database_url}
    out = subprocess.run([sys.executable, "-m", "server.cli", "import", "tickets", project.org, "app", str(path), "--json"],
                         env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_csv_import_reports_bad_rows_and_resumes(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    path.write_text(CSV)
    first = _import(project, path)
    assert (first["imported"], first["bad"], first["skipped_existing"]) == (2, 2, 0)
    assert [e["line"] for e in first["errors"]] == [3, 5]
    assert "subject" in first["errors"][0]["error"] and "language" in first["errors"][1]["error"]
    again = _import(project, path)
    assert (again["imported"], again["skipped_existing"]) == (0, 2)
    r = httpx.get(f"{project.server.base_url}/api/0/projects/{project.id}/tickets", headers=project.auth,
                  params={"customer": "bolt"})
    (bolt,) = r.json()["tickets"]
    assert bolt["external_ref"] == "A-3" and bolt["version"] == "1.1.0"
    (acme,) = httpx.get(f"{project.server.base_url}/api/0/projects/{project.id}/tickets", headers=project.auth,
                        params={"customer": "acme"}).json()["tickets"]
    assert acme["external_ref"] == "A-1" and acme["status"] == "open"


def test_jsonl_import_skips_what_it_cannot_read(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "tickets.jsonl"
    path.write_text("\n".join([
        json.dumps({"external_ref": "J-1", "subject": "导出订单失败", "body": "错误信息：KeyError: 'sales_rep'"}),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"external_ref": "J-2", "subject": "Export fails", "created_at": "2025-03-01T10:00:00Z"}),
    ]) + "\n")
    out = _import(project, path)
    assert (out["imported"], out["bad"]) == (2, 2) and [e["line"] for e in out["errors"]] == [2, 3]


def test_large_import_reports_each_bad_line_and_resumes(project: Project, tmp_path: Path) -> None:
    """Thousands of rows in batches: bad rows in between (unreadable, no subject, a NUL, a repeated
    external_ref) cost only themselves, pasted traces still join their cluster,
    and a re-run imports nothing twice."""
    lines, bad = [], []
    for i in range(2500):
        n = i + 1
        if i % 250 == 7:
            lines.append("{not json")
            bad.append(n)
        elif i % 250 == 50:
            lines.append(json.dumps({"external_ref": f"B-{i}", "body": "no subject"}))
            bad.append(n)
        elif i % 500 == 120:
            lines.append(json.dumps({"external_ref": f"B-{i}", "subject": "nul \u0000 byte", "body": "x"}))
            bad.append(n)
        elif i == 30:
            lines.append(json.dumps({"external_ref": "B-3", "subject": "same ref as line 4, same batch"}))
            bad.append(n)
        elif i % 400 == 9:
            trace = ('Traceback (most recent call last):\n  File "/srv/app/shop/orders.py", line 42, in export_orders\n'
                     "    rep = row['sales_rep']\nKeyError: 'sales_rep'")
            lines.append(json.dumps({"external_ref": f"B-{i}", "subject": f"Export broken {i}", "body": trace}))
        else:
            lines.append(json.dumps({"external_ref": f"B-{i}", "subject": f"Question {i} about invoices",
                                     "body": f"Customer {i % 37} asks why invoice {i} shows the old address."}))
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n")
    first = _import(project, path)
    assert [e["line"] for e in first["errors"]] == bad
    assert first["imported"] == 2500 - len(bad) and first["bad"] == len(bad)
    assert {e["error"] for e in first["errors"] if e["line"] in (121, 621)} == {"subject contains a NUL character"}
    again = _import(project, path)
    # the row repeating B-3 now meets it as already imported; the NUL rows are refused again
    assert (again["imported"], again["skipped_existing"], again["bad"]) == (0, first["imported"] + 1, len(bad) - 1)
    base = f"{project.server.base_url}/api/0/projects/{project.id}/tickets"
    tickets = []
    cursor = None
    while True:
        page = httpx.get(base, headers=project.auth, params={"limit": 100, **({"cursor": cursor} if cursor else {})}).json()
        tickets += page["tickets"]
        cursor = page.get("next_cursor") or page.get("cursor")
        if not cursor:
            break
    assert len(tickets) == first["imported"]
    traced = [t for t in tickets if t["subject"].startswith("Export broken")]
    assert len(traced) == 7 and len({t["cluster_id"] for t in traced}) == 1  # one crash, one cluster
    assert all(t["match"] is not None for t in traced if t["external_ref"] != "B-9")
    plain = [t for t in tickets if t["subject"].startswith("Question")]
    assert len({t["cluster_id"] for t in plain}) == len(plain) and all(t["match"] is None for t in plain)


def test_a_byte_that_is_not_utf8_costs_only_its_row(project: Project, tmp_path: Path) -> None:
    """An export with one Latin-1 byte (a customer's name) is imported but for that row, which says where the byte is."""
    csv_path = tmp_path / "latin1.csv"
    latin1 = b"L-2,Login loops back to the start page,M\xfcller GmbH"
    csv_path.write_bytes(b"external_ref,subject,customer\nL-1,Invoice totals are wrong,acme\n" + latin1 +
                         b"\nL-3,Export to Excel is empty,bolt\n")
    out = _import(project, csv_path)
    assert (out["imported"], out["bad"]) == (2, 1)
    assert out["errors"] == [{"line": 3, "error": f"not UTF-8 (byte 0xfc at column {latin1.index(0xfc) + 1})"}]

    jsonl_path = tmp_path / "latin1.jsonl"
    rows = [json.dumps({"external_ref": f"J-{i}", "subject": f"Report {i} is slow"}).encode() for i in range(4)]
    rows[1] = b'{"external_ref": "J-1", "subject": "Caf\xe9 menu missing"}'
    # a raw U+2028 inside a JSON string is valid JSON and no line break: the lines after it keep their numbers
    rows[2] = json.dumps({"external_ref": "J-2", "subject": "Line\u2028separator"}, ensure_ascii=False).encode()
    jsonl_path.write_bytes(b"\n".join(rows) + b"\n")
    out = _import(project, jsonl_path)
    assert (out["imported"], out["bad"]) == (3, 1)
    assert out["errors"] == [{"line": 2, "error": f"not UTF-8 (byte 0xe9 at column {rows[1].index(0xe9) + 1})"}]


def test_an_over_long_field_is_its_rows_error(project: Project, tmp_path: Path) -> None:
    """A field beyond the CSV parser's default limit (131,072 characters), even one spanning lines, is
    refused by the ticket's own checks for its row alone; the records after it are read as they are."""
    long_body = ("x" * 999 + "\n") * 200  # 200,000 characters on 200 lines
    path = tmp_path / "long.csv"
    path.write_text("external_ref,subject,body\n"
                    "O-1,Printing labels fails,short\n"
                    f'O-2,Pasted a whole log,"{long_body}"\n'
                    "O-3,Barcode scanner not found,also short\n")
    out = _import(project, path)
    assert (out["imported"], out["bad"]) == (2, 1)
    (error,) = out["errors"]
    assert error["line"] == 3 and "body" in error["error"] and "100000" in error["error"]
    refs = {t["external_ref"] for t in httpx.get(f"{project.server.base_url}/api/0/projects/{project.id}/tickets",
                                                  headers=project.auth).json()["tickets"]}
    assert refs == {"O-1", "O-3"}


def test_a_record_spanning_lines_is_reported_at_its_first_line(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text("external_ref,subject,body,language\n"
                    'M-1,Refund button greyed out,"Steps:\n1. open order\n2. click refund",en\n'
                    'M-2,Shipping label blank,"Steps:\n1. print label\n2. it is blank",fr\n'
                    "M-3,Search ignores accents,one line,\n")
    out = _import(project, path)
    assert (out["imported"], out["bad"]) == (2, 1)
    (error,) = out["errors"]
    assert error["line"] == 5 and "language" in error["error"]


def test_a_batch_the_database_refuses_is_halved_down_to_the_row_at_fault(project: Project) -> None:
    """Another import (or POST) files an external_ref after this batch checked it: the batch's insert
    fails, and halving commits every other row and reports that one by its line."""
    base = f"{project.server.base_url}/api/0/projects/{project.id}/tickets"
    r = httpx.post(base, headers=project.auth, json={"subject": "Filed meanwhile", "external_ref": "R-517"})
    assert r.status_code == 201, r.text
    rows = [(i + 2, TicketCreate(subject=f"Question {i} about shipping", body=f"parcel {i} is late", external_ref=f"R-{i}"))
            for i in range(1000)]

    async def go() -> tuple[int, list[dict[str, object]], int]:
        pool = await create_pool(project.server.database_url)
        try:
            org = await pool.fetchval("SELECT organization_id FROM projects WHERE id = $1", project.id)
            imported, failed = await import_batch(pool, org, project.id, rows)
            stored = await pool.fetchval("SELECT count(*) FROM tickets WHERE project_id = $1", project.id)
            return imported, failed, stored
        finally:
            await pool.close()

    imported, failed, stored = asyncio.run(go())
    assert (imported, stored) == (999, 1000)
    assert [f["line"] for f in failed] == [519] and "R-517" in str(failed[0]["error"])
