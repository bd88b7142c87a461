"""Targets typed in the admin in their metric's unit: amounts (and the project threshold) in 万元, stored in yuan."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reporting.models import Target

pytestmark = pytest.mark.django_db
ADD = "/admin/reporting/target/add/"


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def goal(program, county, **fields) -> dict:
    return {
        "program": program.pk,
        "county": county.pk,
        "year": "2025",
        "direction": "at_least",
        "indicator": "",
        "baseline": "",
        "threshold": "",
        **fields,
    }


def test_a_money_target_is_typed_in_wan_and_stored_in_yuan(officer_client, program, pairing_a):
    response = officer_client.post(
        ADD, goal(program, pairing_a.weak_county, metric="orders_amount", target="20,000.5", baseline="1,000")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    target = Target.objects.get()
    assert (target.target, target.baseline) == (Decimal("200005000.0000"), Decimal("10000000.0000"))
    page = officer_client.get(f"/admin/reporting/target/{target.pk}/change/").content.decode()
    assert 'value="20000.50"' in page


def test_a_count_target_keeps_its_unit_and_the_threshold_is_in_wan(officer_client, program, pairing_a):
    response = officer_client.post(
        ADD, goal(program, pairing_a.weak_county, metric="projects_over", target="8", threshold="10,000")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    target = Target.objects.get()
    assert (target.target, target.threshold) == (Decimal("8.0000"), Decimal("100000000.00"))


def test_a_negative_amount_is_refused_on_its_field(officer_client, program, pairing_a):
    response = officer_client.post(ADD, goal(program, pairing_a.weak_county, metric="funds_received", target="-1"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["target"] == ["The amount cannot be negative."]
    assert not Target.objects.exists()
