"""Filtering that refuses what it does not understand instead of silently ignoring it."""

from __future__ import annotations

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

from synapscale.timestamps import offset_error

ALWAYS_ALLOWED = frozenset(
    {"page", "page_size", "cursor", "ordering", "search", "format", "refresh", "q"}
)


def allowed_query_params(view, filterset) -> set[str]:
    """Return the query parameter names a list view understands."""
    allowed = set(ALWAYS_ALLOWED)
    allowed.update(getattr(view, "extra_query_params", ()))
    if filterset is not None:
        for name, filter_ in filterset.filters.items():
            allowed.add(name)
            # Range-style filters (e.g. created_at with RangeWidget) read suffixed names.
            widget = getattr(filter_.field, "widget", None)
            for suffix in getattr(widget, "suffixes", ()) or ():
                allowed.add(f"{name}_{suffix}" if suffix else name)
    return allowed


class StrictDjangoFilterBackend(DjangoFilterBackend):
    """django-filter that answers 400 for unknown query parameters on list views."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) == "list" or getattr(view, "strict_query_params", False):
            filterset = self.get_filterset(request, queryset, view)
            unknown = sorted(set(request.query_params) - allowed_query_params(view, filterset))
            if unknown:
                raise ValidationError({name: ["Unknown query parameter."] for name in unknown})
        return super().filter_queryset(request, queryset, view)


class StorableIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 datetime PostgreSQL can compare with: its UTC offset within ±15:59."""

    out_of_range_message = "The date is out of range."

    def to_python(self, value):
        try:
            moment = super().to_python(value)
        except OverflowError:
            raise forms.ValidationError(self.out_of_range_message, code="out_of_range") from None
        if moment is not None and (message := offset_error(moment)):
            raise forms.ValidationError(message, code="offset_out_of_range")
        return moment


class StorableIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = StorableIsoDateTimeField
