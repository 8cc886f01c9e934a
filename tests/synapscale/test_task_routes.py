"""Every task has a queue of its workload, and its messages arrive there on the real broker."""

import pytest
from django.conf import settings

from config.celery_app import app
from config.settings.queues import ANALYTICS_QUEUE, MAINTENANCE_QUEUE, WORKLOAD_QUEUES
from synapscale.schedules import collect_schedule


def registered_tasks() -> set[str]:
    """The tasks the apps register (autodiscovered), without Celery's and the tests' own."""
    app.loader.import_default_modules()
    return {name for name in app.tasks if not name.startswith(("celery.", "tests."))}


def routed_queue(name: str) -> str:
    queue = app.amqp.router.route({}, name)["queue"]
    return queue.name


def test_every_registered_task_has_a_route_to_one_of_the_four_queues():
    tasks = registered_tasks()
    assert sorted(tasks - set(settings.CELERY_TASK_ROUTES)) == []
    assert sorted(set(settings.CELERY_TASK_ROUTES) - tasks) == []  # no route left behind
    assert {
        name: routed_queue(name) for name in tasks if routed_queue(name) not in WORKLOAD_QUEUES
    } == {}
    assert {routed_queue(name) for name in tasks} == set(WORKLOAD_QUEUES)


def test_a_periodic_entry_that_names_a_queue_agrees_with_its_tasks_route():
    for entry in collect_schedule():
        assert entry.queue in (None, routed_queue(entry.task)), entry.name


@pytest.fixture
def empty_queues():
    app.control.purge()
    yield
    app.control.purge()


def waiting(queue: str) -> int:
    with app.connection_for_read() as connection:
        return connection.default_channel.queue_declare(queue=queue).message_count


def test_an_export_and_a_prune_are_sent_to_the_analytics_and_maintenance_queues(empty_queues):
    from analytics.tasks import export_build_task
    from executions.tasks import prune_executions

    export_build_task.delay(0)
    prune_executions.delay()
    assert [waiting(queue) for queue in WORKLOAD_QUEUES] == [
        1 if queue in (ANALYTICS_QUEUE, MAINTENANCE_QUEUE) else 0 for queue in WORKLOAD_QUEUES
    ]
