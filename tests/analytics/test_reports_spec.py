"""The declarative query spec: validation, date ranges and compilation per source."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.query_language import date_range_parse, relative_bounds
from analytics.query_spec import QuerySpecError, query_spec_parse

VALID = [
    {"source": "events"},
    {"source": "events", "metric": "unique_people", "group_by": "day", "date_range": "last_7_days"},
    {
        "source": "events",
        "metric": "sum",
        "property": "properties.amount",
        "group_by": "properties.plan",
    },
    {
        "source": "events",
        "filters": [{"field": "event_type", "op": "in", "value": ["click", "page_view"]}],
    },
    {"source": "events", "filters": [{"field": "properties.seats", "op": "gte", "value": 3}]},
    {"source": "executions", "metric": "avg", "property": "duration_ms", "group_by": "status"},
    {
        "source": "executions",
        "group_by": "week",
        "date_range": {"from": "2026-01-01", "to": "2026-03-31"},
    },
    {"source": "templates", "metric": "sum", "property": "price", "group_by": "template_name"},
    {
        "source": "templates",
        "filters": [{"field": "license", "op": "neq", "value": "free"}],
        "limit": 5,
    },
]


@pytest.mark.parametrize("spec", VALID)
def test_valid_specs_parse(spec):
    parsed = query_spec_parse(spec)
    assert parsed.source == spec["source"]


@pytest.mark.parametrize(
    ("spec", "error_path"),
    [
        ("select * from users", "non_field_errors"),
        ({"source": "users"}, "source"),
        ({"source": "events", "metric": "median"}, "metric"),
        ({"source": "events", "metric": "sum"}, "property"),
        ({"source": "events", "metric": "sum", "property": "amount"}, "property"),
        ({"source": "executions", "metric": "unique_people"}, "metric"),
        ({"source": "executions", "metric": "sum", "property": "properties.x"}, "property"),
        ({"source": "events", "metric": "count", "property": "properties.x"}, "property"),
        ({"source": "events", "filters": "event_type=click"}, "filters"),
        (
            {"source": "events", "filters": [{"field": "password", "op": "eq", "value": 1}]},
            "filters.0.field",
        ),
        (
            {"source": "events", "filters": [{"field": "event_type", "op": "like", "value": "x"}]},
            "filters.0.op",
        ),
        (
            {"source": "events", "filters": [{"field": "event_type", "op": "in", "value": "x"}]},
            "filters.0.value",
        ),
        (
            {
                "source": "events",
                "filters": [{"field": "event_type", "op": "eq", "value": {"a": 1}}],
            },
            "filters.0.value",
        ),
        ({"source": "events", "filters": [{"field": "event_type"}]}, "filters.0"),
        (
            {
                "source": "executions",
                "filters": [{"field": "properties.a", "op": "eq", "value": 1}],
            },
            "filters.0.field",
        ),
        ({"source": "events", "group_by": "year"}, "group_by"),
        ({"source": "events", "group_by": "properties.a;drop"}, "group_by"),
        ({"source": "events", "date_range": "last_999_days"}, "date_range"),
        ({"source": "events", "date_range": "last_0_days"}, "date_range"),
        (
            {"source": "events", "date_range": {"from": "2026-02-01", "to": "2026-01-01"}},
            "date_range.to",
        ),
        (
            {"source": "events", "date_range": {"from": "2020-01-01", "to": "2026-01-01"}},
            "date_range.to",
        ),
        ({"source": "events", "date_range": {"from": "x", "to": "y"}}, "date_range.from"),
        ({"source": "events", "date_range": 30}, "date_range"),
        ({"source": "events", "limit": 0}, "limit"),
        ({"source": "events", "limit": True}, "limit"),
        ({"source": "events", "sql": "drop table"}, "sql"),
    ],
)
def test_invalid_specs_name_the_problem(spec, error_path):
    with pytest.raises(QuerySpecError) as caught:
        query_spec_parse(spec)
    assert error_path in caught.value.errors


NOW = datetime(2026, 3, 15, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("today", datetime(2026, 3, 15, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC)),
        ("yesterday", datetime(2026, 3, 14, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=UTC)),
        ("last_24_hours", NOW - timedelta(hours=24), NOW),
        ("last_7_days", datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC)),
        ("this_month", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC)),
        ("last_month", datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
    ],
)
def test_relative_ranges(name, start, end):
    assert relative_bounds(name, NOW) == (start, end)
    # Parsed earlier, a relative range still covers the days as of the run.
    parsed = date_range_parse(name, {}, now=NOW - timedelta(days=40))
    assert parsed.bounds(NOW) == (start, end)


def test_absolute_range_includes_its_last_day():
    parsed = date_range_parse({"from": "2026-01-01", "to": "2026-01-31"}, {})
    bounds = parsed.bounds(NOW)
    assert bounds == (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=10), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_any_json_either_parses_or_raises_a_spec_error(value):
    try:
        query_spec_parse(value)
    except QuerySpecError as exc:
        assert exc.errors and all(isinstance(messages, list) for messages in exc.errors.values())
