"""POST /api/v1/{funds,allocations,disbursements,bond-plans,bond-quotas,bond-issues}/ — money written through the
services, as the provincial and finance officers do it.

A write that passes answers 201 with the row as the list shows it and moves the running total of its parent (a
fund's ``allocated``, an allocation's ``disbursed``, a plan's ``assigned``, a quota's ``issued``). A write the rules
refuse answers 400 with a message under the field at fault and books nothing. Messages are checked in English
(``Accept-Language: en``); one test checks that the default language is Chinese.

Who may write at all is ``test_api_money_permissions.py``'s business.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from funds.factories import BondPlanFactory, FundFactory
from funds.models import Allocation, BondIssue, BondPlan, BondQuota, Disbursement, Fund
from funds.services import allocation_create, bond_quota_assign, disbursement_create, fund_close_year
from pairing.factories import CountyFactory, PairingFactory, ProgramFactory
from projects.factories import ProjectFactory
from tests.conftest import client_for

COUNTY_A = "370405"  # 台儿庄区, pairing_a's weak county
COUNTY_B = "371328"  # 蒙阴县, pairing_b's weak county
STRONG_A = "370211"  # 黄岛区, pairing_a's strong county

POSITIVE = "The amount must be greater than zero."
NOT_A_NUMBER = "A valid number is required."
TWO_DECIMALS = "Ensure that there are no more than 2 decimal places."


def url(endpoint: str, pk: int | None = None) -> str:
    return f"/api/v1/{endpoint}/" if pk is None else f"/api/v1/{endpoint}/{pk}/"


def books() -> dict[str, list[tuple]]:
    """Every money row with its amounts and running totals, to tell whether a request changed anything."""
    return {
        "funds": list(Fund.objects.order_by("pk").values_list("pk", "total", "allocated", "frozen_at")),
        "allocations": list(Allocation.objects.order_by("pk").values_list("pk", "amount", "disbursed")),
        "disbursements": list(Disbursement.objects.order_by("pk").values_list("pk", "amount")),
        "bond-plans": list(BondPlan.objects.order_by("pk").values_list("pk", "total", "assigned")),
        "bond-quotas": list(BondQuota.objects.order_by("pk").values_list("pk", "quota", "issued")),
        "bond-issues": list(BondIssue.objects.order_by("pk").values_list("pk", "amount")),
    }


def in_english(client: APIClient) -> APIClient:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture(params=["officer", "finance"])
def writer(request) -> APIClient:
    """Each of the two personas that may write money records."""
    return in_english(client_for(request.getfixturevalue(request.param)))


@pytest.fixture
def finance_en(finance) -> APIClient:
    return in_english(client_for(finance))


@pytest.fixture
def refused(finance_en):
    """``refused(endpoint, payload)`` → the 400 body of a POST the rules refuse, after checking it booked nothing."""

    def post(endpoint: str, payload: dict) -> dict:
        before = books()
        response = finance_en.post(url(endpoint), payload, format="json")
        assert response.status_code == 400, response.content
        assert books() == before
        return response.json()

    return post


@pytest.fixture
def fund(program, pairing_a, pairing_b) -> Fund:
    """The 2025 guidance fund of 2亿; the pairings make 台儿庄区 and 蒙阴县 its program's weak counties."""
    return FundFactory(program=program, year=2025, total=Decimal("200000000.00"))


@pytest.fixture
def allocation(fund, pairing_a) -> Allocation:
    """5000万 of the fund for 台儿庄区 (county A), allocated on 1 March 2025."""
    return allocation_create(
        fund=fund, county=pairing_a.weak_county, amount=Decimal("50000000.00"), allocated_on=dt.date(2025, 3, 1)
    )


@pytest.fixture
def plan(program, pairing_a, pairing_b) -> BondPlan:
    """The 2025 special-bond plan of 20亿."""
    return BondPlanFactory(program=program, year=2025, total=Decimal("2000000000.00"))


@pytest.fixture
def quota(plan, pairing_a) -> BondQuota:
    """5亿 of the plan for 台儿庄区."""
    return bond_quota_assign(plan=plan, county=pairing_a.weak_county, quota=Decimal("500000000.00"))


@pytest.fixture
def project_a(pairing_a):
    return ProjectFactory(pairing=pairing_a, code="TEZ-001")


@pytest.fixture
def project_b(pairing_b):
    return ProjectFactory(pairing=pairing_b, code="MY-001")


def allocation_payload(fund: Fund, /, **changes) -> dict:
    return {
        "fund": fund.pk,
        "county": COUNTY_A,
        "amount": "20000000.00",
        "date": "2025-05-01",
        "purpose": "标准化厂房",
        **changes,
    }


def disbursement_payload(allocation: Allocation, /, **changes) -> dict:
    return {"allocation": allocation.pk, "amount": "5000000.00", "date": "2025-05-01", **changes}


def quota_payload(plan: BondPlan, /, **changes) -> dict:
    return {"plan": plan.pk, "county": COUNTY_B, "quota": "300000000.00", **changes}


def issue_payload(quota: BondQuota, /, **changes) -> dict:
    return {
        "quota": quota.pk,
        "project": None,
        "amount": "100000000.00",
        "issue_date": "2025-06-30",
        "term_years": 10,
        "rate_pct": "2.350",
        **changes,
    }


# --- funds -----------------------------------------------------------------------------------------------------


def test_create_guidance_fund(writer, program):
    payload = {"program": "sd-test", "year": 2025, "kind": "guidance", "total": "200000000.00"}

    # In the default language: the name a fund gets without one is stored, so it is the Chinese one.
    response = writer.post(url("funds"), payload, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 201, response.content
    fund = Fund.objects.get()
    assert response.json() == {
        "id": fund.pk,
        "program": "sd-test",
        "year": 2025,
        "kind": "guidance",
        "pairing": None,
        "name": "帮扶引导资金",
        "total": "200000000.00",
        "allocated": "0.00",
        "unallocated": "200000000.00",
        "disbursed": "0.00",
        "closed": False,
        "is_sample": False,
    }
    assert (fund.program, fund.total, fund.allocated) == (program, Decimal("200000000.00"), Decimal("0"))


def test_create_pair_industry_fund_is_named_after_its_pairing(finance_en, pairing_a):
    response = finance_en.post(
        url("funds"),
        {"program": "sd-test", "year": 2025, "kind": "pair_industry", "pairing": pairing_a.pk, "total": "1e9"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["pairing"] == pairing_a.pk
    assert response.json()["name"] == "黄岛区 → 台儿庄区"
    assert response.json()["total"] == "1000000000.00"


def test_pair_industry_fund_needs_a_pairing(refused, program):
    body = refused("funds", {"program": "sd-test", "year": 2025, "kind": "pair_industry", "total": "1000.00"})

    assert body == {"pairing": ["A pair industry fund belongs to a pairing."]}


def test_pair_industry_fund_of_another_programs_pairing_is_refused(refused, program):
    elsewhere = PairingFactory(program=ProgramFactory(code="other"))

    body = refused(
        "funds",
        {"program": "sd-test", "year": 2025, "kind": "pair_industry", "pairing": elsewhere.pk, "total": "1000.00"},
    )

    assert body == {"pairing": ["The pairing belongs to another program."]}


def test_second_guidance_fund_for_the_same_program_and_year_is_refused(refused, fund):
    body = refused("funds", {"program": "sd-test", "year": 2025, "kind": "guidance", "total": "100.00"})

    assert body == {"year": ["This program already has a guidance fund for that year."]}


def test_guidance_fund_of_another_year_and_pair_fund_of_the_same_year_are_accepted(finance_en, fund, pairing_a):
    next_year = {"program": "sd-test", "year": 2026, "kind": "guidance", "total": "100.00"}
    pair_fund = {"program": "sd-test", "year": 2025, "kind": "pair_industry", "pairing": pairing_a.pk, "total": "1"}

    assert finance_en.post(url("funds"), next_year, format="json").status_code == 201
    assert finance_en.post(url("funds"), pair_fund, format="json").status_code == 201
    assert Fund.objects.filter(program=fund.program).count() == 3


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"total": "-1.00"}, {"total": ["Amounts cannot be negative."]}),
        ({"total": "abc"}, {"total": [NOT_A_NUMBER]}),
        ({"total": "100.001"}, {"total": [TWO_DECIMALS]}),
        ({"total": "12345678901234567"}, {"total": ["Ensure that there are no more than 16 digits in total."]}),
        ({"year": 1999}, {"year": ["Ensure this value is greater than or equal to 2000."]}),
        ({"kind": "loan"}, {"kind": ['"loan" is not a valid choice.']}),
        ({"program": "nope"}, {"program": ["Object with code=nope does not exist."]}),
        # PostgreSQL cannot compare text holding a NUL: refused before the lookup, not a 500.
        ({"program": "sd-test\x00"}, {"program": ["Null characters are not allowed."]}),
    ],
    ids=["negative", "not-a-number", "three-decimals", "too-many-digits", "year", "kind", "unknown-program", "nul"],
)
def test_fund_rules(refused, program, changes, errors):
    body = refused("funds", {"program": "sd-test", "year": 2025, "kind": "guidance", "total": "100.00", **changes})

    assert body == errors


# --- allocations -----------------------------------------------------------------------------------------------


def test_create_allocation_books_it_on_the_fund(writer, fund, allocation):
    # Given 5000万 of the 2亿 fund already allocated
    # When 2000万 more go to the same county
    response = writer.post(url("allocations"), allocation_payload(fund), format="json")

    # Then the allocation is answered as the list shows it, and the fund's running total moved
    assert response.status_code == 201, response.content
    created = Allocation.objects.exclude(pk=allocation.pk).get()
    assert response.json() == {
        "id": created.pk,
        "fund": fund.pk,
        "county": COUNTY_A,
        "county_name": "台儿庄区",
        "project": None,
        "amount": "20000000.00",
        "disbursed": "0.00",
        "remaining": "20000000.00",
        "date": "2025-05-01",
        "document_no": "",
        "purpose": "标准化厂房",
        "is_sample": False,
    }
    shown = writer.get(url("funds", fund.pk)).json()
    assert (shown["allocated"], shown["unallocated"]) == ("70000000.00", "130000000.00")


def test_allocation_for_a_project_of_its_county(finance_en, fund, project_a):
    response = finance_en.post(
        url("allocations"),
        allocation_payload(fund, project=project_a.pk, document_no="鲁财建〔2025〕12号"),
        format="json",
    )

    assert response.status_code == 201, response.content
    assert (response.json()["project"], response.json()["document_no"]) == (project_a.pk, "鲁财建〔2025〕12号")


def test_allocation_of_exactly_what_is_left_empties_the_fund(finance_en, fund, allocation):
    response = finance_en.post(url("allocations"), allocation_payload(fund, amount="150000000.00"), format="json")

    assert response.status_code == 201, response.content
    assert finance_en.get(url("funds", fund.pk)).json()["unallocated"] == "0.00"


def test_allocation_over_what_is_left_of_the_fund_is_refused(refused, fund, allocation):
    body = refused("allocations", allocation_payload(fund, amount="150000000.01"))

    assert body == {"amount": ["Exceeds what is left of the fund (15,000.00 万元)."]}


@pytest.mark.parametrize("amount", ["0", "0.00", "-0.01", "-20000000.00"])
def test_allocation_amount_must_be_positive(refused, fund, amount):
    assert refused("allocations", allocation_payload(fund, amount=amount)) == {"amount": [POSITIVE]}


def test_allocation_to_a_strong_county_is_refused(refused, fund):
    body = refused("allocations", allocation_payload(fund, county=STRONG_A))

    assert body == {"county": ["黄岛区 is not a weak county of this program."]}


def test_allocation_to_a_county_outside_the_program_is_refused(refused, fund):
    CountyFactory(adcode="370481", name="滕州市")

    body = refused("allocations", allocation_payload(fund, county="370481"))

    assert body == {"county": ["滕州市 is not a weak county of this program."]}


def test_allocation_to_a_weak_county_of_another_program_is_refused(refused, fund):
    PairingFactory(program=ProgramFactory(code="other"), weak_county=CountyFactory(adcode="370481", name="滕州市"))

    body = refused("allocations", allocation_payload(fund, county="370481"))

    assert body == {"county": ["滕州市 is not a weak county of this program."]}


def test_allocation_for_a_project_of_another_county_is_refused(refused, fund, project_b):
    body = refused("allocations", allocation_payload(fund, project=project_b.pk))

    assert body == {"project": ["The project is not located in this county."]}


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"county": "abc"}, {"county": ["Object with adcode=abc does not exist."]}),
        ({"county": "37040"}, {"county": ["Object with adcode=37040 does not exist."]}),
        ({"county": "379999"}, {"county": ["Object with adcode=379999 does not exist."]}),
        ({"amount": "abc"}, {"amount": [NOT_A_NUMBER]}),
        ({"amount": "20000000.001"}, {"amount": [TWO_DECIMALS]}),
        ({"amount": ""}, {"amount": [NOT_A_NUMBER]}),
        ({"fund": 999999}, {"fund": ['Invalid pk "999999" - object does not exist.']}),
        ({"date": "2025-13-01"}, {"date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
        ({"county": "370405\x00"}, {"county": ["Null characters are not allowed."]}),
    ],
    ids=[
        "adcode-letters",
        "adcode-5-digits",
        "adcode-unknown",
        "amount-letters",
        "amount-3-decimals",
        "amount-empty",
        "unknown-fund",
        "bad-date",
        "adcode-nul",
    ],
)
def test_malformed_allocation_is_refused(refused, fund, changes, errors):
    assert refused("allocations", allocation_payload(fund, **changes)) == errors


def test_allocation_needs_fund_county_amount_and_date(refused, fund):
    body = refused("allocations", {"purpose": "厂房"})

    assert set(body) == {"fund", "county", "amount", "date"}
    assert body["amount"] == ["This field is required."]


def test_allocation_from_a_closed_fund_is_refused(refused, fund):
    fund_close_year(fund=fund)

    body = refused("allocations", allocation_payload(fund))

    assert body == {"non_field_errors": ["The 2025 fund year is closed: nothing more can be allocated or paid."]}


def test_messages_are_in_chinese_by_default(finance, fund):
    response = client_for(finance).post(url("allocations"), allocation_payload(fund, county=STRONG_A), format="json")

    assert response.status_code == 400
    assert response.json() == {"county": ["黄岛区不是本帮扶计划的受帮扶县。"]}


# --- disbursements ---------------------------------------------------------------------------------------------


def test_create_disbursement_books_it_on_the_allocation_and_the_fund(writer, fund, allocation):
    response = writer.post(
        url("disbursements"), disbursement_payload(allocation, document_no="台财〔2025〕3号"), format="json"
    )

    assert response.status_code == 201, response.content
    created = Disbursement.objects.get()
    assert response.json() == {
        "id": created.pk,
        "allocation": allocation.pk,
        "fund": fund.pk,
        "county": COUNTY_A,
        "amount": "5000000.00",
        "date": "2025-05-01",
        "document_no": "台财〔2025〕3号",
        "purpose": "",
        "is_sample": False,
    }
    shown = writer.get(url("allocations", allocation.pk)).json()
    assert (shown["disbursed"], shown["remaining"]) == ("5000000.00", "45000000.00")
    assert writer.get(url("funds", fund.pk)).json()["disbursed"] == "5000000.00"


def test_disbursement_of_the_whole_allocation_on_its_date(finance_en, allocation):
    response = finance_en.post(
        url("disbursements"), disbursement_payload(allocation, amount="50000000.00", date="2025-03-01"), format="json"
    )

    assert response.status_code == 201, response.content
    assert finance_en.get(url("allocations", allocation.pk)).json()["remaining"] == "0.00"


def test_disbursement_over_the_allocation_is_refused(refused, allocation):
    disbursement_create(allocation=allocation, amount=Decimal("30000000.00"), paid_on=dt.date(2025, 4, 1))

    body = refused("disbursements", disbursement_payload(allocation, amount="20000000.01"))

    assert body == {"amount": ["Exceeds what is left of the allocation (2,000.00 万元)."]}


@pytest.mark.parametrize("amount", ["0", "-0.01", "-5000000.00"])
def test_disbursement_amount_must_be_positive(refused, allocation, amount):
    assert refused("disbursements", disbursement_payload(allocation, amount=amount)) == {"amount": [POSITIVE]}


def test_paying_before_the_allocation_date_is_refused(refused, allocation):
    body = refused("disbursements", disbursement_payload(allocation, date="2025-02-28"))

    assert body == {"date": ["A tranche cannot be paid before its allocation."]}


def test_paying_before_the_allocation_date_names_the_date_field(refused, allocation):
    body = refused("disbursements", disbursement_payload(allocation, date="2025-02-28"))

    assert body == {"date": ["A tranche cannot be paid before its allocation."]}


def test_disbursement_after_the_fund_year_is_closed_is_refused(refused, fund, allocation):
    fund_close_year(fund=fund)

    body = refused("disbursements", disbursement_payload(allocation))

    assert body == {"non_field_errors": ["The 2025 fund year is closed: nothing more can be allocated or paid."]}


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"allocation": 999999}, {"allocation": ['Invalid pk "999999" - object does not exist.']}),
        ({"amount": "abc"}, {"amount": [NOT_A_NUMBER]}),
        ({"amount": "1.005"}, {"amount": [TWO_DECIMALS]}),
    ],
    ids=["unknown-allocation", "amount-letters", "amount-3-decimals"],
)
def test_malformed_disbursement_is_refused(refused, allocation, changes, errors):
    assert refused("disbursements", disbursement_payload(allocation, **changes)) == errors


# --- special bonds ---------------------------------------------------------------------------------------------


def test_create_bond_plan(writer, program):
    payload = {"program": "sd-test", "year": 2025, "total": "2000000000"}

    response = writer.post(url("bond-plans"), payload, format="json")

    assert response.status_code == 201, response.content
    plan = BondPlan.objects.get()
    assert response.json() == {
        "id": plan.pk,
        "program": "sd-test",
        "year": 2025,
        "total": "2000000000.00",
        "assigned": "0.00",
        "is_sample": False,
    }


def test_second_bond_plan_for_the_same_program_and_year_is_refused(refused, plan):
    body = refused("bond-plans", {"program": "sd-test", "year": 2025, "total": "1.00"})

    assert body == {"year": ["This program already has a special-bond plan for that year."]}


@pytest.mark.parametrize(
    ("total", "errors"),
    [("-0.01", ["Amounts cannot be negative."]), ("abc", [NOT_A_NUMBER]), ("1.001", [TWO_DECIMALS])],
)
def test_bond_plan_total_rules(refused, program, total, errors):
    assert refused("bond-plans", {"program": "sd-test", "year": 2025, "total": total}) == {"total": errors}


def test_assign_quota_books_it_on_the_plan(writer, plan, quota):
    response = writer.post(url("bond-quotas"), quota_payload(plan), format="json")

    assert response.status_code == 201, response.content
    created = BondQuota.objects.exclude(pk=quota.pk).get()
    assert response.json() == {
        "id": created.pk,
        "plan": plan.pk,
        "year": 2025,
        "county": COUNTY_B,
        "county_name": "蒙阴县",
        "quota": "300000000.00",
        "issued": "0.00",
        "is_sample": False,
    }
    assert writer.get(url("bond-plans", plan.pk)).json()["assigned"] == "800000000.00"


def test_quota_over_what_is_left_of_the_plan_is_refused(refused, plan, quota):
    body = refused("bond-quotas", quota_payload(plan, quota="1500000000.01"))

    assert body == {"quota": ["Exceeds what is left of the plan (150,000.00 万元)."]}


def test_quota_of_exactly_what_is_left_of_the_plan_is_accepted(finance_en, plan, quota):
    response = finance_en.post(url("bond-quotas"), quota_payload(plan, quota="1500000000.00"), format="json")

    assert response.status_code == 201, response.content
    assert finance_en.get(url("bond-plans", plan.pk)).json()["assigned"] == "2000000000.00"


def test_second_quota_for_a_county_is_refused(refused, plan, quota):
    body = refused("bond-quotas", quota_payload(plan, county=COUNTY_A))

    assert body == {"county": ["This county already has a quota in this plan."]}


def test_quota_for_a_strong_county_is_refused(refused, plan):
    body = refused("bond-quotas", quota_payload(plan, county=STRONG_A))

    assert body == {"county": ["黄岛区 is not a weak county of this program."]}


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"quota": "0"}, {"quota": [POSITIVE]}),
        ({"quota": "-1.00"}, {"quota": [POSITIVE]}),
        ({"quota": "abc"}, {"quota": [NOT_A_NUMBER]}),
        ({"quota": "1.001"}, {"quota": [TWO_DECIMALS]}),
        ({"county": "abc"}, {"county": ["Object with adcode=abc does not exist."]}),
        ({"plan": 999999}, {"plan": ['Invalid pk "999999" - object does not exist.']}),
    ],
    ids=["zero", "negative", "letters", "three-decimals", "bad-adcode", "unknown-plan"],
)
def test_malformed_quota_is_refused(refused, plan, changes, errors):
    assert refused("bond-quotas", quota_payload(plan, **changes)) == errors


def test_record_bond_issue_books_it_on_the_quota(writer, quota, project_a):
    response = writer.post(url("bond-issues"), issue_payload(quota, project=project_a.pk), format="json")

    assert response.status_code == 201, response.content
    created = BondIssue.objects.get()
    assert response.json() == {
        "id": created.pk,
        "quota": quota.pk,
        "county": COUNTY_A,
        "project": project_a.pk,
        "amount": "100000000.00",
        "issue_date": "2025-06-30",
        "term_years": 10,
        "rate_pct": "2.350",
        "is_sample": False,
    }
    assert writer.get(url("bond-quotas", quota.pk)).json()["issued"] == "100000000.00"


def test_issue_over_what_is_left_of_the_quota_is_refused(refused, quota):
    body = refused("bond-issues", issue_payload(quota, amount="500000000.01"))

    assert body == {"amount": ["Exceeds what is left of the quota (50,000.00 万元)."]}


def test_issue_of_exactly_what_is_left_of_the_quota_uses_it_up(finance_en, refused, quota):
    # Given 2亿 of the 5亿 quota issued
    assert finance_en.post(url("bond-issues"), issue_payload(quota, amount="2e8"), format="json").status_code == 201

    # When the other 3亿 are issued
    response = finance_en.post(url("bond-issues"), issue_payload(quota, amount="300000000.00"), format="json")

    # Then the quota is used up, and not a fen more can be issued
    assert response.status_code == 201, response.content
    assert finance_en.get(url("bond-quotas", quota.pk)).json()["issued"] == "500000000.00"
    body = refused("bond-issues", issue_payload(quota, amount="0.01"))
    assert body == {"amount": ["Exceeds what is left of the quota (0.00 万元)."]}


def test_issue_for_a_project_of_another_county_is_refused(refused, quota, project_b):
    body = refused("bond-issues", issue_payload(quota, project=project_b.pk))

    assert body == {"project": ["The project is not located in this county."]}


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"amount": "0.00"}, {"amount": [POSITIVE]}),
        ({"amount": "-100.00"}, {"amount": [POSITIVE]}),
        ({"amount": "abc"}, {"amount": [NOT_A_NUMBER]}),
        ({"amount": "1.001"}, {"amount": [TWO_DECIMALS]}),
        ({"term_years": 0}, {"term_years": ["Ensure this value is greater than or equal to 1."]}),
        ({"rate_pct": "20.001"}, {"rate_pct": ["Ensure this value is less than or equal to 20."]}),
        ({"quota": 999999}, {"quota": ['Invalid pk "999999" - object does not exist.']}),
    ],
    ids=["zero", "negative", "letters", "three-decimals", "term", "rate", "unknown-quota"],
)
def test_malformed_issue_is_refused(refused, quota, changes, errors):
    assert refused("bond-issues", issue_payload(quota, **changes)) == errors


# --- allocation filters ----------------------------------------------------------------------------------------


@pytest.fixture
def spread(program, pairing_a, pairing_b, fund):
    """Allocations of the 2025 fund to A and B, and of a 2026 fund to B."""
    fund_2026 = FundFactory(program=program, year=2026, total=Decimal("100000000.00"))
    book = {
        "2025-A": (fund, pairing_a.weak_county, dt.date(2025, 3, 1)),
        "2025-B": (fund, pairing_b.weak_county, dt.date(2025, 3, 1)),
        "2026-B": (fund_2026, pairing_b.weak_county, dt.date(2026, 3, 1)),
    }
    return {
        name: allocation_create(fund=f, county=county, amount=Decimal("1000000.00"), allocated_on=on)
        for name, (f, county, on) in book.items()
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"county": COUNTY_A}, {"2025-A"}),
        ({"county": COUNTY_B}, {"2025-B", "2026-B"}),
        ({"year": 2025}, {"2025-A", "2025-B"}),
        ({"year": 2026, "county": COUNTY_B}, {"2026-B"}),
        ({"year": 2024}, set()),
    ],
)
def test_filter_allocations(finance_en, spread, query, expected):
    body = finance_en.get(url("allocations"), query).json()

    assert {row["id"] for row in body["results"]} == {spread[name].pk for name in expected}
    assert body["count"] == len(expected)


def test_filter_allocations_by_fund(finance_en, spread):
    fund_2026 = spread["2026-B"].fund

    body = finance_en.get(url("allocations"), {"fund": fund_2026.pk}).json()

    assert [row["id"] for row in body["results"]] == [spread["2026-B"].pk]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"county": "abc"}, {"county": ["Enter a 6-digit adcode."]}),
        ({"county": "37040"}, {"county": ["Enter a 6-digit adcode."]}),
        ({"fund": "abc"}, {"fund": ["Enter a whole number."]}),
        ({"year": "2025.5"}, {"year": ["Enter a whole number."]}),
        # Beyond the database's integer range: a 400, not an overflow in the driver.
        ({"fund": str(2**64)}, {"fund": ["Ensure this value is less than or equal to 9223372036854775807."]}),
    ],
)
def test_bad_allocation_filter_is_400(finance_en, spread, query, errors):
    response = finance_en.get(url("allocations"), query)

    assert response.status_code == 400
    assert response.json() == errors
