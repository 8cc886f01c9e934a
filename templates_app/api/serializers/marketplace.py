"""Serializers of the public marketplace."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from executions.engine.credentials import credential_names
from executions.models import Workflow
from synapscale.api.fields import StrictBooleanField, StrictIntegerField, StrictModelSerializer
from templates_app.api.serializers.common import (
    AuthorSerializer,
    CategoryRefSerializer,
    TemplateSummarySerializer,
)
from templates_app.choices import License
from templates_app.models import Category, Collection, Template, TemplateInstall
from templates_app.variables import definition_outline


class MarketplaceTemplateDetailSerializer(StrictModelSerializer):
    """A template's public page: the full definition for free ones, its outline otherwise."""

    author = AuthorSerializer(read_only=True)
    category = CategoryRefSerializer(read_only=True)
    definition = serializers.SerializerMethodField(
        help_text="Free templates: the definition. Paid ones: nodes (id, type) and edges only."
    )

    @extend_schema_field(serializers.JSONField())
    def get_definition(self, template) -> dict:
        if template.license == License.FREE:
            return template.definition
        return definition_outline(template.definition)

    required_credentials = serializers.SerializerMethodField(
        help_text="The names of the credentials the definition uses: installing maps each to "
        "one of your workspace's (a template never holds secrets)."
    )

    def get_required_credentials(self, template) -> list[str]:
        return credential_names(template.definition)

    class Meta:
        model = Template
        fields = (
            *TemplateSummarySerializer.Meta.fields,
            "description",
            "changelog",
            "definition",
            "required_variables",
            "required_credentials",
        )
        read_only_fields = fields


class CategorySerializer(StrictModelSerializer):
    template_count = StrictIntegerField(read_only=True)

    class Meta:
        model = Category
        fields = ("slug", "name", "description", "position", "template_count")
        read_only_fields = fields


class TopAuthorSerializer(serializers.Serializer):
    id = StrictIntegerField(source="author_id")
    username = serializers.CharField(source="author__username")
    template_count = StrictIntegerField()
    install_count = StrictIntegerField()


class CollectionCardSerializer(StrictModelSerializer):
    owner = AuthorSerializer(read_only=True)
    template_count = StrictIntegerField(read_only=True)

    class Meta:
        model = Collection
        fields = ("id", "slug", "name", "description", "owner", "template_count")
        read_only_fields = fields


class MarketplaceHomeSerializer(serializers.Serializer):
    featured = TemplateSummarySerializer(many=True)
    trending = TemplateSummarySerializer(many=True)
    newest = TemplateSummarySerializer(many=True)
    top_rated = TemplateSummarySerializer(many=True)
    top_categories = CategorySerializer(many=True)
    top_authors = TopAuthorSerializer(many=True)
    featured_collections = CollectionCardSerializer(many=True)


class CachedMixin(serializers.Serializer):
    is_cached = StrictBooleanField(read_only=True)
    cached_at = serializers.DateTimeField(read_only=True, allow_null=True)


class MarketplaceHomeResponseSerializer(MarketplaceHomeSerializer, CachedMixin):
    pass


class MarketplaceSearchResponseSerializer(CachedMixin):
    count = StrictIntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    corrections = serializers.DictField(
        child=serializers.CharField(), help_text="Typed word -> the word also searched."
    )
    results = TemplateSummarySerializer(many=True)


class MarketplaceDetailResponseSerializer(MarketplaceTemplateDetailSerializer, CachedMixin):
    class Meta(MarketplaceTemplateDetailSerializer.Meta):
        fields = (*MarketplaceTemplateDetailSerializer.Meta.fields, "is_cached", "cached_at")


class CategoryPageSerializer(CachedMixin):
    count = StrictIntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CategorySerializer(many=True)


class InstallSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Workflow name."
    )
    variables = serializers.DictField(
        required=False, help_text="Values of the template's variables, by name."
    )
    credentials = serializers.DictField(
        child=serializers.CharField(max_length=100),
        required=False,
        help_text="For each of the template's `required_credentials`, the name of the "
        "credential of your workspace to use; a name left out uses your credential of the "
        "same name (400 if there is none).",
    )


class InstallRefSerializer(StrictModelSerializer):
    class Meta:
        model = TemplateInstall
        fields = ("id", "template", "version", "created_at")
        read_only_fields = fields


class InstalledWorkflowSerializer(StrictModelSerializer):
    """The workflow an install created, with the install record."""

    install = serializers.SerializerMethodField()

    class Meta:
        model = Workflow
        fields = (
            "id",
            "name",
            "description",
            "definition",
            "version",
            "is_active",
            "created_at",
            "install",
        )
        read_only_fields = fields

    @extend_schema_field(InstallRefSerializer)
    def get_install(self, workflow) -> dict:
        return InstallRefSerializer(self.context["install"]).data
