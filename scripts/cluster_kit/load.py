"""`load`: mixed traffic through the balancer for a bounded time, then execution scaling
over 1, 2 and 3 worker hosts (executions per second, and the ratio to one host)."""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from . import services, topology, traffic
from .hosts import ClusterError, State, namespace_pids, stop_host, wait_until

DELAY_SECONDS = 0.5
WORKER_CONCURRENCY = 2  # services.start_worker's --concurrency


def mixed_load(account: traffic.Account, *, seconds: float, clients: int) -> traffic.Recorder:
    """Each client cycles run, events, webhook, read, metrics until the deadline."""
    recorder = traffic.Recorder()
    deadline = time.monotonic() + seconds
    actions = (
        lambda c: traffic.run_workflow(c, recorder, account, f"load-{uuid.uuid4()}"),
        lambda c: traffic.send_events(c, recorder, account, traffic.new_events()),
        lambda c: traffic.call_webhook(c, recorder, account),
        lambda c: traffic.read_workflows(c, recorder, account),
        lambda c: traffic.read_metrics(c, recorder, account),
    )

    def client_loop(offset: int) -> None:
        with traffic.new_client() as client:
            step = offset
            while time.monotonic() < deadline:
                actions[step % len(actions)](client)
                step += 1

    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    return recorder


def print_samples(recorder: traffic.Recorder, seconds: float) -> None:
    kinds = sorted({sample.kind for sample in recorder.samples})
    print(
        f"{'kind':8} {'requests':>8} {'2xx':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7}  other answers"
    )
    for kind in kinds:
        samples = [s for s in recorder.samples if s.kind == kind]
        latencies = [s.seconds * 1000 for s in samples]
        good = sum(1 for s in samples if 200 <= s.status < 300)
        other = Counter(s.status for s in samples if not 200 <= s.status < 300)
        print(
            f"{kind:8} {len(samples):8} {good:6} {len(samples) / seconds:7.1f} "
            f"{topology.percentile(latencies, 0.5):7.0f} "
            f"{topology.percentile(latencies, 0.95):7.0f} "
            f"{topology.percentile(latencies, 0.99):7.0f}  {dict(other) or '-'}"
        )


def standby_transactions(state: State) -> int | None:
    """Transactions committed on the standby's application database (only replica reads)."""
    if not state.get("standby"):
        return None
    rows = services.sql(
        state,
        state["standby"],
        "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()",
    )
    return rows[0][0]


def worker_running(host_name: str) -> bool:
    return bool(namespace_pids(host_name))


def worker_ready(state: State, host_name: str, log_offset: int) -> bool:
    log = state.log(f"worker-{host_name}")
    with log.open("rb") as handle:
        handle.seek(log_offset)
        return b" ready." in handle.read()


def use_worker_hosts(state: State, count: int) -> None:
    """Run the execution worker on the first `count` hosts only (graceful stop of the rest)."""
    for index, name in enumerate(topology.EXECUTION_WORKER_HOSTS):
        if index >= count and worker_running(name):
            stop_host(name, grace=30)
        elif index < count and not worker_running(name):
            log = state.log(f"worker-{name}")
            offset = log.stat().st_size if log.exists() else 0
            services.start_worker(state, name)
            wait_until(
                lambda name=name, offset=offset: worker_ready(state, name, offset),
                timeout=90,
                what=f"worker on {name}",
            )


def submit_runs(account: traffic.Account, keys: list[str], clients: int) -> int:
    """Submit one run per key; return how many were accepted (202)."""
    recorder = traffic.Recorder()

    def submit(chunk: list[str]) -> int:
        with traffic.new_client() as client:
            return sum(
                traffic.ok(traffic.run_workflow(client, recorder, account, key)) for key in chunk
            )

    chunks = [keys[i::clients] for i in range(clients)]
    with ThreadPoolExecutor(clients) as pool:
        return sum(pool.map(submit, chunks))


FINISHED = "('succeeded','failed','cancelled','timed_out')"


def drain_seconds(
    state: State, prefix: str, expected: int, *, timeout: float, unfinished: bool = False
) -> float:
    """Wait until `expected` executions keyed `prefix*` finished and return the seconds from
    their first start to their last finish; with unfinished, wait until no execution at all
    is left unfinished and return how long that took."""
    if unfinished:
        query = f"SELECT count(*), 0 FROM executions_execution WHERE status NOT IN {FINISHED}"
    else:
        query = (
            f"SELECT count(*) FILTER (WHERE status IN {FINISHED}), "
            "extract(epoch FROM max(finished_at) - min(started_at)) FROM executions_execution "
            f"WHERE idempotency_key LIKE '{prefix}%'"
        )
    rows: list = []

    def done() -> bool:
        rows[:] = services.sql(state, state["primary"], query)
        return rows[0][0] == 0 if unfinished else rows[0][0] >= expected

    took = wait_until(done, timeout=timeout, what="executions finished", interval=0.5)
    return took if unfinished else float(rows[0][1])


def measure_scaling(state: State, account: traffic.Account, args: argparse.Namespace) -> dict:
    throughputs = {}
    for count in range(1, len(topology.EXECUTION_WORKER_HOSTS) + 1):
        use_worker_hosts(state, count)
        total = args.runs_per_host * count
        prefix = f"scale{count}-{uuid.uuid4().hex[:8]}-"
        accepted = submit_runs(account, [f"{prefix}{i}" for i in range(total)], args.clients)
        if accepted != total:
            raise ClusterError(f"scaling: only {accepted} of {total} runs were accepted")
        seconds = drain_seconds(state, prefix, total, timeout=60 + total * DELAY_SECONDS * 2)
        throughputs[count] = total / seconds
        print(
            f"  {count} worker host(s): {total} executions in {seconds:.1f}s = "
            f"{throughputs[count]:.2f}/s",
            flush=True,
        )
    use_worker_hosts(state, len(topology.EXECUTION_WORKER_HOSTS))
    return throughputs


def command_load(state: State, args: argparse.Namespace) -> None:
    account = traffic.account_for(state, delay_seconds=DELAY_SECONDS)
    print(
        f"mixed load: {args.clients} clients for {args.seconds:.0f}s through haproxy "
        f"({len(topology.WEB_HOSTS)} web hosts, "
        f"{len(topology.EXECUTION_WORKER_HOSTS)} execution worker hosts)",
        flush=True,
    )
    replica_before = standby_transactions(state)
    recorder = mixed_load(account, seconds=args.seconds, clients=args.clients)
    print_samples(recorder, args.seconds)
    if replica_before is not None:
        time.sleep(1)  # the standby's statistics are flushed about once a second
        served = standby_transactions(state) - replica_before - 1  # less the first look
        print(
            f"the standby ({state['standby']}, DATABASE_REPLICA_URL) served {served} "
            "transactions during the load (analytics reads missing the cache)",
            flush=True,
        )
    # The scaling steps start from empty queues: the load's runs and webhooks finish first.
    drained = drain_seconds(state, "", 0, timeout=300, unfinished=True)
    print(f"the load's executions all finished {drained:.1f}s after it ended", flush=True)
    if args.skip_scaling:
        return
    print(
        f"scaling: {args.runs_per_host} runs per host queued at once; each run waits "
        f"{DELAY_SECONDS}s in a delay node; {WORKER_CONCURRENCY} processes per host",
        flush=True,
    )
    throughputs = measure_scaling(state, account, args)
    print(f"{'worker hosts':>12} {'executions/s':>13} {'ratio to 1':>11}")
    for count, ratio in topology.scaling_ratios(throughputs).items():
        print(f"{count:12} {throughputs[count]:13.2f} {ratio:11.2f}")
