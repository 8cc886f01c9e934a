"""The http_request node with a credential: applied over literal headers, redacted after."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from executions.engine.credentials import REDACTED, ResolvedCredential, no_credentials
from executions.engine.errors import NodeFailure
from executions.engine.nodes import NodeContext, get_node_type
from tests.executions.helpers import local_http_server, server_url

SECRET = "tok_51mQ7rZ2vB8kL4xC"
ROOT = Path(__file__).resolve().parents[2]


def context_with(credential: ResolvedCredential) -> NodeContext:
    resolved = {credential.name: credential}
    return NodeContext(node_id="h", run_context={}, credential=resolved.__getitem__)


def test_a_credential_header_replaces_a_literal_one_of_any_case(settings):
    settings.EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS = False
    credential = ResolvedCredential(name="k", type="header", secret=SECRET, header_name="X-Key")
    with local_http_server(lambda *args: (200, {"ok": True})) as server:
        get_node_type("http_request").run(
            {"url": server_url(server), "credential": "k", "headers": {"x-key": "literal"}},
            context_with(credential),
        )

    headers = {name.lower(): value for name, value in server.requests[0]["headers"].items()}
    assert headers["x-key"] == SECRET


def test_a_failure_with_a_credential_keeps_no_exception_chain(settings):
    settings.EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS = False
    credential = ResolvedCredential(name="q", type="api_key_query", secret=SECRET, param_name="key")
    # The chain could quote the secret (httpx errors name the URL it built, query included):
    # what the runner logs of a failure is its redacted message alone.
    with (
        local_http_server(lambda *args: (503, {"echo": SECRET})) as server,
        pytest.raises(NodeFailure) as caught,
    ):
        get_node_type("http_request").run(
            {"url": server_url(server), "credential": "q"}, context_with(credential)
        )

    assert caught.value.retryable and "503" in caught.value.message
    assert SECRET not in caught.value.message and SECRET not in repr(caught.value.data)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_node_outside_an_execution_cannot_use_credentials():
    with pytest.raises(NodeFailure) as caught:
        get_node_type("http_request").run(
            {"url": "http://127.0.0.1:9/", "credential": "any"},
            NodeContext(node_id="h", run_context={}),
        )

    assert caught.value.type == "credential_unavailable"
    assert caught.value.retryable is False
    with pytest.raises(NodeFailure):
        no_credentials("any")


def test_the_output_is_redacted_of_the_echoed_secret(settings):
    settings.EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS = False
    credential = ResolvedCredential(name="t", type="bearer", secret=SECRET)
    with local_http_server(lambda *args: (200, {"token_was": SECRET})) as server:
        output = get_node_type("http_request").run(
            {"url": server_url(server), "credential": "t"}, context_with(credential)
        )

    assert output["json"] == {"token_was": REDACTED}


def load_dump_script():
    spec = importlib.util.spec_from_file_location(
        "check_dump_for_secrets", ROOT / "scripts" / "check_dump_for_secrets.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def test_the_dump_check_finds_secrets_as_pg_dump_escapes_them():
    script = load_dump_script()
    dump = [
        b"CREATE TABLE public.t (v text);\n",
        b"COPY public.t (v) FROM stdin;\n",
        b'{"k": "a\\\\\\\\b\\\\"c"}\n',  # jsonb {"k": "a\\b\"c"} as COPY writes it
        b"\\.\n",
        b"COMMENT ON TABLE public.t IS 'plain-secret-1';\n",
    ]

    findings = script.scan_dump(dump, ['a\\b"c', "plain-secret-1", "absent-secret"])

    assert [(f.secret_index, f.where, f.line) for f in findings] == [
        (1, "public.t", 3),
        (2, "schema", 5),
    ]


def test_the_dump_check_needs_secrets_and_a_working_pg_dump(tmp_path, capsys):
    script = load_dump_script()
    empty, secrets = tmp_path / "empty.txt", tmp_path / "secrets.txt"
    empty.write_text("\n")
    secrets.write_text("some-secret\n")

    assert script.main(["--database-url", "postgres://x/y", "--secrets-file", str(empty)]) == 2
    broken = ["--database-url", "postgres://nobody@127.0.0.1:1/none", "--secrets-file"]
    assert script.main([*broken, str(secrets)]) == 2
    assert "pg_dump failed" in capsys.readouterr().err
