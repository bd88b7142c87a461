"""The admin of pair industry funds' contributions and investments and of the parks' tax and output, tried as the
provincial officer: every entry is booked by a service, and what a service refuses lands on the form."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from funds.factories import FundFactory, PairIndustryFundFactory
from funds.models import Fund, FundContribution, FundInvestment, ParkLedgerEntry
from funds.services import fund_contribution_create, fund_investment_create, park_ledger_record
from pairing.factories import ParkFactory, ParkPartnerFactory
from projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db

ON = dt.date(2025, 3, 1)


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    # The assertions read the English source strings, whatever the translations say.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def fund(pairing_a) -> Fund:
    return PairIndustryFundFactory(pairing=pairing_a, total=Decimal("100000000.00"))


@pytest.fixture
def park(pairing_a):
    park = ParkFactory(pairing=pairing_a, name="台儿庄区黄岛产业园")
    ParkPartnerFactory(park=park, county=pairing_a.strong_county, tax_share_pct=60, output_share_pct=50)
    ParkPartnerFactory(park=park, county=pairing_a.weak_county, tax_share_pct=40, output_share_pct=50)
    return park


@pytest.fixture
def dataset(fund, park, pairing_a):
    fund_contribution_create(fund=fund, county=pairing_a.weak_county, amount=Decimal("30000000.00"), paid_on=ON)
    project = ProjectFactory(pairing=pairing_a)
    fund_investment_create(fund=fund, project=project, amount=Decimal("10000000.00"), invested_on=ON)
    park_ledger_record(park=park, period="2025", tax=Decimal("1000000.01"), output=Decimal("50000000.00"))


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", [FundContribution, FundInvestment, ParkLedgerEntry], ids=lambda m: m.__name__)
def test_changelist_add_and_change_pages_open(officer_client, dataset, model):
    obj = model.objects.first()

    for page in (url(model, "changelist"), url(model, "add"), url(model, "change", obj.pk)):
        assert officer_client.get(page).status_code == 200, page


def test_lists_show_amounts_in_wan(officer_client, dataset):
    contributions = officer_client.get(url(FundContribution, "changelist")).content.decode()
    ledger = officer_client.get(url(ParkLedgerEntry, "changelist")).content.decode()

    assert '<td class="field-money_amount"><span class="money">3,000.00 万元</span></td>' in contributions
    assert '<td class="field-money_tax"><span class="money">100.00 万元</span></td>' in ledger
    assert '<td class="field-money_output"><span class="money">5,000.00 万元</span></td>' in ledger


def test_contribution_over_the_fund_is_refused_and_nothing_saved(officer_client, fund, pairing_a):
    response = officer_client.post(
        url(FundContribution, "add"),
        {"fund": fund.pk, "county": pairing_a.weak_county.pk, "amount": "10000.000001", "paid_on": "2025-03-01"},
    )

    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["amount"]
    assert error.startswith("Exceeds what the fund can still take in")
    assert not FundContribution.objects.exists()
    assert Fund.objects.get(pk=fund.pk).contributed == Decimal("0")


def test_contribution_is_booked_on_the_fund(officer_client, fund, pairing_a):
    response = officer_client.post(
        url(FundContribution, "add"),
        {"fund": fund.pk, "county": pairing_a.strong_county.pk, "amount": "500", "paid_on": "2025-03-01"},
    )

    assert response.status_code == 302
    assert FundContribution.objects.get().amount == Decimal("5000000.00")
    assert Fund.objects.get(pk=fund.pk).contributed == Decimal("5000000.00")


def test_only_pair_industry_funds_are_offered(officer_client, fund, program):
    guidance = FundFactory(program=program)

    form = officer_client.get(url(FundContribution, "add")).context["adminform"].form

    assert list(form.fields["fund"].queryset) == [fund]
    assert guidance not in form.fields["fund"].queryset


def test_booked_entries_cannot_be_deleted_or_changed(officer_client, dataset):
    contribution = FundContribution.objects.get()
    before = (contribution.amount, Fund.objects.get().contributed)

    officer_client.post(
        url(FundContribution, "change", contribution.pk),
        {"amount": "0.0001", "document_no": "改", "paid_on": "2024-01-01"},
    )

    assert officer_client.get(url(FundContribution, "delete", contribution.pk)).status_code == 403
    assert officer_client.get(url(FundInvestment, "delete", FundInvestment.objects.get().pk)).status_code == 403
    contribution.refresh_from_db()
    assert (contribution.amount, Fund.objects.get().contributed) == before


def test_park_ledger_is_recorded_with_its_shares_by_the_officer(officer_client, park, officer):
    response = officer_client.post(
        url(ParkLedgerEntry, "add"),
        {"park": park.pk, "period": "2025-06", "tax": "100.000001", "output": "0.000001", "note": "上半年"},
    )

    assert response.status_code == 302
    entry = ParkLedgerEntry.objects.get()
    assert entry.recorded_by == officer
    assert [(s.county_id, s.tax, s.output) for s in entry.shares.order_by("county")] == [
        ("370211", Decimal("600000.01"), Decimal("0.01")),
        ("370405", Decimal("400000.00"), Decimal("0.00")),
    ]
    page = officer_client.get(url(ParkLedgerEntry, "change", entry.pk)).content.decode()
    assert "60.00" in page and "40.00" in page


def test_park_ledger_with_shares_not_summing_to_100_is_refused(officer_client, park):
    park.partners.filter(county="370405").update(output_share_pct=Decimal("49.99"))

    response = officer_client.post(
        url(ParkLedgerEntry, "add"), {"park": park.pk, "period": "2025", "tax": "0.01", "output": "0.01"}
    )

    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["park"]
    assert "the output shares to 99.99%" in error
    assert not ParkLedgerEntry.objects.exists()


def test_pair_fund_page_lists_its_contributions_and_investments(officer_client, dataset, fund, program):
    page = officer_client.get(url(Fund, "change", fund.pk))
    guidance_page = officer_client.get(url(Fund, "change", FundFactory(program=program).pk))

    def inlines(response) -> set:
        return {formset.opts.model for formset in response.context["inline_admin_formsets"]}

    assert {FundContribution, FundInvestment} <= inlines(page)
    assert not {FundContribution, FundInvestment} & inlines(guidance_page)
