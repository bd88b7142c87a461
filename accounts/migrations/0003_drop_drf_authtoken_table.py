"""DRF's per-user tokens (``rest_framework.authtoken``) are no longer accepted and the app is no longer installed.
Their keys were stored in clear, wrote as their user and never expired: drop the table rather than leave live
secrets behind. Reporting tools move to named API tokens (``manage.py api_token create``). Not reversible: the
keys are gone, as intended."""

from django.db import migrations

TABLE = "authtoken_token"


def drop_authtoken_table(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if TABLE in connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(TABLE)}")
    # Forget the app's migrations too, so installing it again would create its table afresh.
    schema_editor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_api_tokens"),
    ]

    operations = [
        migrations.RunPython(drop_authtoken_table, migrations.RunPython.noop, elidable=True),
    ]
