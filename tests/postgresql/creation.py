"""The test databases of a run are copies of one migrated template, made once.

Running every migration takes 25–45 s on PostgreSQL, and each pytest-xdist worker used to run them all in a test
database of its own, every worker at once on the same cores. Instead the first worker migrates a template database,
``<test database>_template`` (``test_test_template`` for ``DATABASE_URL=…/test``), and every worker's database
(``test_test_gw0``, …) is a copy of it: ``CREATE DATABASE … TEMPLATE``, a copy of its files in a fraction of a second.

The template is never stale:

- its comment holds a digest of the migration files of every installed app (and Django's version): when one changes,
  is added or removed, the next worker to start builds the template again;
- ``--create-db`` (keepdb off, as in CI) builds it again once per run: the comment also holds the run's id, which
  every worker of a pytest-xdist run shares (``PYTEST_XDIST_TESTRUNUID``), so the second worker takes the first
  one's template instead of building another;
- a worker's database is a copy of the template as it is now: with ``--reuse-db`` a worker keeps the database of
  its previous run only if that was copied from this very build of the template (the copy's comment says which);
  otherwise, and always with ``--create-db``, it is dropped and copied again.

The workers take turns through a PostgreSQL advisory lock: while one builds the template the others wait, then each
makes its copy (PostgreSQL copies a template only while nobody is connected to it). The template is kept after the
run, for the next one; tests never connect to it.

Without migrations (``--nomigrations``, ``TEST["MIGRATE"] = False``) there is nothing to share and Django creates
the database as usual.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import uuid
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.db.backends.postgresql import creation
from django.db.migrations.loader import MigrationLoader

# A run without pytest-xdist is one process: its own id.
_RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex


def migrations_digest() -> str | None:
    """A digest of every installed app's migration files (names and contents) and of Django's version; None when
    migrations are off for every app."""
    digest = hashlib.sha256(f"django {django.get_version()}".encode())
    found = False
    for app_config in sorted(apps.get_app_configs(), key=lambda app: app.label):
        module_name, _explicit = MigrationLoader.migrations_module(app_config.label)
        digest.update(f"\0app {app_config.label}".encode())
        if module_name is None:
            continue
        try:
            spec = importlib.util.find_spec(module_name)
        except ModuleNotFoundError:
            spec = None
        if spec is None or not spec.submodule_search_locations:
            continue
        found = True
        for directory in spec.submodule_search_locations:
            for path in sorted(Path(directory).glob("*.py")):
                digest.update(f"\0file {path.name}\0".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest() if found else None


class DatabaseCreation(creation.DatabaseCreation):
    def create_test_db(self, verbosity=1, autoclobber=False, serialize=True, keepdb=False):
        digest = migrations_digest() if self.connection.settings_dict["TEST"]["MIGRATE"] is not False else None
        if digest is None:
            return super().create_test_db(verbosity, autoclobber, serialize, keepdb)
        test_name = self._get_test_db_name()
        template = self._template_name(test_name)
        with self._nodb_cursor() as cursor:
            stamp = self._comment(cursor, template)
            if keepdb and _fields(stamp).get("migrations") == digest and self._comment(cursor, test_name) == stamp:
                if verbosity >= 1:
                    self.log(f"Using existing test database for alias {self._display(verbosity, test_name)}...")
            else:
                # Dropped before taking turns: dropping a database waits for a checkpoint (seconds).
                cursor.execute(f"DROP DATABASE IF EXISTS {self._quote_name(test_name)}")
                cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [template])
                try:
                    stamp = self._comment(cursor, template)
                    fields = _fields(stamp)
                    if fields.get("migrations") != digest or (not keepdb and fields.get("run") != _RUN_ID):
                        stamp = f"migrations={digest} run={_RUN_ID}"
                        self._build_template(template, verbosity)
                        self._set_comment(cursor, template, stamp)
                    self._copy(cursor, template, test_name, verbosity)
                    self._set_comment(cursor, test_name, stamp)
                finally:
                    cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [template])

        # What Django's create_test_db does once the database is migrated: the copy already has the cache table.
        self.connection.close()
        settings.DATABASES[self.connection.alias]["NAME"] = test_name
        self.connection.settings_dict["NAME"] = test_name
        if serialize:
            self.connection._test_serialized_contents = self.serialize_db_to_string()
        self.connection.ensure_connection()
        return test_name

    def _display(self, verbosity: int, name: str) -> str:
        return self._get_database_display_str(verbosity, name)

    def _template_name(self, test_name: str) -> str:
        # pytest-django names a worker's database after the run's with the worker's id appended (``_gw0``).
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")
        base = test_name.removesuffix(f"_{worker}") if worker else test_name
        return f"{base}_template"

    def _comment(self, cursor, name: str) -> str | None:
        """A database's comment: what a template was built from, or which build a copy was made of. None when the
        database does not exist or has none (a build that did not finish)."""
        cursor.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name])
        row = cursor.fetchone()
        return row[0] if row else None

    def _set_comment(self, cursor, name: str, comment: str) -> None:
        cursor.execute(f"COMMENT ON DATABASE {self._quote_name(name)} IS %s", [comment])

    def _copy(self, cursor, template: str, test_name: str, verbosity: int) -> None:
        if verbosity >= 1:
            self.log(f"Copying the test database for alias {self._display(verbosity, test_name)} from {template}...")
        suffix = self._get_database_create_suffix(template=template)
        self._execute_create_test_db(cursor, {"dbname": self._quote_name(test_name), "suffix": suffix})

    def _build_template(self, template: str, verbosity: int) -> None:
        """Create and migrate ``template`` with Django's own create_test_db, then leave it: no connection to it may
        stay open, or it cannot be copied."""
        settings_dict = self.connection.settings_dict
        name, test_name = settings_dict["NAME"], settings_dict["TEST"].get("NAME")
        settings_dict["TEST"]["NAME"] = template
        try:
            super().create_test_db(verbosity=verbosity, autoclobber=True, serialize=False, keepdb=False)
        finally:
            self.connection.close()
            settings_dict["TEST"]["NAME"] = test_name
            settings_dict["NAME"] = name
            settings.DATABASES[self.connection.alias]["NAME"] = name


def _fields(comment: str | None) -> dict[str, str]:
    return dict(part.split("=", 1) for part in (comment or "").split() if "=" in part)
