"""Each analysis on hand-made events with known answers, in PostgreSQL and in the reference."""

import pytest

from analytics.analysis import reference, specs
from tests.analytics import analysis_cases as cases
from tests.analytics.analysis_fixtures import postgres_analysis  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["reference", "postgres"])
def analyze(request):
    """Run an analysis by the reference implementation or by PostgreSQL on the same events."""
    if request.param == "reference":

        def run(kind, data, events):
            return getattr(reference, kind)(specs.parse_query(kind, data), events)

        return run
    return request.getfixturevalue("postgres_analysis")


def test_three_step_funnel(analyze):
    result = analyze("funnels", cases.FUNNEL_QUERY, cases.FUNNEL_EVENTS)
    assert result["steps"] == cases.FUNNEL_EXPECTED


def test_funnel_breakdown_by_the_first_step_property(analyze):
    query = {**cases.FUNNEL_QUERY, "breakdown": "properties.plan"}
    result = analyze("funnels", query, cases.FUNNEL_EVENTS)
    assert [
        (group["value"], [s["count"] for s in group["steps"]]) for group in result["breakdown"]
    ] == [("free", [4, 2, 0]), ("pro", [2, 1, 1])]


def test_funnel_step_filters_narrow_the_step(analyze):
    query = {
        **cases.FUNNEL_QUERY,
        "steps": [
            {"event_type": "signup", "filters": {"plan": "pro"}},
            {"event_type": "workflow_created"},
        ],
    }
    result = analyze("funnels", query, cases.FUNNEL_EVENTS)
    assert [step["count"] for step in result["steps"]] == [2, 1]


def test_four_week_retention_matrix(analyze):
    result = analyze("retention", cases.RETENTION_QUERY, cases.RETENTION_EVENTS)
    assert result["cohorts"] == cases.RETENTION_EXPECTED


def test_ab_test_with_a_known_p_value(analyze):
    result = analyze("ab_test", cases.AB_TEST_QUERY, cases.ab_test_events())
    variants = {
        v["name"]: (v["exposures"], v["conversions"], v["rate"]) for v in result["variants"]
    }
    assert variants == {"a": (200, 20, 0.1), "b": (210, 40, 0.1905)}
    assert result["control"] == "a"
    assert result["p_value"] == pytest.approx(cases.AB_TEST_P_VALUE, abs=1e-6)
    assert result["significant"] is True


def test_ab_test_with_a_stricter_confidence_level_is_not_significant(analyze):
    query = {**cases.AB_TEST_QUERY, "confidence_level": 0.995}
    result = analyze("ab_test", query, cases.ab_test_events())
    assert result["significant"] is False


def test_daily_trend_counts_and_people(analyze):
    base = {"events": ["page_view"], "date_from": "2026-01-01", "date_to": "2026-01-03"}
    counts = analyze("trends", base, cases.TRENDS_EVENTS)
    people = analyze("trends", {**base, "metric": "unique_people"}, cases.TRENDS_EVENTS)
    assert counts["series"] == [
        {
            "label": "page_view",
            "is_other": False,
            "data": [
                {"bucket": "2026-01-01T00:00:00+00:00", "value": 3},
                {"bucket": "2026-01-02T00:00:00+00:00", "value": 2},
                {"bucket": "2026-01-03T00:00:00+00:00", "value": 1},
            ],
        }
    ]
    assert [point["value"] for point in people["series"][0]["data"]] == [2, 2, 1]


def test_trend_breakdown_keeps_the_top_values_and_groups_the_rest(analyze):
    query = {
        "events": ["page_view"],
        "date_from": "2026-01-01",
        "date_to": "2026-01-03",
        "breakdown": "properties.browser",
        "breakdown_limit": 1,
        "compare": True,
    }
    result = analyze("trends", query, cases.TRENDS_EVENTS)
    summary = [(s["label"], [p["value"] for p in s["data"]]) for s in result["series"]]
    assert summary == [("chrome", [1, 2, 0]), ("other", [2, 0, 1])]
    previous = [(s["label"], [p["value"] for p in s["data"]]) for s in result["previous"]]
    assert previous == [("chrome", [0, 0, 0]), ("other", [0, 0, 1])]
    assert result["previous"][0]["data"][0]["bucket"] == "2025-12-29T00:00:00+00:00"


def test_unknown_event_type_gives_zeros(analyze):
    query = {
        "events": ["never_seen"],
        "interval": "week",
        "date_from": "2026-01-01",
        "date_to": "2026-01-14",
    }
    result = analyze("trends", query, cases.TRENDS_EVENTS)
    assert [p["value"] for p in result["series"][0]["data"]] == [0, 0, 0]


def test_a_step_at_the_same_instant_as_the_previous_one_does_not_convert(analyze):
    events = [
        ("ann", "signup", cases.at(5, 10), {}),
        ("ann", "workflow_created", cases.at(5, 10), {}),
        ("ben", "signup", cases.at(5, 10), {}),
        ("ben", "signup", cases.at(5, 11), {}),  # a repeated step-1 event is not step 2
        ("ben", "workflow_created", cases.at(5, 10, 1), {}),
    ]
    query = {**cases.FUNNEL_QUERY, "steps": cases.FUNNEL_QUERY["steps"][:2]}
    result = analyze("funnels", query, events)
    assert [step["count"] for step in result["steps"]] == [2, 1]
    assert result["steps"][1]["median_seconds_to_convert"] == 60.0


def test_events_without_the_breakdown_property_form_their_own_series(analyze):
    events = [("p1", "page_view", cases.at(1, 9), {})] * 3 + [
        ("p2", "page_view", cases.at(1, 10), {"browser": "chrome"})
    ]
    query = {
        "events": ["page_view"],
        "date_from": "2026-01-01",
        "date_to": "2026-01-01",
        "breakdown": "properties.browser",
        "breakdown_limit": 1,
    }
    result = analyze("trends", query, events)
    summary = [(s["label"], s["is_other"], s["data"][0]["value"]) for s in result["series"]]
    assert summary == [("(none)", False, 3), ("other", True, 1)]
