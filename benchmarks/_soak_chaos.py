"""Pieces of benchmarks/soak.py: the retrying client, the side-effect sink, the injuries.

- `send_until_acked` posts one body until a 2xx, with the same body (so the same event ids,
  the same Idempotency-Key) on every try: connection errors, 5xx, 429 and 503 are retried,
  Retry-After honoured up to a cap.
- `Sink` is the HTTP endpoint the soak workflow's `http_request` node calls: it records each
  call's Idempotency-Key and the run's own key, so a side effect done twice is seen outside
  the database too.
- `Chaos` injures the stack on a timer: SIGKILL of a gunicorn worker (the master forks a new
  one), of a Celery pool child, of the Celery main process (then its orphaned children, as
  a container dies, and a restart). Each injury is timed for the report.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from benchmarks._http_load import _OPENER
from benchmarks._procs import descendants, wait_until

RETRY_STATUSES = frozenset({429, 502, 503, 504})
KINDS = ("gunicorn_worker", "celery_child", "celery_main")


def post(url: str, body: bytes, headers: dict, timeout: float) -> tuple[int, object, dict]:
    """POST body; return (status, parsed JSON or None, headers); status 0 on a socket error."""
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    for key, value in headers.items():
        request.add_header(key, value)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status, raw, answer = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        status, raw, answer = exc.code, exc.read(), dict(exc.headers)
    except (urllib.error.URLError, OSError, ValueError):
        # ValueError: http.client's reading of a reply cut off by a killed worker.
        return 0, None, {}
    try:
        return status, json.loads(raw), answer
    except ValueError:
        return status, None, answer


@dataclass
class Outcome:
    status: int  # the last status (2xx when acknowledged, 0: no answer)
    data: object
    tries: int
    codes: dict[int, int] = field(default_factory=dict)  # every status seen, retries included

    @property
    def acked(self) -> bool:
        return 200 <= self.status < 300


def send_until_acked(
    url: str,
    body: bytes,
    headers: dict,
    *,
    tries: int,
    timeout: float,
    retry_cap: float,
    stop: threading.Event,
) -> Outcome:
    """POST the same body until a 2xx, a status not worth retrying, `tries` or `stop`."""
    codes: dict[int, int] = {}
    status, data = 0, None
    for attempt in range(1, tries + 1):
        status, data, answer = post(url, body, headers, timeout)
        codes[status] = codes.get(status, 0) + 1
        retryable = status == 0 or status >= 500 or status in RETRY_STATUSES
        if 200 <= status < 300 or not retryable or attempt == tries or stop.is_set():
            return Outcome(status, data, attempt, codes)
        wait = min(retry_cap, 0.1 * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
        with contextlib.suppress(ValueError):
            wait = max(wait, min(retry_cap, float(answer.get("Retry-After", 0))))
        stop.wait(wait)
    return Outcome(status, data, tries, codes)


class Sink:
    """A local HTTP endpoint that answers 200 and records (Idempotency-Key, run key)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        lock, calls = threading.Lock(), self.calls

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    key = str(json.loads(raw).get("key"))
                except (ValueError, AttributeError):
                    key = "?"
                with lock:
                    calls.append((self.headers.get("Idempotency-Key", ""), key))
                payload = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/effect"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def summary(self, acked_keys: set[str]) -> dict:
        """Calls per run key: more than one is a repeated side effect; with another
        Idempotency-Key the receiver could not even drop the repeat."""
        by_key: dict[str, set[str]] = {}
        count: dict[str, int] = {}
        for idem, key in list(self.calls):
            by_key.setdefault(key, set()).add(idem)
            count[key] = count.get(key, 0) + 1
        return {
            "calls": sum(count.values()),
            "runs_called": len(count),
            "acked_runs_never_called": len(acked_keys - set(count)),
            "runs_called_more_than_once": sum(n > 1 for n in count.values()),
            "repeats_with_same_idempotency_key": sum(
                n - len(by_key[k]) for k, n in count.items() if n > 1
            ),
            "runs_called_with_different_idempotency_keys": sum(
                len(ids) > 1 for ids in by_key.values()
            ),
        }


@dataclass
class Injury:
    kind: str
    at: float  # time.time() of the SIGKILL
    pid: int
    detail: str = ""
    running_ids: list[int] = field(default_factory=list)  # running at the kill, not before
    respawn_s: float | None = None  # until a new gunicorn worker / a ready Celery worker

    def as_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k != "running_ids"}
        data["running_at_kill"] = len(self.running_ids)
        return data


class Chaos(threading.Thread):
    """Every `every` seconds, the next injury of KINDS in turn, until `done` is set.

    `restart_worker()` starts a fresh Celery worker and returns its pid; `worker_pid()` and
    `web_pid()` give the current main processes; `running()` the ids of running executions.
    """

    def __init__(self, *, every, done, web_pid, worker_pid, restart_worker, running, ready_log):
        super().__init__(daemon=True)
        self.every, self.done = every, done
        self.web_pid, self.worker_pid = web_pid, worker_pid
        self.restart_worker, self.running, self.ready_log = restart_worker, running, ready_log
        self.injuries: list[Injury] = []
        self.errors: list[str] = []
        self.seen_running: set[int] = set()  # running at an earlier kill: its orphans

    def run(self) -> None:
        turn = 0
        while not self.done.wait(self.every):
            kind = KINDS[turn % len(KINDS)]
            turn += 1
            try:
                injury = getattr(self, f"_{kind}")()
            except Exception as exc:  # the report says what went wrong; the load goes on
                self.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
                continue
            if injury is not None:
                self.injuries.append(injury)

    def _kill(self, kind: str, pid: int, detail: str = "") -> Injury:
        running = self.running()
        os.kill(pid, signal.SIGKILL)
        # Runs take milliseconds: one still running since an earlier kill is its orphan.
        fresh = [pk for pk in running if pk not in self.seen_running]
        self.seen_running.update(running)
        return Injury(kind, time.time(), pid, detail, fresh)

    def _celery_child(self) -> Injury | None:
        main = self.worker_pid()
        return self._kill_child("celery_child", lambda: descendants(main))

    def _kill_child(self, kind: str, children) -> Injury | None:
        """SIGKILL one of children(); time until their parent has as many again without it."""
        before = children()
        if not before:
            self.errors.append(f"{kind}: no child process to kill")
            return None
        victim = random.choice(before)
        injury = self._kill(kind, victim)

        def respawned() -> bool:
            current = children()
            return victim not in current and len(current) >= len(before)

        if wait_until(respawned, timeout=60, interval=0.05):
            injury.respawn_s = round(time.time() - injury.at, 2)
        return injury

    def _celery_main(self) -> Injury:
        main = self.worker_pid()
        orphans = descendants(main)
        injury = self._kill("celery_main", main, f"and its {len(orphans)} pool children")
        # The worker's container would die with its main process: so do the orphans.
        for pid in orphans:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        ready_before = self.ready_log()
        self.restart_worker()
        if wait_until(lambda: self.ready_log() > ready_before, timeout=120, interval=0.1):
            injury.respawn_s = round(time.time() - injury.at, 2)
        return injury

    def _gunicorn_worker(self) -> Injury | None:
        master = self.web_pid()

        def workers() -> list[int]:
            return [pid for pid in descendants(master) if _parent(pid) == master]

        return self._kill_child("gunicorn_worker", workers)


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rpartition(")")[2].split()[1])
    except (OSError, ValueError, IndexError):
        return None
