"""Named API tokens of reporting tools: a token acts as its user (role and county scope), a read-only token never
writes, a revoked or expired one is a 401, the key is kept only as a hash; DRF's per-user tokens are refused."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import API_TOKEN_TOUCH_EVERY, api_token_create, api_token_revoke
from projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db

PROJECTS = "/api/v1/projects/"
ORDERS = "/api/v1/cross-county-orders/"


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")
    return client


def order_payload(pairing) -> dict:
    return {
        "pairing": pairing.pk,
        "buyer": "某农产品有限公司",
        "seller": "某冷链物流有限公司",
        "seller_county": pairing.strong_county_id,
        "amount": "12500000.50",
        "signed_date": "2025-06-30",
    }


@pytest.fixture
def projects(pairing_a, pairing_b):
    return {"a": ProjectFactory(pairing=pairing_a, code="A-001"), "b": ProjectFactory(pairing=pairing_b, code="B-001")}


# --- The key ----------------------------------------------------------------------------------------------------------


def test_the_key_is_shown_once_and_stored_only_as_its_hash(liaison_a):
    token, key = api_token_create(user=liaison_a, name="报表工具")

    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key.startswith("trk_") and len(key) > 40
    assert stored["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert stored["prefix"] == key[:12]
    assert key not in {str(value) for value in stored.values()}
    assert token.read_only is True  # unless asked otherwise


def test_the_database_refuses_a_key_that_is_not_a_sha256(liaison_a):
    token, _key = api_token_create(user=liaison_a, name="报表工具")

    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(key_hash="not-a-hash")


def test_one_live_token_per_user_and_name(liaison_a):
    token, _key = api_token_create(user=liaison_a, name="报表工具")

    with pytest.raises(ValidationError) as refused:
        api_token_create(user=liaison_a, name="报表工具")
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.create(user=liaison_a, name="报表工具", prefix="trk_x", key_hash="0" * 64)
    api_token_revoke(token=token)
    again, _key = api_token_create(user=liaison_a, name="报表工具")  # the name is free once revoked

    assert "name" in refused.value.error_dict
    assert again.pk != token.pk


def test_a_user_without_a_role_gets_no_token(norole):
    with pytest.raises(ValidationError) as refused:
        api_token_create(user=norole, name="报表工具")

    assert "user" in refused.value.error_dict


def test_an_expiry_in_the_past_is_refused(liaison_a):
    with pytest.raises(ValidationError) as refused:
        api_token_create(user=liaison_a, name="报表工具", expires_at=timezone.now() - dt.timedelta(minutes=1))

    assert "expires_at" in refused.value.error_dict


# --- Reading as the token's user --------------------------------------------------------------------------------------


def test_a_liaison_token_reads_only_its_county(liaison_a, projects):
    _token, key = api_token_create(user=liaison_a, name="报表工具")
    client = bearer(key)

    listed = client.get(PROJECTS)
    own = client.get(f"{PROJECTS}{projects['a'].pk}/")
    other = client.get(f"{PROJECTS}{projects['b'].pk}/")

    assert listed.status_code == 200
    assert [row["code"] for row in listed.json()["results"]] == ["A-001"]
    assert listed.json()["count"] == 1
    assert own.status_code == 200
    assert other.status_code == 404


def test_an_officer_token_reads_everything(officer, projects):
    _token, key = api_token_create(user=officer, name="省级报表")

    listed = bearer(key).get(PROJECTS)

    assert sorted(row["code"] for row in listed.json()["results"]) == ["A-001", "B-001"]


def test_the_token_scheme_token_works_too(liaison_a, projects):
    _token, key = api_token_create(user=liaison_a, name="报表工具")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert client.get(PROJECTS).json()["count"] == 1


def test_a_key_of_drf_s_per_user_tokens_is_refused(liaison_a, projects):
    # Those tokens wrote as their user and never expired; the app is gone and its keys with it.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    response = client.get(PROJECTS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


# --- Read-only tokens never write -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_read_only_token_may_not_write(liaison_a, pairing_a, method):
    _token, key = api_token_create(user=liaison_a, name="报表工具")
    url = ORDERS if method == "post" else f"{ORDERS}1/"

    response = getattr(bearer(key), method)(url, order_payload(pairing_a), format="json")

    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]


def test_a_read_only_officer_token_may_not_write_either(officer):
    _token, key = api_token_create(user=officer, name="省级报表")

    response = bearer(key).post(
        "/api/v1/funds/", {"program": "sd-test", "year": 2027, "kind": "guidance", "total": "1.00"}, format="json"
    )

    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]


def test_a_write_token_writes_where_the_role_may(liaison_a, pairing_a, pairing_b):
    _token, key = api_token_create(user=liaison_a, name="填报工具", read_only=False)
    client = bearer(key)

    own = client.post(ORDERS, order_payload(pairing_a), format="json")
    other = client.post(ORDERS, order_payload(pairing_b), format="json")
    money = client.post(
        "/api/v1/funds/", {"program": "sd-test", "year": 2027, "kind": "guidance", "total": "1.00"}, format="json"
    )

    assert own.status_code == 201
    assert own.json()["pairing"] == pairing_a.pk
    assert other.status_code == 400  # another county's pairing does not exist for the payload
    assert money.status_code == 403  # a liaison does not write money records, whatever the token


def test_a_write_token_of_a_leader_still_only_reads(leader, program):
    _token, key = api_token_create(user=leader, name="领导看板", read_only=False)

    response = bearer(key).post(
        "/api/v1/funds/", {"program": program.code, "year": 2027, "kind": "guidance", "total": "1.00"}, format="json"
    )

    assert response.status_code == 403


def test_writes_are_recorded_as_the_tokens_user(officer, program):
    _token, key = api_token_create(user=officer, name="省级填报", read_only=False)

    response = bearer(key).post(
        "/api/v1/funds/",
        {"program": program.code, "year": 2027, "kind": "guidance", "total": "200000000.00"},
        format="json",
    )

    from funds.models import Fund

    fund = Fund.objects.get(pk=response.json()["id"])
    assert response.status_code == 201
    assert fund.total == Decimal("200000000.00")
    assert fund.history.first().history_user == officer


# --- Refused keys -----------------------------------------------------------------------------------------------------


def test_a_revoked_token_is_a_401(liaison_a):
    token, key = api_token_create(user=liaison_a, name="报表工具")
    api_token_revoke(token=token)

    response = bearer(key).get(PROJECTS)

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Token"


def test_an_expired_token_is_a_401(liaison_a):
    token, key = api_token_create(user=liaison_a, name="报表工具", expires_at=timezone.now() + dt.timedelta(days=1))
    past = timezone.now() - dt.timedelta(days=1)
    ApiToken.objects.filter(pk=token.pk).update(created_at=past - dt.timedelta(days=30), expires_at=past)

    response = bearer(key).get(PROJECTS)

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_token_not_yet_expired_works(liaison_a, projects):
    _token, key = api_token_create(user=liaison_a, name="报表工具", expires_at=timezone.now() + dt.timedelta(days=1))

    assert bearer(key).get(PROJECTS).status_code == 200


@pytest.mark.parametrize("header", ["Bearer trk_unknownkey", "Bearer 0123456789abcdef", "Bearer", "Token trk_unknown"])
def test_an_unknown_key_is_a_401(liaison_a, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert client.get(PROJECTS).status_code == 401


def test_a_token_of_a_deactivated_user_is_a_401(liaison_a):
    _token, key = api_token_create(user=liaison_a, name="报表工具")
    get_user_model().objects.filter(pk=liaison_a.pk).update(is_active=False)

    assert bearer(key).get(PROJECTS).status_code == 401


def test_revoking_twice_keeps_the_first_time(liaison_a):
    token, _key = api_token_create(user=liaison_a, name="报表工具")
    first = api_token_revoke(token=token).revoked_at

    assert api_token_revoke(token=token).revoked_at == first


# --- Last use ---------------------------------------------------------------------------------------------------------


def test_last_use_is_recorded_at_most_once_a_minute(liaison_a, projects):
    token, key = api_token_create(user=liaison_a, name="报表工具")
    client = bearer(key)

    client.get(PROJECTS)
    token.refresh_from_db()
    first = token.last_used_at
    client.get(PROJECTS)
    token.refresh_from_db()
    unchanged = token.last_used_at
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - API_TOKEN_TOUCH_EVERY - dt.timedelta(seconds=1))
    client.get(PROJECTS)
    token.refresh_from_db()

    assert first is not None and timezone.now() - first < dt.timedelta(minutes=1)
    assert unchanged == first
    assert token.last_used_at > first


def test_a_request_within_the_minute_sends_no_update_of_the_token(liaison_a, projects):
    _token, key = api_token_create(user=liaison_a, name="报表工具")
    client = bearer(key)
    client.get(PROJECTS)

    with CaptureQueriesContext(connection) as captured:
        client.get(PROJECTS)

    assert not [q for q in captured.captured_queries if q["sql"].startswith("UPDATE")]


# --- The command and the admin ----------------------------------------------------------------------------------------


def test_command_creates_lists_and_revokes(liaison_a, capsys):
    call_command("api_token", "create", "liaison_a", "--name", "报表工具", "--expires", "2099-12-31")
    created = capsys.readouterr().out
    key = created.split("Bearer <key>`): ")[1].strip()
    token = ApiToken.objects.get()

    call_command("api_token", "list", "liaison_a")
    listed = capsys.readouterr().out
    call_command("api_token", "revoke", "liaison_a", "--name", "报表工具")
    token.refresh_from_db()

    assert "read-only" in created
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.read_only is True
    assert timezone.localtime(token.expires_at).date() == dt.date(2100, 1, 1)  # works through 31 December
    assert token.prefix in listed and "active" in listed
    assert token.revoked_at is not None


def test_command_write_token_and_revoke_by_prefix(officer, capsys):
    call_command("api_token", "create", "officer", "--name", "省级填报", "--write")
    token = ApiToken.objects.get()

    call_command("api_token", "revoke", "--prefix", f"{token.prefix}…")
    token.refresh_from_db()

    assert token.read_only is False
    assert token.revoked_at is not None


def test_command_refuses_what_the_service_refuses(norole):
    with translation.override("en"), pytest.raises(CommandError, match="no role"):
        call_command("api_token", "create", "norole", "--name", "报表工具")
    with translation.override("en"), pytest.raises(CommandError, match="Unknown user"):
        call_command("api_token", "create", "nobody", "--name", "报表工具")
    with pytest.raises(CommandError, match="No such live token"):
        call_command("api_token", "revoke", "norole", "--name", "报表工具")


@pytest.fixture
def admin_client(client, officer):
    client.force_login(officer)
    return client


def test_admin_creates_a_token_and_shows_its_key_once(admin_client, liaison_a):
    response = admin_client.post(
        "/admin/accounts/apitoken/add/",
        {"user": liaison_a.pk, "name": "报表工具", "read_only": "on", "expires_at_0": "", "expires_at_1": ""},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    token = ApiToken.objects.get()
    shown = [str(message) for message in response.context["messages"]]
    key = next(m for m in shown if "shown this once" in m).rsplit(": ", 1)[1]
    assert token.user == liaison_a and token.read_only
    assert hashlib.sha256(key.encode()).hexdigest() == token.key_hash
    assert ApiToken.objects.count() == 1  # the validation run left nothing behind
    again = admin_client.get(f"/admin/accounts/apitoken/{token.pk}/change/")
    assert again.status_code == 200
    assert key not in again.content.decode()


def test_admin_shows_the_services_refusal_on_the_form(admin_client, norole):
    response = admin_client.post(
        "/admin/accounts/apitoken/add/",
        {"user": norole.pk, "name": "报表工具", "read_only": "on", "expires_at_0": "", "expires_at_1": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert "no role in the program" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_admin_revokes_selected_tokens(admin_client, liaison_a):
    token, _key = api_token_create(user=liaison_a, name="报表工具")

    response = admin_client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    token.refresh_from_db()

    assert response.status_code == 200
    assert token.revoked_at is not None
    listing = admin_client.get("/admin/accounts/apitoken/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "revoked" in listing
