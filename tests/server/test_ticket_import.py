"""``crashdesk import tickets``: CSV and JSONL, bad rows reported by line, resumable by external_ref."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

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
