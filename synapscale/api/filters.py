"""Filtering that refuses what it does not understand instead of silently ignoring it."""

from __future__ import annotations

import django_filters
from django import forms
from django.core import validators
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter

from synapscale.timestamps import offset_error

ALWAYS_ALLOWED = frozenset({"page", "page_size", "cursor", "format", "refresh", "q"})
MAX_FILTER_VALUES = 100
MAX_FILTER_VALUE_LENGTH = 255
MULTI_VALUE_HELP = "Any of these values: repeat the parameter, or separate the values with commas."


def search_fields_of(view) -> list[str]:
    if not any(issubclass(backend, SearchFilter) for backend in view.filter_backends):
        return []
    return list(getattr(view, "search_fields", None) or [])


def ordering_terms_of(view, request=None) -> list[str]:
    """The field names `?ordering=` takes on this view (each also with a leading `-`)."""
    if not any(issubclass(backend, OrderingFilter) for backend in view.filter_backends):
        return []
    fields = getattr(view, "ordering_fields", None)
    if fields is not None and fields != "__all__":
        return list(fields)
    # With no ordering_fields DRF offers the serializer's fields that are model fields.
    queryset = getattr(view, "queryset", None)
    if queryset is None:
        queryset = view.get_queryset()
    context = {"request": request or getattr(view, "request", None)}
    return [name for name, _ in OrderingFilter().get_default_valid_fields(queryset, view, context)]


def allowed_query_params(view, filterset, asked=frozenset()) -> set[str]:
    """Return the query parameter names a list view understands.

    `search` and `ordering` are looked into only when `asked` (the request's names) has
    them: a view without `ordering_fields` offers its serializer's fields, and building the
    serializer on every list request to learn that would be wasted.
    """
    allowed = set(ALWAYS_ALLOWED)
    allowed.update(getattr(view, "extra_query_params", ()))
    if "search" in asked and search_fields_of(view):
        allowed.add("search")
    if "ordering" in asked and ordering_terms_of(view):
        allowed.add("ordering")
    if filterset is not None:
        for name, filter_ in filterset.filters.items():
            allowed.add(name)
            # Range-style filters (e.g. created_at with RangeWidget) read suffixed names.
            widget = getattr(filter_.field, "widget", None)
            for suffix in getattr(widget, "suffixes", ()) or ():
                allowed.add(f"{name}_{suffix}" if suffix else name)
    return allowed


def junk_values(request, view, filterset) -> dict[str, list[str]]:
    """Values the filters would silently drop: a boolean that is neither, an unknown ordering.

    django-filter turns `?is_active=abc` into "no filter", DRF's OrderingFilter drops the
    fields it does not know: both would answer the unfiltered list as if it were the answer.
    """
    errors: dict[str, list[str]] = {}
    for name, filter_ in filterset.filters.items() if filterset is not None else ():
        if not isinstance(filter_, django_filters.BooleanFilter) or name not in request.GET:
            continue
        value = request.GET[name]
        parsed = filter_.field.widget.value_from_datadict(request.GET, {}, name)
        if value != "" and parsed not in (True, False):
            errors[name] = ["Must be true or false."]
    if "ordering" in request.GET:
        terms = ordering_terms_of(view, request)
        given = [term.strip() for term in request.GET["ordering"].split(",")]
        unknown = [term for term in given if term.removeprefix("-") not in terms]
        if unknown:
            errors["ordering"] = [
                f"Unknown ordering {', '.join(map(repr, unknown))}; one of: {', '.join(terms)} "
                "(a leading '-' reverses)."
            ]
    return errors


class StrictDjangoFilterBackend(DjangoFilterBackend):
    """django-filter that answers 400 for unknown query parameters on list views."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) == "list" or getattr(view, "strict_query_params", False):
            filterset = self.get_filterset(request, queryset, view)
            asked = set(request.query_params)
            unknown = sorted(asked - allowed_query_params(view, filterset, asked))
            if unknown:
                raise ValidationError({name: ["Unknown query parameter."] for name in unknown})
            junk = junk_values(request, view, filterset)
            if junk:
                raise ValidationError(junk)
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


class MultiValueField(forms.MultipleChoiceField):
    """Every ``?name=`` value, ``?name=a&name=b`` and ``?name=a,b`` alike, each validated.

    With `choices`, each value must be one of them; without, any text (a bounded number of
    bounded values, no NUL).
    """

    default_error_messages = {
        "too_many": f"At most {MAX_FILTER_VALUES} values.",
        "too_long": f"Each value is at most {MAX_FILTER_VALUE_LENGTH} characters.",
    }

    def to_python(self, value) -> list[str]:
        if value in self.empty_values:
            return []
        items = value if isinstance(value, list | tuple) else [value]
        return [part.strip() for item in items for part in str(item).split(",") if part.strip()]

    def valid_value(self, value) -> bool:
        return not self.choices or super().valid_value(value)

    def validate(self, value: list[str]) -> None:
        if len(value) > MAX_FILTER_VALUES:
            raise forms.ValidationError(self.error_messages["too_many"], code="too_many")
        null_characters = validators.ProhibitNullCharactersValidator()
        for item in value:
            null_characters(item)
            if len(item) > MAX_FILTER_VALUE_LENGTH:
                raise forms.ValidationError(self.error_messages["too_long"], code="too_long")
        super().validate(value)


class MultiValueCharFilter(django_filters.MultipleChoiceFilter):
    """The one multi-value filter (NetBox's ``MultiValueCharFilter``): any of the values.

    ``status = MultiValueCharFilter(choices=ExecutionStatus.choices)`` takes
    ``?status=failed,timed_out`` or ``?status=failed&status=timed_out``; without `choices`
    it takes any values (``?action=workflow.created,workflow.deleted``). One ``IN`` clause,
    no ``DISTINCT``: the filtered fields are columns of the listed model.
    """

    field_class = MultiValueField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        kwargs.setdefault("help_text", MULTI_VALUE_HELP)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})
