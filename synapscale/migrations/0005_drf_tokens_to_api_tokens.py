"""Copy DRF's plaintext authtokens into hashed API tokens, then drop their table.

``rest_framework.authtoken`` is no longer installed, so its table is read with SQL, and only
if it exists (a database created after this change never had it). A DRF token could do all
its user could, so the copy gets every scope. The copy keeps the key's SHA-256 only: clients
keep sending the same ``Authorization: Token <key>`` and it keeps working.
"""

from django.db import migrations

# One statement in the database: the keys are hashed where they are and never leave it.
COPY_SQL = """
INSERT INTO synapscale_apitoken (user_id, name, prefix, digest, scopes, created_at)
SELECT user_id, 'migrated', left(key, 8), encode(sha256(convert_to(key, 'UTF8')), 'hex'),
       ARRAY['read', 'write', 'ingest', 'admin']::varchar[], created
FROM authtoken_token
"""


def copy_drf_tokens(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('authtoken_token') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return
        cursor.execute(COPY_SQL)
    content_type = apps.get_model("contenttypes", "ContentType")
    # Its permissions go with it (cascade), so no staff keeps "can add token" rights on nothing.
    content_type.objects.filter(app_label="authtoken").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("synapscale", "0004_api_token"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(copy_drf_tokens, migrations.RunPython.noop),
        # After the copy, in the same transaction: a failed copy leaves the table in place.
        # The recorded authtoken migrations go too, so re-installing the app would recreate it.
        migrations.RunSQL(
            "DROP TABLE IF EXISTS authtoken_token; "
            "DELETE FROM django_migrations WHERE app = 'authtoken';",
            migrations.RunSQL.noop,
        ),
    ]
