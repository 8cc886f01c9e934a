#!/usr/bin/env python3
"""Every GET operation of the API, measured on the demo data: queries, p50 latency, size.

    .venv/bin/python scripts/endpoint_analyzer.py                     # markdown table
    .venv/bin/python scripts/endpoint_analyzer.py --json out.json --query-budget 8 --runs 5

It creates (once) and seeds a database of its own, `<DATABASE_URL's name>_analyzer`, with
`seed_demo`, then calls each operation in-process as the demo user, in the demo workspace
(the first object of a
list fills an `{id}` or `{slug}`). Beside each: its permission classes, rate-limit group,
pagination, whether the answer came from a cache policy, the SQL statements of one call,
the median latency over `--runs` calls and the body size. Operations over
`--query-budget` statements are flagged. Writes are not called (they would change the data
the next row measures); their permission and rate-limit group are listed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(database_suffix: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("DATABASE_URL is needed (a PostgreSQL the analyzer may add a database to)")
    base, _, name = url.rpartition("/")
    os.environ["DATABASE_URL"] = f"{base}/{name}{database_suffix}"
    import django

    django.setup()


def ensure_database() -> None:
    """Create, migrate and seed the analyzer's database if it is not there yet."""
    import psycopg
    from django.conf import settings
    from django.core.management import call_command

    params = settings.DATABASES["default"]
    admin = psycopg.connect(
        host=params["HOST"], port=params["PORT"], user=params["USER"],
        password=params.get("PASSWORD") or None, dbname="postgres", autocommit=True,
    )  # fmt: skip
    with admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [params["NAME"]]
        ).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{params["NAME"]}"')
    call_command("migrate", verbosity=0, interactive=False)
    from synapscale.demo import DEMO_USERNAME
    from synapscale.models import User

    if not User.objects.filter(username=DEMO_USERNAME).exists():
        call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


def resolve_view(path: str):
    from django.urls import Resolver404, resolve

    try:
        return resolve(path).func
    except Resolver404:
        return None


def describe(view_func, method: str) -> dict:
    view_class = getattr(view_func, "cls", None)
    if view_class is None:
        return {"permissions": "-", "rate_limit_group": "-", "pagination": "-"}
    actions = getattr(view_func, "actions", {}) or {}
    action = actions.get(method.lower())
    group = getattr(view_class, "rate_limit_group", "")
    if isinstance(group, dict):
        group = group.get(action, "")
    if group is None:
        group = "own (per key)"
    perms = [p.__name__ for p in getattr(view_class, "permission_classes", ())]
    paginator = getattr(view_class, "pagination_class", None)
    return {
        "permissions": ", ".join(perms) or "-",
        "rate_limit_group": group or ("reads" if method == "GET" else "writes"),
        "pagination": paginator.__name__ if paginator and action in (None, "list") else "-",
    }


def first_identifier(client, list_path: str, key: str):
    response = client.get(list_path)
    if response.status_code != 200:
        return None
    body = response.json()
    rows = body.get("results") if isinstance(body, dict) else body
    if isinstance(rows, list) and rows and isinstance(rows[0], dict):
        return rows[0].get(key) or rows[0].get("id")
    return None


def concrete_path(client, path: str) -> str | None:
    """Fill `{id}`/`{slug}` from the first object of the list above it."""
    while "{" in path:
        start = path.index("{")
        name = path[start + 1 : path.index("}")]
        value = first_identifier(client, path[:start], name)
        if value is None:
            return None
        path = path[:start] + str(value) + path[path.index("}") + 1 :]
    return path


def measure(client, path: str, runs: int) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    # Django clears the query log when a request starts: start the count from an empty one.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    statements = len(queries)  # read now: the next request clears the log it points into
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
    body = response.content
    cached = False
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            cached = bool(json.loads(body).get("is_cached"))
        except (ValueError, AttributeError):
            cached = False
    return {
        "status": response.status_code,
        "queries": statements,
        "p50_ms": round(statistics.median(timings), 1),
        "bytes": len(body),
        "cached": cached,
    }


def analyze(runs: int, budget: int) -> list[dict]:
    from django.test import Client
    from rest_framework.test import APIClient

    from synapscale.choices import TokenScope
    from synapscale.demo import DEMO_USERNAME, DEMO_WORKSPACE_SLUG
    from synapscale.models import User
    from synapscale.services.tokens import token_create

    schema = json.loads(Client().get("/api/schema/?format=json").content)
    user = User.objects.get(username=DEMO_USERNAME)
    client = APIClient()
    secret = token_create(user=user, name="endpoint-analyzer", scopes=TokenScope.values).secret
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}", HTTP_X_WORKSPACE=DEMO_WORKSPACE_SLUG)
    rows = []
    for path, operations in sorted(schema["paths"].items()):
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            row = {"method": method.upper(), "path": path, "operation": operation["operationId"]}
            concrete = concrete_path(client, path) if method == "get" else None
            view = resolve_view(concrete or path.replace("{id}", "1").replace("{slug}", "x"))
            row.update(describe(view, row["method"]) if view else {})
            if method == "get" and concrete:
                row.update(measure(client, concrete, runs))
                row["over_budget"] = row["queries"] > budget
            elif method == "get":
                row["note"] = "no object in the demo data to fill the path"
            rows.append(row)
    return rows


def markdown(rows: list[dict], budget: int) -> str:
    lines = [
        f"Query budget: {budget} statements per call. Slowest first, then the writes.",
        "",
        "| method | path | status | queries | p50 ms | bytes | cached | permissions | "
        "rate limit | pagination |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    measured = sorted((r for r in rows if "p50_ms" in r), key=lambda r: -r["p50_ms"])
    for row in [*measured, *(r for r in rows if "p50_ms" not in r)]:
        queries = row.get("queries", "")
        if row.get("over_budget"):
            queries = f"**{queries}** over"
        lines.append(
            f"| {row['method']} | `{row['path']}` | {row.get('status', row.get('note', '-'))} | "
            f"{queries} | {row.get('p50_ms', '')} | {row.get('bytes', '')} | "
            f"{'yes' if row.get('cached') else ''} | {row.get('permissions', '?')} | "
            f"{row.get('rate_limit_group', '?')} | {row.get('pagination', '?')} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed calls per operation")
    parser.add_argument("--query-budget", type=int, default=10)
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args()
    setup_django("_analyzer")
    ensure_database()
    rows = analyze(args.runs, args.query_budget)
    print(markdown(rows, args.query_budget))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
