"""Celery tasks of the analytics app: ids in, a service call inside."""

from analytics.services.alerts import alert_rules_evaluate_due, alert_rules_recover_stuck
from analytics.services.exports import export_build
from analytics.services.exports import exports_expire as expire_exports
from analytics.services.insights import insights_detect_active_workspaces
from analytics.services.metrics import realtime_rollups_prune as prune_realtime_rollups
from analytics.services.notifications import alert_event_notify
from analytics.services.partitions import event_partitions_ensure as ensure_event_partitions
from analytics.services.partitions import events_retention_apply as apply_events_retention
from analytics.services.reports import report_run_execute
from analytics.services.reports import report_run_scheduled as run_scheduled_report
from synapscale.task_policy import durable_task, periodic_task


@durable_task()
def report_run_execute_task(self, run_id: int) -> str:
    """Execute a queued report run."""
    return report_run_execute(run_id=run_id).status


@durable_task()
def report_run_scheduled(self, report_id: int) -> str | None:
    """Run a scheduled report (django-celery-beat calls this with the report id)."""
    # None when the report is gone or its schedule was removed meanwhile.
    return getattr(run_scheduled_report(report_id=report_id), "status", None)


@periodic_task()
def realtime_rollups_prune(self) -> int:
    """Delete realtime rollup rows older than their two-hour window."""
    return prune_realtime_rollups()


@periodic_task()
def event_partitions_ensure(self) -> int:
    """Create the monthly event partitions ingestion may need; return how many were new."""
    return len(ensure_event_partitions())


@periodic_task()
def events_retention_apply(self) -> int:
    """Drop the event partitions past the retention and prune old rollups."""
    return len(apply_events_retention().partitions_dropped)


# --- Insights and alerts -----------------------------------------------------------------


@periodic_task()
def insights_detect_all(self) -> int:
    """Detect insights in every workspace active recently (hourly)."""
    return insights_detect_active_workspaces()


@periodic_task()
def alerts_evaluate_due(self) -> int:
    """Evaluate the alert rules that are due (every minute; safe on several workers)."""
    return len(alert_rules_evaluate_due())


@periodic_task()
def alerts_recover_stuck(self) -> int:
    """Release alert rules whose evaluating worker died."""
    return alert_rules_recover_stuck()


@durable_task()
def alert_event_notify_task(self, alert_event_id: int) -> str:
    """Send the notifications of one alert event (webhooks retry inside, per target)."""
    return alert_event_notify(alert_event_id=alert_event_id).notification_status


@durable_task()
def export_build_task(self, export_id: int) -> str:
    """Build an export's file."""
    return export_build(export_id=export_id).status


@periodic_task()
def exports_expire(self) -> int:
    """Delete export files past their expiry."""
    return expire_exports()
