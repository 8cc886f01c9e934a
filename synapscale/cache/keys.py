"""Cache keys: namespace, namespace versions, workspace and the normalized parameters."""

from __future__ import annotations

import hashlib
import json

KEY_ROOT = "synapscale:c"
GLOBAL_SCOPE = "global"


def normalize_params(params: dict | None) -> bytes:
    """Serialise parameters so that equal queries give equal bytes (key order ignored).

    The standard library's encoder, not orjson: parameters come from requests and may hold
    integers beyond 64 bits, which orjson refuses.
    """
    return json.dumps(
        params or {}, sort_keys=True, default=str, separators=(",", ":"), ensure_ascii=False
    ).encode()


def version_key(namespace: str, workspace_id: int | None) -> str:
    scope = GLOBAL_SCOPE if workspace_id is None else f"w{workspace_id}"
    return f"{KEY_ROOT}:ver:{namespace}:{scope}"


def entry_key(
    *, namespace: str, global_version: int, workspace_version: int, workspace_id, params
) -> str:
    digest = hashlib.sha256(normalize_params(params)).hexdigest()[:32]
    scope = GLOBAL_SCOPE if workspace_id is None else f"w{workspace_id}"
    return f"{KEY_ROOT}:{namespace}:{scope}:g{global_version}.v{workspace_version}:{digest}"
