"""The OpenAPI document is valid and complete, the docs page works offline, and fuzzing it finds no 5xx."""

from __future__ import annotations

import os
import re
import uuid

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate
from schemathesis import GenerationMode

from tests.conftest import Project
from tests.support import Server, cli


def _schema(server: Server) -> dict:
    r = httpx.get(server.base_url + "/api/0/schema/openapi.json")
    assert r.status_code == 200
    return r.json()


def test_schema_is_valid_openapi_with_security_bodies_and_errors(server: Server) -> None:
    doc = _schema(server)
    validate(doc)
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer",
                                                             "description": "crashdesk token create ORG"}
    error = {"$ref": "#/components/schemas/Error"}
    assert doc["components"]["schemas"]["Error"]["required"] == ["detail", "code"]
    for path, item in doc["paths"].items():
        if not path.startswith("/api/0/"):
            continue
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            public = path == "/api/0/health"
            assert op["security"] == [] if public else [list(r) for r in op["security"]] == [["bearer"]], where
            if not public:
                assert op["security"][0]["bearer"] in (["read"], ["write"], ["admin"]), where
            for code in ("400", "503") + (() if public else ("401", "403")):
                assert op["responses"][code]["content"]["application/json"]["schema"] == error, (where, code)
            if "{" in path:
                assert op["responses"]["404"]["content"]["application/json"]["schema"] == error, where
    with_bodies = [
        ("patch", "/api/0/projects/{project_id}/clusters/{cluster_id}"),
        ("post", "/api/0/projects/{project_id}/clusters/{cluster_id}/merge"),
        ("post", "/api/0/projects/{project_id}/clusters/{cluster_id}/unmerge"),
        ("put", "/api/0/projects/{project_id}/grouping-config"),
        ("post", "/api/0/projects/{project_id}/releases/{release}/artifacts"),
        ("post", "/api/0/projects/{project_id}/artifacts"),
        ("post", "/api/0/tokens"),
    ]
    for method, path in with_bodies:
        assert doc["paths"][path][method]["requestBody"]["content"], f"{method} {path} documents its body"
    upload = doc["paths"]["/api/0/projects/{project_id}/releases/{release}/artifacts"]["post"]["requestBody"]
    form = upload["content"]["multipart/form-data"]["schema"]
    fields = doc["components"]["schemas"][form["$ref"].rsplit("/", 1)[1]]["properties"]
    assert fields["file"]["items"]["format"] == "binary"
    listed = doc["paths"]["/api/0/projects/{project_id}/events"]["get"]
    assert {p["name"] for p in listed["parameters"]} >= {"release", "environment", "status", "cluster_id", "limit", "cursor"}


def test_docs_page_loads_nothing_from_elsewhere(server: Server) -> None:
    page = httpx.get(server.base_url + "/api/0/schema")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    head = page.text.split("<body>")[0]
    assets = re.findall(r"""(?:src|href)=["']([^"']+)""", page.text)
    assert assets and all(a.startswith("/api/0/schema/static/") for a in assets), assets
    assert "http://" not in head and "https://" not in head
    for asset in assets:
        r = httpx.get(server.base_url + asset)
        assert r.status_code == 200 and len(r.content) > 500, asset
    assert '"Crashdesk API"' in page.text, "the page carries the schema itself"


@pytest.fixture(scope="module")
def fuzzed(server: Server) -> tuple[Project, int]:
    """A project of its own organization (fuzzing edits it), and the id of its token."""
    project = Project(server, f"fuzz-{uuid.uuid4().hex[:8]}", "app")
    token_id = cli(server.database_url, "token", "list", project.org)["tokens"][0]["id"]
    return project, token_id


EXAMPLES = int(os.environ.get("CRASHDESK_FUZZ_EXAMPLES", "5"))  # per operation and mode; raise it for a deeper run


def test_fuzzed_requests_never_get_a_server_error(server: Server, fuzzed: tuple[Project, int]) -> None:
    """Schemathesis cases (valid and invalid) for every operation of the document; any 5xx fails."""
    project, own_token = fuzzed
    schema = schemathesis.openapi.from_url(server.base_url + "/api/0/schema/openapi.json")
    failures: list[str] = []
    sent = 0

    def send(case: schemathesis.Case) -> None:
        nonlocal sent
        params = case.path_parameters or {}
        if isinstance(params.get("project_id"), int) and params["project_id"] % 4:
            params["project_id"] = project.id  # mostly the real project, so handlers get past the tenancy check
        if params.get("token_id") == own_token:
            params["token_id"] = own_token + 10**9  # revoking itself would end the run, not test anything
        response = case.call(headers=project.auth, timeout=30)
        sent += 1
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {case.method} {case.formatted_path} {case.query} -> {response.text[:200]}")

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                           suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])(
                given(operation.as_strategy(generation_mode=mode))(send))
            try:
                run()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label  # nothing to get wrong (no parameters)
    print(f"fuzz: {sent} requests")
    assert sent > 100
    assert not failures, "\n".join(failures[:20])


def test_server_is_healthy_after_fuzzing(server: Server, fuzzed: tuple[Project, int]) -> None:
    project, _ = fuzzed
    assert httpx.get(server.base_url + "/api/0/health").json() == {"status": "ok"}
    assert httpx.get(server.base_url + "/api/0/projects/", headers=project.auth).status_code == 200
