"""The real @sentry/esbuild-plugin (npm, pinned in tests/js_plugin) pointed at Crashdesk by its
``url`` and ``authToken`` options: it injects debug ids, creates the release and uploads the bundle;
the bundle then crashes under @sentry/node and comes back as the original sources."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx

from tests.conftest import Project, npm_install
from tests.server.symbolication_support import frames, processed
from tests.server.test_symbolication_node import _crash
from tests.support import REPO


def test_esbuild_plugin_uploads_and_the_crash_resolves(project: Project, npm_packages: Path, tmp_path: Path) -> None:
    modules = npm_install(REPO / "tests/js_plugin", "@sentry/esbuild-plugin/package.json")
    script = modules.parent / "build.mjs"  # beside its node_modules, where ESM imports resolve
    shutil.copy(REPO / "tests/js_plugin/build.mjs", script)
    release = "shop-web@2.0.0"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")} | {"HOME": str(tmp_path)}
    out = subprocess.run(
        ["node", str(script), str(REPO / "tests/js/app/index.js"), str(tmp_path / "dist"), project.server.base_url,
         project.token, project.org, "app", release],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0 and "Successfully uploaded source maps" in out.stdout + out.stderr, out.stdout + out.stderr

    r = httpx.get(f"{project.server.base_url}/api/0/projects/{project.id}/releases/", params={"version": release},
                  headers=project.auth, timeout=10)
    assert r.status_code == 200 and r.json()["released_at"], r.text  # the plugin creates and finalizes it

    event = processed(project, _crash(npm_packages, tmp_path / "dist/index.js", project.dsn, release))
    app_frames = [f for f in frames(event) if "raw" in f]
    assert [(f["function"], Path(f["abs_path"]).name, f["lineno"]) for f in app_frames][-2:] == [
        ("lineTotal", "cart.js", 4),
        ("priceOf", "pricing.js", 6),
    ]
