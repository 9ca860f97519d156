"""``crashdesk kb import / export / report``: a help-centre folder in, bad files reported, never aborting."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

from tests.support import CRASHDESK, REPO, cli

GOOD = {
    "reset-password.en.md": "---\nid: kb-17\ntitle: Reset a forgotten password\nstatus: published\nvisibility: public\n"
                            "tags: [login, account]\n---\nOpen **Settings** and choose *Reset password*.\n",
    "reset-password.zh.md": "---\nid: kb-17\ntitle: 重置忘记的密码\nlocale: zh\nstatus: published\n---\n打开设置，选择重置密码。\n",
    "sync/offline.md": "---\ntitle: Offline edits lost after sync\ntags: sync\n---\nKeep one device online.\n",
}
BAD = {
    "broken-yaml.md": "---\ntitle: [unclosed\n---\nbody\n",
    "no-title.md": "---\nstatus: published\n---\nno title here\n",
    "odd-status.md": "---\ntitle: Odd\nstatus: deleted\n---\nx\n",
}


def _folder(tmp: Path) -> Path:
    folder = tmp / "export"
    for name, text in {**GOOD, **BAD}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "latin1.md").write_bytes("---\ntitle: Caf\xe9\n---\n".encode("latin-1"))
    (folder / "notes.txt").write_text("not markdown, ignored")
    return folder


def test_import_reports_bad_files_and_keeps_going(make_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = make_database()
    org = f"hc-{uuid.uuid4().hex[:6]}"
    folder = _folder(tmp_path)
    out = cli(db, "kb", "import", org, str(folder), "--create-org")
    assert out["files"] == 7 and out["created"] == 2 and out["language added"] == 1
    assert {b["file"]: b["error"].split(":")[0] for b in out["bad"]} == {
        "broken-yaml.md": "front matter", "no-title.md": "title", "odd-status.md": "status", "latin1.md": "not UTF-8 text"}

    again = cli(db, "kb", "import", org, str(folder))
    assert again["unchanged"] == 3 and "created" not in again

    (folder / "sync/offline.md").write_text("---\ntitle: Offline edits lost after sync\n---\nNew advice.\n")
    assert cli(db, "kb", "import", org, str(folder))["updated"] == 1

    exported = tmp_path / "out"
    files = cli(db, "kb", "export", org, str(exported))["files"]
    assert sorted(files) == ["kb-17.en.md", "kb-17.zh.md", "offline.en.md"]
    assert "title: 重置忘记的密码" in (exported / "kb-17.zh.md").read_text(encoding="utf-8")

    other = f"copy-{uuid.uuid4().hex[:6]}"
    copied = cli(db, "kb", "import", other, str(exported), "--create-org")
    assert copied["created"] == 2 and copied["language added"] == 1 and copied["bad"] == []

    report = cli(db, "kb", "report", org, "never-used", "--days", "1")
    assert report["report"] == "never-used"


def test_import_of_a_missing_folder_or_organization_says_so(make_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {"DATABASE_URL": make_database(), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([*CRASHDESK, "kb", "import", "x", str(tmp_path / "nope")], cwd=REPO, capture_output=True,
                         text=True, env=env, timeout=60)
    assert out.returncode == 2 and "is not a folder" in out.stderr
    out = subprocess.run([*CRASHDESK, "kb", "import", "acmee", str(tmp_path)], cwd=REPO, capture_output=True,
                         text=True, env=env, timeout=60)
    assert out.returncode == 2 and "organization 'acmee' does not exist" in out.stderr
