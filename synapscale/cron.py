"""Cron expressions as users write them: five fields, checked by Celery's own parser."""

from __future__ import annotations

from celery.schedules import ParseException, crontab
from django.core.exceptions import ValidationError


def cron_parse(expression: str, *, field: str = "schedule") -> crontab:
    """Parse a five-field cron expression (minute hour day-of-month month day-of-week).

    A malformed one raises a ValidationError naming `field`.
    """
    fields = expression.split() if isinstance(expression, str) else []
    if len(fields) != 5:
        raise ValidationError({field: ["A cron expression has five fields."]})
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        return crontab(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
        )
    except (ValueError, TypeError, ParseException) as exc:
        raise ValidationError({field: [f"Invalid cron expression: {exc}"]}) from exc
