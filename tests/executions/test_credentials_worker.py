"""End to end: credentials used by a real worker, and found nowhere afterwards.

A real Celery worker runs a workflow whose `http_request` nodes use one credential of each
type against a local receiver that echoes back what it got. The receiver must get each
secret; afterwards no API response, no column of any table (other than the credential's
encrypted one, which holds only ciphertext), no log line and no pg_dump of the database
may hold any of them.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, quote_plus, urlsplit

import pytest
from django.db import connection

from executions.choices import ExecutionStatus
from executions.models import Credential, Execution
from tests.api_checks import assert_problem
from tests.executions.factories import make_credential
from tests.executions.helpers import wait_for_finish
from tests.secret_scans import check_dump

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]

ROOT = Path(__file__).resolve().parents[2]
HEADER_SECRET = "hdr_Q2x8Rv5Tn1Wm7Kp3"
BEARER_SECRET = "bearer_Z4c9Hy6Lb2Vs8Nd0"
BASIC_PASSWORD = "basic_Pw3Jk7Xq1Mf5Rt9"
QUERY_SECRET = "qk_7Hq2+Zr/9x=Lm4Vn&a"  # needs URL-encoding in a query string
SECRETS = [HEADER_SECRET, BEARER_SECRET, BASIC_PASSWORD, QUERY_SECRET]
BASIC_TOKEN = base64.b64encode(f"robot:{BASIC_PASSWORD}".encode()).decode()


def every_form(secret: str) -> list[str]:
    return [secret, quote(secret, safe=""), quote_plus(secret)]


FORBIDDEN = sorted({form for s in SECRETS for form in every_form(s)} | {BASIC_TOKEN})


class _EchoHandler(BaseHTTPRequestHandler):
    """Answers with what it received (as some APIs do), or 401 on /deny."""

    def do_GET(self):
        received = {"path": self.path, "headers": dict(self.headers)}
        self.server.requests.append(received)
        status = 401 if self.path.startswith("/deny") else 200
        body = json.dumps({"you_sent": received}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Echo-Authorization", self.headers.get("Authorization", ""))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@contextmanager
def echo_receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    server.requests = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        echo_receiver.requests = server.requests


_STANDARD_RECORD_FIELDS = set(vars(logging.makeLogRecord({})))


def _as_text(record: logging.LogRecord) -> str:
    # The message with its arguments, the extra fields and the traceback, as a text or JSON
    # handler would print them (only plain values: a repr of a live object may block).
    extras = {
        key: value
        for key, value in vars(record).items()
        if key not in _STANDARD_RECORD_FIELDS and isinstance(value, str | int | float | dict | list)
    }
    text = f"{record.getMessage()} {extras}"
    if record.exc_info:
        text += logging.Formatter().formatException(record.exc_info)
    return text


class _Recorder(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.NOTSET)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(_as_text(record))


@pytest.fixture
def log_lines():
    """Every record logged at production's level (INFO) by any thread, the worker's too.

    On the root and on any logger that does not propagate; loggers keep the levels the
    settings give them (httpx's WARNING among them).
    """
    recorder = _Recorder()
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    targets = [logging.root, *(logger for logger in loggers if not logger.propagate)]
    root_level = logging.root.level
    logging.root.setLevel(logging.INFO)
    for logger in targets:
        logger.addHandler(recorder)
    yield recorder.lines
    for logger in targets:
        logger.removeHandler(recorder)
    logging.root.setLevel(root_level)


def node(node_id, base_url, credential, path="/"):
    return {
        "id": node_id,
        "type": "http_request",
        "params": {"url": f"{base_url}{path}?page=1", "credential": credential},
    }


def run_and_wait(api_client, workflow_id):
    response = api_client.post(f"/api/v1/workflows/{workflow_id}/run/?wait=20", {}, format="json")
    assert response.status_code in (200, 201, 202), response.content
    execution = wait_for_finish(response.json()["id"])
    return execution, response


def text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_name, c.column_name FROM information_schema.columns c
            JOIN information_schema.tables t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
              AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
            """
        )
        return cursor.fetchall()


def columns_holding(needle: str) -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for table, column in text_columns():
            cursor.execute(
                f'SELECT 1 FROM "{table}" WHERE strpos("{column}"::text, %s) > 0 LIMIT 1',
                [needle],
            )
            if cursor.fetchone():
                found.append(f"{table}.{column}")
    return found


def test_credentials_reach_the_receiver_and_nothing_else(api_client, workspace, user, log_lines):
    make_credential(workspace, user, name="hdr", type="header", secret=HEADER_SECRET)
    make_credential(workspace, user, name="tok", type="bearer", secret=BEARER_SECRET)
    make_credential(workspace, user, name="bas", type="basic", secret=BASIC_PASSWORD)
    make_credential(workspace, user, name="qry", type="api_key_query", secret=QUERY_SECRET)

    with echo_receiver() as base_url:
        definition = {
            "nodes": [
                node("a", base_url, "hdr"),
                node("b", base_url, "tok"),
                node("c", base_url, "bas"),
                node("d", base_url, "qry"),
                {"id": "copy", "type": "transform", "params": {"expr": "nodes.d.json"}},
            ],
            "edges": [
                {"from": "a", "to": "b"},
                {"from": "b", "to": "c"},
                {"from": "c", "to": "d"},
                {"from": "d", "to": "copy"},
            ],
        }
        workflow = api_client.post(
            "/api/v1/workflows/", {"name": "uses secrets", "definition": definition}
        ).json()
        succeeded, run_response = run_and_wait(api_client, workflow["id"])
        denied_definition = {"nodes": [node("call", base_url, "tok", path="/deny")]}
        denied_workflow = api_client.post(
            "/api/v1/workflows/", {"name": "denied", "definition": denied_definition}
        ).json()
        failed, failed_response = run_and_wait(api_client, denied_workflow["id"])
    received = echo_receiver.requests

    # The receiver got every secret, where each type puts it.
    assert succeeded.status == ExecutionStatus.SUCCEEDED, succeeded.error
    assert received[0]["headers"]["X-Api-Key"] == HEADER_SECRET
    assert received[1]["headers"]["Authorization"] == f"Bearer {BEARER_SECRET}"
    assert received[2]["headers"]["Authorization"] == f"Basic {BASIC_TOKEN}"
    query = parse_qs(urlsplit(received[3]["path"]).query)
    assert query == {"page": ["1"], "api_key": [QUERY_SECRET]}
    assert failed.status == ExecutionStatus.FAILED
    assert "answered HTTP 401" in failed.error["message"]
    # What the nodes recorded was redacted: the echo is there, the secrets are not.
    outputs = {run.node_id: run.output for run in succeeded.node_runs.all()}
    assert outputs["b"]["json"]["you_sent"]["headers"]["Authorization"] == "Bearer [redacted]"
    assert outputs["b"]["headers"]["x-echo-authorization"] == "Bearer [redacted]"
    assert "api_key=[redacted]" in outputs["d"]["json"]["you_sent"]["path"]
    # Used, and counted.
    assert Credential.objects.filter(last_used_at__isnull=False).count() == 4

    responses = [run_response, failed_response]
    for execution in (succeeded, failed):
        responses += [
            api_client.get(f"/api/v1/executions/{execution.id}/"),
            api_client.get(f"/api/v1/executions/{execution.id}/status/"),
            api_client.get(f"/api/v1/executions/{execution.id}/logs/"),
        ]
    for workflow_id in (workflow["id"], denied_workflow["id"]):
        responses += [
            api_client.get(f"/api/v1/workflows/{workflow_id}/"),
            api_client.get(f"/api/v1/workflows/{workflow_id}/executions/"),
        ]
    responses += [api_client.get("/api/v1/executions/"), api_client.get("/api/v1/credentials/")]
    for response in responses:
        assert response.status_code == 200, response.content
        body = response.content.decode()
        assert not [form for form in FORBIDDEN if form in body], response.request["PATH_INFO"]
    assert Execution.objects.get(pk=succeeded.pk).logs.exists()

    # No column of any table, the credentials' own ciphertext included, holds a secret.
    assert len(text_columns()) > 50  # the scan covers the whole schema
    # The scan finds what is there: the workflow's name, and its audit event's copy.
    assert set(columns_holding("uses secrets")) == {
        "executions_workflow.name",
        "synapscale_auditevent.changes",
    }
    for form in FORBIDDEN:
        assert columns_holding(form) == [], form
    # No log line, from the web side or the worker's threads.
    assert_problem(api_client.get("/api/v1/executions/999999/"), 404)
    assert any("Not Found: /api/v1/executions/999999/" in line for line in log_lines)
    for form in FORBIDDEN:
        assert not [line for line in log_lines if form in line], form

    # Nor a pg_dump of the database.
    dump_check = check_dump(FORBIDDEN)
    assert dump_check.returncode == 0, dump_check.stdout + dump_check.stderr
    assert "none of the" in dump_check.stdout
    found = check_dump(["uses secrets", HEADER_SECRET])  # the check does find a clear value
    assert found.returncode == 1
    assert found.stdout.splitlines() == [
        line for line in found.stdout.splitlines() if line.startswith("secret #1 ")
    ]
    assert "public.executions_workflow" in found.stdout
