"""Shared fixtures: the personas every endpoint is tried as, and guards for the real services.

Personas (the same names everywhere):
- ``officer``  — provincial DRC staff (superuser: a provincial officer);
- ``finance`` — a finance officer (writes the money records, reads the rest);
- ``leader`` — a leader (reads everything, writes nothing);
- ``liaison_a`` — county liaison of the weak county of ``pairing_a``;
- ``liaison_b`` — county liaison of the weak county of ``pairing_b`` (another county);
- ``norole`` — an account without a role (sees nothing);
- anonymous — the plain ``api_client`` without credentials.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from pairing.factories import CountyFactory, PairingFactory, ProgramFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Examples per property test (hypothesis): a quick sample in `make test`, the long run in `make fuzz`
# (PROPERTY_EXAMPLES=1000). A property test asks for ``property_examples(n)``: n in the long run, a fifth of it
# (at least 50) otherwise.
PROPERTY_EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "0"))


def property_examples(long_run: int) -> int:
    return PROPERTY_EXAMPLES or max(long_run // 5, 50)


def _service_missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the service must be there)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's language (Chinese). A request leaves its language active in the thread
    (LocaleMiddleware does not reset it), so without this a test's messages would depend on what ran before it."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def require_postgres(db) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        _service_missing("needs PostgreSQL: set DATABASE_URL=postgres://…")


@pytest.fixture
def require_redis() -> str:
    url = settings.REDIS_URL
    if not url:
        _service_missing("needs Redis: set REDIS_URL=redis://…")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:
        _service_missing(f"Redis at {url} is unreachable: {exc}")
    return url


# The personas' program and pairings, as functions too: a module that builds its rows once (in a transaction rolled
# back at its end) makes them with these.


def make_program():
    return ProgramFactory(code="sd-test", name="测试项目")


def make_pairing_a(program):
    return PairingFactory(
        program=program,
        strong_county=CountyFactory(adcode="370211", name="黄岛区"),
        weak_county=CountyFactory(adcode="370405", name="台儿庄区"),
    )


def make_pairing_b(program):
    return PairingFactory(
        program=program,
        strong_county=CountyFactory(adcode="370112", name="历城区"),
        weak_county=CountyFactory(adcode="371328", name="蒙阴县"),
    )


@pytest.fixture
def program(db):
    return make_program()


@pytest.fixture
def pairing_a(program):
    return make_pairing_a(program)


@pytest.fixture
def pairing_b(program):
    return make_pairing_b(program)


def make_officer():
    return get_user_model().objects.create_superuser("officer", "officer@example.org", "pw-officer", is_staff=True)


def make_finance():
    return _with_role(get_user_model().objects.create_user("finance", "f@example.org", "pw-finance"), "finance")


def make_leader():
    return _with_role(get_user_model().objects.create_user("leader", "l@example.org", "pw-leader"), "leader")


def make_liaison_a(pairing_a):
    user = get_user_model().objects.create_user("liaison_a", "a@example.org", "pw-liaison-a")
    return _with_role(user, "liaison", pairing_a.weak_county)


def make_liaison_b(pairing_b):
    user = get_user_model().objects.create_user("liaison_b", "b@example.org", "pw-liaison-b")
    return _with_role(user, "liaison", pairing_b.weak_county)


def _with_role(user, role: str, county=None):
    from accounts.services import user_set_role

    user_set_role(user=user, role=role, county=county)
    return user


@pytest.fixture
def officer(django_user_model):
    return make_officer()


@pytest.fixture
def finance(django_user_model):
    return make_finance()


@pytest.fixture
def leader(django_user_model):
    return make_leader()


@pytest.fixture
def liaison_a(django_user_model, pairing_a):
    return make_liaison_a(pairing_a)


@pytest.fixture
def liaison_b(django_user_model, pairing_b):
    return make_liaison_b(pairing_b)


@pytest.fixture
def norole(django_user_model):
    return django_user_model.objects.create_user("norole", "n@example.org", "pw-norole")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def officer_client(officer) -> APIClient:
    return client_for(officer)


@pytest.fixture
def finance_client(finance) -> APIClient:
    return client_for(finance)


@pytest.fixture
def leader_client(leader) -> APIClient:
    return client_for(leader)


@pytest.fixture
def liaison_a_client(liaison_a) -> APIClient:
    return client_for(liaison_a)


@pytest.fixture
def liaison_b_client(liaison_b) -> APIClient:
    return client_for(liaison_b)
