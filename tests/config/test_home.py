"""``/`` sends each role to its home: provincial staff to the admin, liaisons to their projects, anonymous visitors
to the sign-in page (which sends staff on to the admin once signed in)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "home"),
    [
        ("officer", "admin:index"),
        ("finance", "admin:index"),
        ("leader", "admin:index"),
        ("liaison_a", "liaison:projects"),
        ("norole", "liaison:projects"),
    ],
)
def test_signed_in_users_go_to_their_home(request, persona, home):
    client = Client()
    client.force_login(request.getfixturevalue(persona))

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == reverse(home)


def test_anonymous_visitors_go_to_the_sign_in_page():
    response = Client().get("/")

    assert response.status_code == 302
    assert response["Location"] == reverse("liaison:login")


def test_an_officer_signing_in_from_the_front_door_lands_in_the_admin(officer):
    client = Client()
    sign_in = client.get("/", follow=True)
    assert sign_in.request["PATH_INFO"] == reverse("liaison:login")

    response = client.post(reverse("liaison:login"), {"username": "officer", "password": "pw-officer"})

    assert response["Location"] == reverse("admin:index")


def test_only_reads():
    assert Client().post("/").status_code == 405
