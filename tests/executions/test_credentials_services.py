"""Credentials: encryption at rest, key rotation, validation, resolving in the worker."""

from __future__ import annotations

import base64
import stat

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from executions.engine.credentials import REDACTED, ResolvedCredential
from executions.engine.errors import NodeFailure
from executions.models import Credential
from executions.services.credentials import (
    credential_resolve,
    credential_update,
    credentials_reencrypt,
)
from synapscale.encryption import DecryptionFailed, decrypt_text, development_keys, generate_key
from tests.executions.factories import make_credential

SECRET = "sk_live_4f9b2c7e1a3d5f60"


def stored_row(credential) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM executions_credential WHERE id = %s", [credential.id])
        return repr(cursor.fetchone())


@pytest.mark.django_db
def test_the_secret_is_stored_encrypted_and_decrypts_with_the_key(workspace, user):
    credential = make_credential(workspace, user, secret=SECRET)

    assert SECRET not in stored_row(credential)
    assert decrypt_text(credential.encrypted_secret) == SECRET
    assert credential.secret_hint == "…5f60"


@pytest.mark.django_db
def test_a_short_secret_gets_no_hint(workspace, user):
    credential = make_credential(workspace, user, secret="12345678")

    assert credential.secret_hint == ""


@pytest.mark.django_db
def test_rotation_command_reencrypts_every_credential_with_the_new_first_key(
    workspace, user, settings, capsys
):
    old_key, new_key = generate_key(), generate_key()
    settings.CREDENTIALS_ENCRYPTION_KEYS = [old_key]
    first = make_credential(workspace, user, name="one", secret=SECRET)
    second = make_credential(workspace, user, name="two", secret=SECRET + "-2")
    settings.CREDENTIALS_ENCRYPTION_KEYS = [new_key, old_key]

    call_command("credentials_rotate_key", "--batch-size", "1")

    assert "Re-encrypted 2 credential(s)." in capsys.readouterr().out
    settings.CREDENTIALS_ENCRYPTION_KEYS = [new_key]  # the old key is gone
    assert credential_resolve(workspace_id=workspace.id, name="one").secret == SECRET
    assert credential_resolve(workspace_id=workspace.id, name="two").secret == SECRET + "-2"
    for credential in (first, second):
        stored = Credential.objects.get(pk=credential.pk).encrypted_secret
        assert stored != credential.encrypted_secret
    settings.CREDENTIALS_ENCRYPTION_KEYS = [old_key]
    with pytest.raises(DecryptionFailed):
        decrypt_text(Credential.objects.get(pk=first.pk).encrypted_secret)


@pytest.mark.django_db
def test_rotation_without_the_old_key_fails_and_changes_nothing(workspace, user, settings):
    old_key = generate_key()
    settings.CREDENTIALS_ENCRYPTION_KEYS = [old_key]
    credential = make_credential(workspace, user, secret=SECRET)
    settings.CREDENTIALS_ENCRYPTION_KEYS = [generate_key()]

    with pytest.raises(Exception, match="Put the key the credentials were encrypted with"):
        call_command("credentials_rotate_key")

    assert Credential.objects.get(pk=credential.pk).encrypted_secret == credential.encrypted_secret


def test_generate_key_prints_a_usable_key(capsys):
    call_command("credentials_rotate_key", "--generate-key")

    key = capsys.readouterr().out.strip()
    assert len(base64.urlsafe_b64decode(key)) == 32


@pytest.mark.django_db
def test_reencrypt_with_no_credentials_is_zero():
    assert credentials_reencrypt() == 0


def test_development_key_is_created_once_private_and_reused(tmp_path):
    first = development_keys(tmp_path)
    again = development_keys(tmp_path)

    assert first == again and len(first) == 1
    mode = (tmp_path / "credentials-encryption.key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("type_", "fields", "field"),
    [
        ("header", {}, "header_name"),
        ("header", {"header_name": "Bad Name"}, "header_name"),
        ("header", {"header_name": "Host"}, "header_name"),
        ("basic", {}, "username"),
        ("basic", {"username": "a:b"}, "username"),
        ("api_key_query", {}, "param_name"),
        ("bearer", {"header_name": "X-Key"}, "header_name"),
        ("bearer", {"colour": "red"}, "colour"),
        ("nonsense", {}, "type"),
    ],
)
def test_each_type_needs_its_own_field_and_no_other(workspace, user, type_, fields, field):
    from executions.services.credentials import credential_create

    with pytest.raises(ValidationError) as caught:
        credential_create(
            workspace=workspace, user=user, name="x", type=type_, secret=SECRET, **fields
        )

    assert field in caught.value.message_dict
    assert not Credential.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("secret", ["short", "x" * 4097, "line\r\nInjected: yes"])
def test_a_secret_too_short_too_long_or_with_control_characters_is_refused(workspace, user, secret):
    with pytest.raises(ValidationError) as caught:
        make_credential(workspace, user, secret=secret)

    assert "secret" in caught.value.message_dict


@pytest.mark.django_db
def test_names_are_unique_per_workspace_only(workspace, user, other_workspace):
    make_credential(workspace, user, name="crm")
    make_credential(other_workspace, None, name="crm")

    with pytest.raises(ValidationError) as caught:
        make_credential(workspace, user, name="crm")

    assert "name" in caught.value.message_dict
    assert Credential.objects.filter(name="crm").count() == 2


@pytest.mark.django_db
def test_name_and_type_are_fixed_and_a_new_secret_rotates(workspace, user):
    credential = make_credential(workspace, user, secret=SECRET)

    for change in ({"name": "other"}, {"type": "basic"}):
        with pytest.raises(ValidationError):
            credential_update(credential=credential, **change)
    rotated = credential_update(credential=credential, secret=SECRET + "-new", name="crm")

    assert decrypt_text(rotated.encrypted_secret) == SECRET + "-new"
    assert rotated.secret_rotated_at > credential.secret_rotated_at


@pytest.mark.django_db
def test_resolve_decrypts_and_counts_the_use_once_per_minute(
    workspace, user, django_assert_num_queries
):
    credential = make_credential(workspace, user, type="header", secret=SECRET)

    with django_assert_num_queries(2):  # the read, and last_used_at
        resolved = credential_resolve(workspace_id=workspace.id, name="crm")
    with django_assert_num_queries(1):  # used a moment ago: no write
        credential_resolve(workspace_id=workspace.id, name="crm")

    assert resolved.headers() == {"X-Api-Key": SECRET}
    assert SECRET not in repr(resolved)
    credential.refresh_from_db()
    assert credential.last_used_at is not None


@pytest.mark.django_db
def test_resolve_of_another_workspaces_or_a_deleted_credential_fails_for_good(
    workspace, other_workspace, user
):
    make_credential(other_workspace, None, name="theirs")

    with pytest.raises(NodeFailure) as caught:
        credential_resolve(workspace_id=workspace.id, name="theirs")

    assert caught.value.type == "credential_unavailable"
    assert caught.value.retryable is False


@pytest.mark.django_db
def test_resolve_without_the_key_fails_for_good(workspace, user, settings):
    make_credential(workspace, user, secret=SECRET)
    settings.CREDENTIALS_ENCRYPTION_KEYS = [generate_key()]

    with pytest.raises(NodeFailure, match="cannot be decrypted") as caught:
        credential_resolve(workspace_id=workspace.id, name="crm")

    assert caught.value.retryable is False


def test_each_type_is_applied_where_it_belongs():
    basic = ResolvedCredential(name="b", type="basic", secret=SECRET, username="robot")
    token = base64.b64encode(f"robot:{SECRET}".encode()).decode()

    assert basic.headers() == {"Authorization": f"Basic {token}"}
    assert ResolvedCredential(name="t", type="bearer", secret=SECRET).headers() == {
        "Authorization": f"Bearer {SECRET}"
    }
    query = ResolvedCredential(name="q", type="api_key_query", secret=SECRET, param_name="key")
    assert query.query() == {"key": SECRET} and query.headers() == {}
    assert basic.query() == {}


def test_redaction_covers_every_form_of_the_secret_in_nested_values():
    secret = "p@ss word/+=1234"
    basic = ResolvedCredential(name="b", type="basic", secret=secret, username="robot")
    token = base64.b64encode(f"robot:{secret}".encode()).decode()
    echoed = {
        "headers": {"authorization": f"Basic {token}"},
        "json": {"args": {"key": "p%40ss%20word%2F%2B%3D1234"}, secret: [f"x{secret}y", 3]},
        "text": "url?key=p%40ss+word%2F%2B%3D1234",
    }

    redacted = basic.redact(echoed)

    assert redacted == {
        "headers": {"authorization": f"Basic {REDACTED}"},
        "json": {"args": {"key": REDACTED}, REDACTED: [f"x{REDACTED}y", 3]},
        "text": f"url?key={REDACTED}",
    }


def test_a_failure_is_redacted_in_its_message_and_data():
    credential = ResolvedCredential(name="q", type="api_key_query", secret=SECRET, param_name="k")
    failure = NodeFailure(f"GET http://h/?k={SECRET} failed", data={"echo": SECRET})

    redacted = credential.redact_failure(failure)

    assert redacted is failure
    assert SECRET not in str(redacted) and SECRET not in repr(redacted.data)
    assert redacted.as_error("n")["message"] == f"GET http://h/?k={REDACTED} failed"


@pytest.mark.parametrize("keys", [[], ["not-a-key"]])
def test_missing_or_malformed_keys_are_a_configuration_error_naming_no_key(settings, keys):
    from django.core.exceptions import ImproperlyConfigured

    from synapscale.encryption import check_keys, encrypt_text

    settings.CREDENTIALS_ENCRYPTION_KEYS = keys
    with pytest.raises(ImproperlyConfigured) as caught:
        encrypt_text("x")
    with pytest.raises(ImproperlyConfigured):
        check_keys(keys)

    assert "not-a-key" not in str(caught.value)
    assert caught.value.__cause__ is None


def test_an_empty_development_key_file_is_an_error_not_a_key(tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    (tmp_path / "credentials-encryption.key").write_text("")

    with pytest.raises(ImproperlyConfigured, match="delete it"):
        development_keys(tmp_path)


def test_the_rotation_command_refuses_a_batch_size_below_one():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("credentials_rotate_key", "--batch-size", "0")


@pytest.mark.django_db
def test_workflows_saved_with_a_literal_authorization_header_are_listed_without_it(
    workspace, capsys
):
    from tests.executions.factories import WorkflowFactory

    def http(node_id, headers):
        return {"id": node_id, "type": "http_request", "params": {"url": "http://x/", **headers}}

    # Written directly: definitions saved before literal secret headers were refused.
    old = WorkflowFactory(
        workspace=workspace,
        definition={
            "nodes": [
                http("call", {"headers": {"authorization": "Bearer legacy-token-value"}}),
                http("other", {"headers": {"X-Trace": "1"}}),
            ]
        },
    )
    WorkflowFactory(workspace=workspace)  # no http_request at all
    WorkflowFactory(workspace=workspace, definition={"nodes": [http("c", {})]})

    call_command("workflows_literal_secrets")

    out = capsys.readouterr().out
    assert f"workflow={old.pk} " in out and "nodes=call\n" in out
    assert "1 workflow(s) with literal secret headers." in out
    assert "legacy-token-value" not in out
