"""Cron expressions as users write them: five fields, checked by Celery's own parser, and
the django-celery-beat rows that schedule them."""

from __future__ import annotations

from celery.schedules import ParseException, crontab
from django.core.exceptions import ValidationError
from django_celery_beat.models import CrontabSchedule

# The five fields in order, by the names Celery and django-celery-beat give them.
CRON_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


def cron_fields(expression: str) -> dict[str, str]:
    """Return the fields of a five-field cron expression by name."""
    return dict(zip(CRON_FIELDS, expression.split(), strict=True))


def cron_parse(expression: str, *, field: str = "schedule") -> crontab:
    """Parse a five-field cron expression (minute hour day-of-month month day-of-week).

    A malformed one raises a ValidationError naming `field`.
    """
    fields = expression.split() if isinstance(expression, str) else []
    if len(fields) != len(CRON_FIELDS):
        raise ValidationError({field: ["A cron expression has five fields."]})
    try:
        return crontab(**cron_fields(expression))
    except (ValueError, TypeError, ParseException) as exc:
        raise ValidationError({field: [f"Invalid cron expression: {exc}"]}) from exc


def beat_schedule_row(model, **fields):
    """Return a django-celery-beat schedule row with these fields, creating it if none.

    Schedule rows are shared between entries and have no unique constraint, so duplicates
    may exist (beat's own from_schedule copes the same way): any one of them will do.
    """
    return model.objects.filter(**fields).first() or model.objects.create(**fields)


def crontab_row(expression: str, *, timezone: str = "UTC") -> CrontabSchedule:
    """The CrontabSchedule row of a (valid) cron expression in a time zone."""
    return beat_schedule_row(CrontabSchedule, **cron_fields(expression), timezone=timezone)
