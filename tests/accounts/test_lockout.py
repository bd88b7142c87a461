"""Sign-in lockout: repeated failures lock the username from that address; the right password then fails too."""

import pytest
from django.test import override_settings

BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]


@pytest.fixture
def lockout(settings):
    settings.AUTHENTICATION_BACKENDS = BACKENDS
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3


def sign_in(client, password: str):
    return client.post("/admin/login/?next=/admin/", {"username": "officer", "password": password})


@pytest.mark.usefixtures("lockout")
def test_three_failures_lock_the_account_even_for_the_right_password(client, officer):
    for _attempt in range(2):
        assert sign_in(client, "wrong").status_code == 200  # the login form again, with its error

    locked = sign_in(client, "wrong")
    after = sign_in(client, "pw-officer")

    assert locked.status_code in (403, 429)
    assert after.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


@pytest.mark.usefixtures("lockout")
def test_a_success_before_the_limit_resets_the_count(client, officer):
    sign_in(client, "wrong")
    sign_in(client, "wrong")
    assert sign_in(client, "pw-officer").status_code == 302
    client.logout()

    sign_in(client, "wrong")
    sign_in(client, "wrong")
    assert sign_in(client, "pw-officer").status_code == 302


@override_settings(AUTHENTICATION_BACKENDS=BACKENDS)
def test_api_tokens_are_not_subject_to_the_lockout(officer, api_client):
    from accounts.services import api_token_create

    _token, key = api_token_create(user=officer, name="报表工具")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api_client.get("/api/v1/programs/").status_code == 200


@pytest.mark.usefixtures("lockout")
@pytest.mark.parametrize("url", ["/admin/login/?next=/admin/", "/liaison/login/"])
def test_the_lockout_page_speaks_chinese_on_both_sign_in_pages(client, officer, url):
    for _attempt in range(3):
        response = client.post(url, {"username": "officer", "password": "wrong"})

    assert response.status_code == 429
    page = response.content.decode()
    assert "登录已锁定" in page
    assert "登录失败次数过多" in page
    assert "Too many" not in page
