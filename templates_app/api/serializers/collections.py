"""Serializers of collections and favorites."""

from rest_framework import serializers

from synapscale.api.fields import StrictBooleanField, StrictIntegerField, StrictModelSerializer
from templates_app.api.serializers.common import AuthorSerializer, TemplateSummarySerializer
from templates_app.models import Collection, CollectionItem, Favorite
from templates_app.services.collections import MAX_ITEMS


class CollectionItemSerializer(StrictModelSerializer):
    template = TemplateSummarySerializer(read_only=True)

    class Meta:
        model = CollectionItem
        fields = ("template", "position", "note", "added_at")
        read_only_fields = fields


class CollectionSerializer(StrictModelSerializer):
    owner = AuthorSerializer(read_only=True)
    items = CollectionItemSerializer(many=True, read_only=True)

    class Meta:
        model = Collection
        fields = (
            "id",
            "slug",
            "name",
            "description",
            "is_public",
            "is_featured",
            "owner",
            "items",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class CollectionWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    is_public = StrictBooleanField(required=False)


class CollectionItemWriteSerializer(serializers.Serializer):
    template = StrictIntegerField(min_value=1, help_text="A published template's id.")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class CollectionReorderSerializer(serializers.Serializer):
    templates = serializers.ListField(
        child=StrictIntegerField(min_value=1),
        max_length=MAX_ITEMS,
        help_text="Every template id of the collection, in the new order.",
    )


class FavoriteSerializer(StrictModelSerializer):
    template = TemplateSummarySerializer(read_only=True)

    class Meta:
        model = Favorite
        fields = ("template", "created_at")
        read_only_fields = fields


class FavoriteWriteSerializer(serializers.Serializer):
    template = StrictIntegerField(min_value=1, help_text="A published template's id.")
