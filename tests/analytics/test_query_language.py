"""The one query language: old shapes converted, unknown keys refused with their paths,
one set of field/property-key/event-type rules, deprecation headers on the old shapes only."""

from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime

import pytest
from django.utils import timezone

from analytics.analysis.specs import parse_query
from analytics.api.deprecations import LEGACY_QUERY_SHAPES
from analytics.models import AlertRule
from analytics.query_language import (
    FilterRules,
    date_range_parse,
    filters_parse,
    is_event_type,
    property_key,
)
from analytics.query_spec import query_spec_parse
from analytics.selectors.queries import query_run
from analytics.services.exports import export_build
from tests.api_checks import assert_problem

pytestmark = pytest.mark.django_db

ANALYSIS = "/api/v1/analytics/analysis/"
ALERTS = "/api/v1/analytics/alerts/"
EXPORTS = "/api/v1/analytics/exports/"
RULE = {
    "name": "Pro signups",
    "metric": "event_count",
    "event_type": "signup",
    "condition": "gt",
    "threshold": 1,
    "window_minutes": 1440,
}
OLD_RANGE = {"date_from": "2026-01-01", "date_to": "2026-01-31"}
NEW_RANGE = {"date_range": {"from": "2026-01-01", "to": "2026-01-31"}}
PLAN_IN = {"field": "properties.plan", "op": "in", "value": ["pro", "team"]}
BETA_EQ = {"field": "properties.beta", "op": "eq", "value": True}

# Each documented old analysis shape, and the same query in the new one.
OLD_AND_NEW = [
    (
        "trends",
        {"events": ["a"], **OLD_RANGE, "filters": {"plan": ["pro", "team"], "beta": True}},
        {"events": ["a"], **NEW_RANGE, "filters": [PLAN_IN, BETA_EQ]},
    ),
    (
        "funnels",
        {
            "steps": [{"event_type": "a", "filters": {"beta": True}}, {"event_type": "b"}],
            "window_seconds": 3600,
            **OLD_RANGE,
        },
        {
            "steps": [{"event_type": "a", "filters": [BETA_EQ]}, {"event_type": "b"}],
            "window_seconds": 3600,
            **NEW_RANGE,
        },
    ),
    (
        "retention",
        {"start_event": "a", "return_event": "b", **OLD_RANGE, "filters": {"plan": "pro"}},
        {
            "start_event": "a",
            "return_event": "b",
            **NEW_RANGE,
            "filters": [{"field": "properties.plan", "op": "eq", "value": "pro"}],
        },
    ),
    (
        "ab_test",
        {
            "exposure_event": "seen",
            "variant_property": "variant",
            "goal_event": "buy",
            "window_seconds": 60,
            "date_from": "2026-01-01T10:00:00+02:00",
            "date_to": "2026-01-02T00:00",
        },
        {
            "exposure_event": "seen",
            "variant_property": "variant",
            "goal_event": "buy",
            "window_seconds": 60,
            "date_range": {"from": "2026-01-01T08:00:00Z", "to": "2026-01-02T00:00:00Z"},
        },
    ),
]


@pytest.mark.parametrize(("kind", "old", "new"), OLD_AND_NEW)
def test_each_old_analysis_shape_parses_to_the_query_of_the_new_one(kind, old, new):
    assert parse_query(kind, old) == parse_query(kind, new)


def start_of_today() -> dt.datetime:
    return timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)


def _events(ingest, workspace, rows):
    """Store the rows earlier today (whatever the time: "today" and 24 hours hold them)."""
    now = timezone.now()
    elapsed = now - start_of_today()
    ingest(
        workspace,
        [
            {
                "event_type": event_type,
                "distinct_id": person,
                "properties": properties,
                "timestamp": (now - elapsed * (index + 1) / 10).isoformat(),
            }
            for index, (event_type, person, properties) in enumerate(rows)
        ],
    )
    return now


SIGNUPS = [
    ("signup", "p1", {"plan": "pro", "1st_plan": "free", "plan.tier": "a"}),
    ("signup", "p2", {"plan": "pro", "1st_plan": "free", "plan.tier": "b"}),
    ("signup", "p3", {"plan": "free", "a__b": 7}),
    ("click", "p1", {"plan": "pro"}),
]


def test_old_and_new_analysis_bodies_answer_alike_and_only_the_old_is_deprecated(
    api_client, workspace, ingest
):
    now = _events(ingest, workspace, SIGNUPS)
    day = now.date().isoformat()
    old = {"events": ["signup"], "date_from": day, "date_to": day, "filters": {"plan": "pro"}}
    new = {
        "events": ["signup"],
        "date_range": {"from": day, "to": day},
        "filters": [{"field": "properties.plan", "op": "eq", "value": "pro"}],
    }
    old_answer = api_client.post(f"{ANALYSIS}trends/?refresh=true", old, format="json")
    new_answer = api_client.post(f"{ANALYSIS}trends/?refresh=true", new, format="json")
    assert old_answer.status_code == new_answer.status_code == 200, old_answer.content
    assert old_answer.json()["series"] == new_answer.json()["series"]
    assert sum(point["value"] for point in new_answer.json()["series"][0]["data"]) == 2
    assert_deprecated(old_answer)
    assert_not_deprecated(new_answer)


def assert_deprecated(response):
    assert response["Deprecation"] == f"@{int(LEGACY_QUERY_SHAPES.since.timestamp())}"
    assert parsedate_to_datetime(response["Sunset"]) == LEGACY_QUERY_SHAPES.sunset
    assert 'rel="deprecation"' in response["Link"]
    assert "docs.synapscale.dev/api-versioning" in response["Link"]


def assert_not_deprecated(response):
    assert not response.has_header("Deprecation")
    assert not response.has_header("Sunset")


def test_an_alert_filter_object_naming_an_event_field_is_a_400_not_a_silent_zero(api_client):
    response = api_client.post(ALERTS, {**RULE, "filters": {"event_type": "signup"}}, format="json")
    body = assert_problem(response, 400)
    assert "filters.event_type" in body["errors"]
    assert "list" in body["errors"]["filters.event_type"][0]
    assert not AlertRule.objects.exists()


def test_every_bad_filter_is_reported_at_once_with_its_path(api_client):
    filters = [
        {"field": "properties.plan", "op": "eq", "value": "pro"},
        {"field": "password", "op": "eq", "value": 1},
        {"field": "event_type", "op": "like", "value": "x", "extra": 1},
    ]
    body = assert_problem(api_client.post(ALERTS, {**RULE, "filters": filters}, format="json"))
    assert {"filters.1.field", "filters.2.op", "filters.2.extra"} <= set(body["errors"])


def test_unknown_keys_of_a_report_and_an_analysis_are_400s_naming_them(api_client):
    report = api_client.post(
        "/api/v1/analytics/reports/",
        {"name": "r", "query": {"source": "events", "filter": []}},
        format="json",
    )
    assert "query.filter" in assert_problem(report)["errors"]
    analysis = api_client.post(
        f"{ANALYSIS}trends/", {"events": ["a"], "filter": {"plan": "pro"}}, format="json"
    )
    assert "filter" in assert_problem(analysis)["errors"]


def test_an_old_alert_filter_object_is_stored_and_shown_as_the_list_and_counts_alike(
    api_client, workspace, ingest
):
    _events(ingest, workspace, SIGNUPS)
    old = api_client.post(ALERTS, {**RULE, "filters": {"plan": "pro"}}, format="json")
    new_filters = [{"field": "properties.plan", "op": "eq", "value": "pro"}]
    new = api_client.post(ALERTS, {**RULE, "filters": new_filters}, format="json")
    assert old.status_code == new.status_code == 201, old.content
    assert old.json()["filters"] == new.json()["filters"] == new_filters
    assert_deprecated(old)
    assert_not_deprecated(new)
    values = [
        api_client.post(f"{ALERTS}{answer.json()['id']}/test/").json()["value"]
        for answer in (old, new)
    ]
    assert values == [2.0, 2.0]
    patched = api_client.patch(
        f"{ALERTS}{new.json()['id']}/", {"filters": {"plan": "free"}}, format="json"
    )
    assert patched.status_code == 200
    assert_deprecated(patched)


def test_a_rule_stored_with_the_old_object_is_shown_and_evaluated_as_the_list(
    api_client, workspace, ingest
):
    _events(ingest, workspace, SIGNUPS)
    created = api_client.post(ALERTS, RULE, format="json").json()
    # A rule saved before the list existed still holds the object.
    AlertRule.objects.filter(pk=created["id"]).update(filters={"plan": "pro"})
    shown = api_client.get(f"{ALERTS}{created['id']}/")
    assert shown.json()["filters"] == [{"field": "properties.plan", "op": "eq", "value": "pro"}]
    assert_not_deprecated(shown)
    assert api_client.post(f"{ALERTS}{created['id']}/test/").json()["value"] == 2.0


def test_old_named_export_filters_select_what_the_list_selects(api_client, workspace, ingest):
    _events(ingest, workspace, SIGNUPS)
    after = start_of_today().isoformat()
    old = {
        "event_type": "signup,click",
        "created_after": after,
        "properties": {"plan": "pro"},
    }
    new = [
        {"field": "event_type", "op": "in", "value": ["signup", "click"]},
        {"field": "created_at", "op": "gte", "value": after},
        {"field": "properties.plan", "op": "eq", "value": "pro"},
    ]
    old_answer = api_client.post(EXPORTS, {"source": "events", "filters": old}, format="json")
    new_answer = api_client.post(EXPORTS, {"source": "events", "filters": new}, format="json")
    assert old_answer.status_code == new_answer.status_code == 202, old_answer.content
    by_field = sorted(old_answer.json()["filters"], key=lambda item: item["field"])
    assert by_field == sorted(new_answer.json()["filters"], key=lambda item: item["field"])
    assert_deprecated(old_answer)
    assert_not_deprecated(new_answer)
    answers = (old_answer, new_answer)
    counts = [export_build(export_id=answer.json()["id"]).row_count for answer in answers]
    assert counts == [3, 3]


def test_an_export_date_range_is_the_query_languages(api_client, workspace, ingest):
    _events(ingest, workspace, SIGNUPS)
    answer = api_client.post(
        EXPORTS, {"source": "events", "filters": [], "date_range": "today"}, format="json"
    )
    assert answer.status_code == 202, answer.content
    assert [item["field"] for item in answer.json()["filters"]] == ["created_at", "created_at"]
    bad = api_client.post(
        EXPORTS, {"source": "events", "date_range": {"from": "2026-01-01"}}, format="json"
    )
    assert "date_range" in assert_problem(bad)["errors"]


@pytest.mark.parametrize("key", ["1st_plan", "plan.tier"])
def test_a_property_key_is_the_same_for_the_event_list_reports_analyses_and_alerts(
    api_client, workspace, ingest, key
):
    _events(ingest, workspace, SIGNUPS)
    value = "free" if key == "1st_plan" else "a"
    listed = api_client.get(f"/api/v1/analytics/events/?properties.{key}={value}")
    assert listed.status_code == 200, listed.content
    expected = 2 if key == "1st_plan" else 1
    assert len(listed.json()["results"]) == expected
    condition = {"field": f"properties.{key}", "op": "eq", "value": value}
    spec = query_spec_parse({"source": "events", "filters": [condition], "date_range": "today"})
    assert query_run(spec=spec, workspace_id=workspace.id)["rows"][0]["value"] == expected
    trends = api_client.post(
        f"{ANALYSIS}trends/",
        {"events": ["signup"], "date_range": "today", "filters": [condition]},
        format="json",
    )
    assert trends.status_code == 200, trends.content
    rule = api_client.post(ALERTS, {**RULE, "filters": [condition]}, format="json")
    assert rule.status_code == 201, rule.content


def test_a_double_underscore_in_a_property_key_is_a_key_not_an_orm_lookup(workspace, ingest):
    _events(ingest, workspace, SIGNUPS)
    spec = query_spec_parse(
        {
            "source": "events",
            "filters": [{"field": "properties.a__b", "op": "gte", "value": 7}],
            "date_range": "today",
        }
    )
    assert query_run(spec=spec, workspace_id=workspace.id)["rows"][0]["value"] == 1


def test_the_rules_live_in_one_place():
    assert property_key("properties.1st_plan") == "1st_plan"
    assert property_key("properties.plan.tier") == "plan.tier"
    assert property_key("properties.plan\n") is None
    assert property_key("plan") is None
    assert is_event_type("page_view") and not is_event_type("page_view\n")
    assert not is_event_type("Page")
    errors = {}
    date_range_parse({"from": "2026-01-01", "to": "2031-01-01"}, errors)
    assert list(errors) == ["date_range.to"]


def test_an_event_type_with_a_trailing_newline_is_refused_at_ingestion(workspace, ingest):
    result = ingest(workspace, [{"event_type": "signup\n", "distinct_id": "p"}])
    assert [item["index"] for item in result.as_payload()["rejected"]] == [0]


def test_filters_are_checked_against_the_consumers_operators():
    rules = FilterRules(fields=frozenset(), has_properties=True, operators=("eq", "in"))
    errors = {}
    filters_parse(
        [{"field": "properties.p", "op": "gt", "value": 1}, {"field": "user", "op": "eq"}],
        rules=rules,
        errors=errors,
    )
    assert set(errors) == {"filters.0.op", "filters.1"}


def test_the_event_list_takes_the_languages_relative_date_ranges(api_client, workspace, ingest):
    _events(ingest, workspace, SIGNUPS)
    listed = api_client.get("/api/v1/analytics/events/?date_range=last_24_hours")
    assert listed.status_code == 200, listed.content
    assert len(listed.json()["results"]) == len(SIGNUPS)
    bad = api_client.get("/api/v1/analytics/events/?date_range=last_999_days")
    assert "date_range" in assert_problem(bad)["errors"]


def test_only_events_and_executions_exports_take_a_date_range(api_client):
    response = api_client.post(
        EXPORTS, {"source": "report_run", "report_run": 1, "date_range": "today"}, format="json"
    )
    assert "date_range" in assert_problem(response)["errors"]
