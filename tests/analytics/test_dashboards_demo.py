"""The analytics demo data loads, twice without duplicating anything."""

import io

import pytest

from analytics.demo import seed_demo
from analytics.models import Dashboard, Event, Report

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent(api_client, user, staff_user, workspace):
    seed_demo(workspace=workspace, user=user, staff_user=staff_user, stdout=io.StringIO())
    counts = (Event.objects.count(), Report.objects.count(), Dashboard.objects.count())
    seed_demo(workspace=workspace, user=user, staff_user=staff_user, stdout=io.StringIO())
    assert (Event.objects.count(), Report.objects.count(), Dashboard.objects.count()) == counts
    assert counts[0] > 500
    dashboard = Dashboard.objects.get(workspace=workspace, is_default=True)
    data = api_client.get(f"/api/v1/analytics/dashboards/{dashboard.pk}/data/").json()
    assert [widget["error"] for widget in data["widgets"]] == [None] * 4
    assert sum(row["value"] for row in data["widgets"][2]["data"]["rows"]) > 0
