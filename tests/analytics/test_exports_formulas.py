"""CSV exports neutralise spreadsheet formulas in values that arrived through /capture/."""

from __future__ import annotations

import csv
import io

import orjson
import pytest

from analytics.services.exports import csv_cell_neutralise, export_build

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def _capture(client, workspace, distinct_id, properties):
    event = {
        "api_key": workspace.ingestion_key,
        "event": "click",
        "distinct_id": distinct_id,
        "properties": properties,
    }
    response = client.post("/capture/", data=orjson.dumps(event), content_type="application/json")
    assert response.status_code == 200 and response.json()["accepted"] == 1, response.content


def _export(api_client, fmt):
    response = api_client.post(
        "/api/v1/analytics/exports/", {"source": "events", "format": fmt}, format="json"
    )
    assert response.status_code == 202, response.content
    export = export_build(export_id=response.json()["id"])
    download = api_client.get(f"/api/v1/analytics/exports/{export.pk}/download/")
    return b"".join(download.streaming_content).decode()


def test_captured_formulas_are_prefixed_in_csv_and_left_as_sent_in_jsonl(
    client, api_client, workspace
):
    for index, value in enumerate(HOSTILE):
        _capture(client, workspace, value, {"n": index, "plan": "pro"})
    _capture(client, workspace, "plain-visitor", {"n": -5})

    rows = list(csv.DictReader(io.StringIO(_export(api_client, "csv"), newline="")))
    exported = {row["distinct_id"] for row in rows}
    assert exported == {"'" + value for value in HOSTILE} | {"plain-visitor"}
    # A JSON cell starts with "{": nothing to neutralise; its inner values stay as sent.
    assert all(row["properties"].startswith("{") for row in rows)

    lines = [orjson.loads(line) for line in _export(api_client, "jsonl").splitlines()]
    assert {line["distinct_id"] for line in lines} == set(HOSTILE) | {"plain-visitor"}


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+1", "'=1+1"), ("safe", "safe"), ("", ""), ("a=b", "a=b"), ("-", "'-")],
)
def test_neutralise(value, cell):
    assert csv_cell_neutralise(value) == cell
