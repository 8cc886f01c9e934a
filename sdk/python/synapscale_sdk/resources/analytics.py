"""Events, analyses, reports, dashboards, widgets, exports, alerts, insights and metrics."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from synapscale_sdk.errors import WaitTimeout
from synapscale_sdk.models import EventBatchResult, Export
from synapscale_sdk.operations import operation
from synapscale_sdk.pagination import Paginated
from synapscale_sdk.resources._base import CRUD_METHODS, Resource

# The most events one request may carry (analytics/services/events_validation.py
# MAX_BATCH_EVENTS; tests/sdk checks the two agree).
MAX_BATCH_EVENTS = 1000
ALL_CRUD = tuple(CRUD_METHODS)


class Events(Resource):
    path = "/api/v1/analytics/events/"
    prefix = "analytics_events"
    crud = ("list",)

    @operation("analytics_events_create")
    def ingest(
        self, events: Iterable[dict[str, Any]], *, batch_size: int = MAX_BATCH_EVENTS
    ) -> EventBatchResult:
        """Send any number of events, `batch_size` (at most the API's limit) per request.

        Each event without an `event_id` gets one, so a batch resent after a connection
        error is stored once (the API counts the repeats as `duplicates`). Rejected events
        carry their index in `events`.
        """
        batch_size = max(1, min(batch_size, MAX_BATCH_EVENTS))
        result = EventBatchResult()
        offset = 0
        for batch in _chunks(events, batch_size):
            answer = self._post(json={"batch": batch}, retry_safe=True)
            rejected = [{**entry, "index": entry["index"] + offset} for entry in answer["rejected"]]
            result = EventBatchResult(
                accepted=result.accepted + answer["accepted"],
                duplicates=result.duplicates + answer["duplicates"],
                rejected=[*result.rejected, *rejected],
                batches=result.batches + 1,
            )
            offset += len(batch)
        return result

    @operation("analytics_events_types_list")
    def types(self) -> Paginated:
        """Iterate the event types seen in the workspace, with counts."""
        return self._paginated(self._url("types"))


def _chunks(events: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(events)
    while batch := list(islice(iterator, size)):
        yield [
            event if "event_id" in event else {**event, "event_id": str(uuid.uuid4())}
            for event in batch
        ]


class Analyses(Resource):
    """Ad-hoc analyses; `refresh=True` recomputes instead of answering from the cache."""

    path = "/api/v1/analytics/analysis/"
    prefix = "analytics_analysis"

    def _analyse(self, kind: str, query: dict[str, Any], refresh: bool) -> dict[str, Any]:
        return self._post(kind, json=query, params={"refresh": refresh or None})

    @operation("analytics_analysis_trends")
    def trends(self, query: dict[str, Any] | None = None, *, refresh: bool = False, **fields):
        """Counts of events over time (`events`, `date_range`, `interval`, `filters`...)."""
        return self._analyse("trends", {**(query or {}), **fields}, refresh)

    @operation("analytics_analysis_funnels")
    def funnels(self, query: dict[str, Any] | None = None, *, refresh: bool = False, **fields):
        """Conversion through ordered `steps` within `window_seconds`."""
        return self._analyse("funnels", {**(query or {}), **fields}, refresh)

    @operation("analytics_analysis_retention")
    def retention(self, query: dict[str, Any] | None = None, *, refresh: bool = False, **fields):
        """Cohorts and how many come back, period after period."""
        return self._analyse("retention", {**(query or {}), **fields}, refresh)

    @operation("analytics_analysis_ab_test")
    def ab_test(self, query: dict[str, Any] | None = None, *, refresh: bool = False, **fields):
        """Compare variants' conversion, with significance."""
        return self._analyse("ab_test", {**(query or {}), **fields}, refresh)


class Reports(Resource):
    path = "/api/v1/analytics/reports/"
    prefix = "analytics_reports"
    crud = ALL_CRUD

    @operation("analytics_reports_run_create")
    def run(self, id: int) -> dict[str, Any]:
        """Queue a run of the report."""
        return self._post(id, "run")

    @operation("analytics_reports_runs_list")
    def runs(self, id: int) -> Paginated:
        """Iterate the runs of a report."""
        return self._paginated(self._url(id, "runs"))

    @operation("analytics_reports_result_retrieve")
    def result(self, id: int) -> dict[str, Any]:
        """The latest result of the report."""
        return self._get(id, "result")


class Dashboards(Resource):
    path = "/api/v1/analytics/dashboards/"
    prefix = "analytics_dashboards"
    crud = ALL_CRUD

    @operation("analytics_dashboards_data_retrieve")
    def data(self, id: int, **params: Any) -> dict[str, Any]:
        """Every widget's data at once."""
        return self._get(id, "data", params=params)

    @operation("analytics_dashboards_duplicate_create")
    def duplicate(self, id: int) -> dict[str, Any]:
        """Copy a dashboard with its widgets."""
        return self._post(id, "duplicate")


class Widgets(Resource):
    path = "/api/v1/analytics/widgets/"
    prefix = "analytics_widgets"
    crud = ALL_CRUD


class Exports(Resource):
    """Exports are built by a worker: request, wait, then download the file."""

    path = "/api/v1/analytics/exports/"
    prefix = "analytics_exports"
    crud = ("list", "retrieve")
    model = Export

    @operation("analytics_exports_create")
    def request(
        self,
        source: str,
        *,
        format: str | None = None,
        filters: dict[str, Any] | None = None,
        report_run: int | None = None,
    ) -> Export:
        """Ask for an export of `events`, `executions` or a report run (`csv` or `jsonl`)."""
        fields = {"source": source, "format": format, "filters": filters, "report_run": report_run}
        return Export.from_dict(
            self._post(json={key: value for key, value in fields.items() if value is not None})
        )

    def wait(self, id: int, *, timeout: float = 60.0, poll_interval: float = 0.5) -> Export:
        """Poll until the export is built (or failed); WaitTimeout after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            export = self.get(id)
            if export.is_finished:
                return export
            if time.monotonic() >= deadline:
                raise WaitTimeout(f"export {id} is still {export.status} after {timeout} s")
            time.sleep(poll_interval)

    @operation("analytics_exports_download_retrieve")
    def download(self, id: int, path: str | Path) -> Path:
        """Stream a built export to `path` (409 `not_ready` before, 410 once expired)."""
        path = Path(path)
        response = self._t.request("GET", self._url(id, "download"), stream=True)
        try:
            with path.open("wb") as file:
                for chunk in response.iter_bytes():
                    file.write(chunk)
        finally:
            response.close()
        return path


class Alerts(Resource):
    path = "/api/v1/analytics/alerts/"
    prefix = "analytics_alerts"
    crud = ALL_CRUD

    @operation("analytics_alerts_events_list")
    def events(self, id: int) -> Paginated:
        """Iterate the times an alert fired or recovered."""
        return self._paginated(self._url(id, "events"))

    @operation("analytics_alerts_pause_create")
    def pause(self, id: int) -> dict[str, Any]:
        """Stop evaluating an alert."""
        return self._post(id, "pause")

    @operation("analytics_alerts_resume_create")
    def resume(self, id: int) -> dict[str, Any]:
        """Evaluate a paused alert again."""
        return self._post(id, "resume")

    @operation("analytics_alerts_snooze_create")
    def snooze(self, id: int, minutes: int) -> dict[str, Any]:
        """Silence an alert's notifications for `minutes`."""
        return self._post(id, "snooze", json={"minutes": minutes})

    @operation("analytics_alerts_rotate_secret_create")
    def rotate_secret(self, id: int) -> dict[str, Any]:
        """Replace the secret that signs an alert's webhook calls."""
        return self._post(id, "rotate-secret")

    @operation("analytics_alerts_test_create")
    def test(self, id: int) -> dict[str, Any]:
        """Send a test notification."""
        return self._post(id, "test")


class Insights(Resource):
    path = "/api/v1/analytics/insights/"
    prefix = "analytics_insights"
    crud = ("list", "retrieve")

    @operation("analytics_insights_summary_retrieve")
    def summary(self) -> dict[str, Any]:
        """Counts of insights by kind and state."""
        return self._get("summary")

    @operation("analytics_insights_read_create")
    def read(self, id: int) -> dict[str, Any]:
        """Mark an insight as read."""
        return self._post(id, "read")

    @operation("analytics_insights_dismiss_create")
    def dismiss(self, id: int) -> dict[str, Any]:
        """Dismiss an insight."""
        return self._post(id, "dismiss")

    @operation("analytics_insights_feedback_create")
    def feedback(self, id: int, useful: bool, *, comment: str | None = None) -> dict[str, Any]:
        """Say whether an insight was useful."""
        body = {"useful": useful, **({"comment": comment} if comment else {})}
        return self._post(id, "feedback", json=body)


class Metrics(Resource):
    path = "/api/v1/analytics/metrics/"
    prefix = "analytics_metrics"

    @operation("analytics_metrics_business_retrieve")
    def business(self, **params: Any) -> dict[str, Any]:
        """Business metrics (active people, conversions, revenue) over a period."""
        return self._get("business", params=params)

    @operation("analytics_metrics_realtime_retrieve")
    def realtime(self, **params: Any) -> dict[str, Any]:
        """The last minutes' activity."""
        return self._get("realtime", params=params)
