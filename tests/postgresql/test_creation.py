"""The PostgreSQL test databases are copies of a template migrated once (tests.postgresql.creation)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tests.postgresql.creation import migrations_digest


@pytest.fixture
def one_app_migrations(tmp_path, monkeypatch):
    """Every app's migrations read from one package of the test's own: a migration file to add or change."""
    package = tmp_path / "some_migrations"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "0001_initial.py").write_text("operations = []\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(MigrationLoader, "migrations_module", classmethod(lambda cls, label: ("some_migrations", True)))
    return package


def test_the_digest_follows_the_migration_files(one_app_migrations):
    first = migrations_digest()
    assert migrations_digest() == first

    (one_app_migrations / "0001_initial.py").write_text("operations = []  # changed\n")
    changed = migrations_digest()
    (one_app_migrations / "0002_more.py").write_text("operations = []\n")
    added = migrations_digest()

    assert len({first, changed, added}) == 3


def test_without_migrations_there_is_no_digest(monkeypatch):
    monkeypatch.setattr(MigrationLoader, "migrations_module", classmethod(lambda cls, label: (None, True)))

    assert migrations_digest() is None


def test_the_test_database_is_a_copy_of_the_current_template(require_postgres):
    digest = migrations_digest()
    if digest is None:
        pytest.skip("without migrations (--nomigrations) Django creates the test database itself")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database WHERE datname IN (%s, %s)",
            [connection.settings_dict["NAME"], connection.creation._template_name(connection.settings_dict["NAME"])],
        )
        comments = dict(cursor.fetchall())

    assert len(comments) == 2  # the test database and its template
    assert len(set(comments.values())) == 1  # copied from this build of the template
    assert f"migrations={digest} " in next(iter(comments.values()))
