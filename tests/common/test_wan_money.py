"""Money typed in 万元 (common.forms.WanField on every MoneyField form); the API schema says its amounts are yuan."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django import forms
from django.core.management import call_command

from common.forms import WanField, WanInput, wan_text
from funds.models import Disbursement, Fund


@pytest.mark.parametrize(
    ("typed", "yuan"),
    [
        ("1,000.5", Decimal("10005000.00")),
        ("1，000.5", Decimal("10005000.00")),
        (" 12 345.6789 ", Decimal("123456789.00")),
        ("0.0001", Decimal("1.00")),
        ("0.000001", Decimal("0.01")),
        ("20000", Decimal("200000000.00")),
        ("1234.567891", Decimal("12345678.91")),
    ],
)
def test_wan_is_cleaned_to_exact_yuan(typed, yuan):
    assert WanField().clean(typed) == yuan


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("-1", "negative"),
        ("-0.0001", "negative"),
        ("1.1234567", "places"),
        ("abc", "invalid"),
        ("1e10", "too_large"),
        ("NaN", "invalid"),
    ],
)
def test_wan_refuses_negatives_too_many_places_and_nonsense(typed, code):
    with pytest.raises(forms.ValidationError) as refused:
        WanField().clean(typed)
    assert refused.value.code == code


def test_a_liaison_field_can_leave_negatives_to_the_service():
    assert WanField(allow_negative=True).clean("-50") == Decimal("-500000.00")


def test_every_stored_amount_shows_in_wan_and_saves_back_unchanged():
    for yuan in (Decimal("0.01"), Decimal("12345.67"), Decimal("179000000.00")):
        assert WanField().clean(wan_text(yuan)) == yuan
    assert wan_text(Decimal("179000000.00")) == "17900.00"


@pytest.mark.django_db
def test_a_money_field_on_a_model_form_is_typed_in_wan_with_the_unit_beside_the_box():
    form_class = forms.modelform_factory(Fund, fields=["total"])
    field = form_class().fields["total"]
    assert isinstance(field, WanField)
    assert isinstance(field.widget, WanInput)
    html = str(form_class(instance=Fund(total=Decimal("200000000.00")))["total"])
    assert 'value="20000.00"' in html
    assert '<span class="unit">' in html
    form = form_class(data={"total": "20,000.0001"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["total"] == Decimal("200000001.00")


def test_the_admin_stores_what_was_typed_in_wan_as_exact_yuan(client, officer, fund_with_allocation):
    client.force_login(officer)
    allocation = fund_with_allocation
    response = client.post(
        "/admin/funds/disbursement/add/",
        {"allocation": allocation.pk, "amount": "1,234.5678", "paid_on": "2025-05-01"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Disbursement.objects.get().amount == Decimal("12345678.00")


@pytest.fixture
def fund_with_allocation(program, pairing_a):
    import datetime as dt

    from funds.factories import FundFactory
    from funds.services import allocation_create

    fund = FundFactory(program=program, year=2025, total=Decimal("200000000.00"))
    return allocation_create(
        fund=fund, county=pairing_a.weak_county, amount=Decimal("50000000.00"), allocated_on=dt.date(2025, 1, 10)
    )


def test_every_amount_in_the_api_schema_says_it_is_in_yuan(tmp_path):
    # Every yuan amount has the MoneyField's shape (16 digits, 2 places); each one's description names the unit
    path = tmp_path / "schema.json"
    call_command("spectacular", "--file", str(path), "--format", "openapi-json")
    schema = json.loads(path.read_text())
    amounts = {
        (name, field): prop.get("description", "")
        for name, component in schema["components"]["schemas"].items()
        for field, prop in component.get("properties", {}).items()
        if prop.get("format") == "decimal" and r"\d{0,14}(?:\.\d{0,2})" in prop.get("pattern", "")
    }
    assert len(amounts) > 50
    silent = {key for key, text in amounts.items() if "yuan" not in text and "元" not in text}
    assert silent == set()
