"""Periodic tasks of the marketplace: declared, and doing their work on a real worker."""

import pytest
from django_redis import get_redis_connection

from config.celery_app import app
from synapscale.schedules import collect_schedule
from templates_app.constants import VIEW_COUNTS_KEY
from templates_app.models import Template
from templates_app.services.marketplace import template_view_record
from templates_app.tasks import flush_template_views, refresh_trending_scores


def test_the_schedule_declares_both_tasks_with_a_reason():
    app.loader.import_default_modules()
    entries = {entry.name: entry for entry in collect_schedule()}
    for name in ("templates.flush_views", "templates.refresh_trending"):
        assert entries[name].task in app.tasks
        assert entries[name].why


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_flush_task_on_a_worker_moves_views_into_the_database(make_template):
    template = make_template(published=True)
    for _ in range(4):
        template_view_record(template_id=template.pk)
    assert flush_template_views.delay().get(timeout=30) == 4
    assert Template.objects.get(pk=template.pk).view_count == 4
    assert not get_redis_connection("default").exists(VIEW_COUNTS_KEY)
    assert refresh_trending_scores.delay().get(timeout=30) == 0


@pytest.mark.django_db
def test_views_counted_during_a_crashed_flush_are_not_lost(make_template):
    template = make_template(published=True)
    conn = get_redis_connection("default")
    # A previous flush renamed the hash and died before writing: its counts wait there.
    conn.hset(f"{VIEW_COUNTS_KEY}:flushing", str(template.pk), 5)
    template_view_record(template_id=template.pk)
    from templates_app.services.marketplace import template_views_flush

    assert template_views_flush() == 5
    assert template_views_flush() == 1
    assert Template.objects.get(pk=template.pk).view_count == 6


@pytest.mark.django_db
def test_a_second_flusher_waits_its_turn(make_template):
    from templates_app.services.marketplace import template_views_flush

    template = make_template(published=True)
    template_view_record(template_id=template.pk)
    lock = get_redis_connection("default").lock(f"{VIEW_COUNTS_KEY}:lock", timeout=5)
    assert lock.acquire(blocking=False)
    try:
        assert template_views_flush() == 0
    finally:
        lock.release()
    assert template_views_flush() == 1
