"""A real minified bundle: esbuild from npm, crashed under node with the real @sentry/node SDK.

The npm packages are pinned by ``tests/js/package.json`` and its lock file and installed
once into ``.cache/js-<hash of both>/`` (gitignored) with ``npm ci``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import Project
from tests.server.symbolication_support import cli_json, frames, processed, upload_cli
from tests.support import REPO

JS = REPO / "tests/js"


def _bundle(node_modules: Path, out_dir: Path) -> Path:
    bundle = out_dir / "app.min.js"
    out = subprocess.run(
        [str(node_modules / ".bin/esbuild"), str(JS / "app/index.js"), "--bundle", "--minify", "--sourcemap",
         "--platform=node", "--external:@sentry/node", f"--outfile={bundle}"],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "\n" not in bundle.read_text().strip().split("\n//# sourceMappingURL=")[0]  # really minified: one line
    return bundle


def _crash(node_modules: Path, bundle: Path, dsn: str, release: str) -> str:
    env = {**os.environ, "NODE_PATH": str(node_modules)}
    out = subprocess.run(["node", str(bundle), dsn, release], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    event_id = out.stdout.strip().splitlines()[-1]
    assert len(event_id) == 32, out.stdout
    return event_id


def test_esbuild_bundle_crash_under_sentry_node_comes_back_as_source(project: Project, npm_packages: Path, tmp_path: Path) -> None:
    release = "shop-node@1.4.0"
    bundle = _bundle(npm_packages, tmp_path / "dist")
    uploaded = cli_json(upload_cli(project, "--release", release, str(bundle), str(bundle) + ".map"))
    assert sorted(a["kind"] for a in uploaded["artifacts"]) == ["minified_source", "source_map"]

    event = processed(project, _crash(npm_packages, bundle, project.dsn, release))
    assert event["exception"][-1]["value"] == "no price for unknown-sku"
    app_frames = [f for f in frames(event) if "raw" in f]
    assert [(f["function"], Path(f["abs_path"]).name, f["lineno"]) for f in app_frames] == [
        ("Object.?", "index.js", 17),  # the module body: no name to restore
        ("main", "index.js", 10),
        ("checkout", "cart.js", 10),
        ("lineTotal", "cart.js", 4),
        ("priceOf", "pricing.js", 6),
    ]
    top = app_frames[-1]
    assert top["abs_path"] == str(JS / "app/pricing.js")
    assert top["context_line"].strip() == "throw new Error(`no price for ${sku}`);"
    assert (top["raw"].get("abs_path") or top["raw"]["filename"]).endswith("app.min.js") and top["raw"]["lineno"] == 1
    assert top["raw"]["function"] != "priceOf"  # the minified name, kept beside
    assert not any("node:internal" in n for n in event["notes"])  # node's own frames need no artifact
