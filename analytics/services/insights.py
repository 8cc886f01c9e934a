"""Detect insights (anomalies, week-over-week trends, top movers) and manage their state.

Detection runs hourly per active workspace over the last complete hour. Anomalies compare
the hour with the same hour of the week in the previous weeks by a robust z-score (median
and MAD), which a single past outlier cannot drag. Thresholds come from
``settings.ANALYTICS_INSIGHTS`` (defaults below). Each finding has a fingerprint: while an
insight with that fingerprint is open (not dismissed, not expired) it is not created again.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import statistics
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from analytics.analysis.stats import robust_z_score
from analytics.models import Insight
from analytics.models.insights import InsightFeedback, InsightKind, Severity
from analytics.selectors import insights as insight_reads
from synapscale.services.audit import record_audit_event

logger = logging.getLogger("analytics.insights")

DEFAULTS = {
    "ANOMALY_Z_THRESHOLD": 3.5,
    "ANOMALY_BASELINE_WEEKS": 4,
    "ANOMALY_MIN_DELTA": 10,  # ignore tiny absolute changes however unusual
    "FAILURE_RATE_MIN_EXECUTIONS": 10,
    "FAILURE_RATE_MIN_DELTA_PCT": 5.0,
    "WOW_CHANGE_PCT": 50.0,
    "WOW_MIN_COUNT": 20,
    "TOP_MOVERS": 3,
    "TOP_MOVERS_MIN_COUNT": 10,
    "ACTIVE_WITHIN_HOURS": 24,
}
LIFETIME = {
    InsightKind.ANOMALY: dt.timedelta(hours=24),
    InsightKind.TREND: dt.timedelta(days=7),
    InsightKind.TOP_MOVER: dt.timedelta(hours=24),
}


def insight_setting(name: str):
    return getattr(settings, "ANALYTICS_INSIGHTS", {}).get(name, DEFAULTS[name])


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str
    fingerprint: str
    title: str
    description: str
    data: dict = field(default_factory=dict)


def severity_for_z(z: float, threshold: float) -> str:
    """Grade by how far past the threshold the score is: 1x low ... 3x (or infinite) critical."""
    ratio = abs(z) / threshold
    if ratio >= 3:
        return Severity.CRITICAL
    if ratio >= 2:
        return Severity.HIGH
    if ratio >= 1.5:
        return Severity.MEDIUM
    return Severity.LOW


def severity_for_change(change_pct: float) -> str:
    change = abs(change_pct)
    if change >= 500:
        return Severity.CRITICAL
    if change >= 200:
        return Severity.HIGH
    if change >= 100:
        return Severity.MEDIUM
    return Severity.LOW


def _json_z(z: float) -> float | str:
    return round(z, 3) if math.isfinite(z) else ("inf" if z > 0 else "-inf")


def _baseline_hours(hour: dt.datetime) -> list[dt.datetime]:
    weeks = int(insight_setting("ANOMALY_BASELINE_WEEKS"))
    return [hour - dt.timedelta(weeks=k) for k in range(1, weeks + 1)]


def find_event_anomalies(*, workspace_id: int, hour: dt.datetime) -> list[Finding]:
    """Flag event types whose count in ``hour`` is unusual for that hour of the week."""
    threshold = float(insight_setting("ANOMALY_Z_THRESHOLD"))
    min_delta = float(insight_setting("ANOMALY_MIN_DELTA"))
    baseline_hours = _baseline_hours(hour)
    counts = insight_reads.hourly_event_counts(
        workspace_id=workspace_id, hours=[hour, *baseline_hours]
    )
    findings = []
    for event_type, per_hour in sorted(counts.items()):
        value = per_hour.get(hour, 0)
        baseline = [per_hour.get(h, 0) for h in baseline_hours]
        z = robust_z_score(value, baseline)
        median = statistics.median(baseline) if baseline else 0
        if z is None or abs(z) < threshold or abs(value - median) < min_delta:
            continue
        direction = "spike" if z > 0 else "drop"
        findings.append(
            Finding(
                kind=InsightKind.ANOMALY,
                severity=severity_for_z(z, threshold),
                fingerprint=f"anomaly:event_count:{event_type}:{direction}",
                title=f"Unusual {direction} in {event_type} events",
                description=(
                    f"{value} {event_type} events between {hour:%H:%M} and "
                    f"{hour + dt.timedelta(hours=1):%H:%M} UTC; the same hour in the previous "
                    f"{len(baseline)} weeks saw {', '.join(map(str, baseline))}."
                ),
                data={
                    "metric": "event_count",
                    "event_type": event_type,
                    "hour": hour.isoformat(),
                    "value": value,
                    "baseline": baseline,
                    "z_score": _json_z(z),
                },
            )
        )
    return findings


def find_failure_rate_anomaly(*, workspace_id: int, hour: dt.datetime) -> list[Finding]:
    """Flag a failure rate in ``hour`` unusually high for that hour of the week."""
    threshold = float(insight_setting("ANOMALY_Z_THRESHOLD"))
    baseline_hours = _baseline_hours(hour)
    rates = insight_reads.hourly_failure_rates(
        workspace_id=workspace_id, hours=[hour, *baseline_hours]
    )
    finished, failed = rates.get(hour, (0, 0))
    if finished < int(insight_setting("FAILURE_RATE_MIN_EXECUTIONS")):
        return []
    value = 100 * failed / finished
    baseline = [100 * f / n for h in baseline_hours for n, f in [rates.get(h, (0, 0))] if n]
    z = robust_z_score(value, baseline)
    median = statistics.median(baseline) if baseline else 0
    min_delta = float(insight_setting("FAILURE_RATE_MIN_DELTA_PCT"))
    if z is None or z < threshold or value - median < min_delta:
        return []
    return [
        Finding(
            kind=InsightKind.ANOMALY,
            severity=severity_for_z(z, threshold),
            fingerprint="anomaly:execution_failure_rate:spike",
            title="Execution failures are unusually high",
            description=(
                f"{failed} of {finished} executions failed ({value:.1f}%) between "
                f"{hour:%H:%M} and {hour + dt.timedelta(hours=1):%H:%M} UTC, against a usual "
                f"{median:.1f}% at this hour."
            ),
            data={
                "metric": "execution_failure_rate",
                "hour": hour.isoformat(),
                "value": round(value, 3),
                "finished": finished,
                "failed": failed,
                "baseline": [round(rate, 3) for rate in baseline],
                "z_score": _json_z(z),
            },
        )
    ]


def find_week_over_week(*, workspace_id: int, end: dt.datetime) -> list[Finding]:
    """Flag event types whose last 7 days differ from the 7 before by the threshold or more."""
    split = end - dt.timedelta(days=7)
    counts = insight_reads.event_counts_between(
        workspace_id=workspace_id, start=split - dt.timedelta(days=7), end=end, split=split
    )
    threshold = float(insight_setting("WOW_CHANGE_PCT"))
    min_count = int(insight_setting("WOW_MIN_COUNT"))
    findings = []
    for event_type, (previous, current) in sorted(counts.items()):
        if previous == 0 or max(previous, current) < min_count:
            continue
        change = (current - previous) / previous * 100
        if abs(change) < threshold:
            continue
        direction = "up" if change > 0 else "down"
        findings.append(
            Finding(
                kind=InsightKind.TREND,
                severity=severity_for_change(change),
                fingerprint=f"trend:week_over_week:{event_type}:{direction}",
                title=f"{event_type} {direction} {abs(change):.0f}% week over week",
                description=(
                    f"{current} {event_type} events in the last 7 days against {previous} "
                    "in the 7 days before."
                ),
                data={
                    "event_type": event_type,
                    "current": current,
                    "previous": previous,
                    "change_pct": round(change, 2),
                },
            )
        )
    return findings


def _movers(counts: dict[str, tuple[int, int]]) -> list[dict]:
    min_count = int(insight_setting("TOP_MOVERS_MIN_COUNT"))
    movers = [
        {"name": name, "previous": before, "current": after, "delta": after - before}
        for name, (before, after) in counts.items()
        if after != before and max(before, after) >= min_count
    ]
    movers.sort(key=lambda mover: (-abs(mover["delta"]), mover["name"]))
    return movers[: int(insight_setting("TOP_MOVERS"))]


def find_top_movers(*, workspace_id: int, end: dt.datetime) -> list[Finding]:
    """Report the event types and templates that changed most in 24 hours against the day before."""
    split = end - dt.timedelta(hours=24)
    start = split - dt.timedelta(hours=24)
    sources = {
        "event_types": insight_reads.event_counts_between(
            workspace_id=workspace_id, start=start, end=end, split=split
        ),
        "templates": insight_reads.template_installs_between(
            workspace_id=workspace_id, start=start, end=end, split=split
        ),
    }
    findings = []
    for subject, counts in sources.items():
        movers = _movers(counts)
        if not movers:
            continue
        label = "event types" if subject == "event_types" else "templates (installs)"
        summary = ", ".join(f"{m['name']} {m['delta']:+d}" for m in movers)
        findings.append(
            Finding(
                kind=InsightKind.TOP_MOVER,
                severity=Severity.LOW,
                fingerprint=f"top_mover:{subject}:{end:%Y-%m-%d}",
                title=f"Top movers among {label}",
                description=f"Largest changes over the last 24 hours: {summary}.",
                data={"subject": subject, "movers": movers, "until": end.isoformat()},
            )
        )
    return findings


def insights_close_expired(*, now: dt.datetime | None = None) -> int:
    """Close insights past their expiry so their findings can be reported again."""
    now = now or timezone.now()
    return Insight.objects.filter(closed_at__isnull=True, expires_at__lte=now).update(closed_at=now)


def _store(workspace_id: int, finding: Finding, now: dt.datetime) -> Insight | None:
    """Create the insight unless one with its fingerprint is open (the unique index decides)."""
    try:
        with transaction.atomic():
            return Insight.objects.create(
                workspace_id=workspace_id,
                kind=finding.kind,
                severity=finding.severity,
                fingerprint=finding.fingerprint,
                title=finding.title[:300],
                description=finding.description,
                data=finding.data,
                detected_at=now,
                expires_at=now + LIFETIME[finding.kind],
            )
    except IntegrityError:
        return None


def insights_detect(*, workspace_id: int, now: dt.datetime | None = None) -> list[Insight]:
    """Run every detector for one workspace over the last complete hour; return new insights."""
    now = now or timezone.now()
    insights_close_expired(now=now)
    hour_end = now.replace(minute=0, second=0, microsecond=0)
    hour = hour_end - dt.timedelta(hours=1)
    findings = [
        *find_event_anomalies(workspace_id=workspace_id, hour=hour),
        *find_failure_rate_anomaly(workspace_id=workspace_id, hour=hour),
        *find_week_over_week(workspace_id=workspace_id, end=hour_end),
        *find_top_movers(workspace_id=workspace_id, end=hour_end),
    ]
    created = [insight for f in findings if (insight := _store(workspace_id, f, now))]
    logger.info(
        "insights_detected workspace=%s findings=%s created=%s",
        workspace_id,
        len(findings),
        len(created),
    )
    return created


def insights_detect_active_workspaces(*, now: dt.datetime | None = None) -> int:
    """Detect insights in each workspace active in the last day; return how many were created."""
    now = now or timezone.now()
    since = now - dt.timedelta(hours=int(insight_setting("ACTIVE_WITHIN_HOURS")))
    created = 0
    for workspace_id in insight_reads.active_workspace_ids(since=since):
        try:
            created += len(insights_detect(workspace_id=workspace_id, now=now))
        except Exception:  # one workspace's failure must not stop the others
            logger.exception("insights_detect_failed workspace=%s", workspace_id)
    return created


@transaction.atomic
def insight_mark_read(*, insight: Insight) -> Insight:
    if insight.read_at is None:
        insight.read_at = timezone.now()
        insight.save(update_fields=["read_at"])
        record_audit_event(action="insight.read", target=insight)
    return insight


@transaction.atomic
def insight_dismiss(*, insight: Insight) -> Insight:
    """Dismiss (and so close) an insight; the same finding may be reported again later."""
    now = timezone.now()
    insight.dismissed_at = insight.dismissed_at or now
    insight.closed_at = insight.closed_at or now
    insight.read_at = insight.read_at or now
    insight.save(update_fields=["dismissed_at", "closed_at", "read_at"])
    record_audit_event(action="insight.dismissed", target=insight)
    return insight


@transaction.atomic
def insight_give_feedback(*, insight: Insight, user, useful: bool, comment: str = "") -> Insight:
    """Record whether the insight was useful (the latest feedback wins)."""
    insight.feedback = InsightFeedback.USEFUL if useful else InsightFeedback.NOT_USEFUL
    insight.feedback_comment = comment
    insight.feedback_by = user
    insight.save(update_fields=["feedback", "feedback_comment", "feedback_by"])
    record_audit_event(
        action="insight.feedback_given",
        target=insight,
        actor=user,
        changes={"feedback": insight.feedback, "comment": comment},
    )
    return insight
