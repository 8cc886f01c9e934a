"""Marketplace writes: installing a template, counting views, recomputing trending scores."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from executions.engine.credentials import credential_names, with_credentials_renamed
from executions.selectors.credentials import credential_names_missing
from executions.services.workflows import workflow_create
from synapscale import product_events
from synapscale.services.audit import record_audit_event
from templates_app.choices import VersionStatus
from templates_app.constants import VIEW_COUNTS_KEY, VIEW_SEEN_PREFIX
from templates_app.models import Template, TemplateInstall, TemplateVersion
from templates_app.ranking import TRENDING_HALF_LIFE, TRENDING_WINDOW
from templates_app.services.common import conflict
from templates_app.variables import parse_variable_specs, render_definition, resolve_values

logger = logging.getLogger("templates_app.marketplace")

INSTALLED_EVENT = "template_installed"
MAX_WORKFLOW_NAME_LENGTH = 200


@dataclass(frozen=True)
class InstallResult:
    install: TemplateInstall
    workflow: object  # executions.models.Workflow


@transaction.atomic
def template_install(
    *,
    template: Template,
    user,
    workspace,
    name: str = "",
    variables: dict | None = None,
    credentials: dict[str, str] | None = None,
) -> InstallResult:
    """Create a workflow in `workspace` from the template's published version.

    The required variables are checked and substituted, each credential the template needs
    is mapped to one of the workspace's (`credentials`), the workflow is created through the
    executions app (which validates the result), the install is recorded and the template's
    install counter and trending score go up atomically.
    """
    template = Template.objects.get(pk=template.pk)
    if not template.is_published:
        raise conflict(
            "Only a published template can be installed.", status=f"Is {template.status}."
        )
    # The approved snapshot of the live version: never a version still awaiting review. The
    # row holds the same content; it is used only if the snapshot predates versioning.
    published = TemplateVersion.objects.filter(
        template=template, version=template.version, status=VersionStatus.PUBLISHED
    ).first()
    definition = published.definition if published else template.definition
    specs = parse_variable_specs(
        published.required_variables if published else template.required_variables
    )
    values = resolve_values(specs, variables)
    definition = render_definition(definition, values)
    credential_mapping = installer_credentials(definition, credentials or {}, workspace.pk)
    definition = with_credentials_renamed(definition, credential_mapping)
    workflow_name = (name or "").strip() or template.name
    workflow = workflow_create(
        workspace=workspace,
        user=user,
        name=workflow_name[:MAX_WORKFLOW_NAME_LENGTH],
        definition=definition,
        description=template.short_description,
    )
    install = _install_record(
        template=template,
        version=template.version,
        user=user,
        workspace=workspace,
        workflow=workflow,
    )
    if install.counted:
        # One UPDATE: concurrent installs cannot lose an increment. A fresh install weighs 1
        # in the trending score; the periodic refresh decays it.
        Template.objects.filter(pk=template.pk).update(
            install_count=F("install_count") + 1, trending_score=F("trending_score") + 1.0
        )
    # The variables' values stay out: they may be API keys.
    record_audit_event(
        action="template.installed",
        target=install,
        actor=user,
        changes={
            "template_id": template.pk,
            "version": template.version,
            "workflow_id": workflow.pk,
            "variables": list(values),
            "counted": install.counted,
            "credentials": credential_mapping,
        },
    )
    properties = {
        "template_id": template.pk,
        "template_slug": template.slug,
        "version": template.version,
        "price": str(template.price),
    }
    transaction.on_commit(
        lambda: product_events.record(
            workspace_id=workspace.pk,
            event_type=INSTALLED_EVENT,
            distinct_id=str(user.pk),
            properties=properties,
            user_id=user.pk,
        )
    )
    return InstallResult(install=install, workflow=workflow)


def _install_record(*, template, workspace, **fields) -> TemplateInstall:
    """Record an install, counted when it is the workspace's first of this template.

    The partial unique constraint settles a race between two first installs of one
    workspace: the loser's insert fails in its savepoint and it is stored uncounted.
    """
    first = not TemplateInstall.objects.filter(
        template=template, workspace=workspace, counted=True
    ).exists()
    if first:
        try:
            with transaction.atomic():
                return TemplateInstall.objects.create(
                    template=template, workspace=workspace, counted=True, **fields
                )
        except IntegrityError:
            pass
    return TemplateInstall.objects.create(
        template=template, workspace=workspace, counted=False, **fields
    )


def installer_credentials(definition: dict, mapping: dict[str, str], workspace_id: int):
    """Map each credential the definition names to the installer's; raise on a gap.

    A template carries credential names only, never secrets. Each one is mapped to a
    credential of the installing workspace: explicitly (`{"<template's>": "<yours>"}`), or
    implicitly to one of the same name. A name left without a credential is a 400 under
    `credentials.<name>`, and nothing is installed.
    """
    required = credential_names(definition)
    errors = {
        f"credentials.{name}": ["The template needs no credential of this name."]
        for name in mapping
        if name not in required
    }
    chosen = {name: mapping.get(name, name) for name in required}
    missing = credential_names_missing(workspace_id=workspace_id, names=set(chosen.values()))
    for name in required:
        if chosen[name] in missing:
            errors[f"credentials.{name}"] = [
                f"No credential {chosen[name]!r} in your workspace: map {name!r} to one of "
                f'yours ("credentials": {{"{name}": "<your credential>"}}) or create it.'
            ]
    if errors:
        raise ValidationError(errors)
    return chosen


# Marks the visitor's view of the day and counts it only if the mark is new: one round trip.
_COUNT_VIEW_ONCE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
    return redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
end
return 0
"""


def template_view_record(*, template_id: int, visitor: str) -> None:
    """Count a view in Redis, once per visitor and UTC day; the periodic flush writes them.

    A detail page is read far more often than anything changes, so counting must not write
    a row per read; a visitor reloading the page counts once. ``visitor`` is an opaque id
    (the user's, or a hash of the client's address and agent). Losing a view when Redis is
    down is acceptable; failing the page is not.
    """
    now = timezone.now()
    day = now.date()
    next_midnight = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
    # The key names the day, so it only has to outlive it (a minute of slack).
    ttl = int((next_midnight - now).total_seconds()) + 60
    seen_key = f"{VIEW_SEEN_PREFIX}:{day.isoformat()}:{template_id}:{visitor}"
    try:
        conn = get_redis_connection("default")
        conn.eval(_COUNT_VIEW_ONCE, 2, seen_key, VIEW_COUNTS_KEY, ttl, str(template_id))
    except RedisError:
        logger.warning("template_view_not_counted template_id=%s", template_id)


def template_views_flush() -> int:
    """Move the view counts accumulated in Redis into `Template.view_count`; return the views.

    The hash is renamed first, so views counted during the flush go to a fresh hash. The
    renamed hash is then read and deleted in one MULTI/EXEC *before* the database is
    written: a Redis failure after the UPDATE can no longer leave the counts behind to be
    added a second time by the retry. If the UPDATE fails, the counts go back into the live
    hash; only if Redis fails at that very moment are they lost (a few views, never a
    double count).
    """
    conn = get_redis_connection("default")
    # One flusher at a time; a second one finding the lock taken has nothing to do.
    lock = conn.lock(f"{VIEW_COUNTS_KEY}:lock", timeout=120, blocking=False)
    if not lock.acquire():
        return 0
    try:
        return _flush_views(conn)
    finally:
        lock.release()


def _flush_views(conn) -> int:
    flushing_key = f"{VIEW_COUNTS_KEY}:flushing"
    # A flush that died before claiming left its counts under the flushing key: take them.
    if not conn.exists(flushing_key):
        if not conn.exists(VIEW_COUNTS_KEY):
            return 0
        conn.rename(VIEW_COUNTS_KEY, flushing_key)
    claim = conn.pipeline(transaction=True)
    claim.hgetall(flushing_key)
    claim.delete(flushing_key)
    raw_counts, _deleted = claim.execute()
    counts = {int(key): int(value) for key, value in raw_counts.items()}
    if not counts:
        return 0
    ids, increments = zip(*sorted(counts.items()), strict=True)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE templates_app_template AS t SET view_count = t.view_count + c.views "
                "FROM unnest(%s::bigint[], %s::bigint[]) AS c(id, views) WHERE t.id = c.id",
                [list(ids), list(increments)],
            )
    except DatabaseError:
        _return_views(conn, counts)
        raise
    total = sum(increments)
    logger.info("template_views_flushed templates=%s views=%s", len(counts), total)
    return total


def _return_views(conn, counts: dict[int, int]) -> None:
    """Add claimed counts back to the live hash after a failed database write."""
    try:
        restore = conn.pipeline(transaction=True)
        for template_id, views in counts.items():
            restore.hincrby(VIEW_COUNTS_KEY, str(template_id), views)
        restore.execute()
    except RedisError:
        logger.warning(
            "template_views_lost templates=%s views=%s", len(counts), sum(counts.values())
        )


# A recomputed score within this fraction of the stored one is not written: between two
# refreshes (15 min, half-life 2 days) every score decays by 0.4%, so without a tolerance each
# refresh would rewrite every row with recent installs (and its index entries). With it a row
# is rewritten about every 45 minutes, or as soon as new installs move it.
TRENDING_TOLERANCE = 0.01
# Rows per transaction: short row locks, so installs of those templates never wait long.
TRENDING_BATCH_SIZE = 2000

# One install's weight, 0.5 ** (age / half-life). Installs newer than `now` (committed while
# the refresh ran) weigh 1: their +1 is already in the stored score.
_INSTALL_WEIGHT_SQL = (
    "power(0.5::float8, GREATEST(EXTRACT(EPOCH FROM (%(now)s - i.created_at)), 0)::float8"
    " / %(half_life)s)"
)
_DRIFTED = "abs(t.trending_score - {score}) > %(tolerance)s * greatest(t.trending_score, {score})"

# Read only: the templates whose stored score is off by more than the tolerance (a score to
# decay or expire, or new installs). In steady state a few hundred of 100,000.
_DRIFTED_SQL = f"""
SELECT t.id
FROM templates_app_template AS t
LEFT JOIN (
    SELECT i.template_id, SUM({_INSTALL_WEIGHT_SQL})::float8 AS score
    FROM templates_app_templateinstall AS i
    WHERE i.created_at > %(since)s AND i.counted
    GROUP BY i.template_id
) AS s ON s.template_id = t.id
WHERE (t.trending_score <> 0 OR s.template_id IS NOT NULL)
  AND {_DRIFTED.format(score="COALESCE(s.score, 0)")}
ORDER BY t.id
"""

# An install inserts its row, then adds 1 to the template's score, then commits. Locking the
# rows about to be written first makes every install either committed before the lock (so
# the next statement, with a fresh snapshot, counts it) or waiting for the lock (so its +1
# lands on the recomputed score): none is overwritten. Rows not locked are not written.
_LOCK_BATCH_SQL = """
SELECT id FROM templates_app_template WHERE id = ANY(%(ids)s::bigint[]) ORDER BY id FOR UPDATE
"""

# Recomputed and written in one statement, under the lock. The FILTER matters: for a
# template without installs the LEFT JOIN's NULL row would weigh GREATEST(NULL, 0) = 0 -> 1.
_APPLY_SCORES_SQL = f"""
UPDATE templates_app_template AS t SET trending_score = c.score
FROM (
    SELECT batch.id,
           COALESCE(SUM({_INSTALL_WEIGHT_SQL}) FILTER (WHERE i.id IS NOT NULL), 0)::float8
               AS score
    FROM unnest(%(ids)s::bigint[]) AS batch(id)
    LEFT JOIN templates_app_templateinstall AS i
           ON i.template_id = batch.id AND i.created_at > %(since)s AND i.counted
    GROUP BY batch.id
) AS c
WHERE t.id = c.id AND {_DRIFTED.format(score="c.score")}
"""


def trending_scores_refresh(*, now: datetime | None = None) -> int:
    """Recompute every template's trending score from its installs; return rows changed.

    Score = sum over installs of the last 7 days of 0.5 ** (age / half-life), so recent
    installs weigh most (templates_app.ranking). Templates whose installs all left the
    window go back to 0. One read finds the scores that drifted beyond TRENDING_TOLERANCE;
    each batch of those rows is locked, then recomputed and written in one statement, so an
    install landing mid-run is never overwritten.
    """
    now = now or timezone.now()
    params = {
        "now": now,
        "since": now - TRENDING_WINDOW,
        "half_life": TRENDING_HALF_LIFE.total_seconds(),
        "tolerance": TRENDING_TOLERANCE,
    }
    with connection.cursor() as cursor:
        cursor.execute(_DRIFTED_SQL, params)
        # By id: concurrent refreshes lock rows in one order.
        drifted = sorted(row[0] for row in cursor.fetchall())
    changed = 0
    for start in range(0, len(drifted), TRENDING_BATCH_SIZE):
        batch = {**params, "ids": drifted[start : start + TRENDING_BATCH_SIZE]}
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_LOCK_BATCH_SQL, batch)
            cursor.execute(_APPLY_SCORES_SQL, batch)
            changed += cursor.rowcount
    logger.info("trending_scores_refreshed drifted=%s changed=%s", len(drifted), changed)
    return changed
