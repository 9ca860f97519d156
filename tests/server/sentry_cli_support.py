"""Run the real ``sentry-cli`` (PyPI ``sentry-cli``, pinned in the test extra) against a Crashdesk."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx

from tests.conftest import Project

SENTRY_CLI = Path(sys.executable).parent / "sentry-cli"


def sentry_cli(project: Project, *args: str, cwd: Path, url: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``sentry-cli ARGS`` with only ``SENTRY_URL`` and the token changed, as a vendor switching would."""
    exe = str(SENTRY_CLI) if SENTRY_CLI.exists() else shutil.which("sentry-cli")
    assert exe, "sentry-cli is not installed: pip install -e '.[test]'"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env.update({
        "SENTRY_URL": url or project.server.base_url,
        "SENTRY_AUTH_TOKEN": project.token,
        "SENTRY_ORG": project.org,
        "SENTRY_PROJECT": "app",
        "HOME": str(cwd),  # no ~/.sentryclirc of the machine
        "SENTRY_DISABLE_UPDATE_CHECK": "1",
    })
    out = subprocess.run([exe, "--log-level", "info", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    if check:
        assert out.returncode == 0, f"sentry-cli {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
    return out


def sentry_api(project: Project, path: str) -> str:
    return f"{project.server.base_url}/api/0{path}"


def upload_bundle_by_chunks(project: Project, zip_bytes: bytes, projects: list[str] | None = None,
                            assemble: str = "/artifactbundle/assemble/") -> dict:
    """What sentry-cli does for an artifact bundle, by hand: assemble, send missing chunks, assemble."""
    checksum = hashlib.sha1(zip_bytes).hexdigest()
    body = {"checksum": checksum, "chunks": [checksum], "projects": projects or ["app"]}
    url = sentry_api(project, f"/organizations/{project.org}{assemble}")
    first = httpx.post(url, json=body, headers=project.auth, timeout=30).json()
    assert first["state"] == "not_found" and first["missingChunks"] == [checksum], first
    r = httpx.post(sentry_api(project, f"/organizations/{project.org}/chunk-upload/"),
                   files=[("file", (checksum, zip_bytes, "application/octet-stream"))], headers=project.auth, timeout=30)
    assert r.status_code == 200, r.text
    return httpx.post(url, json=body, headers=project.auth, timeout=30).json()


def make_zip(entries: dict[str, bytes], manifest: dict | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        if manifest is not None:
            zf.writestr("manifest.json", json.dumps(manifest))
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()
