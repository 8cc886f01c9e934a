"""What `OPTIONS` answers: the view's description, its media types, and its body fields."""

from __future__ import annotations

from rest_framework.metadata import SimpleMetadata


class ApiMetadata(SimpleMetadata):
    """DRF's metadata, without the body fields of a view that has no one serializer for them.

    DRF builds the `actions` section from `get_serializer()`, which asserts (a 500) on a
    view whose body is parsed by hand (the analyses: one body per kind).
    """

    def determine_actions(self, request, view):
        # Imported here: DRF loads this class while rest_framework.generics is loading.
        from rest_framework.generics import GenericAPIView

        declares_none = getattr(view, "serializer_class", None) is None and (
            type(view).get_serializer_class is GenericAPIView.get_serializer_class
        )
        if declares_none:
            return {}
        return super().determine_actions(request, view)
