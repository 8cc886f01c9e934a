"""Periodic tasks of the marketplace: declared, and doing their work on a real worker."""

import contextlib

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
    for visitor in range(4):
        template_view_record(template_id=template.pk, visitor=f"v{visitor}")
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
    template_view_record(template_id=template.pk, visitor="v")
    from templates_app.services.marketplace import template_views_flush

    assert template_views_flush() == 5
    assert template_views_flush() == 1
    assert Template.objects.get(pk=template.pk).view_count == 6


@pytest.mark.django_db
def test_a_second_flusher_waits_its_turn(make_template):
    from templates_app.services.marketplace import template_views_flush

    template = make_template(published=True)
    template_view_record(template_id=template.pk, visitor="v")
    lock = get_redis_connection("default").lock(f"{VIEW_COUNTS_KEY}:lock", timeout=5)
    assert lock.acquire(blocking=False)
    try:
        assert template_views_flush() == 0
    finally:
        lock.release()
    assert template_views_flush() == 1


@pytest.mark.django_db
def test_a_redis_failure_after_the_database_write_never_counts_views_twice(
    make_template, monkeypatch
):
    from redis.exceptions import ConnectionError as RedisConnectionError

    from templates_app.services import marketplace

    template = make_template(published=True)
    for visitor in range(3):
        template_view_record(template_id=template.pk, visitor=f"v{visitor}")
    conn = get_redis_connection("default")
    real_delete = conn.delete
    failures = []

    def delete_failing_once(*keys):
        # The flush used to write the database, then delete the hash: a blip here made the
        # retry (the task autoretries on it) add the same views again.
        if not failures:
            failures.append(keys)
            raise RedisConnectionError("blip")
        return real_delete(*keys)

    monkeypatch.setattr(conn, "delete", delete_failing_once)
    monkeypatch.setattr(marketplace, "get_redis_connection", lambda alias: conn)
    with contextlib.suppress(RedisConnectionError):  # the old order failed here, after the UPDATE
        marketplace.template_views_flush()
    marketplace.template_views_flush()  # the retry
    assert Template.objects.get(pk=template.pk).view_count == 3


@pytest.mark.django_db
def test_views_go_back_to_redis_when_the_database_write_fails(make_template):
    from django.db import DataError

    from templates_app.services.marketplace import template_views_flush

    template = make_template(published=True)
    # bigint's maximum: adding a view overflows, a real database error.
    Template.objects.filter(pk=template.pk).update(view_count=2**63 - 1)
    for visitor in range(2):
        template_view_record(template_id=template.pk, visitor=f"v{visitor}")
    with pytest.raises(DataError):
        template_views_flush()
    conn = get_redis_connection("default")
    assert conn.hget(VIEW_COUNTS_KEY, str(template.pk)) == b"2"
    assert not conn.exists(f"{VIEW_COUNTS_KEY}:flushing")
    Template.objects.filter(pk=template.pk).update(view_count=0)
    assert template_views_flush() == 2
    assert Template.objects.get(pk=template.pk).view_count == 2
