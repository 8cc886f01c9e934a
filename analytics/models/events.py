"""Raw product events and the rollups kept up to date from ingestion."""

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import F
from django.db.models.functions import Collate


class Event(models.Model):
    """One product event. Written in bulk by ``analytics.services.events``, never one by one.

    The table is partitioned by month on ``created_at`` (migration 0006, docs/analytics.md
    "Partitions and retention"). Its primary key in PostgreSQL is ``(id, created_at)``, as a
    partitioned table requires; ``id`` comes from one identity sequence, so it alone is still
    unique and Django keeps it as the primary key (the admin cannot show a model with a
    composite one). Uniqueness of ``(workspace, event_id)`` across partitions is kept by
    ``EventKey``.
    """

    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    event_id = models.UUIDField(help_text="Client-sent or generated; unique per workspace.")
    event_type = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,  # Deleting a user must not scan millions of events for the FK.
    )
    distinct_id = models.CharField(max_length=200)
    session_id = models.CharField(max_length=200, blank=True, default="")
    properties = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True, help_text="Truncated (/24, /48).")
    user_agent = models.CharField(max_length=512, blank=True, default="")
    page_url = models.CharField(max_length=2048, blank=True, default="")
    referrer = models.CharField(max_length=2048, blank=True, default="")
    created_at = models.DateTimeField(help_text="When the event happened.")
    received_at = models.DateTimeField(help_text="When SynapScale received it.")

    class Meta:
        indexes = [
            models.Index(fields=["user", "event_type", "created_at"], name="events_user_type_time"),
            # Covering: the analyses read the person, type and time of millions of events,
            # and with the person in the index those scans are index-only.
            models.Index(
                fields=["workspace", "event_type", "created_at"],
                include=["distinct_id"],
                name="events_ws_type_time_person",
            ),
            models.Index(fields=["workspace", "created_at"], name="events_ws_time"),
            BrinIndex(fields=["created_at"], name="events_created_brin"),
        ]

    def __str__(self):
        return f"{self.event_type} by {self.distinct_id} at {self.created_at:%Y-%m-%d %H:%M}"


class EventKey(models.Model):
    """The ``(workspace, event_id)`` of every stored event: dedup across event partitions.

    A unique index on a partitioned table must include the partition key, so it could only
    refuse a repeated event within one month. This small unpartitioned table holds the key;
    ingestion inserts here first (``ON CONFLICT DO NOTHING``) and stores in ``Event`` only
    the rows whose key was new, in the same statement. ``created_at`` (the event's) lets the
    retention drop the keys of the partitions it drops.
    """

    pk = models.CompositePrimaryKey("workspace", "event_id")
    workspace = models.ForeignKey(
        "synapscale.Workspace",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # The primary key's index starts with workspace_id already.
    )
    event_id = models.UUIDField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="eventkey_created")]

    def __str__(self):
        return f"{self.event_id} at {self.created_at:%Y-%m-%d %H:%M}"


class EventHourlyCount(models.Model):
    """Events per (workspace, type, hour): what business metrics and top types read."""

    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    event_type = models.CharField(max_length=64)
    hour = models.DateTimeField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "event_type", "hour"], name="analytics_hourly_uniq"
            ),
        ]
        indexes = [models.Index(fields=["workspace", "hour"], name="hourly_ws_hour")]

    def __str__(self):
        return f"{self.event_type} {self.hour:%Y-%m-%d %H}h: {self.count}"


class DailyActivePerson(models.Model):
    """One row per person active on a (UTC) day: DAU/WAU/MAU count these rows."""

    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    distinct_id = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "day", "distinct_id"], name="analytics_dap_uniq"
            ),
        ]
        indexes = [
            # Each person's days in order, as the WAU/MAU series reads them
            # (analytics.selectors.metrics), without a sort of the whole range.
            models.Index(
                F("workspace"), Collate(F("distinct_id"), "C"), F("day"), name="dap_ws_person_day"
            ),
        ]

    def __str__(self):
        return f"{self.distinct_id} active {self.day}"


class Person(models.Model):
    """A distinct person and the first time they were seen (new-user counts)."""

    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    distinct_id = models.CharField(max_length=200)
    first_seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "distinct_id"], name="analytics_person_uniq"
            ),
        ]
        indexes = [models.Index(fields=["workspace", "first_seen_at"], name="person_ws_first_seen")]

    def __str__(self):
        return self.distinct_id


class EventMinuteCount(models.Model):
    """Events per (workspace, minute) for the last two hours: the realtime chart."""

    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    minute = models.DateTimeField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "minute"], name="analytics_minute_uniq"),
        ]

    def __str__(self):
        return f"{self.minute:%H:%M}: {self.count}"


class RecentActivePerson(models.Model):
    """Who was active in which minute, kept two hours: active people in the last 5/60 min."""

    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    minute = models.DateTimeField()
    distinct_id = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "minute", "distinct_id"], name="analytics_recent_person_uniq"
            ),
        ]

    def __str__(self):
        return f"{self.distinct_id} at {self.minute:%H:%M}"
