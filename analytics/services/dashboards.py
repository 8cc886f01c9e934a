"""Dashboards and widgets: validated writes that invalidate the dashboard's cached data."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from analytics.choices import Sharing, WidgetType
from analytics.models import Dashboard, Widget
from analytics.query_spec import date_range_parse
from analytics.selectors.dashboards import NAMED_METRICS, WIDGET_KINDS, dashboard_namespace
from analytics.services.reports import query_spec_validate
from synapscale.api.exceptions import ApplicationError
from synapscale.cache import invalidate_on_commit
from synapscale.services.audit import audit_changes, audit_snapshot, record_audit_event
from synapscale.services.updates import model_update

DASHBOARD_FIELDS = {
    "name",
    "description",
    "date_range",
    "is_default",
    "sharing",
    "refresh_interval",
}
WIDGET_FIELDS = {"title", "type", "query", "metric", "position_x", "position_y", "width", "height"}
MIN_REFRESH_SECONDS = 30
MAX_REFRESH_SECONDS = 86400


def _invalidate_on_commit(dashboard: Dashboard) -> None:
    invalidate_on_commit(dashboard_namespace(dashboard.pk), dashboard.workspace_id)


def _validate_dashboard(values: dict) -> None:
    errors: dict = {}
    if values.get("date_range") is not None:
        date_range_parse(values["date_range"], errors)
    interval = values.get("refresh_interval")
    manual = interval is None or interval == 0
    if not manual and not MIN_REFRESH_SECONDS <= interval <= MAX_REFRESH_SECONDS:
        errors["refresh_interval"] = [
            f"0 (manual) or {MIN_REFRESH_SECONDS} to {MAX_REFRESH_SECONDS} seconds."
        ]
    if errors:
        raise ValidationError(errors)


@contextlib.contextmanager
def _one_default_race() -> Iterator[None]:
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        # Two requests made different dashboards the default at the same moment.
        raise ApplicationError(
            "Another dashboard became the default meanwhile; retry.", status=409
        ) from exc


def _record(obj, action: str, before: dict, *, actor=None, workspace=None, gone=False) -> None:
    record_audit_event(
        action=action,
        target=obj,
        actor=actor,
        workspace=workspace,
        changes=audit_changes(before, None if gone else obj),
    )


def _unset_other_defaults(dashboard: Dashboard) -> None:
    if dashboard.is_default:
        Dashboard.objects.filter(workspace_id=dashboard.workspace_id, is_default=True).exclude(
            pk=dashboard.pk
        ).update(is_default=False)


@transaction.atomic
def dashboard_create(*, workspace, owner, name: str, **fields: Any) -> Dashboard:
    """Create a dashboard; making it the default unsets the previous default."""
    unknown = set(fields) - DASHBOARD_FIELDS
    if unknown:
        raise ValidationError({field: ["Unknown field."] for field in unknown})
    fields.setdefault("sharing", Sharing.WORKSPACE)
    _validate_dashboard(fields)
    dashboard = Dashboard(workspace=workspace, owner=owner, name=name, **fields)
    dashboard.full_clean(validate_constraints=False)  # the one-default rule is kept below
    if dashboard.is_default:
        Dashboard.objects.filter(workspace=workspace, is_default=True).update(is_default=False)
    with _one_default_race():
        dashboard.save()
    _record(dashboard, "dashboard.created", {}, actor=owner)
    return dashboard


def _clean_dashboard(dashboard: Dashboard) -> None:
    dashboard.full_clean(validate_constraints=False)  # the one-default rule is kept below
    _unset_other_defaults(dashboard)


@transaction.atomic
def dashboard_update(*, dashboard: Dashboard, **changes: Any) -> Dashboard:
    _validate_dashboard(changes)
    before = audit_snapshot(dashboard)
    with _one_default_race():
        dashboard, has_updated = model_update(
            instance=dashboard, fields=DASHBOARD_FIELDS, data=changes, clean=_clean_dashboard
        )
    if not has_updated:
        return dashboard
    _record(dashboard, "dashboard.updated", before)
    _invalidate_on_commit(dashboard)
    return dashboard


@transaction.atomic
def dashboard_delete(*, dashboard: Dashboard) -> None:
    _invalidate_on_commit(dashboard)
    _record(dashboard, "dashboard.deleted", audit_snapshot(dashboard, fields=["name"]), gone=True)
    dashboard.delete()


@transaction.atomic
def dashboard_duplicate(*, dashboard: Dashboard, owner) -> Dashboard:
    """Copy a dashboard and its widgets (the copy is never the default)."""
    copy = Dashboard.objects.create(
        workspace_id=dashboard.workspace_id,
        owner=owner,
        name=f"Copy of {dashboard.name}"[:200],
        description=dashboard.description,
        date_range=dashboard.date_range,
        is_default=False,
        sharing=dashboard.sharing,
        refresh_interval=dashboard.refresh_interval,
    )
    Widget.objects.bulk_create(
        Widget(
            dashboard=copy,
            **{field: getattr(widget, field) for field in WIDGET_FIELDS},
        )
        for widget in dashboard.widgets.all()
    )
    _record(copy, "dashboard.duplicated", {}, actor=owner)
    return copy


def _validate_widget(widget: Widget) -> None:
    has_query, has_metric = widget.query is not None, bool(widget.metric)
    if has_query == has_metric:
        raise ValidationError({"query": ["Give either a query spec or a named metric, not both."]})
    if has_metric:
        metric = NAMED_METRICS.get(widget.metric)
        if metric is None:
            raise ValidationError({"metric": [f"One of {sorted(NAMED_METRICS)}."]})
        if metric.kind not in WIDGET_KINDS[widget.type]:
            raise ValidationError(
                {"type": [f"A {widget.type} widget cannot show {widget.metric}."]}
            )
        return
    spec = query_spec_validate(query=widget.query, workspace_id=widget.dashboard.workspace_id)
    if widget.type == WidgetType.KPI and spec.group_by is not None:
        raise ValidationError({"query.group_by": ["A kpi widget shows one value: no group_by."]})
    if widget.type == WidgetType.TIMESERIES and not spec.groups_by_time:
        raise ValidationError(
            {"query.group_by": ["A timeseries widget groups by a time interval."]}
        )


@transaction.atomic
def widget_create(*, dashboard: Dashboard, title: str, type: str, **fields: Any) -> Widget:
    unknown = set(fields) - WIDGET_FIELDS
    if unknown:
        raise ValidationError({field: ["Unknown field."] for field in unknown})
    widget = Widget(dashboard=dashboard, title=title, type=type, **fields)
    widget.full_clean(validate_constraints=False)
    _validate_widget(widget)
    widget.save()
    _record(widget, "widget.created", {}, workspace=dashboard.workspace_id)
    _invalidate_on_commit(dashboard)
    return widget


def _clean_widget(widget: Widget) -> None:
    widget.full_clean(validate_constraints=False)
    _validate_widget(widget)


@transaction.atomic
def widget_update(*, widget: Widget, **changes: Any) -> Widget:
    before = audit_snapshot(widget)
    widget, has_updated = model_update(
        instance=widget, fields=WIDGET_FIELDS, data=changes, clean=_clean_widget
    )
    if not has_updated:
        return widget
    _record(widget, "widget.updated", before, workspace=widget.dashboard.workspace_id)
    _invalidate_on_commit(widget.dashboard)
    return widget


@transaction.atomic
def widget_delete(*, widget: Widget) -> None:
    _invalidate_on_commit(widget.dashboard)
    _record(
        widget,
        "widget.deleted",
        audit_snapshot(widget, fields=["title", "dashboard"]),
        workspace=widget.dashboard.workspace_id,
        gone=True,
    )
    widget.delete()
