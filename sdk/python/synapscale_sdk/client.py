"""`SynapScale`: the client, one attribute per resource."""

from __future__ import annotations

from typing import Any

import httpx

from synapscale_sdk import __version__
from synapscale_sdk._transport import AUTH_SCHEME, Transport
from synapscale_sdk.resources.accounts import Audit, Auth, Credentials, Tokens, Workspaces
from synapscale_sdk.resources.analytics import (
    Alerts,
    Analyses,
    Dashboards,
    Events,
    Exports,
    Insights,
    Metrics,
    Reports,
    Widgets,
)
from synapscale_sdk.resources.executions import Executions, Triggers, Workflows
from synapscale_sdk.resources.marketplace import (
    Collections,
    Favorites,
    Marketplace,
    Reviews,
    Templates,
)


class SynapScale:
    """A synchronous client of the SynapScale API.

    `workspace` is the slug sent as `X-Workspace` (without it the API acts in the caller's
    personal workspace); `with_workspace()` gives a client bound to another one that shares
    this one's connections. `timeout` is in seconds; `max_retries` bounds the resends of a
    request (429/503 and connection errors, see `Transport`).
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        workspace: str | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_retry_wait: float = 60.0,
        http: httpx.Client | None = None,
    ):
        headers = {"Accept": "application/json", "User-Agent": f"synapscale-sdk/{__version__}"}
        if token:
            headers["Authorization"] = f"{AUTH_SCHEME} {token}"
        self._owns_http = http is None
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout, headers=headers)
        self._transport = Transport(
            http=self._http,
            workspace=workspace,
            max_retries=max_retries,
            backoff=backoff,
            max_retry_wait=max_retry_wait,
        )
        self._attach()

    @classmethod
    def login(cls, base_url: str, username: str, password: str, **options: Any) -> SynapScale:
        """Exchange a username and password for a token and return a client using it."""
        with cls(base_url, timeout=options.get("timeout", 30.0)) as anonymous:
            token = anonymous.auth.token(username, password)
        return cls(base_url, token, **options)

    def _attach(self) -> None:
        t = self._transport
        self.auth = Auth(t)
        self.tokens = Tokens(t)
        self.workspaces = Workspaces(t)
        self.credentials = Credentials(t)
        self.audit = Audit(t)
        self.executions = Executions(t)
        self.workflows = Workflows(t, self.executions)
        self.triggers = Triggers(t)
        self.templates = Templates(t)
        self.marketplace = Marketplace(t)
        self.reviews = Reviews(t)
        self.collections = Collections(t)
        self.favorites = Favorites(t)
        self.events = Events(t)
        self.analyses = Analyses(t)
        self.reports = Reports(t)
        self.dashboards = Dashboards(t)
        self.widgets = Widgets(t)
        self.exports = Exports(t)
        self.alerts = Alerts(t)
        self.insights = Insights(t)
        self.metrics = Metrics(t)

    @property
    def workspace(self) -> str | None:
        return self._transport.workspace

    def with_workspace(self, slug: str | None) -> SynapScale:
        """A client acting in workspace `slug` (None: the personal one), same connections."""
        bound = object.__new__(SynapScale)
        bound._owns_http = False
        bound._http = self._http
        bound._transport = self._transport.bound_to(slug)
        bound._attach()
        return bound

    def close(self) -> None:
        """Close the connections (a client from `with_workspace` leaves them to its parent)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> SynapScale:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
