"""django-filter FilterSets of the analytics app, shared by the API and the admin."""

from __future__ import annotations

import django_filters
from django import forms
from django.core import validators
from django.utils import timezone

from analytics.choices import ExportFormat, ExportSource, ExportStatus
from analytics.constants import DATE_BOUNDS_MESSAGE, EARLIEST_MOMENT, LATEST_MOMENT
from analytics.models import Event, Export
from analytics.query_language import date_range_parse
from synapscale.api.filters import StorableIsoDateTimeField

MAX_FILTER_VALUES = 100
MAX_VALUE_LENGTH = 255
# The largest id PostgreSQL's bigint holds.
MAX_ID = 2**63 - 1


class MultiValueCharField(forms.Field):
    """Every ``?name=`` value (``?name=a&name=b`` and ``?name=a,b`` alike), each validated."""

    widget = forms.SelectMultiple  # reads QueryDict.getlist(name), not only the last value
    default_error_messages = {
        "too_many": f"At most {MAX_FILTER_VALUES} values.",
        "too_long": f"Each value is at most {MAX_VALUE_LENGTH} characters.",
    }

    def to_python(self, value) -> list[str]:
        if value in self.empty_values:
            return []
        items = value if isinstance(value, list | tuple) else [value]
        return [part.strip() for item in items for part in str(item).split(",") if part.strip()]

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        if len(value) > MAX_FILTER_VALUES:
            raise forms.ValidationError(self.error_messages["too_many"], code="too_many")
        null_characters = validators.ProhibitNullCharactersValidator()
        for item in value:
            null_characters(item)
            if len(item) > MAX_VALUE_LENGTH:
                raise forms.ValidationError(self.error_messages["too_long"], code="too_long")


class MultiValueCharFilter(django_filters.Filter):
    field_class = MultiValueCharField

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


class BoundedIsoDateTimeField(StorableIsoDateTimeField):
    """An ISO 8601 datetime between 1970 and 2100 (year 1 at +14:00 is not a UTC moment)."""

    out_of_range_message = DATE_BOUNDS_MESSAGE

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is not None:
            try:
                in_range = EARLIEST_MOMENT <= moment < LATEST_MOMENT
            except OverflowError:
                in_range = False
            if not in_range:
                raise forms.ValidationError(DATE_BOUNDS_MESSAGE, code="out_of_range")
        return moment


class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


class IdFilter(django_filters.NumberFilter):
    """A whole number that fits a bigint id (``NaN``, ``1e400``, 30 digits are 400s)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class RelativeDateRangeField(forms.CharField):
    """A relative range of the query language (``last_7_days``), as [start, end)."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        errors: dict = {}
        date_range = date_range_parse(value, errors, path="date_range")
        if errors:
            raise forms.ValidationError(errors["date_range"], code="invalid")
        return date_range


class RelativeDateRangeFilter(django_filters.Filter):
    field_class = RelativeDateRangeField

    def filter(self, qs, value):
        if value is None:
            return qs
        start, end = value.bounds(timezone.now())
        return qs.filter(**{f"{self.field_name}__gte": start, f"{self.field_name}__lt": end})


class EventFilterSet(django_filters.FilterSet):
    event_type = MultiValueCharFilter(field_name="event_type")
    user = IdFilter(field_name="user_id")
    distinct_id = django_filters.CharFilter(max_length=MAX_VALUE_LENGTH)
    session_id = django_filters.CharFilter(max_length=MAX_VALUE_LENGTH)
    created_after = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    date_range = RelativeDateRangeFilter(
        field_name="created_at",
        help_text="A relative range of the query language: last_N_days, today, yesterday, "
        "last_24_hours, this_month, last_month.",
    )

    class Meta:
        model = Event
        fields = ["event_type", "user", "distinct_id", "session_id"]


class ExportFilterSet(django_filters.FilterSet):
    """`file_format`, not `format`: `?format=` is DRF's content negotiation (`?format=json`)."""

    source = django_filters.ChoiceFilter(choices=ExportSource.choices)
    status = django_filters.ChoiceFilter(choices=ExportStatus.choices)
    file_format = django_filters.ChoiceFilter(field_name="format", choices=ExportFormat.choices)

    class Meta:
        model = Export
        fields = ["source", "status", "file_format"]
