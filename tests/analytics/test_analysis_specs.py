"""Query-spec validation for analyses: each bad input is a field error, good ones normalize."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.analysis import specs
from analytics.query_language import PROPERTY_KEY_PATTERN, is_event_type, is_property_key

RANGE = {"date_from": "2026-01-01", "date_to": "2026-01-31"}


def error_fields(kind, data):
    with pytest.raises(ValidationError) as caught:
        specs.parse_query(kind, data)
    return set(caught.value.message_dict)


def test_date_to_as_a_date_includes_the_whole_day():
    query = specs.parse_trends({"events": ["page_view"], **RANGE})
    assert query.date_range.start == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert query.date_range.end == dt.datetime(2026, 2, 1, tzinfo=dt.UTC)


def test_datetimes_with_offsets_are_converted_to_utc():
    query = specs.parse_trends(
        {"events": ["a"], "date_from": "2026-01-01T02:00:00+02:00", "date_to": "2026-01-02T00:00"}
    )
    assert query.date_range.start == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert query.date_range.end == dt.datetime(2026, 1, 2, tzinfo=dt.UTC)


def test_previous_range_has_the_same_length_and_ends_at_the_start():
    query = specs.parse_trends({"events": ["a"], **RANGE})
    previous = query.date_range.previous()
    assert previous.end == query.date_range.start
    assert previous.end - previous.start == query.date_range.end - query.date_range.start


@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        ("trends", {"events": ["a"], "interval": "fortnight", **RANGE}, "interval"),
        ("trends", {"events": [], **RANGE}, "events"),
        ("trends", {"events": ["Bad Type"], **RANGE}, "events.0"),
        ("trends", {"events": ["a"], "metric": "sum", **RANGE}, "metric"),
        ("trends", {"events": ["a"], "breakdown": "browser", **RANGE}, "breakdown"),
        ("trends", {"events": ["a"], "breakdown": "properties.x y", **RANGE}, "breakdown"),
        ("trends", {"events": ["a"], "compare": "yes", **RANGE}, "compare"),
        (
            "trends",
            {
                "events": ["a"],
                "interval": "hour",
                "date_from": "2025-01-01",
                "date_to": "2026-01-01",
            },
            "interval",
        ),
        (
            "trends",
            {"events": ["a"], "date_from": "2026-02-01", "date_to": "2026-01-01"},
            "date_to",
        ),
        (
            "trends",
            {"events": ["a"], "date_from": "yesterday", "date_to": "2026-01-01"},
            "date_from",
        ),
        ("trends", {"events": ["a"], "date_to": "2026-01-01"}, "date_from"),
        ("trends", {"events": ["a"], "surprise": 1, **RANGE}, "surprise"),
        ("trends", {"events": ["a"], "filters": {"k": {"nested": 1}}, **RANGE}, "filters.k"),
        ("trends", {"events": ["a"], "filters": {"bad key!": 1}, **RANGE}, "filters.bad key!"),
        ("trends", {"events": ["a"], "filters": {"k": []}, **RANGE}, "filters.k"),
        ("trends", ["not", "an", "object"], "non_field_errors"),
        ("funnels", {"steps": [], "window_seconds": 60, **RANGE}, "steps"),
        ("funnels", {"steps": [{"event_type": "a"}] * 100, "window_seconds": 60, **RANGE}, "steps"),
        (
            "funnels",
            {"steps": [{"event_type": "a"}], "window_seconds": 0, **RANGE},
            "window_seconds",
        ),
        (
            "funnels",
            {"steps": [{"event_type": "a"}], "window_seconds": "1h", **RANGE},
            "window_seconds",
        ),
        ("funnels", {"steps": [{"event_type": "a"}], **RANGE}, "window_seconds"),
        ("funnels", {"steps": ["a"], "window_seconds": 60, **RANGE}, "steps.0"),
        (
            "funnels",
            {"steps": [{"event_type": "a", "x": 1}], "window_seconds": 60, **RANGE},
            "steps.0.x",
        ),
        (
            "funnels",
            {
                "steps": [{"event_type": "a"}],
                "window_seconds": 60,
                "breakdown": "event_type",
                **RANGE,
            },
            "breakdown",
        ),
        (
            "retention",
            {"start_event": "a", "return_event": "b", "period": "month", **RANGE},
            "period",
        ),
        ("retention", {"start_event": "a", "return_event": "b", "periods": 0, **RANGE}, "periods"),
        ("retention", {"return_event": "b", **RANGE}, "start_event"),
        (
            "ab_test",
            {
                "exposure_event": "a",
                "variant_property": "v",
                "goal_event": "b",
                "window_seconds": -5,
                **RANGE,
            },
            "window_seconds",
        ),
        (
            "ab_test",
            {
                "exposure_event": "a",
                "variant_property": "v",
                "goal_event": "b",
                "window_seconds": 60,
                "confidence_level": "high",
                **RANGE,
            },
            "confidence_level",
        ),
        (
            "ab_test",
            {
                "exposure_event": "a",
                "variant_property": "",
                "goal_event": "b",
                "window_seconds": 60,
                **RANGE,
            },
            "variant_property",
        ),
        ("cohorts", {}, "kind"),
    ],
)
def test_bad_queries_name_the_offending_field(kind, data, field):
    assert field in error_fields(kind, data)


def test_filters_normalize_to_sorted_pairs_of_value_tuples():
    query = specs.parse_trends(
        {"events": ["a"], "filters": {"plan": ["pro", "team"], "beta": True}, **RANGE}
    )
    assert query.filters == (("beta", (True,)), ("plan", ("pro", "team")))


def test_duplicate_event_types_are_dropped_in_order():
    query = specs.parse_trends({"events": ["b", "a", "b"], **RANGE})
    assert query.events == ("b", "a")


@pytest.mark.parametrize("value", ["abc", None, True, float("nan"), float("inf"), [1], {}])
def test_parse_number_rejects_non_numbers(value):
    errors = {}
    assert specs.parse_number(value, "threshold", errors) is None
    assert list(errors) == ["threshold"]


@pytest.mark.parametrize(
    ("value", "expected"), [(3, 3.0), (2.5, 2.5), ("10", 10.0), ("-1e3", -1000.0)]
)
def test_parse_number_accepts_numbers_and_numeric_strings(value, expected):
    errors = {}
    assert specs.parse_number(value, "threshold", errors) == expected
    assert errors == {}


@settings(max_examples=200)
@given(st.text(max_size=80))
def test_property_keys_are_accepted_only_when_they_match_the_whitelist(key):
    errors = {}
    if specs.property_key_parse(key, "k", errors) is None:
        assert not PROPERTY_KEY_PATTERN.fullmatch(key)
        assert list(errors) == ["k"]
    else:
        assert PROPERTY_KEY_PATTERN.fullmatch(key)
        assert "'" not in key and ";" not in key and " " not in key


@settings(max_examples=200)
@given(
    st.dictionaries(
        st.text(max_size=10),
        st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers())),
        max_size=8,
    )
)
def test_arbitrary_trend_queries_either_parse_or_raise_validation_error(data):
    data = {"events": ["a"], **RANGE, **data}
    try:
        query = specs.parse_trends(data)
    except ValidationError as error:
        assert error.message_dict
    else:
        assert query.interval in specs.INTERVALS


@pytest.mark.parametrize("value", ["click\n", "plan\n"])
def test_a_trailing_newline_is_not_part_of_a_valid_name(value):
    # Python's `$` also matches before a final newline; the names are matched whole.
    assert not is_event_type(value)
    assert not is_property_key(value)
