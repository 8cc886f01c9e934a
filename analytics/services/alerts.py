"""Alert rules: create and change them, and evaluate the due ones (fire, re-notify, resolve).

Evaluation is built to run every minute on several workers at once: due rules are claimed
with ``SELECT ... FOR UPDATE SKIP LOCKED`` (a rule goes to one worker only) and marked
``evaluating_since``; a rule whose worker died is released by ``alert_rules_recover_stuck``.
Notifications are sent by a separate task per alert event after commit, so a slow webhook
never holds a lock nor delays other rules.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import operator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from analytics.choices import ReportSource
from analytics.models import AlertEvent, AlertRule
from analytics.models.alerts import (
    AlertCondition,
    AlertEventKind,
    AlertMetric,
    AlertState,
    NotificationStatus,
    new_webhook_secret,
)
from analytics.query_spec import QuerySpecError
from analytics.selectors.alerts import (
    INSTANT_METRICS,
    MetricReading,
    alert_events,
    alert_metric_read,
    alert_rule_filters,
)
from analytics.selectors.queries import query_filters_check_compiles
from analytics.services.notifications import alert_setting, webhook_target_error
from synapscale.query_budget import query_budget
from synapscale.services.audit import audit_changes, audit_snapshot, record_audit_event
from synapscale.services.updates import model_update
from synapscale.task_policy import send_on_commit

logger = logging.getLogger("analytics.alerts")

EVALUATION_INTERVAL = dt.timedelta(minutes=1)
STUCK_AFTER = dt.timedelta(minutes=10)
CLAIM_BATCH = 200
EDITABLE_FIELDS = {
    "name",
    "metric",
    "event_type",
    "filters",
    "report",
    "condition",
    "threshold",
    "window_minutes",
    "severity",
    "channels",
    "cooldown_minutes",
}
AUDITED_FIELDS = [*sorted(EDITABLE_FIELDS), "state", "snoozed_until"]
COMPARISONS = {
    AlertCondition.GT: operator.gt,
    AlertCondition.GTE: operator.ge,
    AlertCondition.LT: operator.lt,
    AlertCondition.LTE: operator.le,
    AlertCondition.EQ: operator.eq,
    AlertCondition.NE: operator.ne,
}


@dataclass(frozen=True)
class Evaluation:
    value: float | None
    previous: float | None
    breached: bool
    change_pct: float | None


def condition_breached(
    *, condition: str, value: float | None, threshold: float, previous: float | None = None
) -> tuple[bool, float | None]:
    """Return whether the reading breaches the rule, and the change in % for change_pct.

    No data (None) breaches nothing. A change from 0 to anything else is an unbounded change.
    """
    if value is None:
        return False, None
    if condition != AlertCondition.CHANGE_PCT:
        return COMPARISONS[condition](value, threshold), None
    if previous is None:
        return False, None
    if previous == 0:
        return value != 0, None
    change = (value - previous) / abs(previous) * 100
    return abs(change) >= threshold, round(change, 4)


def _validate(rule: AlertRule) -> None:
    errors = {}
    if rule.metric == AlertMetric.EVENT_COUNT and not rule.event_type:
        errors["event_type"] = ["An event_count rule needs an event_type."]
    if rule.metric == AlertMetric.REPORT_VALUE:
        if rule.report_id is None:
            errors["report"] = ["A report_value rule needs a report."]
        elif rule.report.workspace_id != rule.workspace_id:
            errors["report"] = ["No such report in this workspace."]
    webhooks = rule.channels.get("webhooks", []) if isinstance(rule.channels, dict) else []
    for index, url in enumerate(webhooks):
        refused = webhook_target_error(url) if isinstance(url, str) else "Must be a URL."
        if refused:
            errors[f"channels.webhooks.{index}"] = [refused]
    if rule.condition == AlertCondition.CHANGE_PCT and rule.metric in INSTANT_METRICS:
        errors["condition"] = [f"change_pct needs a windowed metric, not {rule.metric}."]
    try:
        filters = alert_rule_filters(rule.filters)
        query_filters_check_compiles(source=ReportSource.EVENTS, filters=filters)
    except ValidationError as error:
        errors.update(error.message_dict)
    except QuerySpecError as error:
        errors.update(error.errors)
    else:
        # Stored as the query language's list whichever shape was sent.
        rule.filters = [dataclasses.asdict(item) for item in filters]
    if errors:
        raise ValidationError(errors)
    rule.full_clean(exclude=["workspace", "owner", "report"])


@transaction.atomic
def alert_rule_create(*, workspace, owner, **fields) -> AlertRule:
    """Create a rule, due for evaluation at once."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    rule = AlertRule(workspace=workspace, owner=owner, next_evaluation_at=timezone.now(), **fields)
    _validate(rule)
    rule.save()
    record_audit_event(
        action="alert_rule.created",
        target=rule,
        actor=owner,
        changes=audit_changes({}, rule, fields=AUDITED_FIELDS),
    )
    logger.info("alert_rule_created rule=%s workspace=%s", rule.pk, workspace.pk)
    return rule


@transaction.atomic
def alert_rule_update(*, rule: AlertRule, **changes) -> AlertRule:
    """Change a rule's definition; it is evaluated again at the next minute."""
    before = audit_snapshot(rule, fields=AUDITED_FIELDS)
    rule, has_updated = model_update(
        instance=rule,
        fields=EDITABLE_FIELDS,
        data=changes,
        clean=_validate,
        when_changed={"next_evaluation_at": timezone.now()},
    )
    if not has_updated:
        return rule
    _record(rule, "alert_rule.updated", before)
    return rule


@transaction.atomic
def alert_rule_delete(*, rule: AlertRule) -> None:
    record_audit_event(
        action="alert_rule.deleted",
        target=rule,
        changes=audit_changes(audit_snapshot(rule, fields=["name"]), None),
    )
    rule.delete()


@transaction.atomic
def alert_rule_pause(*, rule: AlertRule) -> AlertRule:
    """Stop evaluating (and notifying) until resumed."""
    before = audit_snapshot(rule, fields=AUDITED_FIELDS)
    rule.state = AlertState.PAUSED
    rule.save(update_fields=["state", "updated_at"])
    _record(rule, "alert_rule.paused", before)
    return rule


@transaction.atomic
def alert_rule_resume(*, rule: AlertRule) -> AlertRule:
    """Evaluate again from now, starting from a clean ``ok`` state."""
    before = audit_snapshot(rule, fields=AUDITED_FIELDS)
    rule.state = AlertState.OK
    rule.snoozed_until = None
    rule.next_evaluation_at = timezone.now()
    rule.save(update_fields=["state", "snoozed_until", "next_evaluation_at", "updated_at"])
    _record(rule, "alert_rule.resumed", before)
    return rule


@transaction.atomic
def alert_rule_snooze(*, rule: AlertRule, minutes: int) -> AlertRule:
    """Skip evaluations (and so notifications) for ``minutes``."""
    before = audit_snapshot(rule, fields=AUDITED_FIELDS)
    rule.snoozed_until = timezone.now() + dt.timedelta(minutes=minutes)
    rule.save(update_fields=["snoozed_until", "updated_at"])
    _record(rule, "alert_rule.snoozed", before)
    return rule


@transaction.atomic
def alert_rule_rotate_secret(*, rule: AlertRule) -> AlertRule:
    """Give the rule a new webhook secret; notifications are signed with it from now on."""
    rule.webhook_secret = new_webhook_secret()
    rule.save(update_fields=["webhook_secret", "updated_at"])
    record_audit_event(
        action="alert_rule.secret_rotated",
        target=rule,
        changes={"webhook_secret": {"before": None, "after": None}},
    )
    logger.info("alert_rule_secret_rotated rule=%s", rule.pk)
    return rule


def _record(rule: AlertRule, action: str, before: dict) -> None:
    record_audit_event(
        action=action, target=rule, changes=audit_changes(before, rule, fields=AUDITED_FIELDS)
    )


def alert_rule_check(*, rule: AlertRule, now: dt.datetime | None = None) -> Evaluation:
    """Read the metric and compare it with the threshold; change nothing, notify no one."""
    reading: MetricReading = alert_metric_read(rule=rule, now=now)
    breached, change = condition_breached(
        condition=rule.condition,
        value=reading.value,
        threshold=rule.threshold,
        previous=reading.previous,
    )
    return Evaluation(reading.value, reading.previous, breached, change)


def _due(now: dt.datetime) -> Q:
    return (
        ~Q(state=AlertState.PAUSED)
        & Q(evaluating_since__isnull=True)
        & (Q(next_evaluation_at__isnull=True) | Q(next_evaluation_at__lte=now))
        & (Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now))
    )


def alert_rules_claim_due(*, now: dt.datetime | None = None, limit: int = CLAIM_BATCH) -> list[int]:
    """Mark up to ``limit`` due rules as being evaluated by this worker; return their ids.

    Rows another worker is claiming at the same moment are skipped, not waited for.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            AlertRule.objects.select_for_update(skip_locked=True)
            .filter(_due(now))
            .order_by("next_evaluation_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        AlertRule.objects.filter(id__in=ids).update(evaluating_since=now)
    return ids


def _record_event(rule: AlertRule, kind: str, value, now) -> AlertEvent:
    has_channels = bool(rule.channels.get("webhooks") or rule.channels.get("emails"))
    event = AlertEvent.objects.create(
        rule=rule,
        workspace_id=rule.workspace_id,
        kind=kind,
        value=value,
        threshold=rule.threshold,
        created_at=now,
        notification_status=(
            NotificationStatus.PENDING if has_channels else NotificationStatus.NONE
        ),
    )
    rule.last_notified_at = now
    if has_channels:
        from analytics.tasks import alert_event_notify_task

        send_on_commit(alert_event_notify_task, kind="alert_notification", args=[event.pk])
    logger.info("alert_%s rule=%s value=%s threshold=%s", kind, rule.pk, value, rule.threshold)
    return event


def _was_firing(rule: AlertRule) -> bool:
    """Whether the rule is firing, even if its latest evaluations errored.

    ``errored`` only says the metric could not be read; whether the rule was firing before
    is kept by its events: the latest one is ``fired`` until it resolves.
    """
    if rule.state == AlertState.FIRING:
        return True
    if rule.state != AlertState.ERRORED:
        return False
    latest = alert_events(rule=rule).values_list("kind", flat=True).first()
    return latest == AlertEventKind.FIRED


def alert_rule_evaluate(
    *, rule_id: int, claimed_at: dt.datetime, now: dt.datetime | None = None
) -> AlertEvent | None:
    """Evaluate one rule claimed at ``claimed_at``; return the event it recorded, if any.

    Crossing the threshold fires and notifies; staying over it notifies again only once the
    cooldown has passed; coming back resolves and notifies. A metric that cannot be read puts
    the rule in ``errored`` (with the error) instead of raising; a rule that was firing keeps
    firing through errors (no second ``fired`` inside the cooldown, ``resolved`` when it
    recovers). A rule whose claim was released and taken by another worker in the meantime
    is left to that worker.
    """
    now = now or timezone.now()
    with transaction.atomic():
        rule = (
            AlertRule.objects.select_for_update(of=("self",))
            .select_related("report")
            .filter(pk=rule_id, evaluating_since=claimed_at)
            .first()
        )
        if rule is None:
            logger.info("alert_rule_claim_lost rule=%s claimed_at=%s", rule_id, claimed_at)
            return None
        rule.evaluating_since = None
        rule.next_evaluation_at = now + EVALUATION_INTERVAL
        rule.last_evaluated_at = now
        event = None
        try:
            # Its own transaction (a failed query must not poison the outer one), bounded so
            # that one slow rule does not hold up the others.
            with query_budget("alert", timeout_ms=int(alert_setting("METRIC_TIMEOUT_MS"))):
                evaluation = alert_rule_check(rule=rule, now=now)
        except Exception as exc:
            logger.warning("alert_rule_errored rule=%s error=%s", rule.pk, exc)
            if rule.state != AlertState.PAUSED:
                rule.state = AlertState.ERRORED
            rule.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            rule.save()
            return None
        was_firing = _was_firing(rule)
        rule.last_value = evaluation.value
        rule.last_error = ""
        if rule.state == AlertState.PAUSED:
            pass  # paused while this evaluation was queued: record the value, notify no one
        elif evaluation.breached:
            cooled_down = rule.last_notified_at is None or (
                now - rule.last_notified_at >= dt.timedelta(minutes=rule.cooldown_minutes)
            )
            rule.state = AlertState.FIRING
            if not was_firing:
                rule.last_triggered_at = now
                event = _record_event(rule, AlertEventKind.FIRED, evaluation.value, now)
            elif cooled_down:
                event = _record_event(rule, AlertEventKind.FIRED, evaluation.value, now)
        elif was_firing:
            rule.state = AlertState.OK
            event = _record_event(rule, AlertEventKind.RESOLVED, evaluation.value, now)
        else:
            rule.state = AlertState.OK
        rule.save()
        return event


def alert_rules_evaluate_due(*, now: dt.datetime | None = None) -> list[AlertEvent]:
    """Claim the due rules and evaluate each; return the events recorded."""
    now = now or timezone.now()
    events = []
    for rule_id in alert_rules_claim_due(now=now):
        # None too when the rule was deleted or its claim taken over since it was claimed.
        event = alert_rule_evaluate(rule_id=rule_id, claimed_at=now, now=now)
        if event is not None:
            events.append(event)
    return events


def alert_rules_recover_stuck(*, now: dt.datetime | None = None) -> int:
    """Release rules claimed more than ten minutes ago (their worker died); return how many."""
    now = now or timezone.now()
    released = AlertRule.objects.filter(evaluating_since__lt=now - STUCK_AFTER).update(
        evaluating_since=None, next_evaluation_at=now
    )
    if released:
        logger.warning("alert_rules_recovered count=%s", released)
    return released
