"""DAU/WAU/MAU series from the islands query agree with a brute-force count."""

import random
from datetime import date, timedelta

import pytest

from analytics.models import DailyActivePerson
from analytics.selectors.metrics import active_people_series

pytestmark = pytest.mark.django_db


def brute_force(rows, date_from, date_to):
    series = []
    day = date_from
    while day <= date_to:

        def active(window, day=day):
            return len(
                {person for person, seen in rows if day - timedelta(days=window) < seen <= day}
            )

        series.append(
            {"date": day.isoformat(), "dau": active(1), "wau": active(7), "mau": active(30)}
        )
        day += timedelta(days=1)
    return series


@pytest.mark.parametrize("seed", range(6))
def test_series_matches_brute_force_on_random_activity(workspace, other_workspace, seed):
    rng = random.Random(seed)
    start = date(2026, 1, 1)
    rows = {
        (f"p{rng.randrange(25)}", start + timedelta(days=rng.randrange(120)))
        for _ in range(rng.randrange(1, 400))
    }
    DailyActivePerson.objects.bulk_create(
        DailyActivePerson(workspace=workspace, distinct_id=person, day=day) for person, day in rows
    )
    # Noise in another workspace must not count.
    DailyActivePerson.objects.bulk_create(
        DailyActivePerson(
            workspace=other_workspace, distinct_id=f"x{n}", day=start + timedelta(days=n)
        )
        for n in range(100)
    )
    date_from = start + timedelta(days=rng.randrange(30, 60))
    date_to = date_from + timedelta(days=rng.randrange(0, 60))
    got = active_people_series(workspace_id=workspace.id, date_from=date_from, date_to=date_to)
    assert got == brute_force(rows, date_from, date_to)
