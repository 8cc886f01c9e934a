"""Serializer fields that only accept objects of the request's workspace."""

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
