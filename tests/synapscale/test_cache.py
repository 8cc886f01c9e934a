"""synapscale.cache against the real Redis: hits, misses, versions, single flight, outage."""

import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django_redis import get_redis_connection
from prometheus_client import REGISTRY

from synapscale.cache import Policy, cached_read, invalidate, register_warmer, run_warmers, warming
from synapscale.cache.keys import normalize_params

DOWN_CACHE = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


class Counter:
    """A compute function that counts its calls and returns a new value each time."""

    def __init__(self, delay=0.0):
        self.calls = 0
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            self.calls += 1
            calls = self.calls
        time.sleep(self.delay)
        return {"value": calls}


def read(compute, *, workspace_id=1, params=None, refresh=False, namespace="test.ns"):
    return cached_read(
        namespace=namespace,
        policy=Policy.REALTIME,
        workspace_id=workspace_id,
        params=params or {"a": 1},
        compute=compute,
        refresh=refresh,
    )


def metric(policy, result):
    value = REGISTRY.get_sample_value(
        "synapscale_cache_requests_total", {"policy": policy, "result": result}
    )
    return value or 0.0


def test_miss_then_hit():
    compute = Counter()
    first = read(compute)
    second = read(compute)
    assert (first.is_cached, first.cached_at) == (False, None)
    assert second.is_cached and second.cached_at is not None
    assert first.value == second.value == {"value": 1}
    assert compute.calls == 1


def test_entry_expires_with_the_policy_ttl():
    read(Counter())
    conn = get_redis_connection("default")
    keys = [k for k in conn.scan_iter(match="synapscale:c:test.ns:*") if not k.endswith(b":stale")]
    assert len(keys) == 1
    assert 55 <= conn.ttl(keys[0]) <= 60


def test_payload_marks_cached_responses():
    compute = Counter()
    assert read(compute).as_payload() == {"value": 1, "is_cached": False, "cached_at": None}
    payload = read(compute).as_payload()
    assert payload["is_cached"] is True
    assert payload["cached_at"].endswith("+00:00")


def test_parameter_order_does_not_matter_but_values_do():
    compute = Counter()
    read(compute, params={"a": 1, "b": 2})
    assert read(compute, params={"b": 2, "a": 1}).is_cached
    assert not read(compute, params={"a": 1, "b": 3}).is_cached
    assert normalize_params({"b": 2, "a": 1}) == normalize_params({"a": 1, "b": 2})


def test_workspaces_do_not_share_entries():
    compute = Counter()
    read(compute, workspace_id=1)
    assert not read(compute, workspace_id=2).is_cached


def test_refresh_recomputes_and_stores():
    compute = Counter()
    read(compute)
    refreshed = read(compute, refresh=True)
    assert not refreshed.is_cached and refreshed.value == {"value": 2}
    assert read(compute).value == {"value": 2}


def test_workspace_invalidation_touches_only_that_workspace():
    compute = Counter()
    read(compute, workspace_id=1)
    read(compute, workspace_id=2)
    invalidate("test.ns", workspace_id=1)
    assert not read(compute, workspace_id=1).is_cached
    assert read(compute, workspace_id=2).is_cached


def test_global_invalidation_touches_every_workspace():
    compute = Counter()
    read(compute, workspace_id=1)
    read(compute, workspace_id=2)
    invalidate("test.ns")
    assert not read(compute, workspace_id=1).is_cached
    assert not read(compute, workspace_id=2).is_cached


def test_invalidation_of_one_namespace_leaves_others():
    compute = Counter()
    read(compute, namespace="test.a")
    read(compute, namespace="test.b")
    invalidate("test.a", workspace_id=1)
    assert read(compute, namespace="test.b").is_cached


def test_concurrent_misses_compute_once():
    compute = Counter(delay=0.3)
    results = []
    threads = [threading.Thread(target=lambda: results.append(read(compute))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert compute.calls == 1
    assert {r.value["value"] for r in results} == {1}
    assert sum(not r.is_cached for r in results) == 1


def test_waiters_get_the_stale_copy_while_one_recomputes():
    compute = Counter(delay=1.0)  # every waiter arrives while it computes
    read(compute)
    invalidate_nothing_but_expire = get_redis_connection("default")
    key = next(
        k
        for k in invalidate_nothing_but_expire.scan_iter(match="synapscale:c:test.ns:*")
        if not k.endswith(b":stale")
    )
    invalidate_nothing_but_expire.delete(key)  # the fresh copy expired; the stale one lives
    results = []
    threads = [threading.Thread(target=lambda: results.append(read(compute))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert compute.calls == 2
    stale = [r for r in results if r.is_cached]
    assert len(stale) == 3 and all(r.value == {"value": 1} for r in stale)


@override_settings(CACHES=DOWN_CACHE)
def test_redis_down_computes_and_never_raises(caplog):
    compute = Counter()
    errors_before = metric("realtime", "error")
    first = read(compute)
    second = read(compute)
    assert (first.value, second.value) == ({"value": 1}, {"value": 2})
    assert not first.is_cached and not second.is_cached
    assert metric("realtime", "error") == errors_before + 2
    assert "cache_unavailable" in caplog.text
    invalidate("test.ns", workspace_id=1)  # logged, not raised
    assert "cache_invalidate_failed" in caplog.text


def test_hits_and_misses_are_counted_per_policy():
    hits, misses = metric("realtime", "hit"), metric("realtime", "miss")
    compute = Counter()
    read(compute)
    read(compute)
    read(compute)
    assert metric("realtime", "miss") == misses + 1
    assert metric("realtime", "hit") == hits + 2


@pytest.fixture
def clean_registry():
    saved = dict(warming._registry)
    warming._registry.clear()
    yield
    warming._registry.clear()
    warming._registry.update(saved)


@pytest.mark.django_db
def test_warmers_run_per_workspace_and_survive_a_failure(
    clean_registry, workspace, other_workspace
):
    warmed = []

    def warm(target):
        if target == other_workspace:
            raise RuntimeError("boom")
        warmed.append(target.slug)
        cached_read(
            namespace="test.warm",
            policy=Policy.BUSINESS,
            workspace_id=target.id,
            params={},
            compute=lambda: {"warm": True},
            refresh=True,
        )

    register_warmer("test.warm", policy=Policy.BUSINESS, warm=warm)
    outcomes = run_warmers(policy_name="business")
    assert {(o.workspace, o.ok) for o in outcomes} == {
        (workspace.slug, True),
        (other_workspace.slug, False),
    }
    assert warmed == [workspace.slug]
    hit = cached_read(
        namespace="test.warm",
        policy=Policy.BUSINESS,
        workspace_id=workspace.id,
        params={},
        compute=lambda: {"warm": False},
    )
    assert hit.is_cached and hit.value == {"warm": True}
    assert run_warmers(policy_name="realtime") == []


@pytest.mark.django_db
def test_warm_cache_command_filters_by_policy_and_workspace(
    clean_registry, workspace, other_workspace, capsys
):
    seen = []
    register_warmer(
        "test.only",
        policy=Policy.REPORTS,
        warm=lambda ws: seen.append(ws.slug),
        workspaces=lambda: [other_workspace],
    )
    call_command("warm_cache", "--policy", "reports")
    assert seen == [other_workspace.slug]
    call_command("warm_cache", "--workspace", workspace.slug)
    assert seen == [other_workspace.slug, workspace.slug]
    assert "warmed 1, failed 0" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No workspace"):
        call_command("warm_cache", "--workspace", "nope")


@pytest.mark.django_db
def test_warm_cache_command_fails_when_a_warmer_fails(clean_registry, workspace):
    register_warmer("test.broken", policy=Policy.REALTIME, warm=lambda ws: 1 / 0)
    with pytest.raises(CommandError, match="1 warming"):
        call_command("warm_cache")


@pytest.mark.django_db
def test_cache_warm_task_runs_the_policy(clean_registry, workspace):
    from synapscale.tasks import cache_warm

    register_warmer("test.task", policy=Policy.REALTIME, warm=lambda ws: None)
    assert cache_warm.run(policy="realtime") == 1
    assert cache_warm.run(policy="business") == 0


def test_a_computation_slower_than_the_wait_is_still_computed_once(settings):
    settings.CACHE_WAIT_SECONDS = 3
    compute = Counter(delay=1.0)
    results = []
    threads = [threading.Thread(target=lambda: results.append(read(compute))) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert compute.calls == 1
    assert len(results) == 5


def test_when_the_holder_fails_a_waiter_takes_over():
    attempts = []
    gate = threading.Event()
    holding = threading.Event()

    def flaky():
        attempts.append(threading.get_ident())
        if len(attempts) == 1:
            holding.set()  # the first caller holds the lock and is computing
            gate.wait(5)
            raise RuntimeError("database hiccup")
        return {"value": "second try"}

    results, errors = [], []

    def call():
        try:
            results.append(read(flaky))
        except RuntimeError as exc:
            errors.append(exc)

    first = threading.Thread(target=call)
    first.start()
    assert holding.wait(5)
    second = threading.Thread(target=call)
    second.start()
    gate.set()
    first.join()
    second.join()
    assert len(errors) == 1  # the failing computation's own caller sees its error
    assert [r.value for r in results] == [{"value": "second try"}]
    assert len(attempts) == 2


def test_a_lock_taken_just_after_the_holder_stored_the_value_does_not_recompute():
    # The interleaving that once computed twice: a waiter read "no value", the holder then
    # stored it and released the lock, and the waiter took the lock.
    from synapscale.cache.read import _compute_holding_lock, _connection, _take_lock

    first = read(Counter())
    assert not first.is_cached
    conn = _connection()
    key = next(
        k.decode()
        for k in conn.scan_iter(match="synapscale:c:test.ns:*")
        if not k.endswith((b":stale", b":lock"))
    )
    assert _take_lock(conn, key + ":lock", "late-waiter")

    def must_not_run():
        raise AssertionError("recomputed although the value was already stored")

    result = _compute_holding_lock(
        conn, key, key + ":lock", "late-waiter", Policy.REALTIME, must_not_run
    )
    assert result.is_cached and result.value == first.value
    assert conn.get(key + ":lock") is None  # released
