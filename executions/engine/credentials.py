"""Credentials as a node sees them: resolved in the worker, applied, then redacted away.

A definition names a credential (`"credential": "<name>"` on `http_request`); the runner
resolves the name in the execution's workspace when the node runs (decrypting it there) and
the node applies it to its request. Everything the node records afterwards (its output, its
error) passes through `redact`, so a receiver echoing the header back or an error quoting
the URL with the key in its query string stores `[redacted]` instead of the secret.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

from executions.choices import CredentialType, ErrorType
from executions.engine.errors import NodeFailure

REDACTED = "[redacted]"
CREDENTIAL_NODE_TYPES = frozenset({"http_request"})


@dataclass(frozen=True)
class ResolvedCredential:
    """A decrypted credential, alive only while the node that uses it runs."""

    name: str
    type: str
    secret: str
    header_name: str = ""
    param_name: str = ""
    username: str = ""

    def __repr__(self) -> str:  # never the secret, whatever prints this
        return f"ResolvedCredential(name={self.name!r}, type={self.type!r})"

    def headers(self) -> dict[str, str]:
        """Return the headers this credential adds to the request."""
        if self.type == CredentialType.HEADER:
            return {self.header_name: self.secret}
        if self.type == CredentialType.BEARER:
            return {"Authorization": f"Bearer {self.secret}"}
        if self.type == CredentialType.BASIC:
            return {"Authorization": f"Basic {self._basic_token()}"}
        return {}

    def query(self) -> dict[str, str]:
        """Return the query parameters this credential adds to the request."""
        if self.type == CredentialType.API_KEY_QUERY:
            return {self.param_name: self.secret}
        return {}

    def secret_strings(self) -> tuple[str, ...]:
        """Every form in which the secret may come back: as sent, URL-encoded, base64."""
        forms = {self.secret, quote(self.secret, safe=""), quote_plus(self.secret)}
        if self.type == CredentialType.BASIC:
            forms.add(self._basic_token())
        # Longest first: a form that contains another is replaced whole.
        return tuple(sorted(forms, key=len, reverse=True))

    def redact(self, value: Any) -> Any:
        """Return value (JSON-like) with every form of the secret replaced by `[redacted]`."""
        return _redact(value, self.secret_strings())

    def redact_failure(self, failure: NodeFailure) -> NodeFailure:
        """Return the failure with its message and data redacted (the same exception)."""
        failure.message = self.redact(failure.message)
        failure.args = (failure.message,)
        failure.data = self.redact(failure.data)
        return failure

    def _basic_token(self) -> str:
        return base64.b64encode(f"{self.username}:{self.secret}".encode()).decode("ascii")


def _redact(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {_redact(key, secrets): _redact(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(item, secrets) for item in value]
    return value


def no_credentials(name: str) -> ResolvedCredential:
    """The resolver of a node run outside an execution: no workspace, no credentials."""
    raise NodeFailure(
        f"Credential {name!r} cannot be used outside an execution of its workspace.",
        type=ErrorType.CREDENTIAL_UNAVAILABLE,
        retryable=False,
    )


def credential_references(definition: Any) -> list[tuple[int, str]]:
    """Return (node index, credential name) for each node of the definition using one."""
    references = []
    nodes = definition.get("nodes") if isinstance(definition, dict) else None
    for index, node in enumerate(nodes if isinstance(nodes, list) else []):
        if not isinstance(node, dict) or node.get("type") not in CREDENTIAL_NODE_TYPES:
            continue
        params = node.get("params")
        name = params.get("credential") if isinstance(params, dict) else None
        if isinstance(name, str):
            references.append((index, name))
    return references


def credential_names(definition: Any) -> list[str]:
    """Return the distinct credential names the definition's nodes use, sorted."""
    return sorted({name for _, name in credential_references(definition)})


def with_credentials_renamed(definition: dict, names: dict[str, str]) -> dict:
    """Return a copy of the definition whose nodes use `names[old]` instead of each old name."""
    nodes = []
    for node in definition.get("nodes", []):
        params = node.get("params") if isinstance(node, dict) else None
        if (
            isinstance(node, dict)
            and node.get("type") in CREDENTIAL_NODE_TYPES
            and isinstance(params, dict)
            and params.get("credential") in names
        ):
            node = {**node, "params": {**params, "credential": names[params["credential"]]}}
        nodes.append(node)
    return {**definition, "nodes": nodes}
