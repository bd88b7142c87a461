"""The admin of funds and special bonds, tried as the provincial officer: every amount is booked by a service."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from funds.factories import BondPlanFactory, FundFactory
from funds.models import Allocation, BondIssue, BondPlan, BondQuota, Disbursement, Fund
from funds.services import allocation_create, bond_issue_create, bond_quota_assign, disbursement_create

pytestmark = pytest.mark.django_db

FUND_MODELS = [Fund, Allocation, Disbursement, BondPlan, BondQuota, BondIssue]


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    # The assertions read the English source strings, whatever the translations say.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def fund(program):
    return FundFactory(program=program, total=Decimal("200000000.00"))


@pytest.fixture
def plan(program):
    return BondPlanFactory(program=program, total=Decimal("2000000000.00"))


@pytest.fixture
def dataset(fund, plan, pairing_a):
    weak = pairing_a.weak_county
    allocation = allocation_create(
        fund=fund, county=weak, amount=Decimal("30000000.00"), allocated_on=dt.date(2025, 3, 1)
    )
    disbursement_create(allocation=allocation, amount=Decimal("10000000.00"), paid_on=dt.date(2025, 4, 1))
    quota = bond_quota_assign(plan=plan, county=weak, quota=Decimal("200000000.00"))
    bond_issue_create(
        quota=quota, amount=Decimal("50000000.00"), issue_date=dt.date(2025, 6, 1), term_years=10, rate_pct="2.300"
    )
    return allocation


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", FUND_MODELS, ids=lambda m: m.__name__)
def test_changelist_add_and_change_pages_open(officer_client, dataset, model):
    obj = model.objects.first()

    for page in (url(model, "changelist"), url(model, "add"), url(model, "change", obj.pk)):
        assert officer_client.get(page).status_code == 200, page


def test_fund_list_shows_total_allocated_and_remaining_in_wan(officer_client, dataset):
    html = officer_client.get(url(Fund, "changelist")).content.decode()

    assert '<td class="field-money_total"><span class="money">20,000.00 万元</span></td>' in html
    assert '<td class="field-money_allocated"><span class="money">3,000.00 万元</span></td>' in html
    assert '<td class="field-money_unallocated"><span class="money">17,000.00 万元</span></td>' in html


def test_fund_list_sorts_by_what_is_left(officer_client, dataset, program):
    FundFactory(program=program, year=2026, total=Decimal("500000000.00"))
    listing = officer_client.get(url(Fund, "changelist"))
    index = listing.context["cl"].list_display.index("money_unallocated")

    ordered = officer_client.get(url(Fund, "changelist"), {"o": f"-{index}"})

    assert [f.year for f in ordered.context["cl"].result_list] == [2026, 2025]


def test_allocation_exceeding_the_fund_is_refused_and_nothing_saved(officer_client, fund, pairing_a):
    response = officer_client.post(
        url(Allocation, "add"),
        {
            "fund": fund.pk,
            "county": pairing_a.weak_county.pk,
            "amount": "20000.000001",  # 万元: ¥200,000,000.01
            "allocated_on": "2025-03-01",
        },
    )

    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["amount"]
    assert error.startswith("Exceeds what is left of the fund")
    assert not Allocation.objects.exists()
    fund.refresh_from_db()
    assert fund.allocated == Decimal("0")


def test_allocation_within_the_fund_is_booked_on_the_fund(officer_client, fund, pairing_a):
    response = officer_client.post(
        url(Allocation, "add"),
        {"fund": fund.pk, "county": pairing_a.weak_county.pk, "amount": "500", "allocated_on": "2025-03-01"},
    )

    assert response.status_code == 302
    allocation = Allocation.objects.get()
    assert allocation.amount == Decimal("5000000.00")
    fund.refresh_from_db()
    assert fund.allocated == Decimal("5000000.00")


def test_allocation_to_a_strong_county_is_refused(officer_client, fund, pairing_a):
    response = officer_client.post(
        url(Allocation, "add"),
        {"fund": fund.pk, "county": pairing_a.strong_county.pk, "amount": "0.01", "allocated_on": "2025-03-01"},
    )

    assert "county" in response.context["adminform"].form.errors
    assert not Allocation.objects.exists()


def test_booked_amounts_are_read_only(officer_client, dataset):
    allocation = dataset
    pages = {
        url(Allocation, "change", allocation.pk): "amount",
        url(Disbursement, "change", Disbursement.objects.get().pk): "amount",
        url(BondQuota, "change", BondQuota.objects.get().pk): "quota",
        url(BondIssue, "change", BondIssue.objects.get().pk): "amount",
        url(Fund, "change", allocation.fund_id): "total",
    }

    for page, field in pages.items():
        html = officer_client.get(page).content.decode()
        assert f'name="{field}"' not in html, page
        assert "万元" in html, page


def test_booked_entries_cannot_be_deleted(officer_client, dataset):
    for model in (Allocation, Disbursement, BondQuota, BondIssue):
        obj = model.objects.get()
        assert officer_client.get(url(model, "delete", obj.pk)).status_code == 403, model.__name__


def test_disbursement_beyond_the_allocation_is_refused(officer_client, dataset):
    response = officer_client.post(
        url(Disbursement, "add"), {"allocation": dataset.pk, "amount": "2,000.000001", "paid_on": "2025-05-01"}
    )

    assert "amount" in response.context["adminform"].form.errors
    assert Disbursement.objects.count() == 1
    dataset.refresh_from_db()
    assert dataset.disbursed == Decimal("10000000.00")


def quota_rows(plan: BondPlan, *rows: tuple[str, str]) -> dict:
    existing = plan.quotas.count()
    data = {
        "quotas-TOTAL_FORMS": str(existing + len(rows)),
        "quotas-INITIAL_FORMS": str(existing),
        "quotas-MIN_NUM_FORMS": "0",
        "quotas-MAX_NUM_FORMS": "1000",
    }
    for quota in plan.quotas.all():
        data[f"quotas-{list(plan.quotas.all()).index(quota)}-id"] = str(quota.pk)
    for i, (county, amount) in enumerate(rows, start=existing):
        data[f"quotas-{i}-county"] = county
        data[f"quotas-{i}-quota"] = amount
        data[f"quotas-{i}-plan"] = str(plan.pk)
    return data


def test_quotas_added_in_the_plan_go_through_the_service(officer_client, plan, pairing_a, pairing_b):
    response = officer_client.post(
        url(BondPlan, "change", plan.pk),
        quota_rows(plan, (pairing_a.weak_county.pk, "30000"), (pairing_b.weak_county.pk, "20000")),
    )

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.assigned == Decimal("500000000.00")
    assert plan.quotas.count() == 2


def test_quotas_that_fit_alone_but_not_together_are_refused(officer_client, plan, pairing_a, pairing_b):
    response = officer_client.post(
        url(BondPlan, "change", plan.pk),
        quota_rows(plan, (pairing_a.weak_county.pk, "150000"), (pairing_b.weak_county.pk, "60000")),
    )

    assert response.status_code == 200
    [formset] = [inline.formset for inline in response.context["inline_admin_formsets"]]
    assert "quota" in formset.forms[1].errors
    plan.refresh_from_db()
    assert plan.assigned == Decimal("0")
    assert not BondQuota.objects.exists()


def test_adding_a_fund_through_the_service_names_it(officer_client, program):
    response = officer_client.post(
        url(Fund, "add"), {"program": program.pk, "year": "2026", "kind": "guidance", "total": "20000"}
    )

    assert response.status_code == 302
    assert Fund.objects.get().name == "Guidance fund"


def test_second_guidance_fund_for_a_year_is_refused(officer_client, fund, program):
    response = officer_client.post(
        url(Fund, "add"), {"program": program.pk, "year": "2025", "kind": "guidance", "total": "0.0001"}
    )

    assert "year" in response.context["adminform"].form.errors
    assert Fund.objects.count() == 1
