"""django-filter FilterSets of the platform, shared by the API, exports and the admin."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone

from synapscale.api.filters import MultiValueCharFilter, StorableIsoDateTimeFilter
from synapscale.choices import TokenScope
from synapscale.models import ApiToken, AuditEvent


class AuditEventFilterSet(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_label", max_length=150)
    actor_user = django_filters.NumberFilter(field_name="actor_user_id", min_value=1)
    action = MultiValueCharFilter(field_name="action")
    entity = django_filters.CharFilter(method="filter_entity", max_length=100)
    target_type = django_filters.CharFilter(max_length=100)
    target_id = django_filters.CharFilter(max_length=64)
    created_after = StorableIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = StorableIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ()

    def filter_entity(self, queryset, name, value):
        """``?entity=workflow``: every action on workflows (``workflow.*``)."""
        return queryset.filter(action__startswith=f"{value}.")


def _live() -> Q:
    return Q(revoked_at__isnull=True) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )


class ApiTokenFilterSet(django_filters.FilterSet):
    active = django_filters.BooleanFilter(
        method="filter_active", help_text="true: neither revoked nor expired."
    )
    scope = django_filters.ChoiceFilter(
        choices=TokenScope.choices, method="filter_scope", help_text="Tokens that have it."
    )
    name = django_filters.CharFilter(lookup_expr="icontains", max_length=100)

    class Meta:
        model = ApiToken
        fields = ["active", "scope", "name"]

    def filter_active(self, queryset, name, value):
        return queryset.filter(_live()) if value else queryset.exclude(_live())

    def filter_scope(self, queryset, name, value):
        return queryset.filter(scopes__contains=[value])
