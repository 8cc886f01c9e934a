"""Human-readable lines of benchmarks/executions.py and its final table of medians."""

from __future__ import annotations

import statistics


def _f(value, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


def _roles(memory: dict) -> str:
    return ", ".join(f"{role} {mb:.0f}" for role, mb in memory["pss_max_mb_by_role"].items())


def print_measurement(r: dict) -> None:
    """Print one measurement in a few lines."""
    wrk, cpu, memory = r["wrk"], r["cpu"], r["memory"]
    head = f"[{r['system']} {r['mode']} c={r['clients']} round {r['round']}]"
    if r["system"] == "n8n":
        db = r.get("n8n_db", {})
        print(
            f"{head} {_f(r['completed_per_s'])} executions/s (2xx of wrk); client p50 "
            f"{_f(wrk['p50_ms'])} p95 {_f(wrk['p95_ms'])} ms; server p50 "
            f"{_f(r['server_p50_ms'])} p95 {_f(r['server_p95_ms'])} ms; non-2xx "
            f"{wrk['non2xx']}, socket errors {wrk['socket_errors']}"
        )
        print(
            f"    recorded {db.get('executions_recorded')} {db.get('statuses')}; "
            f"{_f(r.get('bytes_per_execution'), 0)} B/execution ({db.get('size_method')}), "
            f"execution_data {_f(db.get('execution_data_avg_bytes'), 0)} B avg"
        )
    else:
        rates = f"{_f(r['completed_per_s'])} completed/s"
        if r["mode"] == "async":
            rates = (
                f"accepted {_f(r['accepted_per_s'])}/s, {rates} (database, in the window), "
                f"queue left {r['queue_left_at_end']}"
            )
        elif r["mode"] == "sync":
            rates += f" (200s), 202s {r['not_finished_in_wait_202']}"
        else:
            rates += " (200s of the webhook)"
        executions = r["executions"]
        print(
            f"{head} {rates}, drained in {r.get('drain_s')} s; client p50 {_f(wrk['p50_ms'])} "
            f"p95 {_f(wrk['p95_ms'])} ms; server submit->finished p50 "
            f"{_f(r['server_p50_ms'])} p95 {_f(r['server_p95_ms'])} ms"
        )
        redis, pg, log = r["redis"], r["postgres"], r["server_log"]
        top = ", ".join(f"{k} {v:.2f}" for k, v in r["redis"]["top_per_execution"].items())
        print(
            f"    {executions['created']} executions {executions['statuses']}; non-2xx "
            f"{wrk['non2xx']} {wrk['codes']}, socket errors {wrk['socket_errors']}; "
            f"server log: {log['http_5xx']} 5xx, {log['problem_lines']} warning/error lines"
        )
        print(
            f"    per execution: {_f(pg['xact_per_execution'])} PostgreSQL transactions, "
            f"{_f(r.get('sql_per_execution'))} SQL statements, "
            f"{_f(redis['per_execution'])} Redis commands, "
            f"{_f(r['bytes_per_execution'], 0)} bytes stored"
        )
        print(f"    Redis commands per execution, top 10: {top}")
        if redis["clients_on_other_dbs"]:
            print(
                f"    (Redis: clients of db {redis['clients_on_other_dbs']} were connected; "
                "their commands are in these counts; --private-redis gives exact ones)"
            )
        for line in log["errors"][:3]:
            print(f"    log: {line[:300]}")
    print(
        f"    PSS max {_f(memory['pss_total_max_mb'], 0)} MB ({_roles(memory)}); RSS max "
        f"{_f(memory['rss_total_max_mb'], 0)} MB; CPU {cpu['system_under_load_s']} s, idle "
        f"other system {cpu['idle_system_s']} s, machine {cpu['machine_busy_pct']}% busy",
        flush=True,
    )


def _median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(results: list[dict]) -> list[dict]:
    """Medians per client count of each system's completed/s, the ratios, and PSS."""
    rows = []
    for clients in sorted({r["clients"] for r in results}):

        def pick(system, mode, key, clients=clients):
            return [
                r.get(key) if key != "pss" else r["memory"]["pss_total_max_mb"]
                for r in results
                if r["clients"] == clients and r["system"] == system and r["mode"] == mode
            ]

        peer = _median(pick("n8n", "webhook", "completed_per_s"))
        sync = _median(pick("ours", "sync", "completed_per_s"))
        done = _median(pick("ours", "async", "completed_per_s"))
        hook = _median(pick("ours", "webhook", "completed_per_s"))

        def ratio(value, peer=peer):
            return value / peer if value is not None and peer else None

        rows.append(
            {
                "clients": clients,
                "n8n_completed_per_s": peer,
                "ours_sync_completed_per_s": sync,
                "ours_async_completed_per_s": done,
                "ours_async_accepted_per_s": _median(pick("ours", "async", "accepted_per_s")),
                "ratio_sync_to_n8n": ratio(sync),
                "ratio_async_to_n8n": ratio(done),
                "ours_webhook_completed_per_s": hook,
                "ratio_webhook_to_n8n": ratio(hook),
                "ours_pss_mb": _median(
                    pick("ours", "sync", "pss")
                    + pick("ours", "async", "pss")
                    + pick("ours", "webhook", "pss")
                ),
                "n8n_pss_mb": _median(pick("n8n", "webhook", "pss")),
                "n8n_p50_ms": _median(pick("n8n", "webhook", "client_p50_ms")),
                "ours_sync_p50_ms": _median(pick("ours", "sync", "client_p50_ms")),
                "ours_async_server_p50_ms": _median(pick("ours", "async", "server_p50_ms")),
            }
        )
    return rows


def idle_costs(results: list[dict], setup: dict) -> dict:
    """CPU the idle system used while the other was under load, and what a start costs."""

    def share(system):
        return _median(
            [
                100 * r["cpu"]["idle_system_s"] / r["wrk"]["duration_s"]
                for r in results
                if r["system"] == system and r["wrk"]["duration_s"]
            ]
        )

    return {
        "n8n_idle_cpu_pct_of_a_core": share("ours"),
        "ours_idle_cpu_pct_of_a_core": share("n8n"),
        "ours_start_s": _median(setup.get("ours_start_s", [])),
        "n8n_start_to_first_webhook_s": _median(
            [s.get("first_webhook_ok_s") for s in setup.get("n8n_start", [])]
        ),
    }


def print_summary(results: list[dict], setup: dict) -> None:
    """Print the table of medians and the notes that go with it."""
    rows = summarize(results)
    columns = [
        ("clients", "clients", 0),
        ("n8n_completed_per_s", "n8n/s", 1),
        ("ours_sync_completed_per_s", "sync/s", 1),
        ("ratio_sync_to_n8n", "sync÷n8n", 2),
        ("ours_async_completed_per_s", "async done/s", 1),
        ("ratio_async_to_n8n", "async÷n8n", 2),
        ("ours_async_accepted_per_s", "accepted/s", 1),
        ("ours_webhook_completed_per_s", "webhook/s", 1),
        ("ratio_webhook_to_n8n", "webhook÷n8n", 2),
        ("ours_pss_mb", "ours PSS MB", 0),
        ("n8n_pss_mb", "n8n PSS MB", 0),
    ]
    if rows:
        print("\nmedians per client count (completed executions per second):")
        print("  ".join(f"{title:>12}" for _, title, _ in columns))
    for row in rows:
        print("  ".join(f"{_f(row[key], digits):>12}" for key, _, digits in columns))
    sync = setup.get("sync_probe") or {}
    if sync and not sync.get("available"):
        print(f"ours sync mode unavailable: {sync.get('why')}")
    if setup.get("ours_unavailable"):
        print(f"ours unavailable: {setup['ours_unavailable']}")
    if any(r["system"] == "n8n" for r in results):
        idle = idle_costs(results, setup)
        print(
            f"idle system's CPU while the other was loaded (median, % of one core): n8n "
            f"{_f(idle['n8n_idle_cpu_pct_of_a_core'], 2)}%, ours "
            f"{_f(idle['ours_idle_cpu_pct_of_a_core'], 2)}%; start-up: ours "
            f"{_f(idle['ours_start_s'])} s, n8n {_f(idle['n8n_start_to_first_webhook_s'])} s "
            f"to its first webhook; idle policy: {setup.get('idle_policy')}"
        )
    broker = (setup.get("services") or {}).get("broker", "")
    if broker.startswith("redis"):
        print(
            "Redis commands include the Celery broker's (the broker is Redis) and, as INFO "
            "counts them, the commands Lua scripts run."
        )
    print(
        "Bytes per execution: growth of pg_total_relation_size (tables, TOAST, indexes) of "
        "the executions_* tables and analytics_event, approximate (no VACUUM)."
    )


def add_figures(figures, results: list[dict]) -> None:
    """Put the medians of the summary into ``figures`` (a benchmarks._figures.Figures)."""
    for row in summarize(results):
        at = f"@ {row['clients']} clients"
        for key, label in (
            ("ours_sync_completed_per_s", "sync finished/s"),
            ("ours_async_completed_per_s", "async finished/s"),
            ("ours_async_accepted_per_s", "async accepted/s"),
            ("ours_webhook_completed_per_s", "webhook finished/s"),
        ):
            figures.add(f"{label} {at}", row[key], "1/s", better="higher", calibrate="cpu")
        figures.add(
            f"sync p50 {at}", row["ours_sync_p50_ms"], "ms", better="lower", calibrate="cpu"
        )
        figures.add(f"PSS {at}", row["ours_pss_mb"], "MB", better="lower", calibrate="none")
        for key in ("ratio_sync_to_n8n", "ratio_webhook_to_n8n"):
            figures.add(f"{key} {at}", row[key], "x", better="higher", calibrate="none")
