"""What the database keeps of tokens (no secret), what revokes them, the DRF-token migration."""

from importlib import import_module

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from psycopg import sql

from synapscale.models import ApiToken, token_digest
from tests.conftest import TEST_PASSWORD, client_for

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"
TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "ARRAY")
DRF_KEY = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"


def tables_holding(needle: str) -> list[str]:
    """Return ``table.column`` for every text-like column of every table containing needle."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type = ANY(%s)",
            [list(TEXT_TYPES)],
        )
        columns = cursor.fetchall()
        found = []
        for table, column in columns:
            query = sql.SQL("SELECT 1 FROM {} WHERE {}::text LIKE %s LIMIT 1").format(
                sql.Identifier(table), sql.Identifier(column)
            )
            cursor.execute(query, [f"%{needle}%"])
            if cursor.fetchone():
                found.append(f"{table}.{column}")
    return found


def test_no_token_secret_is_stored_anywhere(user, anon_client, capsys):
    secrets = []
    registered = anon_client.post(
        "/api/v1/auth/register/",
        {"username": "carol", "email": "c@example.com", "password": "s3cure-Passw0rd"},
        format="json",
    )
    secrets.append(registered.json()["token"])
    login = {"username": user.username, "password": TEST_PASSWORD}
    secrets.append(anon_client.post("/api/v1/auth/token/", login, format="json").json()["token"])
    client = client_for(user)
    secrets.append(
        client.post(
            "/api/v1/auth/tokens/", {"name": "n", "scopes": ["read"]}, format="json"
        ).json()["token"]
    )
    call_command("create_api_token", user.username)
    secrets.append(capsys.readouterr().out.strip())
    for secret in secrets:
        assert anon_client.get(ME, HTTP_AUTHORIZATION=f"Token {secret}").status_code == 200
    assert ApiToken.objects.count() >= 5

    # The random part after the marker and the 8 characters shown as the prefix.
    for secret in secrets:
        assert tables_holding(secret[12:]) == [], secret
    # The scan does find what is there: the digest.
    assert tables_holding(token_digest(secrets[0])) == ["synapscale_apitoken.digest"]


def test_changing_the_password_in_the_admin_revokes_every_token(client, user, other_user):
    kept_by_other = client_for(other_user)
    tokens = [client_for(user), client_for(user)]
    admin = type(user).objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(admin)
    response = client.post(
        f"/admin/synapscale/user/{user.pk}/password/",
        {"password1": "n3w-Passw0rd-long", "password2": "n3w-Passw0rd-long"},
    )
    assert response.status_code == 302, response.content
    for token_client in tokens:
        assert token_client.get(ME).status_code == 401
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert kept_by_other.get(ME).status_code == 200


def test_changepassword_and_set_password_revoke_too(user, monkeypatch):
    first = client_for(user)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "an0ther-Passw0rd")
    call_command("changepassword", user.username)
    assert first.get(ME).status_code == 401

    second = client_for(user)
    user.set_password("yet-an0ther-Passw0rd")
    user.save()
    assert second.get(ME).status_code == 401


def test_saving_a_user_without_a_new_password_keeps_tokens(user):
    client = client_for(user)
    user.first_name = "Alice"
    user.save()
    assert client.get(ME).status_code == 200


class OneRoundPBKDF2(PBKDF2PasswordHasher):
    iterations = 1


def test_a_hash_upgrade_at_login_keeps_tokens(user, anon_client, settings):
    client = client_for(user)
    # The stored hash is MD5 (test settings); a new preferred hasher upgrades it at login.
    settings.PASSWORD_HASHERS = [
        f"{__name__}.OneRoundPBKDF2",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    login = {"username": user.username, "password": TEST_PASSWORD}
    assert anon_client.post("/api/v1/auth/token/", login, format="json").status_code == 200
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$1$")
    assert client.get(ME).status_code == 200


def test_drf_tokens_are_copied_hashed_and_their_table_dropped(user, anon_client):
    migration = import_module("synapscale.migrations.0005_drf_tokens_to_api_tokens")
    with connection.cursor() as cursor:
        # The table as rest_framework.authtoken made it (DDL is transactional: the test's
        # rollback removes it again).
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created timestamptz NOT NULL, user_id bigint NOT NULL UNIQUE "
            "REFERENCES synapscale_user (id))"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, '2025-01-02T03:04:05Z', %s)",
            [DRF_KEY, user.pk],
        )
    state_apps = (
        MigrationExecutor(connection)
        .loader.project_state(("synapscale", "0005_drf_tokens_to_api_tokens"))
        .apps
    )
    with connection.schema_editor() as editor:
        migration.copy_drf_tokens(state_apps, editor)
        for operation in migration.Migration.operations[1:]:
            editor.execute(operation.sql)

    token = ApiToken.objects.get(name="migrated")
    assert token.user == user and token.prefix == DRF_KEY[:8]
    assert token.digest == token_digest(DRF_KEY)
    assert sorted(token.scopes) == ["admin", "ingest", "read", "write"]
    assert token.created_at.isoformat() == "2025-01-02T03:04:05+00:00"
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('authtoken_token')")
        assert cursor.fetchone()[0] is None
    assert tables_holding(DRF_KEY) == []
    response = anon_client.get(ME, HTTP_AUTHORIZATION=f"Token {DRF_KEY}")
    assert response.status_code == 200 and response.json()["user"]["username"] == user.username


def test_the_migration_without_a_drf_table_does_nothing():
    migration = import_module("synapscale.migrations.0005_drf_tokens_to_api_tokens")
    state_apps = (
        MigrationExecutor(connection)
        .loader.project_state(("synapscale", "0005_drf_tokens_to_api_tokens"))
        .apps
    )
    with connection.schema_editor() as editor:
        migration.copy_drf_tokens(state_apps, editor)
    assert not ApiToken.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_holds_no_token_secret(user, anon_client, capsys):
    from tests.secret_scans import check_dump

    login = {"username": user.username, "password": TEST_PASSWORD}
    secrets = [anon_client.post("/api/v1/auth/token/", login, format="json").json()["token"]]
    call_command("create_api_token", user.username, "--scopes", "read")
    secrets.append(capsys.readouterr().out.strip())
    for secret in secrets:  # used, so last_used_at and the audit log have seen them
        assert anon_client.get(ME, HTTP_AUTHORIZATION=f"Token {secret}").status_code == 200

    clean = check_dump(secrets)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    # The check finds what is there: a token's digest is in the dump.
    found = check_dump([token_digest(secrets[0])])
    assert found.returncode == 1 and "public.synapscale_apitoken" in found.stdout
