"""Writing many new rows at once: PostgreSQL's ``COPY``, ``bulk_create`` elsewhere.

A nightly job that creates tens of thousands of rows (the first warnings of a national deployment, their changes of
colour) spends most of its time in ``bulk_create`` on PostgreSQL: Django sends each batch as arrays that psycopg
quotes value by value on the client (a JSON column's text escaped by a regular expression per row), and the server
parses them back. ``COPY … FROM STDIN`` streams the rows in PostgreSQL's own text format instead, several times
faster. The rows are the same: every field's ``pre_save`` runs (``auto_now_add`` timestamps included) and every value
goes through the field's ``get_db_prep_save``, as ``bulk_create`` does.

Like ``bulk_create``: no ``save()``, no signals. Unlike it: the objects' primary keys are not set (nothing here reads
them afterwards) and no history is recorded, so use it only for rows whose model keeps no history.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, models

# Rows per batch elsewhere (bulk_create); COPY streams any number.
BATCH_SIZE = 500


def bulk_insert(model: type[models.Model], objects: Iterable[models.Model]) -> int:
    """Insert ``objects`` (new, unsaved instances of ``model``) and return how many were written."""
    objects = list(objects)
    if not objects:
        return 0
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects, batch_size=BATCH_SIZE)
        return len(objects)
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    # The raw psycopg cursor's errors are turned into Django's (IntegrityError for a refused row), as for a query.
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for obj in objects:
            copy.write_row(
                [field.get_db_prep_save(field.pre_save(obj, add=True), connection=connection) for field in fields]
            )
    return len(objects)
