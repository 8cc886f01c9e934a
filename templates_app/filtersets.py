"""FilterSets of templates, shared by the API and the admin."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.text import slugify
from drf_spectacular.utils import extend_schema_field

from synapscale.api.filters import MultiValueCharFilter, MultiValueField
from templates_app.choices import License, MarketplaceSort, TemplateStatus
from templates_app.models import Category, Collection, Review, Template
from templates_app.selectors.marketplace import marketplace_search

MAX_QUERY_LENGTH = 200


TAGS_HELP = "Tags, all required: repeat the parameter or separate them with commas."


class TagsField(MultiValueField):
    """Tags as slugs; a value that holds no tag (``?tags=,,,``) is an error, not no filter."""

    def to_python(self, value) -> list[str]:
        tags = [slugify(tag) for tag in super().to_python(value) if slugify(tag)]
        items = value if isinstance(value, list | tuple) else [value]
        if not tags and any(str(item or "").strip() for item in items):
            raise forms.ValidationError("Give comma-separated tags.", code="no_tags")
        return tags


# The item's schema (the filter makes it an array): `tags` is an array column, which the
# schema would otherwise read as the type of each value.
@extend_schema_field({"type": "string", "description": TAGS_HELP})
class TagsFilter(MultiValueCharFilter):
    """Tags (``?tags=a,b`` or ``?tags=a&tags=b``); a template must carry every one (GIN `@>`)."""

    field_class = TagsField

    def filter(self, queryset, value):
        return queryset.filter(tags__contains=value) if value else queryset


class TemplateFilterSet(django_filters.FilterSet):
    """Filters of a workspace's own templates."""

    status = django_filters.ChoiceFilter(choices=TemplateStatus.choices)
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(), to_field_name="slug"
    )
    tags = TagsFilter(help_text=TAGS_HELP)
    license = django_filters.ChoiceFilter(choices=License.choices)
    is_featured = django_filters.BooleanFilter()
    is_verified = django_filters.BooleanFilter()

    class Meta:
        model = Template
        fields = ["status", "category", "tags", "license", "is_featured", "is_verified"]


class MarketplaceTemplateFilterSet(django_filters.FilterSet):
    """The marketplace search: text, filters and sort over published templates."""

    q = django_filters.CharFilter(
        method="filter_noop", max_length=MAX_QUERY_LENGTH, help_text="Words to search for."
    )
    sort = django_filters.ChoiceFilter(
        choices=MarketplaceSort.choices,
        method="filter_noop",
        help_text="relevance (default with q), popular (default), trending, top_rated, newest.",
    )
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(), to_field_name="slug", help_text="A category slug."
    )
    tags = TagsFilter(help_text=TAGS_HELP)
    license = django_filters.ChoiceFilter(choices=License.choices)
    price_min = django_filters.NumberFilter(field_name="price", lookup_expr="gte", min_value=0)
    price_max = django_filters.NumberFilter(field_name="price", lookup_expr="lte", min_value=0)
    rating_min = django_filters.NumberFilter(
        field_name="rating_avg", lookup_expr="gte", min_value=0, max_value=5
    )
    complexity = django_filters.NumberFilter(min_value=1, max_value=5)
    is_featured = django_filters.BooleanFilter()
    is_verified = django_filters.BooleanFilter()
    author = django_filters.CharFilter(
        field_name="author__username", help_text="The author's username."
    )

    class Meta:
        model = Template
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.corrections: dict[str, str] = {}

    def filter_noop(self, queryset, name, value):
        # `q` and `sort` are applied together in filter_queryset, after every other filter,
        # because the sort depends on whether there is a text query.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        outcome = marketplace_search(
            queryset,
            text=self.form.cleaned_data.get("q") or "",
            sort=self.form.cleaned_data.get("sort") or "",
        )
        self.corrections = outcome.corrections
        return outcome.queryset

    def cache_params(self) -> dict:
        """Return the validated filters in a canonical form for the cache key."""
        params = {}
        for name, value in self.form.cleaned_data.items():
            if value in (None, "", []):
                continue
            if isinstance(value, list):  # tags: all required, in any order
                params[name] = ",".join(sorted(value))
            else:
                params[name] = value.slug if isinstance(value, Category) else str(value)
        return params


class CollectionFilterSet(django_filters.FilterSet):
    class Meta:
        model = Collection
        fields = ["is_public", "is_featured"]


class ReviewFilterSet(django_filters.FilterSet):
    rating = django_filters.NumberFilter(min_value=1, max_value=5)

    class Meta:
        model = Review
        fields = ["rating"]
