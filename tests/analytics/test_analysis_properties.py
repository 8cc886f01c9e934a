"""PostgreSQL analyses agree with the reference implementation on generated event sets."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.analysis import reference, specs
from tests.analytics.analysis_fixtures import postgres_analysis  # noqa: F401

pytestmark = pytest.mark.django_db

EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
EVENT_TYPES = ["a", "b", "c"]
PEOPLE = [f"p{i}" for i in range(5)]

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

properties = st.fixed_dictionaries(
    {},
    optional={
        "browser": st.sampled_from(["chrome", "firefox", "safari"]),
        "plan": st.sampled_from(["free", "pro", 1, True]),
        "variant": st.sampled_from(["control", "test", "other"]),
    },
)
# Timestamps on a 20-minute grid over three weeks, so that ties, windows and period
# boundaries are hit often; a few people with many events each.
timestamps = st.integers(0, 21 * 24 * 3).map(lambda n: EPOCH + dt.timedelta(minutes=20 * n))
events = st.lists(
    st.tuples(st.sampled_from(PEOPLE), st.sampled_from(EVENT_TYPES), timestamps, properties),
    min_size=20,
    max_size=80,
)


@st.composite
def date_ranges(draw, max_days=14):
    start = draw(st.integers(0, 7))
    length = draw(st.integers(min(3, max_days), max_days))
    date_from = (EPOCH + dt.timedelta(days=start)).date().isoformat()
    date_to = (EPOCH + dt.timedelta(days=start + length - 1)).date().isoformat()
    return {"date_from": date_from, "date_to": date_to}


filters = st.one_of(
    st.none(),
    st.just({"plan": "pro"}),
    st.just({"plan": [1, "free"]}),
    st.just({"plan": True}),
    st.just({"browser": ["chrome", "safari"]}),
)


@st.composite
def trend_queries(draw):
    interval = draw(st.sampled_from(specs.INTERVALS))
    query = {
        "events": draw(st.lists(st.sampled_from([*EVENT_TYPES, "never"]), min_size=1, max_size=3)),
        "metric": draw(st.sampled_from(specs.METRICS)),
        "interval": interval,
        "breakdown": draw(
            st.sampled_from([None, "event_type", "properties.browser", "properties.plan"])
        ),
        "breakdown_limit": draw(st.integers(1, 3)),
        "compare": draw(st.booleans()),
        "filters": draw(filters),
        **draw(date_ranges(max_days=3 if interval == "hour" else 14)),
    }
    return query


@st.composite
def funnel_queries(draw):
    steps = draw(
        st.lists(
            st.fixed_dictionaries(
                {"event_type": st.sampled_from(EVENT_TYPES)},
                optional={"filters": st.just({"browser": ["chrome", "firefox"]})},
            ),
            min_size=1,
            max_size=4,
        )
    )
    return {
        "steps": steps,
        "window_seconds": draw(st.sampled_from([1200, 3600, 86400, 7 * 86400])),
        "breakdown": draw(st.sampled_from([None, "properties.browser", "properties.plan"])),
        "breakdown_limit": draw(st.integers(1, 4)),
        "filters": draw(st.one_of(st.none(), st.just({"variant": ["control", "test"]}))),
        **draw(date_ranges()),
    }


@st.composite
def retention_queries(draw):
    return {
        "start_event": draw(st.sampled_from(EVENT_TYPES)),
        "return_event": draw(st.sampled_from(EVENT_TYPES)),
        "period": draw(st.sampled_from(specs.RETENTION_PERIODS)),
        "periods": draw(st.integers(1, 6)),
        "filters": draw(filters),
        **draw(date_ranges(max_days=21)),
    }


@st.composite
def ab_test_queries(draw):
    return {
        "exposure_event": draw(st.sampled_from(EVENT_TYPES)),
        "variant_property": draw(st.sampled_from(["variant", "plan"])),
        "goal_event": draw(st.sampled_from(EVENT_TYPES)),
        "window_seconds": draw(st.sampled_from([1200, 3600, 86400])),
        "filters": draw(st.one_of(st.none(), st.just({"browser": "chrome"}))),
        **draw(date_ranges()),
    }


def check(postgres_analysis, kind, query, generated):  # noqa: F811
    expected = getattr(reference, kind)(specs.parse_query(kind, query), generated)
    assert postgres_analysis(kind, query, generated) == expected


@SETTINGS
@given(query=trend_queries(), generated=events)
def test_trends_match_the_reference(postgres_analysis, query, generated):  # noqa: F811
    check(postgres_analysis, "trends", query, generated)


@SETTINGS
@given(query=funnel_queries(), generated=events)
def test_funnels_match_the_reference(postgres_analysis, query, generated):  # noqa: F811
    check(postgres_analysis, "funnels", query, generated)


@SETTINGS
@given(query=retention_queries(), generated=events)
def test_retention_matches_the_reference(postgres_analysis, query, generated):  # noqa: F811
    check(postgres_analysis, "retention", query, generated)


@SETTINGS
@given(query=ab_test_queries(), generated=events)
def test_ab_tests_match_the_reference(postgres_analysis, query, generated):  # noqa: F811
    check(postgres_analysis, "ab_test", query, generated)
