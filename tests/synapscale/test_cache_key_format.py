"""The exact shape of cache keys: what invalidation by prefix and the docs rely on."""

from __future__ import annotations

import hashlib
from datetime import date

from synapscale.cache.keys import entry_key, normalize_params, version_key


def test_normalized_parameters_are_compact_sorted_utf8_json():
    assert normalize_params(None) == b"{}"
    assert normalize_params({}) == b"{}"
    assert normalize_params({"b": [1, 2], "a": "x"}) == b'{"a":"x","b":[1,2]}'
    assert normalize_params({"q": "café"}) == '{"q":"café"}'.encode()
    # What JSON cannot encode is keyed by its string form.
    assert normalize_params({"day": date(2026, 1, 2)}) == b'{"day":"2026-01-02"}'


def test_version_keys_per_namespace_and_scope():
    assert version_key("metrics", None) == "synapscale:c:ver:metrics:global"
    assert version_key("metrics", 42) == "synapscale:c:ver:metrics:w42"
    assert version_key("metrics", 0) == "synapscale:c:ver:metrics:w0"  # not the global one


def test_entry_key_names_namespace_scope_versions_and_a_digest_of_the_parameters():
    digest = hashlib.sha256(b'{"a":1}').hexdigest()[:32]
    key = entry_key(
        namespace="trends", global_version=3, workspace_version=5, workspace_id=7, params={"a": 1}
    )
    assert key == f"synapscale:c:trends:w7:g3.v5:{digest}"
    shared = entry_key(
        namespace="home", global_version=1, workspace_version=0, workspace_id=None, params=None
    )
    assert shared == f"synapscale:c:home:global:g1.v0:{hashlib.sha256(b'{}').hexdigest()[:32]}"
