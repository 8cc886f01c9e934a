"""Keeping the ranking scores right: the trending refresh and the unrated-score backfill."""

from datetime import timedelta

import pytest
from django.utils import timezone

from templates_app.models import Template, TemplateInstall
from templates_app.ranking import bayesian_rating, trending_weight
from templates_app.services.marketplace import trending_scores_refresh
from templates_app.services.reviews import review_create
from tests.templates_app.factories import install_at

pytestmark = pytest.mark.django_db


def test_trending_refresh_skips_changes_within_the_tolerance(catalogue, user):
    now = timezone.now()
    install_at(catalogue["slack"], user, now - timedelta(days=1))
    assert trending_scores_refresh(now=now) == 1
    # 15 minutes of decay (0.4%) is not worth a write; a day of it (29%) is.
    assert trending_scores_refresh(now=now + timedelta(minutes=15)) == 0
    assert trending_scores_refresh(now=now + timedelta(days=1)) == 1
    # Once its installs leave the 7-day window the template goes back to 0.
    assert trending_scores_refresh(now=now + timedelta(days=7)) == 1
    assert Template.objects.get(pk=catalogue["slack"].pk).trending_score == 0


def test_trending_refresh_writes_decayed_and_expired_scores_in_one_batch(catalogue, user):
    now = timezone.now()
    install_at(catalogue["slack"], user, now - timedelta(days=1))
    install_at(catalogue["crm"], user, now - timedelta(days=6, hours=23))
    assert trending_scores_refresh(now=now) == 2
    later = now + timedelta(hours=6)  # crm's install leaves the window, slack's decays 9%
    assert trending_scores_refresh(now=later) == 2
    scores = dict(Template.objects.values_list("name", "trending_score"))
    assert scores["CRM lead sync"] == 0
    assert scores["Slack incident alerts"] == pytest.approx(trending_weight(timedelta(hours=30)))


def test_migration_0005_backfills_unreviewed_templates_with_the_prior(make_template, other_user):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("templates_app.migrations.0005_unrated_score_is_the_prior_mean")
    stale = make_template(name="Stale zero", published=True)
    rated = make_template(name="Rated", published=True)
    review_create(template=rated, user=other_user, rating=5)
    Template.objects.filter(pk=stale.pk).update(rating_score=0)  # as rows stored before 0005
    migration.backfill_unrated_scores(apps, None)
    scores = dict(Template.objects.values_list("name", "rating_score"))
    assert scores["Stale zero"] == 3.5
    assert scores["Rated"] == bayesian_rating(rating_sum=5, rating_count=1)


def test_an_install_landing_during_the_trending_refresh_is_not_overwritten(
    make_template, other_user, other_workspace, user, workspace, monkeypatch
):
    from templates_app.services import marketplace

    hot = make_template(name="Hot", published=True)
    first = marketplace.template_install(template=hot, user=other_user, workspace=other_workspace)
    # A day old: its stored weight 1.0 has drifted to 0.71, so the refresh rewrites this row.
    TemplateInstall.objects.filter(pk=first.install.pk).update(
        created_at=timezone.now() - timedelta(days=1)
    )
    real_sorted = sorted
    landed = []

    def sorted_then_install(items, *args, **kwargs):
        # After the refresh has read which scores drifted, before it writes: the old refresh
        # had computed every score by then and wrote 0.71 over this install's +1.
        if not landed:
            # Another workspace: only a workspace's first install weighs.
            landed.append(
                marketplace.template_install(template=hot, user=user, workspace=workspace)
            )
        return real_sorted(items, *args, **kwargs)

    monkeypatch.setattr(marketplace, "sorted", sorted_then_install, raising=False)
    marketplace.trending_scores_refresh()
    assert landed
    expected = trending_weight(timedelta(days=1)) + 1.0  # both installs, none overwritten
    assert Template.objects.get(pk=hot.pk).trending_score == pytest.approx(expected, abs=0.01)


@pytest.mark.django_db(transaction=True)
def test_an_install_committing_while_the_refresh_writes_is_counted(make_template):
    import threading
    import time

    from django.db import connection, transaction

    from templates_app.services import marketplace
    from tests.conftest import make_user

    buyer, second_buyer = make_user("buyer"), make_user("second-buyer")
    workspace = buyer.memberships.get().workspace
    second_workspace = second_buyer.memberships.get().workspace
    hot = make_template(name="Hot", published=True)
    first = marketplace.template_install(template=hot, user=buyer, workspace=workspace)
    TemplateInstall.objects.filter(pk=first.install.pk).update(
        created_at=timezone.now() - timedelta(days=1)
    )
    holding, errors = threading.Event(), []

    def install_and_commit_late():
        # Installed and +1 written, row locked, not yet committed when the refresh reaches it.
        try:
            with transaction.atomic():
                # Another workspace: only a workspace's first install weighs.
                marketplace.template_install(
                    template=hot, user=second_buyer, workspace=second_workspace
                )
                holding.set()
                time.sleep(0.5)
        except Exception as exc:  # pragma: no cover - surfaced by the assertion below
            errors.append(exc)
        finally:
            holding.set()
            connection.close()

    thread = threading.Thread(target=install_and_commit_late)
    thread.start()
    holding.wait(timeout=10)
    marketplace.trending_scores_refresh()
    thread.join()
    assert errors == []
    expected = trending_weight(timedelta(days=1)) + 1.0
    assert Template.objects.get(pk=hot.pk).trending_score == pytest.approx(expected, abs=0.01)
