"""``ensure_local_admin``: the developer's superuser for ``make run``, created once, its password kept in VAR_DIR."""

from __future__ import annotations

import stat
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

PASSWORD_FILE = "local-admin-password"


@pytest.fixture
def local(settings, tmp_path, monkeypatch):
    """A developer machine: DEBUG on, VAR_DIR in a temporary directory, no password in the environment."""
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    monkeypatch.delenv("LOCAL_ADMIN_PASSWORD", raising=False)
    return tmp_path


def _run() -> str:
    out = StringIO()
    call_command("ensure_local_admin", stdout=out)
    return out.getvalue()


def test_creates_the_admin_once_with_a_generated_password_kept_in_var(db, local):
    output = _run()

    stored = (local / PASSWORD_FILE).read_text().strip()
    assert len(stored) >= 16
    assert stat.S_IMODE((local / PASSWORD_FILE).stat().st_mode) == 0o600
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(stored)
    assert f"Admin: http://127.0.0.1:8000/admin/  user: admin  password: {stored}" in output
    assert "http://127.0.0.1:8000/api/docs/" in output


def test_a_second_run_reuses_the_stored_password_and_changes_nothing(db, local):
    _run()
    stored = (local / PASSWORD_FILE).read_text().strip()
    password_hash = get_user_model().objects.get(username="admin").password

    output = _run()

    assert (local / PASSWORD_FILE).read_text().strip() == stored
    assert get_user_model().objects.filter(username="admin").count() == 1
    assert get_user_model().objects.get(username="admin").password == password_hash
    assert f"password: {stored}" in output


def test_the_password_can_come_from_the_environment(db, local, monkeypatch):
    monkeypatch.setenv("LOCAL_ADMIN_PASSWORD", "from-the-environment-1")

    output = _run()

    assert get_user_model().objects.get(username="admin").check_password("from-the-environment-1")
    assert "password: from-the-environment-1" in output
    assert not (local / PASSWORD_FILE).exists()


def test_does_not_show_a_password_that_no_longer_works(db, local):
    _run()
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("changed-by-hand-2")
    admin.save()

    output = _run()

    assert (local / PASSWORD_FILE).read_text().strip() not in output
    assert "changepassword admin" in output


def test_refuses_without_debug(db, settings, tmp_path):
    settings.DEBUG = False
    settings.VAR_DIR = tmp_path

    with pytest.raises(CommandError, match="DEBUG"):
        _run()

    assert not get_user_model().objects.filter(username="admin").exists()
    assert not (tmp_path / PASSWORD_FILE).exists()


def test_one_demo_account_per_role_with_the_same_password(db, local):
    from accounts.access import access_for
    from pairing.factories import CountyFactory, ProgramCountyFactory

    ProgramCountyFactory(county=CountyFactory(adcode="370405", name="台儿庄区"))  # as the reference data has it

    output = _run()

    stored = (local / PASSWORD_FILE).read_text().strip()
    users = get_user_model().objects
    assert access_for(users.get(username="liaison-370405")).county == "370405"
    assert access_for(users.get(username="finance")).role == "finance"
    assert access_for(users.get(username="leader")).role == "leader"
    assert users.get(username="leader").check_password(stored)
    assert "liaison: http://127.0.0.1:8000/liaison/  user: liaison-370405" in output
    _run()
    assert users.filter(username="finance").count() == 1
