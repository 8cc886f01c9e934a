"""Small nested representations reused by every concern."""

from django.contrib.auth import get_user_model

from synapscale.api.fields import StrictModelSerializer
from templates_app.models import Category, Template


class AuthorSerializer(StrictModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ("id", "username")
        read_only_fields = fields


class CategoryRefSerializer(StrictModelSerializer):
    class Meta:
        model = Category
        fields = ("slug", "name")
        read_only_fields = fields


class TemplateSummarySerializer(StrictModelSerializer):
    """A published template as lists show it (cards)."""

    author = AuthorSerializer(read_only=True)
    category = CategoryRefSerializer(read_only=True)

    class Meta:
        model = Template
        fields = (
            "id",
            "slug",
            "name",
            "short_description",
            "category",
            "tags",
            "version",
            "license",
            "price",
            "complexity",
            "is_featured",
            "is_verified",
            "install_count",
            "view_count",
            "rating_avg",
            "rating_count",
            "author",
            "published_at",
        )
        read_only_fields = fields
