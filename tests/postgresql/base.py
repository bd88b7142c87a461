"""Django's PostgreSQL backend, with the test database emptied by DELETE instead of TRUNCATE, and the test databases
of a run copied from one migrated template (``tests.postgresql.creation``).

A transactional test (the browser tests, the concurrency tests) ends with ``flush``: TRUNCATE of some eighty tables
takes a second or more, as PostgreSQL gives every table and index a new file; DELETE of the few rows a test leaves
takes milliseconds. The rest is Django's backend.
"""

from django.db.backends.postgresql import base
from django.db.backends.postgresql.operations import DatabaseOperations as BaseOperations

from .creation import DatabaseCreation


class DatabaseOperations(BaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables:
            return super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        # Every table is emptied in one transaction (execute_sql_flush), and Django's foreign keys are deferrable:
        # checked at commit, when every table is empty, so the order does not matter.
        return [
            "SET CONSTRAINTS ALL DEFERRED;",
            *(f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};" for table in tables),
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    creation_class = DatabaseCreation
