"""FilterSets of accounts, shared by the API and the admin."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone

from synapscale.choices import TokenScope
from synapscale.models import ApiToken


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
