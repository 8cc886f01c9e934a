"""Serializer fields: references limited to the request's workspace, and strict types."""

from rest_framework import serializers


class WorkspaceRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary-key reference limited to the request's workspace.

    Without it, a member of workspace A could attach B's object by guessing its id. The
    id of another workspace's object answers the same "does not exist" as a wrong id.
    """

    def __init__(self, *, workspace_field: str = "workspace", **kwargs):
        self.workspace_field = workspace_field
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        workspace = getattr(request, "workspace", None)
        if workspace is None:
            return queryset.none()
        return queryset.filter(**{self.workspace_field: workspace})


class StrictBooleanField(serializers.BooleanField):
    """`true` or `false` only (and their spelling in a form): 0, 1, "yes" are refused.

    DRF's BooleanField takes 0/1, "yes"/"no", "on"/"off": a client that sent a number by
    mistake would be stored a boolean it never meant.
    """

    FORM_VALUES = {"true": True, "false": False}

    def to_internal_value(self, data):
        # Not a set lookup: 0 == False and 1 == True would get through one.
        if isinstance(data, bool):
            return data
        if isinstance(data, str) and data in self.FORM_VALUES:
            return self.FORM_VALUES[data]
        if data is None and self.allow_null:
            return None
        self.fail("invalid", input=data)


class _RefusesBooleans:
    """JSON's true/false are not numbers (DRF stores `false` as 0)."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(_RefusesBooleans, serializers.IntegerField):
    pass


class StrictFloatField(_RefusesBooleans, serializers.FloatField):
    pass


class StrictDecimalField(_RefusesBooleans, serializers.DecimalField):
    pass


STRICT_OF = {
    serializers.BooleanField: StrictBooleanField,
    serializers.IntegerField: StrictIntegerField,
    serializers.FloatField: StrictFloatField,
    serializers.DecimalField: StrictDecimalField,
}


class StrictModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose generated boolean and number fields are the strict ones."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **{
            model_field: strict
            for model_field, lenient in serializers.ModelSerializer.serializer_field_mapping.items()
            for strict in [STRICT_OF.get(lenient)]
            if strict is not None
        },
    }
