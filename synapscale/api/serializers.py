"""Serializers for accounts and workspaces."""

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework import serializers

from synapscale.api.fields import StrictIntegerField, StrictModelSerializer
from synapscale.choices import Role, TokenScope
from synapscale.models import ApiToken, Membership, Workspace


class UserSerializer(StrictModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "first_name", "last_name", "is_staff", "date_joined"]
        read_only_fields = fields


class WorkspaceSerializer(StrictModelSerializer):
    role = serializers.SerializerMethodField()

    class Meta:
        model = Workspace
        fields = ["id", "name", "slug", "is_personal", "ingestion_key", "created_at", "role"]
        read_only_fields = fields

    def get_role(self, workspace) -> str | None:
        roles = self.context.get("roles") or {}
        return roles.get(workspace.id)


class RegisterInputSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]{3,150}$", max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(
        write_only=True, max_length=128, style={"input_type": "password"}
    )


class TokenInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        write_only=True, max_length=128, style={"input_type": "password"}
    )


class RegistrationOutputSerializer(serializers.Serializer):
    token = serializers.CharField()
    user = UserSerializer()
    workspace = WorkspaceSerializer()


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="A new token with every scope; shown this once.")
    expires_at = serializers.DateTimeField(allow_null=True)


class MeOutputSerializer(serializers.Serializer):
    user = UserSerializer()
    workspaces = WorkspaceSerializer(many=True)


class WorkspaceCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=80, required=False)


class MemberUserSerializer(StrictModelSerializer):
    """What members see of each other: no email, no staff flag."""

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "first_name", "last_name"]
        read_only_fields = fields


class MembershipSerializer(StrictModelSerializer):
    user = MemberUserSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "created_at"]
        read_only_fields = fields


class MembershipInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)


class QuotaUsageSerializer(serializers.Serializer):
    name = serializers.CharField()
    limit = StrictIntegerField()
    used = StrictIntegerField(allow_null=True, help_text="null while Redis is down")
    resets_at = serializers.DateTimeField(
        allow_null=True, help_text="The next UTC midnight for daily quotas; null otherwise."
    )


class ApiTokenSerializer(StrictModelSerializer):
    """A token as listed: never its secret, which is not stored."""

    scopes = serializers.ListField(child=serializers.ChoiceField(choices=TokenScope.choices))
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "is_active",
        ]
        read_only_fields = fields

    def get_is_active(self, token) -> bool:
        return token.revoked_at is None and (
            token.expires_at is None or token.expires_at > timezone.now()
        )


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    """A token just created, with its secret (given in the context: it is not on the model)."""

    token = serializers.SerializerMethodField(help_text="The secret: shown this once.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields

    def get_token(self, token) -> str:
        return self.context["secret"]


class ApiTokenCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=TokenScope.choices), min_length=1, max_length=4
    )
    expires_in_days = StrictIntegerField(
        required=False, allow_null=True, min_value=1, max_value=3650, help_text="Never if absent."
    )
