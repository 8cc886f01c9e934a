"""The query language's parsers on their own (no database): limits, paths and conversions.

These are the tests `scripts/mutation_report.py --module query_language` runs its mutants
against, with the spec tests of reports and analyses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from analytics.query_language import (
    DATE_RANGE_MESSAGE,
    MAX_FILTERS,
    MAX_IN_VALUES,
    MAX_RANGE,
    MAX_STRING_VALUE,
    PROPERTY_KEY_MESSAGE,
    DateRange,
    Filter,
    FilterRules,
    date_range_parse,
    filters_as_list,
    filters_parse,
    moment_parse,
    named_filters_parse,
    property_key,
    relative_bounds,
)

RULES = FilterRules(
    fields=frozenset({"event_type"}),
    has_properties=True,
    time_fields=frozenset({"created_at"}),
)
NOW = datetime(2026, 3, 15, 10, 30, tzinfo=UTC)


def parse(value, rules=RULES):
    errors: dict = {}
    return filters_parse(value, rules=rules, errors=errors), errors


def test_a_list_of_filters_parses_into_filters_in_order():
    filters, errors = parse(
        [
            {"field": "event_type", "op": "in", "value": ["a", "b"]},
            {"field": "properties.plan", "op": "eq", "value": "pro"},
        ]
    )
    assert errors == {}
    assert filters == (
        Filter("event_type", "in", ["a", "b"]),
        Filter("properties.plan", "eq", "pro"),
    )


def test_absent_filters_are_none_and_not_a_list_is_one_error():
    assert parse(None) == ((), {})
    assert parse("plan=pro") == (
        (),
        {"filters": [f"A list of at most {MAX_FILTERS} filters {{field, op, value}}."]},
    )


def test_at_most_max_filters_in_either_shape():
    item = {"field": "properties.plan", "op": "eq", "value": "pro"}
    assert parse([item] * MAX_FILTERS)[1] == {}
    assert list(parse([item] * (MAX_FILTERS + 1))[1]) == ["filters"]
    assert parse({f"k{i}": 1 for i in range(MAX_FILTERS)})[1] == {}
    assert parse({f"k{i}": 1 for i in range(MAX_FILTERS + 1)})[1] == {
        "filters": [f"At most {MAX_FILTERS} filters."]
    }


def test_each_problem_is_recorded_at_its_path():
    _, errors = parse(
        [
            "plan",
            {"field": "properties.plan", "op": "eq"},
            {"field": "nope", "op": "like", "value": 1, "extra": 2},
            {"field": "properties.plan", "op": "eq", "value": None},
        ]
    )
    assert errors == {
        "filters.0": ["Each filter is {field, op, value}."],
        "filters.1": ["Each filter is {field, op, value}."],
        "filters.2.extra": ["Unknown key."],
        "filters.2.field": [
            "Unknown field; one of ['created_at', 'event_type', 'properties.<key>']."
        ],
        "filters.2.op": [
            "Unknown operator; one of ['eq', 'neq', 'in', 'gt', 'gte', 'lt', 'lte', 'contains']."
        ],
        "filters.3.value": ["Must be a string, number or boolean."],
    }


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (1, None),
        (True, None),
        (1.5, None),
        ("x" * MAX_STRING_VALUE, None),
        ("x" * (MAX_STRING_VALUE + 1), f"Strings are at most {MAX_STRING_VALUE} characters."),
        (float("inf"), "Numbers must be finite."),
        (float("nan"), "Numbers must be finite."),
        ({"a": 1}, "Must be a string, number or boolean."),
    ],
)
def test_scalar_values(value, error):
    _, errors = parse([{"field": "properties.n", "op": "eq", "value": value}])
    assert errors == ({} if error is None else {"filters.0.value": [error]})


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (["a"], None),
        (["a"] * MAX_IN_VALUES, None),
        ([], f"`in` takes a list of 1 to {MAX_IN_VALUES} values."),
        (["a"] * (MAX_IN_VALUES + 1), f"`in` takes a list of 1 to {MAX_IN_VALUES} values."),
        ("a", f"`in` takes a list of 1 to {MAX_IN_VALUES} values."),
        (["a", None, float("inf")], "Must be a string, number or boolean."),
    ],
)
def test_in_values(value, error):
    _, errors = parse([{"field": "properties.n", "op": "in", "value": value}])
    assert errors == ({} if error is None else {"filters.0.value": [error]})


def test_a_time_field_takes_ordered_operators_and_iso_moments():
    ok = [{"field": "created_at", "op": op, "value": "2026-01-01"} for op in ("gt", "lte")]
    assert parse(ok)[1] == {}
    _, errors = parse(
        [
            {"field": "created_at", "op": "eq", "value": "2026-01-01"},
            {"field": "created_at", "op": "gte", "value": "soon"},
        ]
    )
    assert errors == {
        "filters.0.value": ["A time is compared with gt, gte, lt, lte."],
        "filters.1.value": ["'soon' is not an ISO date or datetime."],
    }


def test_the_old_property_object_becomes_sorted_property_filters():
    filters, errors = parse({"tier": ["a", "b"], "plan": "pro"})
    assert errors == {}
    assert filters == (
        Filter("properties.plan", "eq", "pro"),
        Filter("properties.tier", "in", ["a", "b"]),
    )


def test_the_old_object_refuses_field_names_and_bad_keys_at_their_paths():
    _, errors = parse({"event_type": "a", "bad key": 1, "created_at": 2})
    assert errors["filters.bad key"] == [PROPERTY_KEY_MESSAGE]
    assert errors["filters.event_type"][0].startswith("`event_type` is a field, not a property")
    assert errors["filters.created_at"][0].startswith("`created_at` is a field")
    rules = FilterRules(fields=frozenset({"event_type"}), has_properties=True, reserved=frozenset())
    assert parse({"event_type": "a"}, rules) == (
        (Filter("properties.event_type", "eq", "a"),),
        {},
    )


def test_properties_are_known_only_where_the_consumer_has_them():
    rules = FilterRules(fields=frozenset({"status"}), has_properties=False)
    assert not rules.knows("properties.plan")
    assert not rules.knows(3)
    assert rules.knows("status")
    assert rules.describe() == ["status"]
    assert RULES.knows("properties.plan") and RULES.knows("created_at")
    assert not RULES.knows("properties.")


def test_filters_as_list_converts_the_old_object_and_keeps_a_list():
    assert filters_as_list({"b": [1], "a": 2}) == [
        {"field": "properties.a", "op": "eq", "value": 2},
        {"field": "properties.b", "op": "in", "value": [1]},
    ]
    item = {"field": "event_type", "op": "eq", "value": "a"}
    assert filters_as_list([item]) == [item]
    assert filters_as_list(None) == []


def test_property_key():
    assert property_key("properties.plan.tier") == "plan.tier"
    assert property_key("plan") is None
    assert property_key("properties.bad key") is None
    assert property_key(None) is None


def test_named_export_filters():
    errors: dict = {}
    rules = FilterRules(
        fields=frozenset({"event_type", "user"}),
        has_properties=True,
        time_fields=frozenset({"created_at"}),
    )
    filters = named_filters_parse(
        {
            "event_type": " a, b ,,",
            "user": 7,
            "created_after": "2026-01-01",
            "properties": {"plan": "pro"},
        },
        source="events",
        rules=rules,
        errors=errors,
    )
    assert errors == {}
    assert filters == (
        Filter("created_at", "gte", "2026-01-01"),
        Filter("event_type", "in", ["a", "b"]),
        Filter("properties.plan", "eq", "pro"),
        Filter("user", "eq", 7),
    )
    errors = {}
    filters = named_filters_parse(
        {"status": "failed", "properties": {"a": 1}, "nope": 1},
        source="executions",
        rules=FilterRules(fields=frozenset({"status"}), has_properties=False),
        errors=errors,
    )
    assert filters == (Filter("status", "in", ["failed"]),)
    assert errors == {
        "filters.nope": ["Unknown filter."],
        "filters.properties": ["Unknown filter."],
    }
    errors = {}
    filters = named_filters_parse(
        {"properties": ["a"], "event_type": 3, "user": 8},
        source="events",
        rules=rules,
        errors=errors,
    )
    assert errors == {"filters.properties": ["An object of property: value."]}
    assert filters == (Filter("event_type", "in", [3]), Filter("user", "eq", 8))


def test_keys_that_are_not_text_are_refused_not_a_type_error():
    # JSON keys are text; a Python caller's are not always, and must not break the sort.
    _, errors = parse({1: "a", "plan": "pro"})
    assert errors == {"filters.1": [PROPERTY_KEY_MESSAGE]}
    assert filters_as_list({1: "a", "plan": "pro"})[0]["field"] == "properties.1"
    errors = {}
    filters = named_filters_parse(
        {1: "a", "properties": {2: "b", "plan": "pro"}},
        source="events",
        rules=RULES,
        errors=errors,
    )
    assert errors == {"filters.1": ["Unknown filter."]}
    assert [item.field for item in filters] == ["properties.2", "properties.plan"]


@pytest.mark.parametrize(
    ("value", "end_of_day", "expected"),
    [
        ("2026-01-31", False, datetime(2026, 1, 31, tzinfo=UTC)),
        ("2026-01-31", True, datetime(2026, 2, 1, tzinfo=UTC)),
        (" 2026-01-31T10:00:00 ", False, datetime(2026, 1, 31, 10, tzinfo=UTC)),
        ("2026-01-31T10:00:00+02:00", True, datetime(2026, 1, 31, 8, tzinfo=UTC)),
        ("1970-01-01", False, datetime(1970, 1, 1, tzinfo=UTC)),
        ("2100-12-31", True, datetime(2101, 1, 1, tzinfo=UTC)),
        ("2101-01-01T00:00:00Z", False, datetime(2101, 1, 1, tzinfo=UTC)),
    ],
)
def test_moments(value, end_of_day, expected):
    errors: dict = {}
    assert moment_parse(value, "p", errors, end_of_day=end_of_day) == expected
    assert errors == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "An ISO date (YYYY-MM-DD) or datetime is required."),
        (20260101, "An ISO date (YYYY-MM-DD) or datetime is required."),
        ("1969-12-31", "Dates must lie between"),
        ("2101-01-01", "Dates must lie between"),
        ("1969-12-31T23:59:59Z", "Dates must lie between"),
        ("2101-01-01T00:00:01Z", "Dates must lie between"),
        ("0001-01-01T00:00:00+01:00", "Dates must lie between"),
        ("2026-02-30", "'2026-02-30' is not an ISO date or datetime."),
    ],
)
def test_bad_moments(value, message):
    errors: dict = {}
    assert moment_parse(value, "p", errors, end_of_day=False) is None
    assert errors["p"][0].startswith(message)


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("today", datetime(2026, 3, 15, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC)),
        ("yesterday", datetime(2026, 3, 14, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=UTC)),
        ("last_24_hours", NOW - timedelta(hours=24), NOW),
        ("this_month", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC)),
        ("last_month", datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
        ("last_1_days", datetime(2026, 3, 15, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC)),
        ("last_7_days", datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC)),
    ],
)
def test_relative_bounds(name, start, end):
    assert relative_bounds(name, NOW) == (start, end)
    errors: dict = {}
    date_range = date_range_parse(name, errors, now=NOW)
    assert errors == {}
    assert date_range == DateRange(start, end, relative=name)
    assert date_range.as_json() == name
    later = NOW + timedelta(days=1)
    assert date_range.bounds(later) == relative_bounds(name, later)


@pytest.mark.parametrize(
    "value", ["last_0_days", "last_366_days", "last_1000_days", "tomorrow", ["today"], {}]
)
def test_bad_date_ranges(value):
    errors: dict = {}
    assert date_range_parse(value, errors, "r", now=NOW) is None
    assert errors == {"r": [DATE_RANGE_MESSAGE]}


def test_the_longest_relative_range_and_the_default():
    errors: dict = {}
    assert date_range_parse("last_365_days", errors, now=NOW).relative == "last_365_days"
    assert date_range_parse(None, errors, now=NOW).relative == "last_30_days"
    assert date_range_parse(None, errors, default=None) is None
    assert errors == {}


def test_absolute_ranges():
    errors: dict = {}
    date_range = date_range_parse({"from": "2026-01-01", "to": "2026-01-01"}, errors)
    assert date_range == DateRange(
        datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    )
    assert date_range.bounds(NOW) == (date_range.start, date_range.end)
    assert date_range.as_json() == {
        "from": "2026-01-01T00:00:00+00:00",
        "to": "2026-01-02T00:00:00+00:00",
    }
    assert date_range.previous() == DateRange(
        datetime(2025, 12, 31, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    )
    three_years = {"from": "2026-01-01T00:00:00Z", "to": "2029-01-01T00:00:00Z"}
    assert date_range_parse(three_years, errors) is not None
    assert errors == {}


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        (
            {"from": "2026-01-02T00:00:00Z", "to": "2026-01-02T00:00:00Z"},
            {"r.to": ["`to` must be after `from`."]},
        ),
        (
            {"from": "2026-01-01", "to": "2029-12-31"},
            {"r.to": ["A date range spans at most three years."]},
        ),
        (
            {"from": "x", "to": "y"},
            {
                "r.from": ["'x' is not an ISO date or datetime."],
                "r.to": ["'y' is not an ISO date or datetime."],
            },
        ),
        ({"from": "2026-01-01"}, {"r": [DATE_RANGE_MESSAGE]}),
    ],
)
def test_bad_absolute_ranges(value, errors):
    found: dict = {}
    assert date_range_parse(value, found, "r") is None
    assert found == errors


def test_a_filter_with_unknown_keys_of_any_type_names_each():
    _, errors = parse([{"field": "properties.a", "op": "eq", "value": 1, 2: 0, "x": 0}])
    assert errors == {"filters.0.2": ["Unknown key."], "filters.0.x": ["Unknown key."]}


def test_a_bad_named_filter_value_is_reported_at_its_name():
    errors: dict = {}
    rules = FilterRules(fields=frozenset({"user"}), has_properties=False)
    named_filters_parse({"user": {"id": 1}}, source="events", rules=rules, errors=errors)
    assert errors == {"filters.user": ["Must be a string, number or boolean."]}


def test_moments_are_utc_and_the_earliest_is_included():
    errors: dict = {}
    moment = moment_parse("2026-01-31T10:00:00+02:00", "p", errors, end_of_day=False)
    assert moment.tzinfo is UTC
    assert moment_parse("1970-01-01T00:00:00Z", "p", errors, end_of_day=False) == datetime(
        1970, 1, 1, tzinfo=UTC
    )
    assert errors == {}


def test_an_unparsable_moment_is_quoted_up_to_40_characters():
    errors: dict = {}
    moment_parse("x" * 50, "p", errors, end_of_day=False)
    assert errors == {"p": [f"'{'x' * 40}' is not an ISO date or datetime."]}


def test_a_relative_range_of_now_is_aware():
    errors: dict = {}
    date_range = date_range_parse("last_24_hours", errors)
    assert date_range.end.tzinfo is not None
    assert date_range.end - date_range.start == timedelta(hours=24)


def test_a_range_of_exactly_the_longest_span_is_accepted():
    errors: dict = {}
    start = datetime(2026, 1, 1, tzinfo=UTC)
    longest = {"from": start.isoformat(), "to": (start + MAX_RANGE).isoformat()}
    assert date_range_parse(longest, errors) == DateRange(start, start + MAX_RANGE)
    assert errors == {}
