"""An HTTP client that retries like the SDKs do: the same request again until a 2xx."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter


class RetryingClient:
    """Sends JSON to a live server; every answer's status and latency is kept."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        self.base_url = base_url
        self.headers = {"Content-Type": "application/json", **headers}
        self.statuses: Counter[int] = Counter()
        self.retry_afters: Counter[str] = Counter()
        self.slowest_answer = 0.0
        self.lock = threading.Lock()

    def _once(self, path: str, body: dict, headers: dict[str, str]) -> tuple[int, dict | None]:
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(body).encode(),
            headers={**self.headers, **headers},
            method="POST",
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, payload = response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            status, payload = error.code, None
            if error.code in (429, 503):
                with self.lock:
                    self.retry_afters[error.headers.get("Retry-After")] += 1
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            status, payload = 0, None  # no answer: the client cannot know, so it retries
        with self.lock:
            self.statuses[status] += 1
            self.slowest_answer = max(self.slowest_answer, time.monotonic() - started)
        return status, payload

    def post_until_acknowledged(
        self, path: str, body: dict, headers: dict[str, str] | None = None, *, tries: int = 600
    ) -> dict | None:
        """POST until a 2xx (its JSON body is returned); None after ``tries`` refusals."""
        for _ in range(tries):
            status, payload = self._once(path, body, headers or {})
            if 200 <= status < 300:
                return payload
            time.sleep(0.1)
        return None


def event_batch(size: int) -> list[dict]:
    return [
        {"event_type": "click", "distinct_id": f"p{n}", "event_id": str(uuid.uuid4())}
        for n in range(size)
    ]


class Traffic(threading.Thread):
    """A client submitting runs (each with its Idempotency-Key) and event batches."""

    def __init__(
        self,
        client: RetryingClient,
        *,
        run_path: str,
        runs: int,
        batches: int,
        events_per_batch: int = 20,
        pause: float = 0.0,
    ) -> None:
        super().__init__(daemon=True)
        self.client, self.run_path, self.pause = client, run_path, pause
        self.runs, self.batches, self.events_per_batch = runs, batches, events_per_batch
        self.acknowledged_runs: dict[str, int] = {}  # Idempotency-Key -> execution id
        self.acknowledged_events: set[str] = set()
        self.given_up = 0

    def run(self) -> None:
        for number in range(max(self.runs, self.batches)):
            if number < self.runs:
                key = f"chaos-{uuid.uuid4()}"
                answer = self.client.post_until_acknowledged(
                    self.run_path, {}, {"Idempotency-Key": key}
                )
                if answer is None:
                    self.given_up += 1
                else:
                    self.acknowledged_runs[key] = answer["id"]
            if number < self.batches:
                events = event_batch(self.events_per_batch)
                answer = self.client.post_until_acknowledged(
                    "/api/v1/analytics/events/", {"batch": events}
                )
                if answer is None:
                    self.given_up += 1
                else:
                    self.acknowledged_events.update(event["event_id"] for event in events)
            time.sleep(self.pause)
