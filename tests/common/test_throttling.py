"""Request rates: anonymous callers, signed-in users and each named API token have budgets of their own; over it, a
429 with Retry-After. The suite runs without limits (config/settings/test.py); these tests set small ones."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from accounts.services import api_token_create
from config.settings.env import env_rate
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/regions/"
RATES = {"anon": "2/minute", "user": "3/minute", "api_token": "4/minute"}


def rates(**given: str | None):
    return override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": given})


@pytest.fixture(autouse=True)
def fresh_counters():
    # The counters live in the default cache (Redis when REDIS_URL is set, as in production).
    cache.clear()
    yield
    cache.clear()


def statuses(client: APIClient, times: int) -> list[int]:
    return [client.get(URL).status_code for _ in range(times)]


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_the_suite_runs_without_limits(officer):
    client = client_for(officer)

    assert set(statuses(client, 20)) == {200}


def test_a_user_over_the_rate_gets_429_with_retry_after(officer):
    client = client_for(officer)

    with rates(**RATES):
        codes = statuses(client, 4)
        refused = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    assert codes == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.json()["detail"].lower()


def test_users_have_budgets_of_their_own(officer, leader):
    with rates(**RATES):
        first = statuses(client_for(officer), 4)
        second = statuses(client_for(leader), 3)

    assert first[-1] == 429
    assert second == [200, 200, 200]


def test_each_api_token_has_its_own_budget_apart_from_its_users(officer):
    _one, key_one = api_token_create(user=officer, name="报表甲")
    _two, key_two = api_token_create(user=officer, name="报表乙")

    with rates(**RATES):
        one = statuses(bearer(key_one), 5)
        two = statuses(bearer(key_two), 4)
        session = statuses(client_for(officer), 3)

    assert one == [200, 200, 200, 200, 429]  # the token scope's rate, not the user's
    assert two == [200, 200, 200, 200]
    assert session == [200, 200, 200]  # the tokens' requests did not use the user's budget


class Open(APIView):
    """A view anyone may call: DRF checks permissions before rates, so an anonymous caller meets the anonymous rate
    only where anonymous callers are let in (the schema)."""

    permission_classes = [AllowAny]

    def get(self, request):
        return Response({})


def test_anonymous_callers_are_limited_by_address():
    view = Open.as_view()
    factory = APIRequestFactory()

    with rates(**RATES):
        here = [view(factory.get("/", REMOTE_ADDR="10.0.0.1")).status_code for _ in range(3)]
        there = view(factory.get("/", REMOTE_ADDR="10.0.0.2")).status_code

    assert here == [200, 200, 429]
    assert there == 200


def test_a_scope_without_a_rate_is_not_limited(officer):
    with rates(anon="1/minute", user=None, api_token="1/minute"):
        codes = statuses(client_for(officer), 5)

    assert set(codes) == {200}


@pytest.mark.parametrize(("value", "expected"), [("100/minute", "100/minute"), ("off", None), ("None", None)])
def test_rates_come_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("API_RATE_TOKEN", value)

    assert env_rate("API_RATE_TOKEN", "1/second") == expected


def test_rates_default_when_the_environment_is_silent(monkeypatch):
    monkeypatch.delenv("API_RATE_TOKEN", raising=False)

    assert env_rate("API_RATE_TOKEN", "1200/minute") == "1200/minute"


def test_every_scope_is_configured():
    from config.settings import base

    configured = base.REST_FRAMEWORK
    assert [path.rsplit(".", 1)[1] for path in configured["DEFAULT_THROTTLE_CLASSES"]] == [
        "AnonThrottle",
        "UserThrottle",
        "ApiTokenThrottle",
    ]
    assert set(configured["DEFAULT_THROTTLE_RATES"]) == {"anon", "user", "api_token", "auth_failure"}
    assert all(configured["DEFAULT_THROTTLE_RATES"].values())  # limited unless the environment says `off`


@pytest.mark.redis
def test_the_counters_are_shared_through_redis(officer, require_redis):
    """Two processes serving the API must count against one budget: the counters are in Redis, where another
    connection (another worker) reads the same count."""
    from django.core.cache import caches

    assert caches["default"].__class__.__name__ == "RedisCache"
    with rates(**RATES):
        statuses(client_for(officer), 2)
    other_worker = caches.create_connection("default")  # a client of its own, as in another process

    assert other_worker is not caches["default"]
    assert len(other_worker.get(f"throttle_user_{officer.pk}")) == 2


def test_429_is_documented_with_retry_after(officer_client):
    schema = officer_client.get("/api/schema/?format=json").json()
    operations = [
        operation
        for methods in schema["paths"].values()
        for method, operation in methods.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]

    assert operations
    for operation in operations:
        response = operation["responses"]["429"]
        assert "Retry-After" in response["headers"]
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
