"""Hand-made event sets with answers worked out on paper, shared by the analysis tests."""

import datetime as dt

UTC = dt.UTC


def at(day: int, hour: int = 0, minute: int = 0, month: int = 1) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


# A 3-step funnel (signup -> workflow_created -> workflow_executed, window one day).
FUNNEL_QUERY = {
    "steps": [
        {"event_type": "signup"},
        {"event_type": "workflow_created"},
        {"event_type": "workflow_executed"},
    ],
    "window_seconds": 86400,
    "date_from": "2026-01-01",
    "date_to": "2026-01-31",
}
FUNNEL_EVENTS = [
    # alice goes all the way: 30 min to create, 30 min to execute.
    ("alice", "signup", at(5, 10), {"plan": "pro"}),
    ("alice", "workflow_created", at(5, 10, 30), {}),
    ("alice", "workflow_executed", at(5, 11), {}),
    # bob creates after two hours and never executes.
    ("bob", "signup", at(5, 10), {"plan": "free"}),
    ("bob", "workflow_created", at(5, 12), {}),
    # carol skips a step: executing without creating does not count.
    ("carol", "signup", at(5, 9), {"plan": "free"}),
    ("carol", "workflow_executed", at(5, 9, 30), {}),
    # dave created before signing up: out of order.
    ("dave", "workflow_created", at(5, 8), {}),
    ("dave", "signup", at(5, 9), {"plan": "free"}),
    # erin creates 25 hours after signup: outside the window.
    ("erin", "signup", at(5, 10), {"plan": "pro"}),
    ("erin", "workflow_created", at(6, 11), {}),
    # frank creates after 10 minutes but executes 24h05 after signup: outside the window.
    ("frank", "signup", at(5, 10), {"plan": "free"}),
    ("frank", "workflow_created", at(5, 10, 10), {}),
    ("frank", "workflow_executed", at(6, 10, 5), {}),
    # gina signs up before the range: not in the funnel.
    ("gina", "signup", at(20, 10, month=12).replace(year=2025), {}),
]
FUNNEL_EXPECTED = [
    {
        "event_type": "signup",
        "count": 6,
        "conversion_rate": 1.0,
        "conversion_rate_from_previous": 1.0,
        "median_seconds_to_convert": None,
    },
    {
        "event_type": "workflow_created",
        "count": 3,
        "conversion_rate": 0.5,
        "conversion_rate_from_previous": 0.5,
        "median_seconds_to_convert": 1800.0,  # of 1800, 7200, 600
    },
    {
        "event_type": "workflow_executed",
        "count": 1,
        "conversion_rate": 0.1667,
        "conversion_rate_from_previous": 0.3333,
        "median_seconds_to_convert": 1800.0,
    },
]

# A 4-week retention matrix: weeks start on Mondays 5, 12, 19 and 26 January 2026.
RETENTION_QUERY = {
    "start_event": "signup",
    "return_event": "user_login",
    "period": "week",
    "periods": 4,
    "date_from": "2026-01-05",
    "date_to": "2026-02-01",
}
RETENTION_EVENTS = [
    ("u1", "signup", at(5, 9), {}),
    ("u1", "user_login", at(6, 9), {}),  # same week: period 0 is the cohort itself
    ("u1", "user_login", at(13, 9), {}),
    ("u1", "user_login", at(14, 9), {}),  # twice in one week counts once
    ("u1", "user_login", at(20, 9), {}),
    ("u1", "signup", at(21, 9), {}),  # a second start does not move u1's cohort
    ("u1", "user_login", at(27, 9), {}),
    ("u2", "signup", at(7, 9), {}),
    ("u2", "user_login", at(12, 0), {}),
    ("u3", "signup", at(11, 23, 59), {}),
    ("u3", "user_login", at(30, 9), {}),
    ("u4", "signup", at(8, 9), {}),
    ("u5", "signup", at(12, 9), {}),
    ("u5", "user_login", at(19, 9), {}),
    ("u6", "signup", at(15, 9), {}),
    ("u6", "user_login", at(22, 9), {}),
    ("u6", "user_login", at(29, 9), {}),
    ("u7", "signup", at(19, 9), {}),
    ("u7", "user_login", at(26, 9), {}),
    ("u8", "signup", at(31, 9), {}),
    ("u9", "signup", at(3, 9, month=2), {}),  # after the range
    ("u9", "user_login", at(4, 9, month=2), {}),
]
RETENTION_EXPECTED = [
    {
        "period_start": "2026-01-05T00:00:00+00:00",
        "size": 4,
        "values": [4, 2, 1, 2],
        "percentages": [100.0, 50.0, 25.0, 50.0],
    },
    {
        "period_start": "2026-01-12T00:00:00+00:00",
        "size": 2,
        "values": [2, 2, 1],
        "percentages": [100.0, 100.0, 50.0],
    },
    {
        "period_start": "2026-01-19T00:00:00+00:00",
        "size": 1,
        "values": [1, 1],
        "percentages": [100.0, 100.0],
    },
    {"period_start": "2026-01-26T00:00:00+00:00", "size": 1, "values": [1], "percentages": [100.0]},
]


def ab_test_events() -> list:
    """Return 200 people in "a" (20 convert) and 210 in "b" (40 convert in the window).

    Ten more "b" people reach the goal only before their exposure or after the window.
    """
    events = []
    for index in range(200):
        person = f"a{index}"
        events.append((person, "experiment_viewed", at(10, 9), {"variant": "a"}))
        if index < 20:
            events.append((person, "purchase", at(10, 10), {}))
    for index in range(210):
        person = f"b{index}"
        # A later exposure to another variant does not move the person.
        events.append((person, "experiment_viewed", at(10, 9), {"variant": "b"}))
        if index == 0:
            events.append((person, "experiment_viewed", at(10, 9, 5), {"variant": "a"}))
        if index < 40:
            events.append((person, "purchase", at(10, 12), {}))
        elif index < 45:
            events.append((person, "purchase", at(10, 8), {}))  # before exposure
        elif index < 50:
            events.append((person, "purchase", at(12, 10), {}))  # after the window
    events.append(("nobody", "experiment_viewed", at(10, 9), {}))  # no variant: ignored
    return events


AB_TEST_QUERY = {
    "exposure_event": "experiment_viewed",
    "variant_property": "variant",
    "goal_event": "purchase",
    "window_seconds": 86400,
    "date_from": "2026-01-01",
    "date_to": "2026-01-31",
}
# Pooled rate 60/410, z = 2.59084, two-sided p = erfc(z / sqrt(2)) = 0.009574.
AB_TEST_P_VALUE = 0.009574

TRENDS_EVENTS = [
    ("p1", "page_view", at(1, 9), {"browser": "firefox"}),
    ("p1", "page_view", at(1, 10), {"browser": "firefox"}),
    ("p2", "page_view", at(1, 11), {"browser": "chrome"}),
    ("p2", "page_view", at(2, 11), {"browser": "chrome"}),
    ("p3", "page_view", at(2, 12), {"browser": "chrome"}),
    ("p3", "page_view", at(3, 12), {}),
    ("p3", "click", at(3, 12), {"browser": "chrome"}),
    ("p1", "page_view", at(31, 12, month=12).replace(year=2025), {"browser": "safari"}),
]
