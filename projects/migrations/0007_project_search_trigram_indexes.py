"""Trigram indexes for the admin's project and report search (``UPPER(column) LIKE '%term%'``), PostgreSQL only.

A B-tree cannot serve a search for text anywhere in a column; a GIN index of the column's trigrams can, for the exact
expression Django's ``icontains`` compares (``UPPER(column::text)``). SQLite (development) has no such index and keeps
scanning, which at its sizes costs nothing. ``pg_trgm`` is a trusted extension: the database's owner may create it.
"""

from django.db import migrations

COLUMNS = ("code", "name", "enterprise")


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS project_{column}_trgm_idx ON projects_project "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS project_{column}_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("projects", "0006_list_orderings_and_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
