"""Roles: the add_user command, the role ↔ county invariant, staff flag and admin groups."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from accounts.access import access_for
from accounts.models import ApiToken, Membership, Role
from accounts.services import GROUP_NAMES, user_set_role
from pairing.factories import CityFactory, CountyFactory, ProgramCountyFactory

User = get_user_model()


def run(*args, **env) -> str:
    out = StringIO()
    call_command("add_user", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def county(db):
    # A liaison's county is a county of a program.
    return ProgramCountyFactory(county=CountyFactory(adcode="371328", name="蒙阴县")).county


def test_add_liaison_with_a_generated_password_printed_once(county, monkeypatch):
    monkeypatch.delenv("NEW_USER_PASSWORD", raising=False)

    output = run("zhang", "--role", "liaison", "--county", "371328")

    password = output.split("Password (shown once): ")[1].strip()
    user = User.objects.get(username="zhang")
    assert user.check_password(password)
    assert user.membership.role == Role.LIAISON
    assert user.membership.county_id == "371328"
    assert not user.is_staff  # liaisons use their own pages and the API, not the admin
    assert access_for(user).county == "371328"


def test_password_from_the_environment_is_not_printed(db, monkeypatch):
    monkeypatch.setenv("NEW_USER_PASSWORD", "s3cret-from-env")

    output = run("li", "--role", "officer", "--token")

    user = User.objects.get(username="li")
    assert user.check_password("s3cret-from-env")
    assert "s3cret-from-env" not in output
    assert user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == [GROUP_NAMES[Role.OFFICER]]
    token = ApiToken.objects.get(user=user)
    assert token.read_only and token.expires_at is not None
    assert output.split("API token (shown once")[1].rsplit(": ", 1)[1].startswith(token.prefix)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "liaison"], "须指定所属县"),
        (["--role", "leader", "--county", "371328"], "只有县级联络员"),
        (["--role", "liaison", "--county", "999999"], "Unknown adcode"),
    ],
)
def test_wrong_combinations_are_refused_and_create_nothing(county, args, message):
    with pytest.raises(CommandError, match=message):
        run("wang", *args)
    assert not User.objects.filter(username="wang").exists()


def test_existing_user_is_refused_unless_updated(county):
    run("zhao", "--role", "leader")
    with pytest.raises(CommandError, match="已存在"):
        run("zhao", "--role", "finance")

    run("zhao", "--role", "liaison", "--county", "371328", "--update")

    user = User.objects.get(username="zhao")
    assert user.membership.role == Role.LIAISON
    assert not user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == [GROUP_NAMES[Role.LIAISON]]


def test_a_city_is_not_a_liaisons_county(db):
    city = CityFactory()
    user = User.objects.create_user("sun")
    with pytest.raises(ValidationError):
        user_set_role(user=user, role=Role.LIAISON, county=city)


@pytest.mark.parametrize(("role", "with_county"), [(Role.LIAISON, False), (Role.OFFICER, True)])
def test_database_refuses_a_role_without_its_county_rule(county, role, with_county):
    user = User.objects.create_user("qian")
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=user, role=role, county=county if with_county else None)


def test_group_permissions_follow_the_role(db):
    leader = User.objects.create_user("leader1")
    finance = User.objects.create_user("finance1")
    user_set_role(user=leader, role=Role.LEADER)
    user_set_role(user=finance, role=Role.FINANCE)

    assert leader.has_perm("projects.view_project")
    assert not leader.has_perm("projects.change_project")
    assert not leader.has_perm("funds.add_allocation")
    assert finance.has_perm("funds.add_allocation")
    assert not finance.has_perm("projects.change_project")


def test_no_role_no_access(norole, officer):
    assert not access_for(norole).has_role
    assert access_for(officer).sees_everything  # a superuser counts as a provincial officer


def test_officer_gives_a_role_on_the_users_admin_page(client, officer, county):
    user = User.objects.create_user("zhou", password="pw-zhou-123")
    client.force_login(officer)
    url = f"/admin/auth/user/{user.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200

    form = {
        "username": "zhou",
        "password": user.password,
        "is_active": "on",
        "date_joined_0": "2025-01-01",
        "date_joined_1": "00:00:00",
        "membership-TOTAL_FORMS": "1",
        "membership-INITIAL_FORMS": "0",
        "membership-MIN_NUM_FORMS": "0",
        "membership-MAX_NUM_FORMS": "1",
        "membership-0-role": "liaison",
        "membership-0-county": "371328",
    }
    response = client.post(url, form)

    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.membership.role == Role.LIAISON
    assert user.membership.county_id == "371328"
    assert list(user.groups.values_list("name", flat=True)) == [GROUP_NAMES[Role.LIAISON]]
    listing = client.get("/admin/auth/user/")
    assert "蒙阴县" in listing.content.decode()
