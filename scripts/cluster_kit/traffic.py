"""HTTP traffic through the balancer: the account, each kind of request, what it answered.

Used by load.py (no retries: every answer counts) and chaos.py (retries with the same
Idempotency-Key or event_id until a 2xx, which is what makes a retry safe).
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx

from . import topology
from .hosts import ClusterError, State

API = "/api/v1"
BATCH_SIZE = 25


def balancer_url() -> str:
    return f"http://{topology.host('lb').address}:{topology.BALANCER_PORT}"


def workflow_definition(delay_seconds: float) -> dict:
    """set -> delay -> transform: the delay stands for the external calls a real run waits on."""
    return {
        "nodes": [
            {"id": "prepare", "type": "set", "params": {"fields": {"n": {"expr": "input.n"}}}},
            {"id": "wait", "type": "delay", "params": {"seconds": delay_seconds}},
            {"id": "double", "type": "transform", "params": {"expr": "nodes.prepare.n"}},
        ],
        "edges": [{"from": "prepare", "to": "wait"}, {"from": "wait", "to": "double"}],
    }


@dataclass
class Account:
    token: str
    workflow_id: int
    hook_path: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Token {self.token}"}


def _expect(response: httpx.Response, status: int, what: str) -> dict:
    if response.status_code != status:
        raise ClusterError(f"{what} answered {response.status_code}: {response.text[:500]}")
    return response.json()


def create_account(state: State, *, delay_seconds: float) -> Account:
    """Register a user, create the workflow and a webhook trigger for it, all by the API."""
    with httpx.Client(base_url=balancer_url(), timeout=30) as client:
        name = f"cluster-{uuid.uuid4().hex[:8]}"
        body = {
            "username": name,
            "email": f"{name}@cluster.invalid",
            "password": secrets.token_hex(16),
        }
        registered = _expect(client.post(f"{API}/auth/register/", json=body), 201, "register")
        headers = {"Authorization": f"Token {registered['token']}"}
        workflow = {
            "name": f"cluster load {delay_seconds}s",
            "definition": workflow_definition(delay_seconds),
        }
        created = _expect(
            client.post(f"{API}/workflows/", json=workflow, headers=headers),
            201,
            "POST /workflows/",
        )
        trigger = {"workflow": created["id"], "name": "cluster hook", "rate_limit": "100000/s"}
        hook = _expect(
            client.post(f"{API}/triggers/", json=trigger, headers=headers), 201, "POST /triggers/"
        )
    hook_path = httpx.URL(hook["secret_url"]).raw_path.decode()
    account = Account(registered["token"], created["id"], hook_path)
    state["account"] = {
        "token": account.token,
        "workflow_id": account.workflow_id,
        "hook_path": hook_path,
        "delay_seconds": delay_seconds,
    }
    return account


def account_for(state: State, *, delay_seconds: float) -> Account:
    saved = state.get("account")
    if saved and saved["delay_seconds"] == delay_seconds:
        return Account(saved["token"], saved["workflow_id"], saved["hook_path"])
    return create_account(state, delay_seconds=delay_seconds)


@dataclass
class Sample:
    kind: str
    status: int  # 0: no answer (connection refused or reset, timeout)
    seconds: float
    at: float  # time.monotonic() when it was sent


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, client: httpx.Client, kind: str, method: str, url: str, **kwargs):
        started = time.monotonic()
        try:
            response = client.request(method, url, **kwargs)
            status = response.status_code
        except httpx.HTTPError:
            response, status = None, 0
        with self.lock:
            self.samples.append(Sample(kind, status, time.monotonic() - started, started))
        return response


def new_client() -> httpx.Client:
    return httpx.Client(base_url=balancer_url(), timeout=15)


def run_workflow(client, recorder: Recorder, account: Account, key: str):
    """POST /workflows/{id}/run/ once with an Idempotency-Key; the response, or None."""
    return recorder.send(
        client,
        "run",
        "POST",
        f"{API}/workflows/{account.workflow_id}/run/",
        json={"input": {"n": 7}},
        headers={**account.headers, "Idempotency-Key": key},
    )


def new_events(count: int = BATCH_SIZE) -> list[dict]:
    return [
        {
            "event_id": str(uuid.uuid4()),
            "event_type": "cluster_load",
            "distinct_id": f"visitor-{index % 7}",
            "properties": {"index": index},
        }
        for index in range(count)
    ]


def send_events(client, recorder: Recorder, account: Account, events: list[dict]):
    return recorder.send(
        client,
        "events",
        "POST",
        f"{API}/analytics/events/",
        json={"batch": events},
        headers=account.headers,
    )


def call_webhook(client, recorder: Recorder, account: Account):
    return recorder.send(client, "webhook", "POST", account.hook_path, json={"n": 7})


def read_workflows(client, recorder: Recorder, account: Account):
    return recorder.send(
        client,
        "read",
        "GET",
        f"{API}/workflows/",
        params={"page_size": 20},
        headers=account.headers,
    )


def read_metrics(client, recorder: Recorder, account: Account):
    # Analytics reads go to the standby (DATABASE_REPLICA_URL) when the cache misses.
    return recorder.send(
        client, "metrics", "GET", f"{API}/analytics/metrics/realtime/", headers=account.headers
    )


def ok(response) -> bool:
    return response is not None and 200 <= response.status_code < 300
