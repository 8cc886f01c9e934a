"""django-filter FilterSets of the analytics app, shared by the API and the admin."""

from __future__ import annotations

import django_filters
from django import forms

from analytics.models import Event


class MultiValueCharFilter(django_filters.Filter):
    """Accept ``?name=a&name=b`` and ``?name=a,b`` alike."""

    field_class = forms.CharField

    def filter(self, qs, value):
        values = []
        request_data = self.parent.data
        raw = request_data.getlist(self.field_name) if hasattr(request_data, "getlist") else [value]
        for item in raw:
            values.extend(part.strip() for part in str(item).split(",") if part.strip())
        if not values:
            return qs
        return qs.filter(**{f"{self.field_name}__in": values})


class EventFilterSet(django_filters.FilterSet):
    event_type = MultiValueCharFilter(field_name="event_type")
    user = django_filters.NumberFilter(field_name="user_id")
    distinct_id = django_filters.CharFilter()
    session_id = django_filters.CharFilter()
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Event
        fields = ["event_type", "user", "distinct_id", "session_id"]
