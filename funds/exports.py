"""Excel workbooks of the money ledgers, for the finance staff: the funds' overview, a fund's allocations with their
disbursements, and a special-bond plan's quotas with their issues.

Amounts are numeric cells in yuan (``#,##0.00``), with a 万元 column beside the main ones; rates are numeric
percentages. Every totals row takes its figures from ``funds.selectors``, so a workbook agrees with the admin pages
and the API to the fen. Headers are in Chinese, whatever the language of the person downloading.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation
from django.utils.http import content_disposition_header

from common.exports import (
    SheetColumn,
    display_width,
    report_row,
    report_sheet,
    spreadsheet_text,
)
from common.money import WAN
from common.periods import rate_pct

from .models import BondPlan, Fund, FundKind, RewardRun
from .reward_paper import reward_paper
from .selectors import (
    BondFigures,
    FundFigures,
    bond_usage,
    fund_allocations,
    fund_usage,
)

# openpyxl is imported by the functions that write a workbook, not with this module, which the admin loads in every
# process: it adds some 20 MB to a process (common.exports).
if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.styles import PatternFill
    from openpyxl.worksheet.worksheet import Worksheet

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YUAN_FORMAT = "#,##0.00"
WAN_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00%"
DATE_FORMAT = "yyyy-mm-dd"
RATE_PLACES = Decimal("0.00000001")

TOTAL_LABEL = "合计"


# The report workbooks' look is common.exports' (one header, total and width rule for every workbook).
Column = SheetColumn
add_sheet = report_sheet


def yuan_col(header: str) -> Column:
    return Column(f"{header}(元)", 18, YUAN_FORMAT)


def wan_col(header: str) -> Column:
    return Column(f"{header}(万元)", 16, WAN_FORMAT)


def wan(amount: Decimal) -> Decimal:
    return amount / WAN


def fraction(rate_pct: Decimal | None) -> Decimal | None:
    """A percentage as the fraction Excel's percent format expects."""
    return None if rate_pct is None else (rate_pct / 100).quantize(RATE_PLACES)


def add_row(
    sheet: Worksheet, columns: Sequence[Column], values: Sequence[Any], *, total: bool = False, flag: bool = False
) -> None:
    """A row of a funds workbook; a flagged row (an issue or quota needing attention) is tinted."""
    report_row(sheet, columns, values, total=total, fill=_flag_fill() if flag else None)


@functools.cache
def _flag_fill() -> PatternFill:
    # One object for every flagged row: report_row caches a row's look by its fill's identity.
    from openpyxl.styles import PatternFill

    return PatternFill("solid", fgColor="FCE4D6")


def new_workbook() -> Workbook:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def _in_chinese(build: Callable[..., Workbook]) -> Callable[..., Workbook]:
    """Labels taken from the models (fund kinds, project stages) in the site's language, like the headers."""

    @functools.wraps(build)
    def wrapper(*args: Any, **kwargs: Any) -> Workbook:
        with translation.override(settings.LANGUAGE_CODE):
            return build(*args, **kwargs)

    return wrapper


# --- Funds ---------------------------------------------------------------------------------------------------------

FUND_COLUMNS = [
    Column("年度", 8),
    Column("资金名称", 28),
    Column("类型", 14),
    Column("帮扶计划", 24),
    yuan_col("资金总额"),
    wan_col("资金总额"),
    yuan_col("已分配"),
    yuan_col("未分配"),
    yuan_col("已拨付"),
    wan_col("已拨付"),
    yuan_col("已分配未拨付"),
    yuan_col("结余"),
    Column("拨付率", 10, PERCENT_FORMAT),
    Column("分配笔数", 10),
]

FUND_COUNTY_COLUMNS = [
    Column("年度", 8),
    Column("资金名称", 28),
    Column("县(市、区)", 14),
    Column("行政区划代码", 14),
    Column("分配笔数", 10),
    yuan_col("已分配"),
    wan_col("已分配"),
    yuan_col("已拨付"),
    wan_col("已拨付"),
    yuan_col("未拨付"),
    wan_col("未拨付"),
    Column("拨付率", 10, PERCENT_FORMAT),
]


def _figures_sum(figures: Sequence[FundFigures]) -> FundFigures:
    return FundFigures(
        allocations=sum(f.allocations for f in figures),
        allocated=sum((f.allocated for f in figures), Decimal("0.00")),
        disbursed=sum((f.disbursed for f in figures), Decimal("0.00")),
    )


# The rows are laid out as the sheet's columns, several to a line.
# fmt: off
@_in_chinese
def funds_overview_workbook(funds: Sequence[Fund]) -> Workbook:
    """Sheet 资金概况: one row per fund; sheet 分县情况: one row per fund and weak county. Each ends in a totals row."""
    usages = [fund_usage(fund=fund) for fund in funds]
    workbook = new_workbook()

    summary = add_sheet(workbook, "资金概况", FUND_COLUMNS)
    for usage in usages:
        fund = usage.fund
        add_row(summary, FUND_COLUMNS, [
            fund.year, fund.name, str(fund.get_kind_display()), fund.program.name,
            usage.total, wan(usage.total), usage.allocated, usage.unallocated, usage.disbursed, wan(usage.disbursed),
            usage.undisbursed, usage.surplus, fraction(usage.disbursement_rate_pct), usage.allocation_count,
        ])
    total = sum((u.total for u in usages), Decimal("0.00"))
    whole = FundFigures(
        allocations=sum(u.allocation_count for u in usages),
        allocated=sum((u.allocated for u in usages), Decimal("0.00")),
        disbursed=sum((u.disbursed for u in usages), Decimal("0.00")),
    )
    add_row(summary, FUND_COLUMNS, [
        TOTAL_LABEL, None, None, None,
        total, wan(total), whole.allocated, total - whole.allocated, whole.disbursed, wan(whole.disbursed),
        whole.remaining, total - whole.disbursed, fraction(whole.disbursement_rate_pct), whole.allocations,
    ], total=True)

    counties = add_sheet(workbook, "分县情况", FUND_COUNTY_COLUMNS)
    for usage in usages:
        for row in usage.counties:
            add_row(counties, FUND_COUNTY_COLUMNS, [
                usage.fund.year, usage.fund.name, row.county.name, row.county.adcode, row.allocations,
                row.allocated, wan(row.allocated), row.disbursed, wan(row.disbursed),
                row.remaining, wan(row.remaining), fraction(row.disbursement_rate_pct),
            ])
    rows_total = _figures_sum([usage.counties_total for usage in usages])
    add_row(counties, FUND_COUNTY_COLUMNS, [
        TOTAL_LABEL, None, None, None, rows_total.allocations,
        rows_total.allocated, wan(rows_total.allocated), rows_total.disbursed, wan(rows_total.disbursed),
        rows_total.remaining, wan(rows_total.remaining), fraction(rows_total.disbursement_rate_pct),
    ], total=True)
    return workbook
# fmt: on


ALLOCATION_COLUMNS = [
    Column("年度", 8),
    Column("资金名称", 28),
    Column("县(市、区)", 14),
    Column("行政区划代码", 14),
    Column("项目编号", 14),
    Column("项目名称", 30),
    Column("分配日期", 12, DATE_FORMAT),
    Column("文号", 20),
    Column("用途", 24),
    yuan_col("分配金额"),
    wan_col("分配金额"),
    yuan_col("已拨付"),
    yuan_col("未拨付"),
    Column("拨付笔数", 10),
]

DISBURSEMENT_COLUMNS = [
    Column("年度", 8),
    Column("资金名称", 28),
    Column("县(市、区)", 14),
    Column("行政区划代码", 14),
    Column("项目编号", 14),
    Column("分配日期", 12, DATE_FORMAT),
    Column("分配文号", 20),
    Column("拨付日期", 12, DATE_FORMAT),
    Column("拨付文号", 20),
    Column("用途", 24),
    yuan_col("拨付金额"),
    wan_col("拨付金额"),
]


# The rows are laid out as the sheet's columns, several to a line.
# fmt: off
@_in_chinese
def fund_ledger_workbook(funds: Sequence[Fund]) -> Workbook:
    """Sheet 资金分配: every allocation; sheet 资金拨付: every disbursement (tranche) of those allocations."""
    workbook = new_workbook()
    allocations_sheet = add_sheet(workbook, "资金分配", ALLOCATION_COLUMNS)
    disbursements_sheet = add_sheet(workbook, "资金拨付", DISBURSEMENT_COLUMNS)
    totals = []
    disbursement_count = 0
    for fund in funds:
        totals.append(fund_usage(fund=fund).counties_total)
        for allocation in fund_allocations(fund=fund):
            project = allocation.project
            tranches = list(allocation.disbursements.all())
            add_row(allocations_sheet, ALLOCATION_COLUMNS, [
                fund.year, fund.name, allocation.county.name, allocation.county.adcode,
                project.code if project else None, project.name if project else None,
                allocation.allocated_on, allocation.document_no, allocation.purpose,
                allocation.amount, wan(allocation.amount), allocation.disbursed,
                allocation.amount - allocation.disbursed, len(tranches),
            ])
            for tranche in tranches:
                disbursement_count += 1
                add_row(disbursements_sheet, DISBURSEMENT_COLUMNS, [
                    fund.year, fund.name, allocation.county.name, allocation.county.adcode,
                    project.code if project else None, allocation.allocated_on, allocation.document_no,
                    tranche.paid_on, tranche.document_no, tranche.purpose, tranche.amount, wan(tranche.amount),
                ])
    whole = _figures_sum(totals)
    add_row(allocations_sheet, ALLOCATION_COLUMNS, [
        TOTAL_LABEL, None, None, None, None, None, None, None, None,
        whole.allocated, wan(whole.allocated), whole.disbursed, whole.remaining, disbursement_count,
    ], total=True)
    add_row(disbursements_sheet, DISBURSEMENT_COLUMNS, [
        TOTAL_LABEL, None, None, None, None, None, None, None, None, None, whole.disbursed, wan(whole.disbursed),
    ], total=True)
    return workbook
# fmt: on


# --- Special bonds -------------------------------------------------------------------------------------------------

PLAN_COLUMNS = [
    Column("年度", 8),
    Column("帮扶计划", 24),
    yuan_col("专项债额度"),
    wan_col("专项债额度"),
    yuan_col("已分配到县"),
    yuan_col("未分配到县"),
    yuan_col("已发行"),
    wan_col("已发行"),
    yuan_col("已分配未发行"),
    Column("发行率", 10, PERCENT_FORMAT),
]

QUOTA_COLUMNS = [
    Column("年度", 8),
    Column("帮扶计划", 24),
    Column("县(市、区)", 14),
    Column("行政区划代码", 14),
    yuan_col("额度"),
    wan_col("额度"),
    yuan_col("已发行"),
    wan_col("已发行"),
    yuan_col("未发行"),
    wan_col("未发行"),
    Column("使用率", 10, PERCENT_FORMAT),
    Column("发行笔数", 10),
    Column("项目未开工笔数", 14),
]

ISSUE_COLUMNS = [
    Column("年度", 8),
    Column("帮扶计划", 24),
    Column("县(市、区)", 14),
    Column("行政区划代码", 14),
    Column("项目编号", 14),
    Column("项目名称", 30),
    Column("项目阶段", 10),
    Column("项目未开工", 12),
    Column("发行日期", 12, DATE_FORMAT),
    Column("期限(年)", 10),
    Column("票面利率(%)", 12, "0.000"),
    yuan_col("发行金额"),
    wan_col("发行金额"),
]


def _bond_figures_sum(figures: Sequence[BondFigures]) -> BondFigures:
    return BondFigures(
        quota=sum((f.quota for f in figures), Decimal("0.00")),
        issued=sum((f.issued for f in figures), Decimal("0.00")),
        issue_count=sum(f.issue_count for f in figures),
        issues_not_started=sum(f.issues_not_started for f in figures),
    )


# The rows are laid out as the sheet's columns, several to a line.
# fmt: off
@_in_chinese
def bond_plans_workbook(plans: Sequence[BondPlan]) -> Workbook:
    """Sheets 额度计划 (one row per plan), 分县额度 (one row per county quota) and 债券发行 (every issue; those for
    projects not yet started are marked and shaded)."""
    usages = [bond_usage(plan=plan) for plan in plans]
    workbook = new_workbook()

    summary = add_sheet(workbook, "额度计划", PLAN_COLUMNS)
    for usage in usages:
        plan = usage.plan
        add_row(summary, PLAN_COLUMNS, [
            plan.year, plan.program.name, usage.total, wan(usage.total), usage.assigned, usage.unassigned,
            usage.issued, wan(usage.issued), usage.unissued, fraction(usage.usage_rate_pct),
        ])
    total = sum((u.total for u in usages), Decimal("0.00"))
    assigned = sum((u.assigned for u in usages), Decimal("0.00"))
    issued = sum((u.issued for u in usages), Decimal("0.00"))
    rate = fraction(rate_pct(issued, assigned))
    add_row(summary, PLAN_COLUMNS, [
        TOTAL_LABEL, None, total, wan(total), assigned, total - assigned, issued, wan(issued), assigned - issued, rate,
    ], total=True)

    quotas = add_sheet(workbook, "分县额度", QUOTA_COLUMNS)
    issues = add_sheet(workbook, "债券发行", ISSUE_COLUMNS)
    for usage in usages:
        plan = usage.plan
        for row in usage.counties:
            add_row(quotas, QUOTA_COLUMNS, [
                plan.year, plan.program.name, row.county.name, row.county.adcode,
                row.quota, wan(row.quota), row.issued, wan(row.issued), row.remaining, wan(row.remaining),
                fraction(row.usage_rate_pct), row.issue_count, row.issues_not_started,
            ], flag=row.issues_not_started > 0)
            for entry in row.issues:
                issue, project = entry.issue, entry.issue.project
                add_row(issues, ISSUE_COLUMNS, [
                    plan.year, plan.program.name, row.county.name, row.county.adcode,
                    project.code if project else None, project.name if project else None,
                    str(project.get_stage_display()) if project else None,
                    "是" if entry.project_not_started else None,
                    issue.issue_date, issue.term_years, issue.rate_pct, issue.amount, wan(issue.amount),
                ], flag=entry.project_not_started)
    whole = _bond_figures_sum([usage.counties_total for usage in usages])
    add_row(quotas, QUOTA_COLUMNS, [
        TOTAL_LABEL, None, None, None, whole.quota, wan(whole.quota), whole.issued, wan(whole.issued),
        whole.remaining, wan(whole.remaining), fraction(whole.usage_rate_pct), whole.issue_count,
        whole.issues_not_started,
    ], total=True)
    add_row(issues, ISSUE_COLUMNS, [
        TOTAL_LABEL, None, None, None, None, None, None, whole.issues_not_started, None, None, None,
        whole.issued, wan(whole.issued),
    ], total=True)
    return workbook
# fmt: on


# --- Reward runs -------------------------------------------------------------------------------------------------

PAPER_FORMATS = {"wan": "#,##0.000000", "pct": "0.00", "fen": "0.00", "int": "0"}


@_in_chinese
def reward_run_workbook(run: RewardRun) -> Workbook:
    """Sheet 测算底稿: the run's working paper (``funds.reward_paper``), its tables one under the other as on the
    print page; amounts are numeric cells in 万元 to the fen, rates numeric to two decimals, every text cell through
    ``spreadsheet_text``."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from common.exports import HEADER_FILL, HEADER_FONT, TOTAL_FILL, TOTAL_FONT

    paper = reward_paper(run)
    workbook = new_workbook()
    sheet = workbook.create_sheet("测算底稿")
    sheet.append([spreadsheet_text(paper.title)])
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=14)
    widths: dict[int, int] = {}
    for table in paper.tables:
        sheet.append([])
        sheet.append([spreadsheet_text(table.title)])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=12)
        sheet.append([spreadsheet_text(header) for header in table.headers])
        for index, header in enumerate(table.headers, start=1):
            cell = sheet.cell(row=sheet.max_row, column=index)
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            widths[index] = max(widths.get(index, 8), min(display_width(header) + 2, 30))
        rows = [(row, False) for row in table.rows] + ([(table.total, True)] if table.total else [])
        for row, is_total in rows:
            sheet.append([cell.number if cell.numeric else spreadsheet_text(cell.text) for cell in row])
            for index, cell in enumerate(row, start=1):
                target = sheet.cell(row=sheet.max_row, column=index)
                if cell.numeric and cell.value is not None:
                    target.number_format = PAPER_FORMATS[cell.kind]
                if is_total:
                    target.font = TOTAL_FONT
                    target.fill = TOTAL_FILL
                widths[index] = max(widths.get(index, 8), min(display_width(cell.text) + 2, 60))
        for note in table.notes:
            sheet.append([spreadsheet_text(note)])
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index)].width = width
    return workbook


def reward_run_filename(run: RewardRun) -> str:
    return f"{fund_slug(run.fund)}-reward-run.xlsx"


# --- Files ---------------------------------------------------------------------------------------------------------


def _years(objects: Sequence[Fund] | Sequence[BondPlan]) -> str:
    years = sorted({obj.year for obj in objects})
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


def fund_slug(fund: Fund) -> str:
    """``fund-2025-guidance``; a pair industry fund (several a year) also carries its id."""
    kind = fund.kind.replace("_", "-")
    return f"fund-{fund.year}-{kind}" if fund.kind == FundKind.GUIDANCE else f"fund-{fund.year}-{kind}-{fund.pk}"


def funds_overview_filename(funds: Sequence[Fund]) -> str:
    return f"{fund_slug(funds[0])}.xlsx" if len(funds) == 1 else f"funds-{_years(funds)}.xlsx"


def fund_ledger_filename(funds: Sequence[Fund]) -> str:
    stem = fund_slug(funds[0]) if len(funds) == 1 else f"funds-{_years(funds)}"
    return f"{stem}-allocations.xlsx"


def bond_plans_filename(plans: Sequence[BondPlan]) -> str:
    return f"bond-plan-{plans[0].year}.xlsx" if len(plans) == 1 else f"bond-plans-{_years(plans)}.xlsx"


def xlsx_response(workbook: Workbook, filename: str) -> HttpResponse:
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
