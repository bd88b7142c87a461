"""A copy of the whole test database, taken once and put back as often as needed: what a test gets instead of
building the same rows again (the demo takes seconds to seed; putting it back, milliseconds).

Only for tests on the real database (``transactional_db``: the browser tests' live server reads it from other
threads). Putting the copy back replaces every row of every table, content types and permissions included, and the
sequences, so the test starts from exactly the state the copy was taken in, whatever ran before it.

SQLite: the database file is copied page by page with SQLite's backup API, to memory and back. PostgreSQL: each
table's rows are kept as COPY's text (in memory); putting them back empties every table, copies the rows in and
moves each sequence past the highest key, in one transaction.
"""

from __future__ import annotations

import sqlite3

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import connection, transaction


class DatabaseSnapshot:
    def __init__(self) -> None:
        self._sqlite: sqlite3.Connection | None = None
        self._tables: dict[str, bytes] | None = None

    @property
    def taken(self) -> bool:
        return self._sqlite is not None or self._tables is not None

    def take(self) -> None:
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            copy = sqlite3.connect(":memory:", check_same_thread=False)
            connection.connection.backup(copy)
            self._sqlite = copy
        elif connection.vendor == "postgresql":
            self._tables = self._copy_out()
        else:
            raise NotImplementedError(f"no snapshot for {connection.vendor}")

    def restore(self) -> None:
        assert self.taken, "restore() before take()"
        connection.ensure_connection()
        if self._sqlite is not None:
            # The backup replaces every page of the file; the test's connection and the live server's (one per
            # request) see the copy from their next statement on. The file stays in WAL mode.
            self._sqlite.backup(connection.connection)
        else:
            self._copy_in(self._tables)
        # Content types are read once per process and kept by id; the copy's ids are not those of the rows the
        # last flush made.
        ContentType.objects.clear_cache()

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        self._sqlite = self._tables = None

    # PostgreSQL

    @staticmethod
    def _table_names() -> list[str]:
        return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))

    def _copy_out(self) -> dict[str, bytes]:
        tables = {}
        with connection.cursor() as cursor:
            for table in self._table_names():
                with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} TO STDOUT") as copy:
                    tables[table] = b"".join(bytes(block) for block in copy)
        return tables

    def _copy_in(self, tables: dict[str, bytes]) -> None:
        # DELETE, not TRUNCATE: the tables are small, and truncating some eighty of them takes seconds (a new file
        # for each table and index). Foreign keys are checked at commit (Django declares them deferrable, initially
        # deferred), so the tables are emptied and filled in any order.
        quote = connection.ops.quote_name
        sequences = connection.ops.sequence_reset_sql(no_style(), apps.get_models(include_auto_created=True))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for table in tables:
                cursor.execute(f"DELETE FROM {quote(table)}")
            for table, rows in tables.items():
                if rows:
                    with cursor.cursor.copy(f"COPY {quote(table)} FROM STDIN") as copy:
                        copy.write(rows)
            for statement in sequences:
                cursor.execute(statement)
