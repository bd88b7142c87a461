"""The fund overview and bond usage pages in the admin, their Excel downloads and the "Export to Excel" actions."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from common.money import FEN
from funds.factories import BondPlanFactory, FundFactory
from funds.models import FundKind
from funds.selectors import bond_usage, fund_usage
from funds.services import (
    allocation_create,
    bond_issue_create,
    bond_quota_assign,
    disbursement_create,
)
from projects.factories import ProjectFactory
from projects.models import Stage

pytestmark = pytest.mark.django_db

READERS = ["officer", "finance", "leader"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def login(client, user):
    client.force_login(user)
    # The assertions read the English source strings, whatever the translations say.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def fund(program, pairing_a, pairing_b):
    """2亿 in 2025: 台儿庄 5000万 allocated, 1234万5678.91 paid; 蒙阴 3000万 allocated, 1000万 paid."""
    fund = FundFactory(program=program, year=2025, total=Decimal("200000000.00"))
    to_a = allocation_create(
        fund=fund,
        county=pairing_a.weak_county,
        amount=Decimal("50000000.00"),
        allocated_on=dt.date(2025, 3, 1),
        document_no="鲁财预〔2025〕1号",
    )
    to_b = allocation_create(
        fund=fund, county=pairing_b.weak_county, amount=Decimal("30000000.00"), allocated_on=dt.date(2025, 3, 1)
    )
    disbursement_create(allocation=to_a, amount=Decimal("12000000.00"), paid_on=dt.date(2025, 4, 1))
    disbursement_create(allocation=to_a, amount=Decimal("345678.91"), paid_on=dt.date(2025, 5, 1))
    disbursement_create(allocation=to_b, amount=Decimal("10000000.00"), paid_on=dt.date(2025, 4, 1))
    fund.refresh_from_db()
    return fund


@pytest.fixture
def plan(program, pairing_a, pairing_b):
    """20亿 for 2025: 台儿庄 5亿 quota with 1亿 for a signed project and 5000万 for a started one; 蒙阴 3亿 quota."""
    plan = BondPlanFactory(program=program, year=2025, total=Decimal("2000000000.00"))
    quota_a = bond_quota_assign(plan=plan, county=pairing_a.weak_county, quota=Decimal("500000000.00"))
    bond_quota_assign(plan=plan, county=pairing_b.weak_county, quota=Decimal("300000000.00"))
    signed = ProjectFactory(pairing=pairing_a, stage=Stage.SIGNED, code="TEZ-001", name="未开工项目")
    started = ProjectFactory(
        pairing=pairing_a, stage=Stage.STARTED, actual_start_date=dt.date(2025, 5, 1), code="TEZ-002", name="在建项目"
    )
    for project, amount in ((signed, "100000000.00"), (started, "50000000.00")):
        bond_issue_create(
            quota=quota_a,
            amount=Decimal(amount),
            issue_date=dt.date(2025, 6, 1),
            term_years=10,
            rate_pct=Decimal("2.300"),
            project=project,
        )
    plan.refresh_from_db()
    return plan


def fund_url(name: str, fund) -> str:
    return reverse(f"admin:funds_fund_{name}", args=[fund.pk])


def plan_url(name: str, plan) -> str:
    return reverse(f"admin:funds_bondplan_{name}", args=[plan.pk])


def workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(response.content))


def yuan(value) -> Decimal:
    return Decimal(str(value)).quantize(FEN)


def header(sheet) -> list[str]:
    return [cell.value for cell in sheet[1]]


def column(sheet, title: str) -> int:
    return header(sheet).index(title) + 1


def row_at(sheet, row: int) -> dict[str, object]:
    return {title: sheet.cell(row=row, column=index).value for index, title in enumerate(header(sheet), 1)}


def last_row(sheet) -> dict[str, object]:
    return row_at(sheet, sheet.max_row)


# --- Who may open the pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", READERS)
def test_pages_and_downloads_open_for_provincial_staff(request, client, fund, plan, persona):
    login(client, request.getfixturevalue(persona))

    for page in (
        fund_url("overview", fund),
        fund_url("overview_xlsx", fund),
        fund_url("allocations_xlsx", fund),
        plan_url("usage", plan),
        plan_url("usage_xlsx", plan),
    ):
        assert client.get(page).status_code == 200, page


@pytest.mark.parametrize("persona", ["liaison_a", "norole"])
def test_users_who_are_not_staff_are_sent_to_the_login(request, client, fund, plan, persona):
    login(client, request.getfixturevalue(persona))

    for page in (fund_url("overview", fund), fund_url("overview_xlsx", fund), plan_url("usage", plan)):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith(reverse("admin:login"))


def test_anonymous_is_sent_to_the_login(client, fund):
    response = client.get(fund_url("overview", fund))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_the_view_permission_gets_403(client, leader, fund, plan):
    leader.groups.clear()  # a provincial role, but no permission on the models
    login(client, leader)

    for page in (
        fund_url("overview", fund),
        fund_url("overview_xlsx", fund),
        fund_url("allocations_xlsx", fund),
        plan_url("usage", plan),
        plan_url("usage_xlsx", plan),
    ):
        assert client.get(page).status_code == 403, page


def test_an_unknown_fund_is_404(client, officer):
    login(client, officer)

    assert client.get(reverse("admin:funds_fund_overview", args=[999999])).status_code == 404


# --- What the pages show -------------------------------------------------------------------------------------------


def test_fund_overview_shows_the_figures_in_wan(client, officer, fund):
    html = login(client, officer).get(fund_url("overview", fund)).content.decode()

    for figure in (
        "20,000.00 万元",  # total
        "8,000.00 万元",  # allocated
        "12,000.00 万元",  # not yet allocated
        "2,234.57 万元",  # disbursed (22,345,678.91)
        "5,765.43 万元",  # allocated, not yet disbursed
        "17,765.43 万元",  # surplus
        "5,000.00 万元",  # 台儿庄 allocated
        "1,234.57 万元",  # 台儿庄 disbursed
        "3,765.43 万元",  # 台儿庄 remaining
        "24.7%",  # 台儿庄 rate
        "33.3%",  # 蒙阴 rate
        "27.9%",  # overall rate
    ):
        assert figure in html, figure
    assert "台儿庄区" in html and "蒙阴县" in html
    assert fund_url("overview_xlsx", fund) in html
    assert fund_url("allocations_xlsx", fund) in html


def test_fund_overview_of_an_empty_fund(client, officer, program):
    empty = FundFactory(program=program, year=2026, total=Decimal("1000000.00"))

    response = login(client, officer).get(fund_url("overview", empty))

    assert response.status_code == 200
    assert "Nothing has been allocated from this fund yet." in response.content.decode()


def test_bond_usage_highlights_bonds_for_projects_not_started(client, officer, plan):
    html = login(client, officer).get(plan_url("usage", plan)).content.decode()

    for figure in ("200,000.00 万元", "80,000.00 万元", "15,000.00 万元", "50,000.00 万元", "35,000.00 万元", "30.0%"):
        assert figure in html, figure
    # The signed project's issue row and 台儿庄's county row are highlighted; the started project's issue is not.
    assert html.count('class="not-started"') == 2
    assert html.count("project not started") == 1
    assert "TEZ-001" in html and "TEZ-002" in html
    assert plan_url("usage_xlsx", plan) in html


def test_change_pages_and_lists_link_to_the_usage_pages(client, officer, fund, plan):
    login(client, officer)

    assert fund_url("overview", fund) in client.get(fund_url("change", fund)).content.decode()
    assert fund_url("overview", fund) in client.get(reverse("admin:funds_fund_changelist")).content.decode()
    assert plan_url("usage", plan) in client.get(plan_url("change", plan)).content.decode()
    assert plan_url("usage", plan) in client.get(reverse("admin:funds_bondplan_changelist")).content.decode()


# --- Workbooks -----------------------------------------------------------------------------------------------------


def test_fund_overview_workbook_totals_equal_the_selector(client, finance, fund):
    response = login(client, finance).get(fund_url("overview_xlsx", fund))
    book = workbook(response)
    usage = fund_usage(fund=fund)

    assert response["Content-Disposition"] == 'attachment; filename="fund-2025-guidance.xlsx"'
    assert book.sheetnames == ["资金概况", "分县情况"]
    summary, counties = book["资金概况"], book["分县情况"]
    assert header(summary)[:6] == ["年度", "资金名称", "类型", "帮扶计划", "资金总额(元)", "资金总额(万元)"]
    assert header(counties) == [
        "年度",
        "资金名称",
        "县(市、区)",
        "行政区划代码",
        "分配笔数",
        "已分配(元)",
        "已分配(万元)",
        "已拨付(元)",
        "已拨付(万元)",
        "未拨付(元)",
        "未拨付(万元)",
        "拨付率",
    ]
    assert summary.freeze_panes == counties.freeze_panes == "A2"

    fund_row = row_at(summary, 2)
    assert fund_row["类型"] == "帮扶引导资金"
    assert yuan(fund_row["资金总额(元)"]) == usage.total
    assert yuan(fund_row["已分配(元)"]) == usage.allocated
    assert yuan(fund_row["已拨付(元)"]) == usage.disbursed == Decimal("22345678.91")
    assert yuan(fund_row["结余(元)"]) == usage.surplus
    assert Decimal(str(fund_row["资金总额(万元)"])) == Decimal("20000")

    totals = last_row(counties)
    assert totals["年度"] == "合计"
    assert yuan(totals["已分配(元)"]) == usage.counties_total.allocated
    assert yuan(totals["已拨付(元)"]) == usage.counties_total.disbursed
    assert yuan(totals["未拨付(元)"]) == usage.counties_total.remaining == Decimal("57654321.09")
    assert round(Decimal(str(totals["拨付率"])), 6) == round(usage.counties_total.disbursement_rate_pct / 100, 6)
    assert counties.max_row == 2 + len(usage.counties)
    amount_cell = counties.cell(row=2, column=column(counties, "已分配(元)"))
    assert amount_cell.number_format == "#,##0.00"
    assert isinstance(amount_cell.value, int | float)
    assert counties.cell(row=2, column=column(counties, "拨付率")).number_format == "0.00%"
    assert counties.column_dimensions["F"].width >= 12


def test_allocations_workbook_lists_allocations_and_disbursements(client, finance, fund):
    response = login(client, finance).get(fund_url("allocations_xlsx", fund))
    book = workbook(response)
    usage = fund_usage(fund=fund)

    assert response["Content-Disposition"] == 'attachment; filename="fund-2025-guidance-allocations.xlsx"'
    assert book.sheetnames == ["资金分配", "资金拨付"]
    allocations, tranches = book["资金分配"], book["资金拨付"]
    assert allocations.max_row == 1 + 2 + 1 and tranches.max_row == 1 + 3 + 1
    assert allocations.cell(row=2, column=column(allocations, "文号")).value == "鲁财预〔2025〕1号"
    totals = last_row(allocations)
    assert yuan(totals["分配金额(元)"]) == usage.allocated
    assert yuan(totals["已拨付(元)"]) == usage.disbursed
    assert yuan(totals["未拨付(元)"]) == usage.undisbursed
    paid = column(tranches, "拨付金额(元)")
    listed = sum(yuan(tranches.cell(row=r, column=paid).value) for r in range(2, tranches.max_row))
    assert listed == yuan(last_row(tranches)["拨付金额(元)"]) == usage.disbursed
    assert tranches.freeze_panes == "A2"


def test_bond_workbook_flags_issues_and_totals_equal_the_selector(client, leader, plan):
    response = login(client, leader).get(plan_url("usage_xlsx", plan))
    book = workbook(response)
    usage = bond_usage(plan=plan)

    assert response["Content-Disposition"] == 'attachment; filename="bond-plan-2025.xlsx"'
    assert book.sheetnames == ["额度计划", "分县额度", "债券发行"]
    quotas, issues = book["分县额度"], book["债券发行"]
    assert header(quotas)[4:6] == ["额度(元)", "额度(万元)"]
    totals = last_row(quotas)
    assert yuan(totals["额度(元)"]) == usage.counties_total.quota == Decimal("800000000.00")
    assert yuan(totals["已发行(元)"]) == usage.counties_total.issued == Decimal("150000000.00")
    assert yuan(totals["未发行(元)"]) == usage.counties_total.remaining
    assert totals["项目未开工笔数"] == 1
    flags = [issues.cell(row=r, column=column(issues, "项目未开工")).value for r in range(2, issues.max_row)]
    assert flags == ["是", None]
    assert issues.cell(row=2, column=column(issues, "项目阶段")).value == "签约"
    assert yuan(last_row(issues)["发行金额(元)"]) == usage.issued
    plan_row = row_at(book["额度计划"], 2)
    assert yuan(plan_row["专项债额度(元)"]) == usage.total
    assert yuan(plan_row["未分配到县(元)"]) == usage.unassigned == Decimal("1200000000.00")


def test_export_action_on_the_fund_list(client, leader, fund, program):
    other = FundFactory(program=program, year=2024, total=Decimal("100000000.00"))
    login(client, leader)

    response = client.post(
        reverse("admin:funds_fund_changelist"),
        {"action": "export_overview_xlsx", "_selected_action": [fund.pk, other.pk]},
    )
    book = workbook(response)

    assert response["Content-Disposition"] == 'attachment; filename="funds-2024-2025.xlsx"'
    summary = book["资金概况"]
    assert [summary.cell(row=r, column=1).value for r in range(2, summary.max_row + 1)] == [2025, 2024, "合计"]
    assert yuan(last_row(summary)["资金总额(元)"]) == Decimal("300000000.00")
    assert yuan(last_row(summary)["已拨付(元)"]) == fund_usage(fund=fund).disbursed


def test_one_fund_exported_from_the_list_is_named_after_its_year(client, officer, fund):
    response = login(client, officer).post(
        reverse("admin:funds_fund_changelist"), {"action": "export_allocations_xlsx", "_selected_action": [fund.pk]}
    )

    assert response["Content-Disposition"] == 'attachment; filename="fund-2025-guidance-allocations.xlsx"'
    assert workbook(response).sheetnames == ["资金分配", "资金拨付"]


def test_export_action_on_the_bond_plan_list(client, finance, plan):
    response = login(client, finance).post(
        reverse("admin:funds_bondplan_changelist"), {"action": "export_usage_xlsx", "_selected_action": [plan.pk]}
    )

    assert response["Content-Disposition"] == 'attachment; filename="bond-plan-2025.xlsx"'
    assert yuan(last_row(workbook(response)["分县额度"])["已发行(元)"]) == Decimal("150000000.00")


def test_a_pair_industry_fund_download_carries_its_id(client, officer, program, pairing_a):
    pair_fund = FundFactory(
        program=program, year=2025, kind=FundKind.PAIR_INDUSTRY, pairing=pairing_a, name="青岛西海岸—台儿庄产业基金"
    )

    response = login(client, officer).get(fund_url("overview_xlsx", pair_fund))

    assert response["Content-Disposition"] == f'attachment; filename="fund-2025-pair-industry-{pair_fund.pk}.xlsx"'
    assert row_at(workbook(response)["资金概况"], 2)["类型"] == "结对产业基金"
