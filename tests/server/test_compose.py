"""compose.yaml: one image built once, a required database password, and only variables Settings knows."""

from __future__ import annotations

import re

import yaml

from server.settings import Settings, variables
from tests.support import REPO

COMPOSE = yaml.safe_load((REPO / "compose.yaml").read_text())
CRASHDESK = {name: s for name, s in COMPOSE["services"].items() if "crashdesk" in " ".join(s.get("command", []))}
SUBST = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


def test_both_services_run_one_image_built_once() -> None:
    assert set(CRASHDESK) == {"web", "worker"}
    assert [name for name, s in CRASHDESK.items() if "build" in s] == ["web"]
    assert len({s["image"] for s in CRASHDESK.values()}) == 1
    assert CRASHDESK["worker"]["pull_policy"] == "never", "never fetch a stranger's image of the same name"


def test_every_variable_set_is_one_settings_knows_and_the_values_pass_its_checks() -> None:
    for name, service in CRASHDESK.items():
        env = service["environment"]
        assert set(env) <= variables(), f"{name} sets variables Crashdesk does not read: {set(env) - variables()}"
        # with every ${VAR:-default} at its default and every required ${VAR:?} given, Settings accepts them
        filled = {k: SUBST.sub(lambda m: m.group(3) if m.group(2) == "-" else "secret", str(v)) for k, v in env.items()}
        Settings.from_env(filled)


def test_the_database_password_is_required_with_no_default() -> None:
    uses = [m for s in COMPOSE["services"].values() for v in s.get("environment", {}).values() for m in SUBST.finditer(str(v))
            if m.group(1) == "POSTGRES_PASSWORD"]
    assert uses and all(m.group(2) == "?" for m in uses), "every use of POSTGRES_PASSWORD is ${POSTGRES_PASSWORD:?...}"


def test_the_readme_documents_every_variable() -> None:
    readme = (REPO / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    assert [v for v in sorted(variables()) if f"`{v}`" not in table] == []
    assert "POSTGRES_PASSWORD" in readme.split("## Production with compose", 1)[1]
