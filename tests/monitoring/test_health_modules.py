"""/health/modules/: each module's checks, their thresholds, and who may read them."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django_redis import get_redis_connection

from analytics.models import EventMinuteCount
from executions.choices import ExecutionStatus
from executions.models import Execution
from synapscale.monitoring import schedule_marks
from templates_app.choices import TemplateStatus
from templates_app.models import Template
from tests.analytics.factories import ingest_events, make_execution, make_template, make_workflow

pytestmark = pytest.mark.django_db

URL = "/health/modules/"
SWEEPER = "synapscale:executions.requeue_stalled"
ALERTS = "synapscale:analytics.alerts.evaluate"
TRENDING = "synapscale:templates.refresh_trending"


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture(autouse=True)
def short_ping(settings):
    settings.HEALTH_WORKER_PING_SECONDS = 0.1  # no worker answers here: do not wait for one


@pytest.fixture(autouse=True)
def no_marks():
    keys = (schedule_marks.BEAT_TICK_KEY, schedule_marks.SENT_KEY, schedule_marks.SUCCEEDED_KEY)
    get_redis_connection("default").delete(*keys)
    yield
    get_redis_connection("default").delete(*keys)


def checks(client, module: str) -> dict:
    return client.get(URL).json()["modules"][module]["checks"]


def test_anonymous_callers_and_members_are_refused(client, user):
    anonymous = client.get(URL)
    client.force_login(user)
    member = client.get(URL)

    assert anonymous.status_code == 401
    assert anonymous["Content-Type"] == "application/problem+json"
    assert member.status_code == 403
    assert member.json()["type"].endswith("/permission-denied")


def test_the_metrics_token_reads_the_report(client, settings):
    settings.METRICS_TOKEN = "s3cret"

    wrong = client.get(URL, headers={"Authorization": "Bearer nope"})
    right = client.get(URL, headers={"Authorization": "Bearer s3cret"})

    assert wrong.status_code == 401
    assert right.status_code in (200, 503)
    assert set(right.json()["modules"]) == {"executions", "analytics", "templates", "platform"}


def test_the_report_names_every_check_of_every_module(staff_client):
    body = staff_client.get(URL).json()

    assert {module: set(m["checks"]) for module, m in body["modules"].items()} == {
        "executions": {"workers", "oldest_queued", "sweeper"},
        "analytics": {"last_ingest", "rollup_freshness", "alert_evaluation"},
        "templates": {"search_vocabulary", "trending_refresh"},
        "platform": {"database", "cache", "broker", "beat"},
    }
    # No worker runs in this test and beat never ticked.
    assert body["modules"]["executions"]["checks"]["workers"]["status"] == "fail"
    assert body["modules"]["platform"]["checks"]["beat"]["status"] == "fail"
    assert body["status"] == "fail"
    assert staff_client.get(URL).status_code == 503


@pytest.mark.parametrize(("waited_minutes", "status"), [(0, "ok"), (2, "warn"), (6, "fail")])
def test_the_oldest_queued_execution_warns_after_a_minute_and_fails_after_five(
    staff_client, workspace, waited_minutes, status
):
    make_execution(make_workflow(workspace), status=ExecutionStatus.QUEUED)
    Execution.objects.update(queued_at=timezone.now() - timedelta(minutes=waited_minutes))

    check = checks(staff_client, "executions")["oldest_queued"]

    assert check["status"] == status
    assert check["queued"] == 1
    assert (check["warn_after"], check["fail_after"]) == (60, 300)


@pytest.mark.parametrize(
    ("module", "check", "entry", "ages"),
    [
        ("executions", "sweeper", SWEEPER, (60, 600, 1000)),
        ("analytics", "alert_evaluation", ALERTS, (60, 600, 1000)),
        ("templates", "trending_refresh", TRENDING, (900, 3000, 8000)),
    ],
)
def test_periodic_jobs_are_judged_by_their_last_success(staff_client, module, check, entry, ages):
    assert checks(staff_client, module)[check]["status"] == "warn"  # never recorded
    statuses = []
    for age in ages:
        schedule_marks.entry_succeeded_record(entry, now=time.time() - age)
        statuses.append(checks(staff_client, module)[check]["status"])

    assert statuses == ["ok", "warn", "fail"]


def test_beat_fails_without_a_recent_tick(staff_client):
    schedule_marks.beat_tick_record()
    fresh = checks(staff_client, "platform")["beat"]["status"]
    schedule_marks.beat_tick_record(now=time.time() - 400)

    assert (fresh, checks(staff_client, "platform")["beat"]["status"]) == ("ok", "fail")


def test_rollups_fail_when_recent_events_are_missing_from_the_realtime_rollup(
    staff_client, workspace
):
    ingest_events(workspace, [{"event_type": "click", "distinct_id": "p"}])
    counted = checks(staff_client, "analytics")
    EventMinuteCount.objects.all().delete()
    lost = checks(staff_client, "analytics")

    assert counted["rollup_freshness"]["status"] == "ok"
    assert counted["last_ingest"]["age_seconds"] < 60
    assert lost["rollup_freshness"]["status"] == "fail"


def test_published_templates_without_a_vocabulary_fail_the_search_check(
    staff_client, workspace, user
):
    assert checks(staff_client, "templates")["search_vocabulary"]["status"] == "ok"
    template = make_template(workspace, user, name="Lonely")
    Template.objects.filter(pk=template.pk).update(status=TemplateStatus.PUBLISHED)

    check = checks(staff_client, "templates")["search_vocabulary"]

    assert check == {"status": "fail", "published_templates": True, "vocabulary_words": False}


def test_a_cache_that_does_not_answer_fails_the_platform(staff_client, settings):
    caches = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    with override_settings(CACHES=caches):
        body = staff_client.get(URL).json()

    platform = body["modules"]["platform"]
    assert platform["checks"]["cache"]["status"] == "fail"
    assert platform["checks"]["database"]["status"] == "ok"
    assert platform["status"] == "fail"
