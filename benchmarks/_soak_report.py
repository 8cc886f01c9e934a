"""The counts of benchmarks/soak.py, straight from PostgreSQL, and its report.

An event id is the run's 64-bit nonce followed by the event's sequence number, so the
batch an event came in is `seq / batch size`: the stored rows are counted per batch and
set against what the clients saw acknowledged.
"""

from __future__ import annotations

DONE_NODES = ("succeeded", "failed", "skipped")
FINISHED = ("succeeded", "failed", "cancelled", "timed_out")
# The low 64 bits of the uuid: the event's sequence number.
_SEQ = "('x' || right(replace(event_id::text, '-', ''), 16))::bit(64)::bigint"


def count_events(db, workspace_id: int, event_type: str, batch_size: int, batches: dict) -> dict:
    scope = {"ws": workspace_id, "type": event_type, "size": batch_size}
    stored_by_batch = dict(
        db.execute(
            f"SELECT {_SEQ} / %(size)s, count(*) FROM analytics_event "
            "WHERE workspace_id = %(ws)s AND event_type = %(type)s GROUP BY 1",
            scope,
        ).fetchall()
    )
    stored, distinct, doubled_ids = db.execute(
        "SELECT count(*), count(DISTINCT event_id), "
        " (SELECT count(*) FROM (SELECT 1 FROM analytics_event WHERE workspace_id = %(ws)s "
        "  AND event_type = %(type)s GROUP BY event_id HAVING count(*) > 1) d) "
        "FROM analytics_event WHERE workspace_id = %(ws)s AND event_type = %(type)s",
        scope,
    ).fetchone()
    rollup = db.execute(
        "SELECT coalesce(sum(count), 0) FROM analytics_eventhourlycount "
        "WHERE workspace_id = %(ws)s AND event_type = %(type)s",
        scope,
    ).fetchone()[0]
    acked = {b: e["size"] for b, e in batches.items() if e["acked"]}
    lost = sum(max(0, size - stored_by_batch.get(b, 0)) for b, size in acked.items())
    over = sum(max(0, n - batches[b]["size"]) for b, n in stored_by_batch.items() if b in batches)
    return {
        "sent": sum(e["size"] for e in batches.values()),
        "acknowledged": sum(acked.values()),
        "not_acknowledged": sum(e["size"] for e in batches.values() if not e["acked"]),
        "stored": stored,
        "stored_distinct_ids": distinct,
        "event_ids_stored_twice": doubled_ids,
        "stored_over_batch_size": over,
        "stored_not_acknowledged": sum(n for b, n in stored_by_batch.items() if b not in acked),
        "stored_unknown_batch": sum(n for b, n in stored_by_batch.items() if b not in batches),
        "lost": lost,
        "hourly_rollup_count": int(rollup),
        "rollup_minus_stored": int(rollup) - stored,
        "server_said_duplicate_on_retry": sum(e["duplicates"] for e in batches.values()),
        "rejected": sum(e["rejected"] for e in batches.values()),
        "batches_acknowledged": len(acked),
        "batches_given_up": sum(not e["acked"] for e in batches.values()),
    }


def count_executions(db, workflow_id: int, runs: dict, key_of) -> dict:
    rows = db.execute(
        "SELECT id, idempotency_key, status FROM executions_execution WHERE workflow_id = %s",
        [workflow_id],
    ).fetchall()
    by_key: dict[str | None, list[tuple[int, str]]] = {}
    for pk, key, status in rows:
        by_key.setdefault(key, []).append((pk, status))
    statuses: dict[str, int] = {}
    for _, _, status in rows:
        statuses[status] = statuses.get(status, 0) + 1
    acked = {i: r for i, r in runs.items() if r["acked"]}
    lost = [i for i in acked if key_of(i) not in by_key]
    other_id = [
        i for i, r in acked.items() if key_of(i) in by_key and by_key[key_of(i)][0][0] != r["id"]
    ]
    unfinished = [
        i
        for i in acked
        if key_of(i) in by_key and any(s not in FINISHED for _, s in by_key[key_of(i)])
    ]
    node = db.execute(
        "SELECT count(*), count(*) FILTER (WHERE nr.status = ANY(%(done)s) AND nr.attempts > 1),"
        " count(*) FILTER (WHERE nr.status <> ALL(%(done)s))"
        " FROM executions_noderun nr JOIN executions_execution e ON e.id = nr.execution_id"
        " WHERE e.workflow_id = %(w)s",
        {"w": workflow_id, "done": list(DONE_NODES)},
    ).fetchone()
    logs = db.execute(
        "SELECT"
        " (SELECT count(*) FROM (SELECT 1 FROM executions_executionlog l"
        "   JOIN executions_execution e ON e.id = l.execution_id WHERE e.workflow_id = %(w)s"
        "   AND l.message LIKE 'Node %% succeeded.' GROUP BY l.execution_id, l.node_id"
        "   HAVING count(*) > 1) d),"
        " (SELECT count(DISTINCT l.execution_id) FROM executions_executionlog l"
        "   JOIN executions_execution e ON e.id = l.execution_id WHERE e.workflow_id = %(w)s"
        "   AND l.message LIKE 'Resuming%%'),"
        " (SELECT count(*) FROM (SELECT e.id FROM executions_execution e"
        "   LEFT JOIN executions_noderun nr ON nr.execution_id = e.id"
        "   WHERE e.workflow_id = %(w)s AND e.status = 'succeeded' GROUP BY e.id"
        "   HAVING count(nr.id) <> 3) d)",
        {"w": workflow_id},
    ).fetchone()
    return {
        "submitted": len(runs),
        "acknowledged": len(acked),
        "given_up": len(runs) - len(acked),
        "rows": len(rows),
        "statuses": statuses,
        "finished": sum(statuses.get(s, 0) for s in FINISHED),
        "succeeded": statuses.get("succeeded", 0),
        "failed": statuses.get("failed", 0),
        "lost": len(lost),
        "lost_examples": [key_of(i) for i in lost[:5]],
        "stuck": len(unfinished),
        "stuck_examples": [by_key[key_of(i)][0][0] for i in unfinished[:5]],
        "duplicated_keys": sum(len(v) > 1 for k, v in by_key.items() if k is not None),
        "rows_without_key": len(by_key.get(None, [])),
        "acked_id_differs": len(other_id),
        "node_runs": node[0],
        "node_runs_done_with_attempts_gt_1": node[1],
        "node_runs_not_done": node[2],
        "nodes_succeeded_twice_in_log": logs[0],
        "executions_resumed": logs[1],
        "succeeded_without_3_node_runs": logs[2],
    }


def recovery_rows(db, workflow_id: int, injuries: list, ack_times: list[float]) -> list[dict]:
    """Per injury: the next acknowledged request and the next finished execution after it,
    and when every execution running at the kill (not an orphan of an earlier one) ended."""
    acks = sorted(ack_times)
    rows = []
    for injury in injuries:
        row = injury.as_dict()
        after = next((t for t in acks if t > injury.at), None)
        row["next_ack_s"] = round(after - injury.at, 3) if after else None
        first = db.execute(
            "SELECT EXTRACT(EPOCH FROM min(finished_at)) FROM executions_execution "
            "WHERE workflow_id = %s AND finished_at > to_timestamp(%s)",
            [workflow_id, injury.at],
        ).fetchone()[0]
        row["next_finish_s"] = round(float(first) - injury.at, 3) if first else None
        last, unfinished = db.execute(
            "SELECT EXTRACT(EPOCH FROM max(finished_at)), count(*) FILTER (WHERE finished_at "
            "IS NULL) FROM executions_execution WHERE id = ANY(%s)",
            [injury.running_ids],
        ).fetchone()
        # The running list is read just before the kill: a run may end in between (< 0).
        done = max(0.0, float(last) - injury.at) if last and not unfinished else None
        row["running_at_kill_done_s"] = None if done is None else round(done, 2)
        row["running_at_kill_unfinished"] = unfinished
        key = "next_ack_s" if injury.kind == "gunicorn_worker" else "next_finish_s"
        row["recovery_s"] = row[key]
        rows.append(row)
    return rows


def injuries_by_kind(rows: list[dict]) -> dict:
    """Per kind of injury: how many, and the largest of each delay."""
    keys = ("recovery_s", "respawn_s", "running_at_kill_done_s")
    out: dict[str, dict] = {}
    for row in rows:
        kind = out.setdefault(row["kind"], {"count": 0, **{f"max_{k}": None for k in keys}})
        kind["count"] += 1
        for key in keys:
            if row[key] is not None:
                kind[f"max_{key}"] = max(kind[f"max_{key}"] or 0, row[key])
    return out


def problems_of(r: dict) -> list[str]:
    """What fails the soak: anything acknowledged lost, doubled or never finished."""
    ev, ex, sink = r["events"], r["executions"], r["sink"]
    checks = {
        "events lost (acknowledged, not stored)": ev["lost"],
        "event ids stored twice": ev["event_ids_stored_twice"],
        "events stored beyond their batch": ev["stored_over_batch_size"],
        "hourly rollup differs from the stored events": abs(ev["rollup_minus_stored"]),
        "executions lost (acknowledged, no row)": ex["lost"],
        "Idempotency-Keys with more than one execution": ex["duplicated_keys"],
        "acknowledged execution id differs from the key's row": ex["acked_id_differs"],
        "acknowledged executions not finished after the drain": ex["stuck"],
        "nodes that succeeded twice in one execution": ex["nodes_succeeded_twice_in_log"],
        "succeeded executions without their 3 node runs": ex["succeeded_without_3_node_runs"],
        "side effects repeated under another Idempotency-Key": sink[
            "runs_called_with_different_idempotency_keys"
        ],
    }
    return [f"{name}: {n}" for name, n in checks.items() if n]


def print_report(r: dict) -> list[str]:
    ev, ex, sink, load = r["events"], r["executions"], r["sink"], r["load"]
    drain = r["drain"]
    print(
        f"\nload {load['load_s']} s (cut by --duration: {load['cut_by_duration']}); drain "
        f"{drain['drain_s']} s, unfinished after it {drain['unfinished_after']}"
    )
    print(f"requests: tries {r['ledger']['tries']}, statuses seen {r['ledger']['codes']}")
    print(
        f"events: sent {ev['sent']:,}, acknowledged {ev['acknowledged']:,}, stored "
        f"{ev['stored']:,} ({ev['stored_distinct_ids']:,} distinct ids), lost {ev['lost']}, "
        f"ids stored twice {ev['event_ids_stored_twice']}, stored beyond batch "
        f"{ev['stored_over_batch_size']}, stored but not acknowledged "
        f"{ev['stored_not_acknowledged']}; hourly rollup {ev['hourly_rollup_count']:,} "
        f"({ev['rollup_minus_stored']:+}); retried batches the server called duplicates "
        f"{ev['server_said_duplicate_on_retry']}; rejected {ev['rejected']}; batches given "
        f"up {ev['batches_given_up']}"
    )
    print(
        f"executions: submitted {ex['submitted']:,}, acknowledged {ex['acknowledged']:,}, "
        f"rows {ex['rows']:,} {ex['statuses']}, finished {ex['finished']:,}, lost "
        f"{ex['lost']}, stuck {ex['stuck']} {ex['stuck_examples']}, duplicated keys "
        f"{ex['duplicated_keys']}, acked id differs {ex['acked_id_differs']}, given up "
        f"{ex['given_up']}"
    )
    print(
        f"node runs: {ex['node_runs']:,}, done with attempts > 1 "
        f"{ex['node_runs_done_with_attempts_gt_1']}, not done {ex['node_runs_not_done']}, "
        f"succeeded twice (log) {ex['nodes_succeeded_twice_in_log']}; executions resumed "
        f"after a dead runner {ex['executions_resumed']}"
    )
    print(
        f"side effects (sink): {sink['calls']:,} calls for {sink['runs_called']:,} runs; "
        f"acknowledged runs never called {sink['acked_runs_never_called']}; runs called "
        f"more than once {sink['runs_called_more_than_once']} (same Idempotency-Key "
        f"{sink['repeats_with_same_idempotency_key']}, another key "
        f"{sink['runs_called_with_different_idempotency_keys']})"
    )
    print("injuries (recovery: next acknowledged request for gunicorn, next finished execution")
    print("for Celery; then when the executions running at the kill had all finished):")
    for i in r["injuries"]:
        left = i["running_at_kill_unfinished"]
        print(
            f"  {i['kind']:<16} pid {i['pid']:<7} recovery {i['recovery_s']} s, respawn "
            f"{i['respawn_s']} s, next ack {i['next_ack_s']} s, running at kill "
            f"{i['running_at_kill']} done after {i['running_at_kill_done_s']} s"
            + (f" ({left} unfinished)" if left else "")
        )
    for kind, worst in injuries_by_kind(r["injuries"]).items():
        print(
            f"  {kind}: {worst['count']} kills, recovery at most {worst['max_recovery_s']} s, "
            f"respawn at most {worst['max_respawn_s']} s, its running executions done within "
            f"{worst['max_running_at_kill_done_s']} s"
        )
    for error in r["chaos_errors"]:
        print(f"  chaos: {error}")
    log = r["server_log"]
    print(f"server log: {log['http_5xx']} 5xx, {log['problem_lines']} warning/error lines")
    for line in log["errors"][:4]:
        print(f"  log: {line[:240]}")
    problems = problems_of(r)
    print("\nRESULT: " + ("FAILED: " + "; ".join(problems) if problems else
                         "nothing acknowledged was lost, doubled or left unfinished"))  # fmt: skip
    return problems
