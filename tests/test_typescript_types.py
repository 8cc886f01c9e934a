"""Real responses type-check against the committed TypeScript types (sdk/typescript).

Each response body is written into a TypeScript file as a literal of the type its operation
declares (`paths[path][method]["responses"][status]["content"][media]`) and `tsc` compiles
it: a missing required key, an undeclared key, a wrong type or a null where none is allowed
fails. The committed types are checked against `/api/schema/` by
`scripts/typescript_sdk.py check` (CI), so this checks the schema against the server.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import orjson
import pytest

from analytics.services.events import events_ingest
from analytics.services.events_validation import IngestContext
from templates_app.services.categories import categories_ensure
from tests.executions.factories import ExecutionFactory, WorkflowFactory
from tests.templates_app.factories import TemplateFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
SDK = ROOT / "sdk" / "typescript"
TSC = SDK / "node_modules" / ".bin" / "tsc"


@pytest.fixture(scope="module")
def typescript():
    subprocess.run([sys.executable, "scripts/typescript_sdk.py", "install"], cwd=ROOT, check=True)
    return TSC


def type_errors(samples: list[tuple[str, str, int, str, object]]) -> str:
    """Compile each body as its operation's response type; return tsc's complaints."""
    lines = ['import type { paths } from "../src/schema";']
    for index, (path, method, status, media, body) in enumerate(samples):
        declared = f'paths["{path}"]["{method}"]["responses"][{status}]["content"]["{media}"]'
        lines.append(f"export const sample{index}: {declared} = {orjson.dumps(body).decode()};")
    with tempfile.TemporaryDirectory(dir=SDK, prefix=".response-check-") as tmp:
        source = Path(tmp) / "responses.ts"
        source.write_text("\n".join(lines) + "\n")
        compiled = subprocess.run(
            [TSC, "--noEmit", "--strict", "--skipLibCheck", "--target", "ES2022",
             "--module", "esnext", "--moduleResolution", "bundler", source],
            cwd=SDK, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    return compiled.stdout + compiled.stderr


@pytest.fixture
def real_responses(api_client, anon_client, workspace, user):
    workflow = WorkflowFactory(workspace=workspace, created_by=user)
    execution = ExecutionFactory(workflow=workflow, output={"n": 1})
    categories_ensure()
    template = TemplateFactory(user=user, published=True)
    events_ingest(
        raw_events=[{"event_type": "page_view", "distinct_id": "a"}],
        context=IngestContext(workspace_id=workspace.id, received_at=execution.created_at),
    )
    alert = {"name": "r", "metric": "queue_depth", "condition": "gt", "threshold": 1}
    get, anon_get = api_client.get, anon_client.get
    calls = [
        ("/api/v1/workflows/", "get", 200, get("/api/v1/workflows/")),
        ("/api/v1/workflows/{id}/", "get", 200, get(f"/api/v1/workflows/{workflow.id}/")),
        ("/api/v1/executions/{id}/", "get", 200, get(f"/api/v1/executions/{execution.id}/")),
        ("/api/v1/executions/", "get", 200, get("/api/v1/executions/")),
        ("/api/v1/analytics/events/", "get", 200, get("/api/v1/analytics/events/")),
        (
            "/api/v1/analytics/alerts/",
            "post",
            201,
            api_client.post("/api/v1/analytics/alerts/", alert, format="json"),
        ),
        (
            "/api/v1/marketplace/templates/{slug}/",
            "get",
            200,
            anon_get(f"/api/v1/marketplace/templates/{template.slug}/"),
        ),
        ("/api/v1/marketplace/templates/", "get", 200, anon_get("/api/v1/marketplace/templates/")),
        ("/api/v1/auth/me/", "get", 200, get("/api/v1/auth/me/")),
        ("/api/v1/workflows/{id}/", "get", 404, get("/api/v1/workflows/999999999/")),
    ]
    samples = []
    for path, method, status, response in calls:
        assert response.status_code == status, (path, response.content)
        media = response["Content-Type"].split(";")[0]
        samples.append((path, method, status, media, response.json()))
    return samples


def test_real_responses_have_the_shapes_of_the_generated_types(typescript, real_responses):
    assert type_errors(real_responses) == ""


def test_a_response_that_breaks_its_type_fails_the_check(typescript, real_responses):
    path, method, status, media, workflow = real_responses[1]
    missing_key = {key: value for key, value in workflow.items() if key != "name"}
    extra_key = {**workflow, "secret": "x"}
    wrong_type = {**workflow, "version": "1"}
    errors = type_errors(
        [(path, method, status, media, body) for body in (missing_key, extra_key, wrong_type)]
    )
    by_line = {int(line.split("(")[1].split(",")[0]): line for line in errors.splitlines()}
    # Line 1 imports the types; sample N is on line N + 2.
    assert "'name' is missing" in by_line[2]
    assert '"secret"' in by_line[3]
    assert "not assignable to type 'number'" in by_line[4]
