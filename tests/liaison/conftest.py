"""Fixtures of the liaison pages: a project in each liaison's county and a signed-in browser-less client for each
persona. The pages are asked for in English (``Accept-Language: en``) so assertions on messages do not depend on
which translations are compiled; one test checks the Chinese default."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from liaison.selectors import month_before_today
from projects.factories import ProjectFactory
from projects.models import Stage


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def due_period(today) -> str:
    """The month reported on now: the previous calendar month."""
    return month_before_today(today)


@pytest.fixture
def project_a(pairing_a, today):
    return ProjectFactory(
        pairing=pairing_a,
        code="TEZ-001",
        name="台儿庄黄岛产业园装备项目",
        signed_date=today - dt.timedelta(days=200),
        stage=Stage.SIGNED,
    )


@pytest.fixture
def project_b(pairing_b, today):
    return ProjectFactory(
        pairing=pairing_b,
        code="MY-001",
        name="蒙阴绿色智能钻机项目",
        signed_date=today - dt.timedelta(days=200),
        stage=Stage.SIGNED,
    )


def signed_in(user=None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def client_a(liaison_a) -> Client:
    return signed_in(liaison_a)


@pytest.fixture
def client_b(liaison_b) -> Client:
    return signed_in(liaison_b)


@pytest.fixture
def anonymous() -> Client:
    return signed_in()
