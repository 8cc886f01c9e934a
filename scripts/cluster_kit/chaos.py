"""`chaos`: faults during load, then the books: executions accepted vs finished, events
acknowledged vs stored, nothing lost, nothing doubled, and how long each recovery took.

Timeline (fractions of --seconds): a worker host SIGKILLed at once (5 s), a web host
SIGKILLed at 40 %, PostgreSQL failed over at 60 % (primary stopped, standby promoted, every
application host restarted on the new DATABASE_URL). Clients retry a failed request with the
same Idempotency-Key or event_id until a 2xx, as the API asks of them.
"""

from __future__ import annotations

import argparse
import functools
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field

from . import load, services, topology, traffic
from .hosts import ClusterError, State, signal_host, stop_host, wait_until

RETRY_PAUSE_SECONDS = 0.5
RETRY_FOR_SECONDS = 90  # a request is given up after this long without a 2xx
FINISHED = ("succeeded", "failed", "cancelled", "timed_out")


@dataclass
class Books:
    """What the API acknowledged, written by the client threads."""

    run_keys: list[str] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    given_up: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def until_acknowledged(send, stop_at: float) -> bool:
    """Call send() until it answers 2xx (retrying is safe: each carries its idempotency key)."""
    while time.monotonic() < stop_at:
        if traffic.ok(send()):
            return True
        time.sleep(RETRY_PAUSE_SECONDS)
    return False


def client_loop(kind: str, account, recorder, books: Books, deadline: float) -> None:
    with traffic.new_client() as client:
        while time.monotonic() < deadline:
            if kind == "run":
                key = f"chaos-{uuid.uuid4()}"
                send = functools.partial(traffic.run_workflow, client, recorder, account, key)
                items, target = [key], books.run_keys
            else:
                events = traffic.new_events()
                send = functools.partial(traffic.send_events, client, recorder, account, events)
                items, target = [event["event_id"] for event in events], books.event_ids
            acknowledged = until_acknowledged(send, time.monotonic() + RETRY_FOR_SECONDS)
            with books.lock:
                if acknowledged:
                    target.extend(items)
                else:
                    books.given_up += 1


def in_flight_executions(state: State) -> list[int]:
    rows = services.sql(
        state,
        state["primary"],
        "SELECT id FROM executions_execution WHERE status IN "
        "('running','queued','pending') AND idempotency_key LIKE 'chaos-%'",
    )
    return [row[0] for row in rows]


def seconds_until_finished(state: State, ids: list[int], since: float, timeout: float) -> float:
    """Seconds from `since` until every execution in ids has finished."""
    if not ids:
        return 0.0
    query = (
        "SELECT count(*) FROM executions_execution WHERE status NOT IN "
        f"{FINISHED} AND id = ANY(ARRAY{ids}::bigint[])"
    )

    def all_finished() -> bool:
        try:
            return services.sql(state, state["primary"], query)[0][0] == 0
        except Exception:
            return False

    wait_until(
        all_finished,
        timeout=timeout,
        what="the executions in flight at the worker kill",
        interval=0.5,
    )
    return time.monotonic() - since


def fail_over(state: State) -> dict:
    """Stop the primary, promote the standby, restart every application host on it."""
    old, new = state["primary"], state["standby"]
    started = time.monotonic()
    services.pg_ctl(state, old, "stop", "-m", "fast")
    services.pg_ctl(state, new, "promote")
    wait_until(
        lambda: services.sql(state, new, "SELECT pg_is_in_recovery()")[0][0] is False,
        timeout=30,
        what="the promoted standby accepting writes",
    )
    promoted = time.monotonic() - started
    state.data.update(primary=new, standby=None, retired_primary=old)
    state.save()
    # web1 was killed before: it comes back first, on the new primary; then web2 in turn, so
    # the balancer always has a host.
    for name in topology.WEB_HOSTS:
        stop_host(name, grace=10)
        services.start_web(state, name)
        wait_until(
            lambda name=name: services.web_ready(name), timeout=120, what=f"gunicorn on {name}"
        )
    web_done = time.monotonic() - started
    for name in (*topology.EXECUTION_WORKER_HOSTS, "analytics"):
        stop_host(name, grace=20)
        services.start_worker(state, name)
    stop_host("beat", grace=10)
    services.start_beat(state)
    return {
        "promoted": promoted,
        "web restarted": web_done,
        "workers restarted": time.monotonic() - started,
    }


def first_success_after(recorder, moment: float) -> float | None:
    times = [s.at + s.seconds for s in recorder.samples if s.at >= moment and 200 <= s.status < 300]
    return min(times) - moment if times else None


def failures_answered_between(recorder, start: float, end: float) -> tuple[int, float]:
    """Failed answers sent after start and answered before end; the last one's delay."""
    failures = [
        s
        for s in recorder.samples
        if s.at >= start and s.at + s.seconds < end and not 200 <= s.status < 300
    ]
    return len(failures), (max(s.at + s.seconds for s in failures) - start if failures else 0.0)


def audit(state: State, books: Books) -> dict:
    keys, ids = list(books.run_keys), list(books.event_ids)
    runs = services.sql(
        state,
        state["primary"],
        "SELECT count(DISTINCT idempotency_key), count(*), "
        f"count(*) FILTER (WHERE status IN {FINISHED}), "
        "count(*) FILTER (WHERE status = 'succeeded') "
        "FROM executions_execution WHERE idempotency_key = ANY(%s)",
        [keys],
    )[0]
    events = services.sql(
        state,
        state["primary"],
        "SELECT count(DISTINCT event_id), count(*) FROM analytics_event "
        "WHERE event_id = ANY(%s::uuid[])",
        [ids],
    )[0]
    return {
        "executions accepted": len(keys),
        "executions stored": runs[1],
        "executions finished": runs[2],
        "executions succeeded": runs[3],
        "executions lost": len(keys) - runs[0],
        "executions doubled": runs[1] - runs[0],
        "events acknowledged": len(ids),
        "events stored": events[1],
        "events lost": len(ids) - events[0],
        "events doubled": events[1] - events[0],
        "requests given up": books.given_up,
    }


def wait_for_drain(state: State, books: Books, timeout: float) -> None:
    query = (
        "SELECT count(*) FROM executions_execution WHERE status NOT IN "
        f"{FINISHED} AND idempotency_key = ANY(%s)"
    )
    wait_until(
        lambda: services.sql(state, state["primary"], query, [books.run_keys])[0][0] == 0,
        timeout=timeout,
        what="every accepted execution finished",
        interval=1,
    )


def command_chaos(state: State, args: argparse.Namespace) -> None:
    if not state.get("standby"):
        raise ClusterError("no standby left to promote (chaos ran already): `down`, then `up`")
    load.use_worker_hosts(state, len(topology.EXECUTION_WORKER_HOSTS))
    account = traffic.account_for(state, delay_seconds=load.DELAY_SECONDS)
    recorder, books = traffic.Recorder(), Books()
    begin = time.monotonic()
    deadline = begin + args.seconds
    clients = [
        threading.Thread(target=client_loop, args=(kind, account, recorder, books, deadline))
        for kind in ("run", "run", "run", "events", "events")
    ]
    for thread in clients:
        thread.start()
    print(f"chaos: {len(clients)} clients for {args.seconds:.0f}s", flush=True)
    recovery = {}

    time.sleep(5)
    worker_killed = time.monotonic()
    in_flight = in_flight_executions(state)
    signal_host("worker1", signal.SIGKILL)
    print(
        f"  {worker_killed - begin:5.1f}s SIGKILL worker1 ({len(in_flight)} executions in "
        "flight on the cluster)",
        flush=True,
    )
    watcher_result: dict = {}
    watcher = threading.Thread(
        target=lambda: watcher_result.update(
            # Bounded by the backlog: the survivors work through every run in flight
            # (each waits 0.5 s in its delay node) besides the new ones and the failover.
            seconds=seconds_until_finished(
                state, in_flight, worker_killed, timeout=120 + len(in_flight)
            )
        )
    )
    watcher.start()

    time.sleep(max(0.0, begin + 0.4 * args.seconds - time.monotonic()))
    web_killed = time.monotonic()
    signal_host("web1", signal.SIGKILL)
    print(f"  {web_killed - begin:5.1f}s SIGKILL web1", flush=True)

    time.sleep(max(0.0, begin + 0.6 * args.seconds - time.monotonic()))
    failover_at = time.monotonic()
    print(
        f"  {failover_at - begin:5.1f}s failover: stop {state['primary']}, promote "
        f"{state['standby']}, restart the application hosts",
        flush=True,
    )
    steps = fail_over(state)
    recovery["failover steps (s)"] = {k: round(v, 1) for k, v in steps.items()}
    watcher.join(timeout=130)
    for thread in clients:
        thread.join(timeout=RETRY_FOR_SECONDS + 30)
    print(f"  load over at {time.monotonic() - begin:.1f}s; draining", flush=True)
    # Bounded by what was accepted: each run waits 0.5 s in its delay node, and a quiet
    # machine lets the clients queue far more runs than the survivors finish in 180 s.
    wait_for_drain(state, books, args.drain_seconds + 0.5 * len(books.run_keys))

    failures, last = failures_answered_between(recorder, web_killed, failover_at)
    recovery["worker kill: in-flight executions all finished after (s)"] = round(
        watcher_result.get("seconds", float("nan")), 1
    )
    recovery["web kill: failed answers, last one after (s)"] = (failures, round(last, 1))
    failed, _ = failures_answered_between(recorder, failover_at, time.monotonic())
    recovery["failover: failed answers (each retried until a 2xx)"] = failed
    first = first_success_after(recorder, failover_at)
    recovery["failover: first 2xx after the primary stopped (s)"] = (
        round(first, 1) if first is not None else None
    )
    print("recovery:")
    for name, value in recovery.items():
        print(f"  {name}: {value}")
    books_result = audit(state, books)
    print("books:")
    for name, value in books_result.items():
        print(f"  {name}: {value}")
    if (
        books_result["executions lost"]
        or books_result["executions doubled"]
        or books_result["events lost"]
        or books_result["events doubled"]
    ):
        raise ClusterError("chaos lost or doubled work (see the books above)")
