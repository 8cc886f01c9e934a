"""Benchmark marketplace search on 100,000 published templates.

Generates the templates (COPY) in a database of its own, with 7 days of installs behind the
trending scores, builds the search index the way production does (search_index_rebuild),
then times GET /api/v1/marketplace/templates/ through the real view (DRF, filterset,
typo correction, serialization of a 50-row page) for text queries with filters and every
sort: uncached (`refresh=true`) and cached. Prints p50/p95 per sort and overall, and
EXPLAIN ANALYZE of the main query of the two slowest uncached scenarios.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> REDIS_URL=redis://127.0.0.1:6379/<n>
    .venv/bin/python benchmarks/marketplace.py [--templates 100000] [--repeat 15] [--drop]

The data lives in `<db>_bench` (or BENCH_DATABASE_URL) and is reused by later runs when it
holds enough templates; --regenerate rebuilds it, --drop removes the database at the end.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks._figures import Figures  # noqa: E402


def bench_database_url() -> str:
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/synapscale"
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_bench"))


def admin_connection(url: str):
    """Connect to the server's `postgres` database (to create or drop the bench database)."""
    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def ensure_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with admin_connection(url) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


BENCH_URL = bench_database_url()
ensure_database(BENCH_URL)
os.environ["DATABASE_URL"] = BENCH_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
# Searched as a signed-in user (only they may ?refresh=true); the limits are out of the way.
for group in ("SEARCH", "REFRESH"):
    os.environ.setdefault(f"RATE_LIMIT_{group}", "100000000/m")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Window  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from synapscale.models import Workspace  # noqa: E402
from synapscale.services.workspaces import workspace_create  # noqa: E402
from templates_app.filtersets import MarketplaceTemplateFilterSet  # noqa: E402
from templates_app.models import Category, SearchTerm, Template  # noqa: E402
from templates_app.ranking import PRIOR_MEAN, PRIOR_WEIGHT  # noqa: E402
from templates_app.search.index import search_index_rebuild  # noqa: E402
from templates_app.selectors.marketplace import marketplace_templates  # noqa: E402
from templates_app.services.categories import categories_ensure  # noqa: E402
from templates_app.services.marketplace import trending_scores_refresh  # noqa: E402

URL = "/api/v1/marketplace/templates/"
SORTS = ("relevance", "popular", "trending", "top_rated", "newest")
# (text, filters): common and rare words, typos, several words, and no text at all.
QUERIES = [
    ("slack alerts", {}),
    ("invoice", {"category": "finance"}),
    ("sync crm contacts", {"license": "free"}),
    ("emial digest", {"price_max": "20"}),
    ("lead scoring", {"rating_min": "4"}),
    ("summarize tickets", {"tags": "ai"}),
    ("hubspot", {"complexity": "2", "is_verified": "true"}),
    ("", {"category": "marketing"}),
    ("", {}),
]


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Word pools of the generated text.
VERBS = words(
    "Sync Send Summarize Classify Enrich Route Archive Backup Monitor Triage Export Import "
    "Translate Score Notify Schedule Reconcile Validate Dedupe Forward Digest Approve Remind"
)
OBJECTS = words(
    "invoices leads tickets contacts orders emails reports payments deals candidates meetings "
    "reviews documents subscribers expenses incidents alerts tasks events messages"
)
TOOLS = words(
    "Slack HubSpot Salesforce Stripe Gmail Jira GitHub Notion Airtable Zendesk Shopify "
    "QuickBooks Trello Asana Discord Teams Intercom Mailchimp Postgres Sheets"
)
QUALIFIERS = words(
    "daily weekly automatic smart secure bulk realtime scheduled AI-powered multi-step "
    "lightweight reliable"
)
TAGS = words(
    "ai llm slack email crm sales finance support ops marketing data sync alerts reports hr "
    "webhooks api productivity analytics"
)
# Invented product names: the long tail of words real template text has (a few thousand).
SYLLABLES = words("zen flo tri ka mo vex lum dar qui sol nex ora pix tal bri cor"
                  " fen gal hup ist jor kel")  # fmt: skip
BRANDS = tuple(
    f"{first}{second}{third}".capitalize()
    for first in SYLLABLES
    for second in SYLLABLES
    for third in ("ly", "io", "ix", "ra", "on", "er", "a", "")
    if first != second
)
SENTENCES = [
    "Collects {o} from {t} and keeps them in one place.",
    "Uses a {q} rule to decide what needs attention.",
    "Sends a {q} summary to the team when something changes.",
    "Retries failed steps and records every run for auditing.",
    "Works with {t} and {t2} out of the box.",
    "Popular with teams that use {b} for their {o}.",
    "Replace the variables to point it at your own {o}.",
]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = (len(ordered) - 1) * fraction
    low, high = int(index), min(int(index) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def fake_text(rng: random.Random) -> tuple[str, str, str, list[str]]:
    verb, obj, qualifier = rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(QUALIFIERS)
    tool, tool2 = rng.sample(TOOLS, 2)
    name = f"{verb} {obj} to {tool}" if rng.random() < 0.6 else f"{qualifier} {tool} {obj}"
    short = f"{verb} {qualifier} {obj} between {tool} and {tool2}"
    description = " ".join(
        rng.choice(SENTENCES).format(o=obj, t=tool, t2=tool2, q=qualifier, b=rng.choice(BRANDS))
        for _ in range(4)
    )
    tags = sorted({*rng.sample(TAGS, rng.randint(1, 4)), tool.lower()})
    return name.capitalize(), short, description, tags


def generate(count: int, seed: int = 7) -> None:
    """Load `count` published templates and a week of installs with COPY."""
    rng = random.Random(seed)
    categories_ensure()
    user_model = get_user_model()
    owner, _ = user_model.objects.get_or_create(username="bench-owner")
    workspace = Workspace.objects.filter(slug="bench-marketplace").first() or workspace_create(
        name="Bench marketplace", owner=owner, slug="bench-marketplace"
    )
    authors = [
        user_model.objects.get_or_create(username=f"bench-author-{i}")[0] for i in range(200)
    ]
    category_ids = list(Category.objects.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE templates_app_templateinstall, templates_app_searchterm, "
            "templates_app_template RESTART IDENTITY CASCADE"
        )
    definition = json.dumps({"nodes": [{"id": "a", "type": "set", "params": {}}], "edges": []})
    now = datetime.now(UTC)
    columns = (
        "workspace_id, author_id, name, slug, short_description, description, category_id, "
        "tags, definition, version, changelog, status, rejection_reason, is_featured, "
        "is_verified, license, price, complexity, required_variables, install_count, "
        "view_count, rating_avg, rating_count, rating_score, trending_score, published_at, "
        "created_at, updated_at"
    )
    started = time.perf_counter()
    connection.ensure_connection()
    raw = connection.connection  # psycopg's own connection, for COPY
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY templates_app_template ({columns}) FROM STDIN") as copy,
    ):
        for index in range(count):
            name, short, description, tags = fake_text(rng)
            license_ = rng.choices(["free", "premium", "enterprise"], [70, 25, 5])[0]
            price = 0 if license_ == "free" else rng.choice([5, 9, 19, 49, 149])
            ratings = int(rng.paretovariate(1.2)) - 1 if rng.random() < 0.6 else 0
            average = round(rng.uniform(2.5, 5.0), 2) if ratings else 0
            score = (PRIOR_MEAN * PRIOR_WEIGHT + average * ratings) / (PRIOR_WEIGHT + ratings)
            published = now - timedelta(seconds=rng.randint(0, 730 * 86400))
            copy.write_row(
                (
                    workspace.pk, rng.choice(authors).pk, name, f"bench-{index}", short,
                    description, rng.choice(category_ids), tags, definition, "1.0.0", "",
                    "published", "", rng.random() < 0.01, rng.random() < 0.05, license_, price,
                    rng.randint(1, 5), "[]", int(rng.paretovariate(1.1)) - 1,
                    rng.randint(0, 5000), average, ratings, score, 0, published, published, now,
                )
            )  # fmt: skip
    print(f"  COPY {count} templates: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    buffer = io.StringIO()
    installed: set[int] = set()
    for _ in range(count):  # one install per template on average, over the last 7 days,
        template_id = int(count * rng.random() ** 3) + 1  # skewed: a few templates get most
        when = now - timedelta(seconds=rng.randint(0, 7 * 86400))
        # Only a workspace's first install of a template is counted (the model's constraint).
        counted = "f" if template_id in installed else "t"
        installed.add(template_id)
        buffer.write(f"{template_id}\t1.0.0\t{workspace.pk}\t{when.isoformat()}\t{counted}\n")
    buffer.seek(0)
    with (
        raw.cursor() as cursor,
        cursor.copy(
            "COPY templates_app_templateinstall "
            "(template_id, version, workspace_id, created_at, counted) FROM STDIN"
        ) as copy,
    ):
        copy.write(buffer.read())
    print(f"  COPY {count} installs: {time.perf_counter() - started:.1f} s")


def timed(label: str, function):
    """Run function(), print how long it took, return its result."""
    started = time.perf_counter()
    result = function()
    print(f"  {label}: {time.perf_counter() - started:.1f} s")
    return result


def scenario_url(text: str, filters: dict, sort: str, *, refresh: bool) -> str:
    params = {**({"q": text} if text else {}), **filters, "sort": sort}
    if refresh:
        params["refresh"] = "true"
    return f"{URL}?{urlencode(params)}"


class DatabaseTimer:
    """Add up the time spent in the database (execute wrapper) during one request."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def timed_get(client: APIClient, url: str) -> tuple[float, float, dict]:
    """GET url; return (total ms, database ms, body)."""
    timer = DatabaseTimer()
    with connection.execute_wrapper(timer):
        started = time.perf_counter()
        response = client.get(url)
        total = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.content[:300]
    return total, timer.seconds * 1000, response.json()


def scenarios() -> list[tuple]:
    return [
        (sort, text, tuple(sorted(filters.items())))
        for sort in SORTS
        for text, filters in QUERIES
        if text or sort != "relevance"  # without text, relevance is the popular sort
    ]


def measure(client: APIClient, repeat: int) -> dict:
    """Time every scenario `repeat` times, round-robin so that load spikes spread evenly."""
    results = {
        key: {"uncached": [], "cached": [], "database": [], "count": 0} for key in scenarios()
    }
    for _ in range(repeat):
        for key, samples in results.items():
            sort, text, filters = key
            total, database, body = timed_get(
                client, scenario_url(text, dict(filters), sort, refresh=True)
            )
            assert body["is_cached"] is False
            samples["uncached"].append(total)
            samples["database"].append(database)
            total, _, body = timed_get(
                client, scenario_url(text, dict(filters), sort, refresh=False)
            )
            assert body["is_cached"] is True
            samples["cached"].append(total)
            samples["count"] = body["count"]
    return results


def print_row(label: str, samples: dict) -> None:
    uncached, cached, database = samples["uncached"], samples["cached"], samples["database"]
    print(
        f"  {label:<10} {percentile(uncached, 0.5):>13.1f} {percentile(uncached, 0.95):>8.1f} "
        f"{percentile(database, 0.5):>9.1f} {percentile(database, 0.95):>8.1f} "
        f"{percentile(cached, 0.5):>11.1f} {percentile(cached, 0.95):>8.1f}"
    )


def report(results: dict) -> list:
    print("\nLatency per sort, ms (all text/filter scenarios of the sort)")
    print(
        f"  {'sort':<10} {'uncached p50':>13} {'p95':>8} {'(SQL) p50':>9} {'p95':>8} "
        f"{'cached p50':>11} {'p95':>8}"
    )
    everything = {"uncached": [], "cached": [], "database": []}
    for sort in SORTS:
        samples = {"uncached": [], "cached": [], "database": []}
        for key, value in results.items():
            if key[0] == sort:
                for kind in samples:
                    samples[kind] += value[kind]
                    everything[kind] += value[kind]
        print_row(sort, samples)
    print_row("ALL", everything)
    ranked = sorted(results.items(), key=lambda item: -statistics.median(item[1]["uncached"]))
    print("\nSlowest uncached scenarios (median ms total / in SQL, matches)")
    for (sort, text, filters), value in ranked[:6]:
        print(
            f"  {statistics.median(value['uncached']):7.1f} / "
            f"{statistics.median(value['database']):5.1f}  sort={sort} q={text!r} "
            f"filters={dict(filters)} count={value['count']}"
        )
    return ranked[:2]


def explain(slowest: list) -> None:
    """Print the plans of the SQL marketplace_page runs for the two slowest scenarios."""
    for (sort, text, filters), _ in slowest:
        data = {**({"q": text} if text else {}), **dict(filters), "sort": sort}
        filterset = MarketplaceTemplateFilterSet(data=data, queryset=marketplace_templates())
        assert filterset.is_valid(), filterset.errors
        queryset = filterset.qs
        label = f"sort={sort} q={text!r} filters={dict(filters)}"
        if sort == "relevance" and text:
            print(f"\nEXPLAIN ANALYZE page query with its window count: {label}")
            ranked = queryset.annotate(total=Window(Count("id")))[:50]
            print(ranked.explain(analyze=True, buffers=True))
            continue
        print(f"\nEXPLAIN ANALYZE page query: {label}")
        print(queryset[:50].explain(analyze=True, buffers=True))
        print(f"\nEXPLAIN ANALYZE count query: {label}")
        count_sql, params = queryset.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM ({count_sql}) c", params
            )
            print("\n".join(row[0] for row in cursor.fetchall()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--templates", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--drop", action="store_true", help="drop the bench database at the end")
    parser.add_argument("--figures", type=Path, help="write the figures as JSON (run_all.py)")
    args = parser.parse_args()
    figures = Figures("marketplace", BENCH_URL, templates=args.templates, repeat=args.repeat)
    print(f"Bench database: {urlsplit(BENCH_URL).path.lstrip('/')}")
    call_command("migrate", verbosity=0)
    if args.regenerate or Template.objects.filter(status="published").count() < args.templates:
        print(f"Generating {args.templates} published templates")
        generate(args.templates)
        words = timed("search_index_rebuild (vectors + vocabulary)", search_index_rebuild)
        print(f"  vocabulary: {words} words")
    changed = timed("trending_scores_refresh", trending_scores_refresh)
    print(f"  trending scores changed: {changed}")
    later = datetime.now(UTC) + timedelta(minutes=15)  # the next scheduled refresh
    changed = timed("refresh 15 min later", lambda: trending_scores_refresh(now=later))
    print(f"  trending scores changed: {changed}")
    # What autovacuum/autoanalyze would have done by now in production.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"Templates: {Template.objects.count()}, vocabulary: {SearchTerm.objects.count()} words")
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get_or_create(username="bench-owner")[0])
    measure(client, 2)  # warm PostgreSQL's buffers and Python's imports
    print(f"Measuring {len(scenarios())} sort/text/filter scenarios x {args.repeat}, round-robin")
    results = measure(client, args.repeat)
    slowest = report(results)
    for kind in ("uncached", "cached"):
        samples = [sample for value in results.values() for sample in value[kind]]
        figures.add(f"{kind} p50", percentile(samples, 0.5), "ms", better="lower")
        figures.add(f"{kind} p95", percentile(samples, 0.95), "ms", better="lower")
    figures.write(args.figures)
    explain(slowest)
    if args.drop:
        connection.close()
        with admin_connection(BENCH_URL) as conn:
            conn.execute(f'DROP DATABASE "{urlsplit(BENCH_URL).path.lstrip("/")}"')
        print("Bench database dropped.")


if __name__ == "__main__":
    main()
