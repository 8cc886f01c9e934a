"""The editable fields of triggers, by kind, and their checks (shared by the API and admin)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django_celery_beat.models import CrontabSchedule

from executions.choices import TriggerKind
from executions.conf import app_setting
from synapscale.cron import cron_fields, cron_parse

COMMON_FIELDS = ("name", "is_enabled")
WEBHOOK_FIELDS = ("methods", "response_mode", "wait_seconds", "rate_limit", "max_body_bytes")
SCHEDULE_FIELDS = ("cron", "timezone", "interval_seconds", "overlap", "catch_up", "payload")
FIELDS_BY_KIND = {
    TriggerKind.WEBHOOK: COMMON_FIELDS + WEBHOOK_FIELDS,
    TriggerKind.SCHEDULE: COMMON_FIELDS + SCHEDULE_FIELDS,
}
EDITABLE_FIELDS = COMMON_FIELDS + WEBHOOK_FIELDS + SCHEDULE_FIELDS
ALLOWED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# django-ratelimit's notation: calls per second, minute, hour or day, optionally per N units.
RATE_PATTERN = re.compile(r"^[1-9][0-9]{0,6}/([1-9][0-9]{0,4})?[smhd]$")
MAX_INTERVAL_SECONDS = 366 * 24 * 3600


def fields_for_kind_errors(kind: str, fields: dict[str, Any]) -> dict[str, list[str]]:
    """Name each field the trigger's kind does not have."""
    allowed = FIELDS_BY_KIND[kind]
    errors = {}
    for name in sorted(set(fields) - set(allowed)):
        if name in EDITABLE_FIELDS:
            other = "schedule" if kind == TriggerKind.WEBHOOK else "webhook"
            errors[name] = [f"Only {other} triggers have this field."]
        else:
            errors[name] = ["This field cannot be set."]
    return errors


def schedule_rule_errors(cron: str | None, interval_seconds: int | None) -> dict[str, list[str]]:
    """Name `cron` unless exactly one of a cron expression and an interval is given."""
    if bool(cron) == (interval_seconds is not None):
        return {"cron": ["A schedule has either a cron expression or interval_seconds."]}
    return {}


def trigger_fields_clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Check editable fields; return them normalised. Raises a ValidationError naming each."""
    errors: dict[str, list[str]] = {}
    fields = dict(fields)
    if "methods" in fields:
        methods = fields["methods"]
        if (
            not isinstance(methods, list)
            or not methods
            or any(not isinstance(m, str) or m.upper() not in ALLOWED_METHODS for m in methods)
        ):
            errors["methods"] = [f"A non-empty list of: {', '.join(ALLOWED_METHODS)}."]
        else:
            fields["methods"] = sorted({m.upper() for m in methods})
    for name, maximum in (
        ("wait_seconds", int(app_setting("EXECUTIONS_MAX_WAIT_SECONDS"))),
        ("max_body_bytes", int(app_setting("EXECUTIONS_WEBHOOK_MAX_BODY_BYTES"))),
    ):
        if name in fields and not _in_range(fields[name], 1, maximum):
            errors[name] = [f"Must be an integer from 1 to {maximum}."]
    if "rate_limit" in fields and not (
        isinstance(fields["rate_limit"], str) and RATE_PATTERN.match(fields["rate_limit"])
    ):
        errors["rate_limit"] = ['Calls per unit, e.g. "60/m", "5/s", "1000/h" or "100/10m".']
    _check_schedule(fields, errors)
    if errors:
        raise ValidationError(errors)
    return fields


def _check_schedule(fields: dict[str, Any], errors: dict[str, list[str]]) -> None:
    if fields.get("cron"):
        try:
            cron_parse(fields["cron"], field="cron")
        except ValidationError as exc:
            errors.update(exc.message_dict)
        else:
            fields["cron"] = " ".join(fields["cron"].split())
            too_long = _cron_fields_too_long(fields["cron"])
            if too_long:
                errors["cron"] = [f"The {too_long} field is longer than the scheduler stores."]
    if "timezone" in fields and fields["timezone"] not in _time_zones():
        errors["timezone"] = ["An IANA time zone name, e.g. Europe/Lisbon or UTC."]
    if fields.get("interval_seconds") is not None:
        minimum = int(app_setting("EXECUTIONS_SCHEDULE_MIN_INTERVAL_SECONDS"))
        if not _in_range(fields["interval_seconds"], minimum, MAX_INTERVAL_SECONDS):
            errors["interval_seconds"] = [
                f"Must be an integer from {minimum} to {MAX_INTERVAL_SECONDS} (seconds)."
            ]
    if "payload" in fields and not isinstance(fields["payload"], dict):
        errors["payload"] = ["Must be a JSON object."]


def _cron_fields_too_long(expression: str) -> str | None:
    """Name the first field longer than django-celery-beat's column for it, if any."""
    for name, value in cron_fields(expression).items():
        if len(value) > CrontabSchedule._meta.get_field(name).max_length:
            return name.replace("_", "-")
    return None


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _in_range(value: Any, minimum: int, maximum: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and minimum <= value <= maximum
