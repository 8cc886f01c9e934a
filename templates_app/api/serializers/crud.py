"""Serializers of a workspace's templates and their lifecycle."""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from executions.engine.credentials import credential_names
from synapscale.api.fields import StrictDecimalField, StrictIntegerField, StrictModelSerializer
from templates_app.api.serializers.common import AuthorSerializer, CategoryRefSerializer
from templates_app.choices import License, VersionStatus
from templates_app.constants import MAX_TAG_LENGTH, MAX_TAGS
from templates_app.models import ModerationEntry, Template, TemplateVersion
from templates_app.services.common import check_definition_bounds
from templates_app.services.moderation import MAX_REASON_LENGTH
from templates_app.versioning import MAX_VERSION_LENGTH, SEMVER_PATTERN, parse_version

# JSON Schema patterns are ECMA-262: no named groups.
SEMVER_SCHEMA_PATTERN = "^" + re.sub(r"\(\?P<\w+>", "(", SEMVER_PATTERN) + "$"


@extend_schema_field(
    {"type": "string", "pattern": SEMVER_SCHEMA_PATTERN, "maxLength": MAX_VERSION_LENGTH}
)
class SemverField(serializers.CharField):
    """A semantic version (checked by `parse_version`; the schema carries its pattern)."""


class TemplateVersionSerializer(StrictModelSerializer):
    # Both are unset until the version is submitted / published (and after the user left).
    published_by = AuthorSerializer(read_only=True, allow_null=True)
    submitted_by = AuthorSerializer(read_only=True, allow_null=True)

    class Meta:
        model = TemplateVersion
        fields = (
            "id",
            "version",
            "status",
            "rejection_reason",
            "changelog",
            "definition",
            "required_variables",
            "listing",
            "submitted_by",
            "submitted_at",
            "published_by",
            "published_at",
        )
        read_only_fields = fields


class TemplateSerializer(StrictModelSerializer):
    author = AuthorSerializer(read_only=True)
    category = CategoryRefSerializer(read_only=True)
    pending_version = serializers.SerializerMethodField(
        help_text="The new version awaiting staff review (the marketplace serves `version` "
        "until it is approved), or null."
    )
    required_credentials = serializers.SerializerMethodField(
        help_text="The names of the credentials the definition uses (no secrets: installers "
        "map each to one of their workspace's)."
    )

    class Meta:
        model = Template
        fields = (
            "id",
            "slug",
            "name",
            "short_description",
            "description",
            "category",
            "tags",
            "definition",
            "version",
            "changelog",
            "status",
            "rejection_reason",
            "is_featured",
            "is_verified",
            "license",
            "price",
            "complexity",
            "required_variables",
            "required_credentials",
            "install_count",
            "view_count",
            "rating_avg",
            "rating_count",
            "author",
            "published_at",
            "created_at",
            "updated_at",
            "pending_version",
        )
        read_only_fields = fields

    def get_required_credentials(self, template) -> list[str]:
        return credential_names(template.definition)

    @extend_schema_field(TemplateVersionSerializer(allow_null=True))
    def get_pending_version(self, template) -> dict | None:
        pending = getattr(template, "pending_versions", None)
        if pending is None:  # not prefetched (a template fresh from a service)
            pending = list(
                template.versions.filter(status=VersionStatus.PENDING_REVIEW).select_related(
                    "published_by", "submitted_by"
                )
            )
        return TemplateVersionSerializer(pending[0]).data if pending else None


class DefinitionField(serializers.JSONField):
    """A JSON definition, bounded in depth and size before DRF's json.dumps walks it."""

    def to_internal_value(self, data):
        try:
            check_definition_bounds(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["definition"]) from exc
        return super().to_internal_value(data)


class TemplateWriteSerializer(serializers.Serializer):
    """Input of create (all required fields) and update (partial)."""

    name = serializers.CharField(max_length=120)
    category = serializers.SlugField(help_text="A category slug, e.g. `automation`.")
    definition = DefinitionField(help_text="A workflow definition (nodes and edges).")
    short_description = serializers.CharField(max_length=280, required=False, allow_blank=True)
    description = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TAG_LENGTH),
        max_length=MAX_TAGS,
        required=False,
    )
    # Not trimmed: "1.0.0\n" is not a version, and a silently edited one would surprise.
    version = SemverField(
        max_length=MAX_VERSION_LENGTH,
        required=False,
        trim_whitespace=False,
        help_text="Semver: 1.2.0",
    )
    changelog = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    license = serializers.ChoiceField(choices=License.choices, required=False)
    price = StrictDecimalField(max_digits=10, decimal_places=2, min_value=0, required=False)
    complexity = StrictIntegerField(min_value=1, max_value=5, required=False)
    required_variables = serializers.JSONField(
        required=False,
        help_text='[{"name": "channel", "type": "string", "required": true, "description": ""}]',
    )

    def validate_version(self, value):
        try:
            parse_version(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return value


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_REASON_LENGTH, allow_blank=True, required=False)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_REASON_LENGTH)


class ModerationEntrySerializer(StrictModelSerializer):
    actor = AuthorSerializer(read_only=True, allow_null=True)  # a task, or a deleted user

    class Meta:
        model = ModerationEntry
        fields = ("id", "action", "reason", "version", "actor", "created_at")
        read_only_fields = fields
