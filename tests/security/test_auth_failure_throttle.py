"""Guessing API keys: failed token sign-ins are counted per client address, and past the limit every token request
from that address is a 429 with Retry-After — a right key included, so the answer tells a guesser nothing — until
the window has passed. Sessions and other addresses are not affected. The suite runs without the limit
(config/settings/test.py); these tests set one, as tests/common/test_throttling.py does for the request rates."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.services import api_token_create
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/programs/"
WRONG = "trk_" + "x" * 43


def limit(rate: str | None = "3/minute"):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth_failure": rate}
    return override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates})


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    yield
    cache.clear()


def get(header: str, address: str = "203.0.113.7"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client.get(URL, REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize("header", [f"Bearer {WRONG}", "Bearer not-our-key", f"Token {WRONG}", "Token " + "a" * 40])
def test_past_the_limit_wrong_keys_get_429_with_retry_after(officer, header):
    with limit():
        codes = [get(header).status_code for _ in range(3)]
        refused = get(header)

    assert codes == [401, 401, 401]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60


def test_a_blocked_address_is_refused_even_with_a_right_key(officer):
    _token, key = api_token_create(user=officer, name="报表工具")

    with limit():
        for _ in range(3):
            get(f"Bearer {WRONG}")
        right_here = get(f"Bearer {key}")
        right_elsewhere = get(f"Bearer {key}", address="198.51.100.2")
        wrong_elsewhere = get(f"Bearer {WRONG}", address="198.51.100.2")
        session = client_for(officer).get(URL, REMOTE_ADDR="203.0.113.7")

    assert right_here.status_code == 429
    assert right_elsewhere.status_code == 200
    assert wrong_elsewhere.status_code == 401
    assert session.status_code == 200


def test_right_keys_do_not_count(officer):
    _token, key = api_token_create(user=officer, name="报表工具")

    with limit():
        codes = [get(f"Bearer {key}").status_code for _ in range(10)]

    assert set(codes) == {200}


def test_the_block_ends_with_the_window(officer, monkeypatch):
    from accounts.throttling import AuthFailureThrottle

    _token, key = api_token_create(user=officer, name="报表工具")
    with limit():
        for _ in range(4):
            get(f"Bearer {WRONG}")
        assert get(f"Bearer {key}").status_code == 429

        later = AuthFailureThrottle.timer() + 61
        monkeypatch.setattr(AuthFailureThrottle, "timer", lambda self: later)

        assert get(f"Bearer {key}").status_code == 200


def test_without_a_rate_nothing_is_counted(officer):
    with limit(None):
        codes = [get(f"Bearer {WRONG}").status_code for _ in range(10)]

    assert set(codes) == {401}


def test_the_limit_is_configured_by_default():
    from config.settings import base

    assert base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth_failure"]
