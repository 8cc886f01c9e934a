"""django-filter FilterSets of the analytics app, shared by the API and the admin."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils import timezone

from analytics.choices import ExportFormat, ExportSource, ExportStatus
from analytics.constants import DATE_BOUNDS_MESSAGE, EARLIEST_MOMENT, LATEST_MOMENT
from analytics.models import AlertRule, Event, Export, Insight
from analytics.models.alerts import AlertMetric, AlertState
from analytics.models.insights import InsightKind, Severity
from analytics.query_language import date_range_parse
from analytics.selectors.insights import open_insights_q
from synapscale.api.filters import (
    MAX_FILTER_VALUE_LENGTH,
    MultiValueCharFilter,
    StorableIsoDateTimeField,
)

# The largest id PostgreSQL's bigint holds.
MAX_ID = 2**63 - 1


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
    distinct_id = django_filters.CharFilter(max_length=MAX_FILTER_VALUE_LENGTH)
    session_id = django_filters.CharFilter(max_length=MAX_FILTER_VALUE_LENGTH)
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


class AlertRuleFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=AlertState.choices)
    metric = django_filters.ChoiceFilter(choices=AlertMetric.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)

    class Meta:
        model = AlertRule
        fields = ["state", "metric", "severity"]


STATUSES = (("open", "Open"), ("dismissed", "Dismissed"), ("all", "All"))


class InsightFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=InsightKind.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    unread = django_filters.BooleanFilter(method="filter_unread")
    status = django_filters.ChoiceFilter(choices=STATUSES, method="filter_status", empty_label=None)

    class Meta:
        model = Insight
        fields = ["kind", "severity", "unread", "status"]

    def filter_unread(self, queryset, name, value):
        return queryset.filter(read_at__isnull=value)

    def filter_status(self, queryset, name, value):
        if value == "dismissed":
            return queryset.filter(dismissed_at__isnull=False)
        if value == "open":
            return queryset.filter(open_insights_q(timezone.now()))
        return queryset

    @property
    def qs(self):
        # Open insights unless the caller asks for another status.
        queryset = super().qs
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(open_insights_q(timezone.now()))
        return queryset
