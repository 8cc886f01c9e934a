"""Each analysis kind is its own operation, and its documented body agrees with the parser."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from analytics.analysis.body_schemas import BODY_SCHEMAS
from analytics.analysis.specs import ANALYSIS_KINDS, parse_query
from analytics.api.analysis import EXAMPLES
from tests.api_checks import assert_problem
from tests.openapi_checks import schema_errors

DATES = {"date_range": {"from": "2026-01-01", "to": "2026-01-31"}}
ONE_STEP = {"steps": [{"event_type": "a"}], "window_seconds": 1, **DATES}
RETURNS = {"start_event": "a", "return_event": "b", **DATES}
VALID = [
    *EXAMPLES.items(),
    ("trends", {"events": ["a", "b.c"], "breakdown": "event_type", **DATES}),
    ("trends", {"events": ["a"], "breakdown": "properties.plan", "breakdown_limit": 50, **DATES}),
    (
        "trends",
        {
            "events": ["a"],
            "filters": [{"field": "properties.plan", "op": "in", "value": ["pro", 1, True]}],
            **DATES,
        },
    ),
    (
        "funnels",
        {
            **ONE_STEP,
            "steps": [
                {"event_type": "a", "filters": [{"field": "properties.x", "op": "eq", "value": 1}]}
            ],
        },
    ),
    ("trends", {"events": ["a"], "date_range": "last_7_days"}),
    ("retention", {"start_event": "a", "return_event": "b"}),
    ("retention", {**RETURNS, "period": "day", "periods": 100}),
    ("ab_test", {**EXAMPLES["ab_test"], "control": "A", "confidence_level": 0.99}),
]
INVALID = [
    ("trends", {"events": [], **DATES}),
    ("trends", {"events": ["A"], **DATES}),
    ("trends", {"events": ["a"], "metric": "sum", **DATES}),
    ("trends", {"events": ["a"], "breakdown": "plan", **DATES}),
    ("trends", {"events": ["a"], "breakdown_limit": 51, **DATES}),
    ("trends", {"events": ["a"], "compare": 1, **DATES}),
    ("trends", {"events": ["a"], "date_range": "last_400_days"}),
    ("trends", {"events": ["a"], "date_range": {"from": "2026-01-01"}}),
    ("trends", {"events": ["a"], "unknown": 1, **DATES}),
    ("trends", {"events": ["a"], "filters": [{"field": "event_type", "op": "eq", "value": "a"}]}),
    ("trends", {"events": ["a"], "filters": [{"field": "properties.p", "op": "gt", "value": 1}]}),
    ("trends", {"events": ["a"], "filters": [{"field": "properties.p", "op": "in", "value": []}]}),
    ("funnels", {"steps": [{"event_type": "a"}], **DATES}),
    ("funnels", {**ONE_STEP, "steps": [{"event_type": "a", "x": 1}]}),
    ("funnels", {**ONE_STEP, "window_seconds": 0}),
    ("funnels", {**ONE_STEP, "breakdown": "event_type"}),
    ("retention", {"start_event": "a", **DATES}),
    ("retention", {**RETURNS, "periods": 0}),
    ("retention", {**RETURNS, "period": "month"}),
    ("ab_test", {**EXAMPLES["ab_test"], "confidence_level": 1}),
    ("ab_test", {**EXAMPLES["ab_test"], "control": "x" * 201}),
    ("ab_test", {key: value for key, value in EXAMPLES["ab_test"].items() if key != "goal_event"}),
]


def body_errors(kind: str, body) -> list[str]:
    return schema_errors(BODY_SCHEMAS[kind], body)


def parser_accepts(kind: str, body) -> bool:
    try:
        parse_query(kind, body)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(("kind", "body"), VALID)
def test_a_body_the_parser_accepts_matches_its_schema(kind, body):
    assert parser_accepts(kind, body)
    assert body_errors(kind, body) == []


@pytest.mark.parametrize(("kind", "body"), INVALID)
def test_a_body_its_schema_refuses_the_parser_refuses(kind, body):
    assert body_errors(kind, body) != []
    assert not parser_accepts(kind, body)


@pytest.mark.django_db
def test_each_kind_is_an_operation_with_its_own_required_body(api_client):
    paths = api_client.get("/api/schema/?format=json").json()["paths"]
    for kind in ANALYSIS_KINDS:
        operation = paths[f"/api/v1/analytics/analysis/{kind}/"]["post"]
        assert operation["operationId"] == f"analytics_analysis_{kind}"
        assert operation["requestBody"]["required"] is True
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body["$ref"].endswith("QueryRequest")
    assert not any("{kind}" in path for path in paths)


@pytest.mark.django_db
def test_an_unknown_kind_is_a_404(api_client):
    response = api_client.post("/api/v1/analytics/analysis/teleport/", {}, format="json")
    assert_problem(response, 404)
