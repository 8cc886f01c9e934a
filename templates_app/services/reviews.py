"""Reviews of published templates and the rating aggregates they drive."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, F, Sum

from synapscale.models import Membership
from synapscale.services.audit import audit_changes, audit_snapshot, record_audit_event
from synapscale.services.updates import model_update
from templates_app.models import Review, ReviewHelpfulVote, Template
from templates_app.ranking import bayesian_rating
from templates_app.services.common import conflict, invalidate_marketplace, require_staff

REVIEW_FIELDS = frozenset({"rating", "title", "body"})


def template_rating_refresh(*, template_id: int) -> None:
    """Recompute a template's rating aggregates from its visible reviews.

    Call inside the transaction that changed a review, after `_lock_template_for_reviews`:
    the row lock makes concurrent reviews of one template take turns, and each recomputes
    from the committed reviews, so no update is lost.
    """
    totals = Review.objects.filter(template_id=template_id, is_hidden=False).aggregate(
        count=Count("id"), total=Sum("rating"), average=Avg("rating")
    )
    count, total = totals["count"], totals["total"] or 0
    average = Decimal(totals["average"] or 0).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    Template.objects.filter(pk=template_id).update(
        rating_avg=average,
        rating_count=count,
        rating_score=bayesian_rating(rating_sum=total, rating_count=count),
    )


def _lock_template_for_reviews(template_id: int) -> Template:
    return Template.objects.select_for_update().get(pk=template_id)


def _clean_review(review: Review) -> None:
    review.full_clean(exclude=["template", "user"], validate_unique=False)


@transaction.atomic
def review_create(*, template: Template, user, rating: int, title: str = "", body: str = ""):
    """Review a published template; one review per user, never one's own template."""
    template = _lock_template_for_reviews(template.pk)
    if not template.is_published:
        raise conflict("Only published templates can be reviewed.", status=template.status)
    if template.author_id == user.pk:
        raise PermissionDenied("You cannot review your own template.")
    if Membership.objects.filter(workspace_id=template.workspace_id, user=user).exists():
        # Teammates of the author would be rating their own work.
        raise PermissionDenied("You cannot review a template of a workspace you belong to.")
    review = Review(template=template, user=user, rating=rating, title=title, body=body)
    _clean_review(review)
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError as exc:
        raise conflict(
            "You have already reviewed this template; edit your review instead.",
            template="Already reviewed.",
        ) from exc
    template_rating_refresh(template_id=template.pk)
    invalidate_marketplace()
    record_audit_event(
        action="review.created", target=review, actor=user, changes=audit_changes({}, review)
    )
    return review


@transaction.atomic
def review_update(*, review: Review, user, **changes) -> Review:
    """Edit one's own review."""
    unknown = set(changes) - REVIEW_FIELDS
    if unknown:
        raise ValidationError({key: ["Unknown field."] for key in sorted(unknown)})
    if review.user_id != user.pk:
        raise PermissionDenied("You can only edit your own review.")
    _lock_template_for_reviews(review.template_id)
    review = Review.objects.get(pk=review.pk)
    before = audit_snapshot(review)
    review, has_updated = model_update(
        instance=review, fields=REVIEW_FIELDS, data=changes, clean=_clean_review
    )
    if not has_updated:
        return review
    record_audit_event(
        action="review.updated", target=review, actor=user, changes=audit_changes(before, review)
    )
    template_rating_refresh(template_id=review.template_id)
    invalidate_marketplace()
    return review


@transaction.atomic
def review_delete(*, review: Review, user) -> None:
    """Delete one's own review (staff may delete any)."""
    if review.user_id != user.pk and not user.is_staff:
        raise PermissionDenied("You can only delete your own review.")
    _lock_template_for_reviews(review.template_id)
    template_id = review.template_id
    record_audit_event(
        action="review.deleted",
        target=review,
        actor=user,
        changes=audit_changes(audit_snapshot(review, fields=["template", "user", "rating"]), None),
    )
    review.delete()
    template_rating_refresh(template_id=template_id)
    invalidate_marketplace()


@transaction.atomic
def review_set_hidden(*, review: Review, user, hidden: bool) -> Review:
    """Hide an abusive review from everyone but its writer (staff), or show it again."""
    require_staff(user, permission="templates_app.change_review")
    _lock_template_for_reviews(review.template_id)
    updated = Review.objects.filter(pk=review.pk).exclude(is_hidden=hidden).update(is_hidden=hidden)
    if updated:
        template_rating_refresh(template_id=review.template_id)
        invalidate_marketplace()
        record_audit_event(
            action="review.hidden" if hidden else "review.shown",
            target=review,
            actor=user,
            changes={"is_hidden": {"before": not hidden, "after": hidden}},
        )
    review.is_hidden = hidden
    return review


@transaction.atomic
def review_mark_helpful(*, review: Review, user) -> Review:
    """Count `user` as finding the review helpful; once per user, not on one's own review."""
    if review.user_id == user.pk:
        raise PermissionDenied("You cannot vote for your own review.")
    try:
        with transaction.atomic():
            ReviewHelpfulVote.objects.create(review=review, user=user)
    except IntegrityError as exc:
        raise conflict("You already found this review helpful.", review="Already voted.") from exc
    Review.objects.filter(pk=review.pk).update(helpful_count=F("helpful_count") + 1)
    record_audit_event(action="review.marked_helpful", target=review, actor=user)
    review.refresh_from_db(fields=["helpful_count"])
    return review
