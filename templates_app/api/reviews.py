"""Reviews: list and write a published template's reviews; edit, delete, vote on one."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from synapscale.api.permissions import TokenScopePermission
from templates_app.api.serializers.reviews import ReviewSerializer, ReviewWriteSerializer
from templates_app.filtersets import ReviewFilterSet
from templates_app.selectors.marketplace import marketplace_templates
from templates_app.selectors.reviews import reviews_for_template, reviews_visible_to
from templates_app.services import reviews


class TemplateReviewViewSet(viewsets.GenericViewSet):
    """The reviews of one published template: `/templates/{id}/reviews/`."""

    permission_classes = (IsAuthenticatedOrReadOnly, TokenScopePermission)
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilterSet
    ordering_fields = ("created_at", "rating", "helpful_count")
    ordering = ("-helpful_count", "-created_at", "-id")

    def _template(self):
        return get_object_or_404(marketplace_templates(), pk=self.kwargs["pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return reviews_visible_to(None).none()
        return reviews_for_template(template_id=self._template().pk, user=self.request.user)

    @extend_schema(summary="List a published template's reviews")
    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ReviewSerializer(page, many=True).data)

    @extend_schema(
        summary="Review a published template (once; not your own)",
        request=ReviewWriteSerializer,
        responses={201: ReviewSerializer},
    )
    def create(self, request, *args, **kwargs):
        template = self._template()
        data = ReviewWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = reviews.review_create(template=template, user=request.user, **data.validated_data)
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


@extend_schema_view(retrieve=extend_schema(summary="Get a review"))
class ReviewViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One review: read it, edit or delete your own, say it helped."""

    permission_classes = (IsAuthenticated, TokenScopePermission)
    serializer_class = ReviewSerializer
    http_method_names = ("get", "post", "patch", "delete", "head", "options")

    def get_queryset(self):
        return reviews_visible_to(self.request.user)

    @extend_schema(
        summary="Edit your review",
        request=ReviewWriteSerializer,
        responses={200: ReviewSerializer},
    )
    def partial_update(self, request, *args, **kwargs):
        data = ReviewWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        review = reviews.review_update(
            review=self.get_object(), user=request.user, **data.validated_data
        )
        return Response(ReviewSerializer(review).data)

    @extend_schema(summary="Delete your review", request=None, responses={204: None})
    def destroy(self, request, *args, **kwargs):
        reviews.review_delete(review=self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Mark a review as helpful (once per user)",
        request=None,
        responses={200: ReviewSerializer},
    )
    @action(detail=True, methods=["post"])
    def helpful(self, request, *args, **kwargs):
        review = reviews.review_mark_helpful(review=self.get_object(), user=request.user)
        return Response(ReviewSerializer(review).data)
