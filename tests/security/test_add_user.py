"""Accounts made from the command line: the password validators apply, a liaison speaks for a county of a program,
and the API token ``add_user --token`` prints is a named one — read-only and expiring unless told otherwise. DRF's
per-user tokens (which wrote as their user and never expired) are no longer accepted."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from pairing.factories import CountyFactory, ProgramCountyFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


def add_user(*args: str) -> str:
    out = StringIO()
    call_command("add_user", *args, stdout=out)
    return out.getvalue()


def printed_key(output: str) -> str:
    return output.split("API token (shown once")[1].rsplit(": ", 1)[1].split()[0]


@pytest.mark.parametrize("password", ["123", "password", "12345678901", "li-the-user"])
def test_a_weak_password_from_the_environment_is_refused(monkeypatch, password):
    monkeypatch.setenv("NEW_USER_PASSWORD", password)

    with pytest.raises(CommandError):
        add_user("li-the-user", "--role", "officer")

    assert not User.objects.filter(username="li-the-user").exists()


def test_a_liaison_of_a_county_outside_every_program_is_refused(monkeypatch, pairing_a):
    monkeypatch.delenv("NEW_USER_PASSWORD", raising=False)
    CountyFactory(adcode="370481", name="滕州市")  # in the registry, in no program

    with pytest.raises(CommandError, match="不属于任何帮扶计划"):
        add_user("teng", "--role", "liaison", "--county", "370481")

    assert not User.objects.filter(username="teng").exists()


@pytest.mark.parametrize("side", ["weak_county", "strong_county"])
def test_a_liaison_of_either_side_of_a_pairing_is_accepted(monkeypatch, pairing_a, side):
    monkeypatch.delenv("NEW_USER_PASSWORD", raising=False)
    county = getattr(pairing_a, side)

    add_user("zhang", "--role", "liaison", "--county", county.adcode)

    assert User.objects.get(username="zhang").membership.county == county


def test_a_liaison_of_a_designated_county_without_a_partner_is_accepted(monkeypatch, program):
    monkeypatch.delenv("NEW_USER_PASSWORD", raising=False)
    designated = ProgramCountyFactory(program=program, county=CountyFactory(adcode="370322", name="高青县"))

    add_user("gao", "--role", "liaison", "--county", designated.county_id)

    assert User.objects.get(username="gao").membership.county_id == "370322"


def test_the_token_is_a_named_read_only_one_that_expires_in_90_days(monkeypatch, pairing_a):
    monkeypatch.delenv("NEW_USER_PASSWORD", raising=False)

    output = add_user("li", "--role", "finance", "--token")

    token = ApiToken.objects.get(user__username="li")
    assert token.read_only
    assert token.expires_at is not None
    assert abs(token.expires_at - (timezone.now() + dt.timedelta(days=90))) < dt.timedelta(minutes=1)
    key = printed_key(output)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/funds/").status_code == 200
    assert client.post("/api/v1/funds/", {}, format="json").status_code == 403  # read-only


def test_write_and_expiry_are_explicit(monkeypatch, pairing_a):
    monkeypatch.delenv("NEW_USER_PASSWORD", raising=False)

    add_user("li", "--role", "finance", "--token", "--token-name", "财务脚本", "--write", "--expires-days", "7")

    token = ApiToken.objects.get(user__username="li")
    assert token.name == "财务脚本"
    assert not token.read_only
    assert abs(token.expires_at - (timezone.now() + dt.timedelta(days=7))) < dt.timedelta(minutes=1)


@pytest.mark.parametrize("days", ["0", "-1"])
def test_an_expiry_must_be_in_the_future(monkeypatch, pairing_a, days):
    monkeypatch.delenv("NEW_USER_PASSWORD", raising=False)

    with pytest.raises(CommandError):
        add_user("li", "--role", "finance", "--token", "--expires-days", days)

    assert not User.objects.filter(username="li").exists()  # nothing half-made


def test_drf_per_user_tokens_are_not_accepted(officer):
    """The old tokens never expired and wrote as their user; a key of that shape is now simply a wrong key."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0123456789abcdef0123456789abcdef01234567")

    assert client.get("/api/v1/programs/").status_code == 401


def test_the_drf_authtoken_app_is_gone():
    from django.apps import apps
    from django.conf import settings

    assert not apps.is_installed("rest_framework.authtoken")
    assert (
        "rest_framework.authentication.TokenAuthentication"
        not in settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]
    )


class TestEnsureLocalAdmin:
    @pytest.fixture
    def local(self, settings, tmp_path, monkeypatch):
        settings.DEBUG = True
        settings.VAR_DIR = tmp_path
        return tmp_path

    def test_a_weak_configured_password_is_refused(self, local, monkeypatch):
        monkeypatch.setenv("LOCAL_ADMIN_PASSWORD", "admin123")

        with pytest.raises(CommandError):
            call_command("ensure_local_admin", stdout=StringIO())

        assert not User.objects.filter(username="admin").exists()

    def test_the_generated_password_passes_the_validators(self, local, monkeypatch):
        from django.contrib.auth.password_validation import validate_password

        monkeypatch.delenv("LOCAL_ADMIN_PASSWORD", raising=False)
        call_command("ensure_local_admin", stdout=StringIO())

        admin = User.objects.get(username="admin")
        validate_password((local / "local-admin-password").read_text().strip(), user=admin)


def test_the_migration_drops_the_old_keys():
    """A database that had DRF's tokens loses the table, keys and all, and the app's migration records."""
    import importlib

    from django.db import connection

    migration = importlib.import_module("accounts.migrations.0003_drop_drf_authtoken_table")

    class Editor:  # the two things the migration uses of a schema editor, without its SQLite transaction rules
        def __init__(self) -> None:
            self.connection = connection

        def quote_name(self, name: str) -> str:
            return connection.ops.quote_name(name)

        def execute(self, sql: str, params=()) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id integer NOT NULL)")
        cursor.execute("INSERT INTO authtoken_token VALUES ('0123456789abcdef0123456789abcdef01234567', 1)")
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES ('authtoken', '0001_initial', %s)",
            [timezone.now()],
        )

    migration.drop_authtoken_table(None, Editor())

    assert "authtoken_token" not in connection.introspection.table_names()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations WHERE app = 'authtoken'")
        assert cursor.fetchone()[0] == 0
