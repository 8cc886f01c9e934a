"""Serializers of reviews."""

from rest_framework import serializers

from synapscale.api.fields import StrictIntegerField, StrictModelSerializer
from templates_app.api.serializers.common import AuthorSerializer
from templates_app.models import Review


class ReviewSerializer(StrictModelSerializer):
    user = AuthorSerializer(read_only=True)

    class Meta:
        model = Review
        fields = (
            "id",
            "template",
            "user",
            "rating",
            "title",
            "body",
            "helpful_count",
            "is_hidden",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class ReviewWriteSerializer(serializers.Serializer):
    rating = StrictIntegerField(min_value=1, max_value=5)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    body = serializers.CharField(max_length=10000, required=False, allow_blank=True)
