"""The alert rule body in the schema states what each metric needs, as the service does."""

from __future__ import annotations

import pytest

from analytics.models import Report
from tests.openapi_checks import component_errors

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics/alerts/"
BASE = {"name": "r", "condition": "gt", "threshold": 1}


@pytest.fixture
def components(api_client):
    return api_client.get("/api/schema/?format=json").json()["components"]


@pytest.mark.parametrize(
    ("body", "accepted"),
    [
        ({**BASE, "metric": "event_count", "event_type": "error"}, True),
        ({**BASE, "metric": "event_count"}, False),
        ({**BASE, "metric": "event_count", "event_type": ""}, False),
        ({**BASE, "metric": "report_value"}, False),
        ({**BASE, "metric": "report_value", "report": None}, False),
        ({**BASE, "metric": "queue_depth"}, True),
        ({**BASE, "metric": "queue_depth", "condition": "change_pct"}, False),
        ({**BASE, "metric": "unique_people", "condition": "change_pct"}, True),
        ({**BASE, "metric": "execution_failure_rate", "threshold": False}, False),
    ],
)
def test_the_schema_and_the_server_agree_on_what_a_rule_needs(
    api_client, components, body, accepted
):
    schema_accepts = component_errors(components, "AlertRuleInputRequest", body) == []
    response = api_client.post(URL, body, format="json")
    assert schema_accepts is accepted
    assert (response.status_code == 201) is accepted, response.content


def test_a_report_value_rule_with_a_report_matches_the_schema(
    api_client, components, workspace, user
):
    report = Report.objects.create(
        workspace=workspace, owner=user, name="mine", sharing="private", query={}
    )
    body = {**BASE, "metric": "report_value", "report": report.pk}
    assert component_errors(components, "AlertRuleInputRequest", body) == []
    assert api_client.post(URL, body, format="json").status_code == 201


def test_a_partial_update_documents_the_plain_body(components):
    patched = components["schemas"]["PatchedAlertRuleInputRequest"]
    assert "oneOf" not in patched and "metric" in patched["properties"]
