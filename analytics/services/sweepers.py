"""The dispatch policy's sweepers for analytics jobs: re-send what the broker never got.

Each re-sends the jobs still queued (or running past the hard time limit: their worker
died) JOBS_RESEND_AFTER_SECONDS after they were created. A message that was in fact
delivered makes a duplicate, which the task ignores: report runs and exports are claimed
under a row lock only while claimable, and a notification is sent only while pending.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from analytics.choices import ExportStatus, RunStatus
from analytics.models import AlertEvent, Export, ReportRun
from analytics.models.alerts import NotificationStatus
from synapscale.task_policy import send_task

BATCH = 500


def _unmoved(status_queued: str, status_running: str) -> Q:
    now = timezone.now()
    created_before = now - timedelta(seconds=settings.JOBS_RESEND_AFTER_SECONDS)
    stale_before = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    return Q(status=status_queued, created_at__lt=created_before) | Q(
        status=status_running, started_at__lt=stale_before
    )


def _resend(queryset, task, kind: str) -> int:
    ids = queryset.order_by("created_at").values_list("pk", flat=True)[:BATCH]
    return sum(send_task(task, kind=kind, args=[pk]) for pk in ids)


def report_runs_resend() -> int:
    from analytics.tasks import report_run_execute_task

    runs = ReportRun.objects.filter(_unmoved(RunStatus.QUEUED, RunStatus.RUNNING))
    return _resend(runs, report_run_execute_task, "report_run")


def exports_resend() -> int:
    from analytics.tasks import export_build_task

    exports = Export.objects.filter(_unmoved(ExportStatus.QUEUED, ExportStatus.RUNNING))
    return _resend(exports, export_build_task, "export")


def alert_notifications_resend() -> int:
    from analytics.tasks import alert_event_notify_task

    created_before = timezone.now() - timedelta(seconds=settings.JOBS_RESEND_AFTER_SECONDS)
    events = AlertEvent.objects.filter(
        notification_status=NotificationStatus.PENDING, created_at__lt=created_before
    )
    return _resend(events, alert_event_notify_task, "alert_notification")
