"""The monthly bulletin (月通报): its figures, the workbook, generating again, the scheduled job, and the admin pages
(list, "Generate now", printable page, download) tried as the officer, a leader, a liaison and anonymous.

The small program built here has exact figures worked out by hand; one test builds the demo on the loaded reference
data and checks that the workbook adds up against the database.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from decimal import Decimal

import openpyxl
import openpyxl.comments
import openpyxl.worksheet.worksheet
import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from common.money import FEN
from common.periods import month_add, month_of
from common.xlsx import save_workbook
from config.celery_app import app
from pairing.factories import CountyFactory, PairingFactory, ProgramFactory
from projects.bulletins import (
    SHEETS,
    bulletin_figures,
    bulletin_generate,
    bulletin_workbook,
    bulletin_workbook_bytes,
    bulletins_generate_monthly,
)
from projects.factories import ProgressReportFactory
from projects.models import (
    Bulletin,
    ClosedPeriod,
    Health,
    Project,
    ProjectWarning,
    ReportStatus,
    Stage,
    WarningColour,
)
from projects.reports import progress_report_approve
from projects.services import project_change_stage, project_create
from projects.tasks import monthly_bulletins_task
from projects.warnings import warnings_refresh

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 11, 1)  # the 1st, when the scheduled job makes October's bulletin
PERIOD = "2025-10"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def submitted(project, period: str, on: dt.date, *, cumulative: str = "1000000.00", status=ReportStatus.SUBMITTED):
    """A report of ``period`` first submitted on ``on`` (a liaison's submission, with the time it happened)."""
    return ProgressReportFactory(
        project=project,
        period=period,
        stage=project.stage,
        cumulative_investment=Decimal(cumulative),
        month_investment=Decimal("0.00"),
        status=status,
        submitted_at=at(on),
        first_submitted_at=at(on),
        is_sample=False,
    )


def due_day_of(period: str) -> dt.date:
    """Submitted comfortably before the 5th of the following month."""
    year, month = (int(part) for part in period.split("-"))
    return dt.date(year + month // 12, month % 12 + 1, 2)


@pytest.fixture
def given(program, pairing_a, pairing_b, officer):
    """A small program (as of 1 Nov 2025, October's bulletin; reports of September due by 5 Oct):

    黄岛区 → 台儿庄区
      TEZ-001 pipeline, plan 100,000,000.00
      TEZ-002 signed 2025-03-15 (7 months, not started), plan 150,000,000.55, no report at all (Apr–Sep overdue)
      TEZ-003 under construction, plan 80,000,000.00, reports Jun–Sep on time; Sep approved at 12,345,678.91
    历城区 → 蒙阴县
      MY-001 in production, plan 300,000,000.00, reports Jan–Aug on time, Sep late (8 Oct) approved at
             210,000,000.10
      MY-002 signed 2025-06-20, plan 50,000,000.00, reports Jul and Aug, Sep missing
      MY-003 terminated, plan 999,999.99 — left out of every figure but its own count
    """
    tez1 = project_create(
        pairing=pairing_a, code="TEZ-001", name="储备项目", planned_investment=Decimal("100000000.00")
    )
    tez2 = project_create(
        pairing=pairing_a,
        code="TEZ-002",
        name="签约未开工项目",
        planned_investment=Decimal("150000000.55"),
        signed_date=dt.date(2025, 3, 15),
        stage=Stage.SIGNED,
    )
    tez3 = project_create(
        pairing=pairing_a,
        code="TEZ-003",
        name="在建项目",
        planned_investment=Decimal("80000000.00"),
        signed_date=dt.date(2025, 5, 10),
        stage=Stage.SIGNED,
    )
    tez3 = project_change_stage(project=tez3, to_stage=Stage.STARTED, actual_start_date=dt.date(2025, 7, 1))
    my1 = project_create(
        pairing=pairing_b,
        code="MY-001",
        name="投产项目",
        planned_investment=Decimal("300000000.00"),
        signed_date=dt.date(2024, 12, 1),
        actual_start_date=dt.date(2025, 1, 15),
        actual_production_date=dt.date(2025, 8, 20),
        stage=Stage.PRODUCING,
    )
    my2 = project_create(
        pairing=pairing_b,
        code="MY-002",
        name="新签约项目",
        planned_investment=Decimal("50000000.00"),
        signed_date=dt.date(2025, 6, 20),
        stage=Stage.SIGNED,
    )
    my3 = project_create(
        pairing=pairing_b,
        code="MY-003",
        name="终止项目",
        planned_investment=Decimal("999999.99"),
        signed_date=dt.date(2025, 1, 1),
        stage=Stage.SIGNED,
    )
    # No service sets a project's health yet.
    Project.objects.filter(pk=my3.pk).update(health=Health.TERMINATED)

    for period in ("2025-06", "2025-07", "2025-08"):
        submitted(tez3, period, due_day_of(period))
    for month in range(1, 9):
        period = f"2025-{month:02d}"
        submitted(my1, period, due_day_of(period))
    for period in ("2025-07", "2025-08"):
        submitted(my2, period, due_day_of(period))
    # September: one on time, one late, both approved through the workflow (which sets the completed investment).
    september_tez3 = submitted(tez3, "2025-09", dt.date(2025, 10, 3), cumulative="12345678.91")
    september_my1 = submitted(my1, "2025-09", dt.date(2025, 10, 8), cumulative="210000000.10")
    progress_report_approve(report=september_tez3, by=officer)
    progress_report_approve(report=september_my1, by=officer)
    return {"TEZ-001": tez1, "TEZ-002": tez2, "TEZ-003": tez3, "MY-001": my1, "MY-002": my2, "MY-003": my3}


def figures_now(program) -> dict:
    warnings_refresh(today=TODAY, program=program)
    return bulletin_figures(program=program, period=PERIOD, today=TODAY)


def open_workbook(bulletin: Bulletin) -> openpyxl.Workbook:
    with bulletin.workbook.open("rb") as handle:
        return openpyxl.load_workbook(io.BytesIO(handle.read()))


def as_yuan(value) -> Decimal:
    return Decimal(str(value)).quantize(FEN)


def rows_of(sheet) -> list[dict]:
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, (cell.value for cell in row), strict=True)) for row in sheet.iter_rows(min_row=2)]


# --- Figures ---------------------------------------------------------------------------------------------------------


class TestFigures:
    def test_per_pairing_stages_and_investment_add_up_to_the_fen(self, program, given):
        figures = figures_now(program)

        by_weak = {row["weak_county"]: row for row in figures["pairings"]}
        tai, meng = by_weak["台儿庄区"], by_weak["蒙阴县"]
        assert (tai["strong_county"], meng["strong_county"]) == ("黄岛区", "历城区")
        assert tai["stages"] == {"pipeline": 1, "signed": 1, "started": 1, "producing": 0, "at_capacity": 0}
        assert meng["stages"] == {"pipeline": 0, "signed": 1, "started": 0, "producing": 1, "at_capacity": 0}
        assert (tai["projects"], meng["projects"], meng["terminated"]) == (3, 2, 1)
        assert (tai["planned_investment"], tai["completed_investment"]) == ("330000000.55", "12345678.91")
        assert (meng["planned_investment"], meng["completed_investment"]) == ("350000000.00", "210000000.10")
        totals = figures["totals"]
        assert totals["projects"] == sum(totals["stages"].values()) == 5
        assert totals["planned_investment"] == "680000000.55"
        assert totals["completed_investment"] == "222345679.01"
        expected_rate = Decimal("222345679.01") * 100 / Decimal("680000000.55")
        assert abs(Decimal(totals["completion_rate_pct"]) - expected_rate) < Decimal("0.000001")

    def test_signed_more_than_six_months_and_not_started(self, program, given):
        figures = figures_now(program)

        # MY-002 (four months) is too recent; the terminated MY-003 is not followed any more.
        assert [(r["code"], r["signed_date"], r["months"], r["county"]) for r in figures["signed_not_started"]] == [
            ("TEZ-002", "2025-03-15", 7, "台儿庄区")
        ]
        assert figures["totals"]["signed_not_started"] == 1

    def test_red_and_yellow_lists_are_the_warnings_with_their_reasons(self, program, given):
        figures = figures_now(program)

        assert [row["code"] for row in figures["red"]] == ["TEZ-002"]
        assert [row["code"] for row in figures["yellow"]] == ["MY-002"]
        red_reasons = {reason["code"] for reason in figures["red"][0]["reasons"]}
        assert red_reasons == {"signed_not_started", "reports_overdue"}
        assert figures["red"][0]["reasons"] == ProjectWarning.objects.get(project=given["TEZ-002"]).reasons
        assert figures["totals"]["warnings"] == {"red": 1, "yellow": 1, "blue": 3, "unclassified": 0}

    def test_overdue_reports_up_to_the_month_before(self, program, given):
        figures = figures_now(program)

        assert [(r["code"], r["county"], r["months"]) for r in figures["overdue"]] == [
            ("TEZ-002", "台儿庄区", 6),
            ("MY-002", "蒙阴县", 1),
        ]
        assert figures["overdue"][0]["periods"] == ["2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09"]
        assert (figures["totals"]["overdue_projects"], figures["totals"]["overdue_reports"]) == (2, 7)

    def test_a_late_generation_leaves_later_months_to_later_bulletins(self, program, given):
        figures = bulletin_figures(program=program, period=PERIOD, today=dt.date(2026, 1, 20))

        assert figures["overdue"][1]["code"] == "MY-002"
        assert figures["overdue"][1]["periods"] == ["2025-09"]

    def test_timeliness_and_completeness_of_the_reports_due_in_the_month(self, program, given):
        figures = figures_now(program)

        assert (figures["report_period"], figures["report_due_date"]) == ("2025-09", "2025-10-05")
        counts = ("expected", "submitted", "on_time", "late", "missing", "timeliness_pct", "completeness_pct")
        rows = {row["county"]: tuple(row[name] for name in counts) for row in figures["reporting"]}
        # 台儿庄区: TEZ-003 on time, TEZ-002 missing (TEZ-001 is in the pipeline and owes nothing).
        assert rows["台儿庄区"] == (2, 1, 1, 0, 1, "50.000000", "50.000000")
        # 蒙阴县: MY-001 late, MY-002 missing; the terminated MY-003 owes nothing.
        assert rows["蒙阴县"] == (2, 1, 0, 1, 1, "0.000000", "50.000000")
        total = figures["totals"]["reporting"]
        assert (total["expected"], total["submitted"], total["on_time"], total["missing"]) == (4, 2, 1, 2)
        assert (total["timeliness_pct"], total["completeness_pct"]) == ("25.000000", "50.000000")

    def test_a_constant_number_of_queries(self, program, given):
        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                bulletin_figures(program=program, period=PERIOD, today=TODAY)
            return len(captured.captured_queries)

        before = queries()
        for n in range(3):
            pairing = PairingFactory(program=program, strong_county=CountyFactory(), weak_county=CountyFactory())
            for k in range(4):
                project = project_create(
                    pairing=pairing,
                    code=f"MORE-{n}-{k}",
                    name="更多项目",
                    planned_investment=Decimal("1000000.00"),
                    signed_date=dt.date(2025, 2, 1),
                    stage=Stage.SIGNED,
                )
                submitted(project, "2025-09", dt.date(2025, 10, 2))
        warnings_refresh(today=TODAY, program=program)

        assert queries() == before

    def test_the_figures_are_json(self, program, given):
        figures = figures_now(program)

        assert json.loads(json.dumps(figures)) == figures


# --- Generating ------------------------------------------------------------------------------------------------------


class TestGenerate:
    def test_the_workbook_has_the_sheets_in_chinese_with_frozen_headers_and_totals(self, program, given, officer):
        bulletin = bulletin_generate(program=program, period=PERIOD, by=officer, today=TODAY)

        assert bulletin.workbook.name.endswith(".xlsx")
        assert "bulletin-sd-test-2025-10" in bulletin.workbook.name
        book = open_workbook(bulletin)
        assert tuple(book.sheetnames) == SHEETS
        assert SHEETS == ("概览", "分结对进度", "签约未开工", "红黄牌", "逾期未报", "报送及时率")
        assert all(book[name].freeze_panes == "A2" for name in SHEETS)

        pairings = book["分结对进度"]
        rows = rows_of(pairings)
        total = rows[-1]
        assert total["帮扶方(强县)"] == "合计"
        assert as_yuan(total["计划总投资(元)"]) == Decimal("680000000.55")
        assert as_yuan(total["已完成投资(元)"]) == Decimal("222345679.01")
        assert Decimal(str(total["计划总投资(万元)"])).quantize(Decimal("0.000001")) == Decimal("68000.000055")
        stage_counts = [total[name] for name in ("项目数", "储备", "签约", "开工", "投产", "达效")]
        assert stage_counts == [5, 1, 2, 1, 1, 0]
        header = [cell.value for cell in pairings[1]]
        planned_cell = pairings.cell(row=pairings.max_row, column=header.index("计划总投资(元)") + 1)
        assert planned_cell.number_format == "#,##0.00"
        assert isinstance(planned_cell.value, int | float)

        summary = {row["指标"]: row for row in rows_of(book["概览"])}
        assert summary["项目数"]["数值"] == 5
        assert as_yuan(summary["计划总投资(元)"]["数值"]) == Decimal("680000000.55")
        assert summary["红牌项目"]["数值"] == 1

        signed = rows_of(book["签约未开工"])
        assert [row["项目编号"] for row in signed[:-1]] == ["TEZ-002"]
        assert signed[0]["签约至今(月)"] == 7
        assert as_yuan(signed[-1]["计划总投资(元)"]) == Decimal("150000000.55")

        warned = rows_of(book["红黄牌"])
        assert [(row["预警"], row["项目编号"]) for row in warned[:-1]] == [("红牌", "TEZ-002"), ("黄牌", "MY-002")]
        stored = ProjectWarning.objects.get(project__code="TEZ-002").reasons
        assert warned[0]["预警原因"] == "\n".join(reason["text"] for reason in stored)
        assert warned[-1]["项目名称"] == "红牌 1 个,黄牌 1 个"

        overdue = rows_of(book["逾期未报"])
        assert [(row["项目编号"], row["逾期月数"]) for row in overdue[:-1]] == [("TEZ-002", 6), ("MY-002", 1)]
        assert overdue[-1]["逾期月数"] == 7

        rates = rows_of(book["报送及时率"])
        assert rates[-1]["县(市、区)"] is None and rates[-1]["报表月份"] == "合计"
        assert (rates[-1]["应报"], rates[-1]["已报"], rates[-1]["按时报送"]) == (4, 2, 1)
        assert Decimal(str(rates[-1]["报送及时率"])) == Decimal("0.25")

    def test_the_stored_figures_are_the_selectors(self, program, given, officer):
        bulletin = bulletin_generate(program=program, period=PERIOD, by=officer, today=TODAY)

        assert bulletin.summary == bulletin_figures(program=program, period=PERIOD, today=TODAY)
        assert bulletin.generated_by == officer
        assert bulletin.generated_at is not None

    def test_generating_again_replaces_the_file_and_figures_in_one_row(
        self, program, given, officer, django_capture_on_commit_callbacks
    ):
        first = bulletin_generate(program=program, period=PERIOD, by=officer, today=TODAY)
        first_file = first.workbook.name
        Project.objects.filter(code="TEZ-001").update(planned_investment=Decimal("100000000.45"))

        with django_capture_on_commit_callbacks(execute=True):
            again = bulletin_generate(program=program, period=PERIOD, today=TODAY)

        assert Bulletin.objects.count() == 1
        assert again.pk == first.pk
        again.refresh_from_db()
        assert again.summary["totals"]["planned_investment"] == "680000001.00"
        assert again.generated_by is None
        assert not default_storage.exists(first_file)
        assert default_storage.exists(again.workbook.name)
        book = open_workbook(again)
        assert as_yuan(rows_of(book["分结对进度"])[-1]["计划总投资(元)"]) == Decimal("680000001.00")

    def test_the_reporting_period_is_left_open(self, program, given):
        bulletin_generate(program=program, period=PERIOD, today=TODAY)

        assert not ClosedPeriod.objects.exists()

    @pytest.mark.parametrize("period", ["2025-12", "2025-13", "202510", "2024-08"])
    def test_a_month_that_is_malformed_not_begun_or_before_the_program_is_refused(self, program, period):
        with pytest.raises(ValidationError) as excinfo:
            bulletin_generate(program=program, period=period, today=TODAY)

        assert "period" in excinfo.value.message_dict
        assert not Bulletin.objects.exists()

    def test_an_empty_program_still_gets_a_bulletin(self, program):
        bulletin = bulletin_generate(program=program, period=PERIOD, today=TODAY)

        assert bulletin.summary["totals"]["projects"] == 0
        assert bulletin.summary["totals"]["completion_rate_pct"] is None
        assert tuple(open_workbook(bulletin).sheetnames) == SHEETS


def _cells(book: openpyxl.Workbook) -> dict:
    """Everything a reader of the workbook sees: each sheet's cells (value, type, number format, font, fill,
    alignment), its column widths and frozen panes."""
    return {
        sheet.title: (
            sheet.freeze_panes,
            {letter: dimension.width for letter, dimension in sheet.column_dimensions.items()},
            [
                [
                    (
                        cell.value,
                        cell.data_type,
                        cell.number_format,
                        repr(cell.font),
                        repr(cell.fill),
                        repr(cell.alignment),
                    )
                    for cell in row
                ]
                for row in sheet.iter_rows()
            ],
        )
        for sheet in book.worksheets
    }


def test_the_saved_workbook_is_openpyxls_own_cell_for_cell(program, given):
    """The bulletin's sheets are written by ``common.xlsx._SheetWriter`` (text, not an element per cell): what a reader
    opens is what openpyxl's own ``save`` writes, here with text that needs care (spaces around it, a carriage
    return, markup characters, a formula's first character, nothing at all) beside the dates, amounts and totals."""
    figures = figures_now(program)
    red = figures[WarningColour.RED][0]
    red["name"] = "  a <b> & c\r\nd  "
    red["county"] = "=1+1"
    red["reasons"] = [{"code": "x", "text": ""}]
    figures["overdue"][0]["name"] = ""
    book = bulletin_workbook(figures)
    theirs = io.BytesIO()
    book.save(theirs)

    ours = bulletin_workbook_bytes(figures)

    assert _cells(openpyxl.load_workbook(io.BytesIO(ours))) == _cells(openpyxl.load_workbook(theirs))
    warnings = openpyxl.load_workbook(io.BytesIO(ours))["红黄牌"]
    assert [cell.value for cell in warnings[2]][2:4] == ["  a <b> & c\r\nd  ", "'=1+1"]
    # Excel keeps the spaces around a text only when told to (openpyxl reads them either way).
    with zipfile.ZipFile(io.BytesIO(ours)) as mine, zipfile.ZipFile(theirs) as openpyxls:
        for name in mine.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert mine.read(name).count(b'xml:space="preserve"') == openpyxls.read(name).count(
                    b'xml:space="preserve"'
                )


def test_a_sheet_the_text_writer_does_not_handle_is_written_by_openpyxl():
    book = openpyxl.Workbook()
    book.active.append(["plain", 1])
    formulas = book.create_sheet("formulas")
    formulas.append([1, 2, "=A1+B1"])
    formulas["A1"].comment = openpyxl.comments.Comment("a note", "officer")
    buffer = io.BytesIO()

    save_workbook(book, buffer)

    saved = openpyxl.load_workbook(buffer)
    assert [cell.value for cell in saved.active[1]] == ["plain", 1]
    assert [cell.value for cell in saved["formulas"][1]] == [1, 2, "=A1+B1"]
    assert saved["formulas"]["A1"].comment.text == "a note"


# --- From the demo data ----------------------------------------------------------------------------------------------


def test_writing_the_workbook_does_not_scan_the_sheet_for_each_row(program, given, monkeypatch):
    """Each row used to find itself again with ``sheet.max_row``, which reads every cell of the sheet: the 32
    bulletins of a national deployment took four minutes. The rows are now styled before they are appended."""
    figures = figures_now(program)
    reads = []
    max_row = openpyxl.worksheet.worksheet.Worksheet.max_row
    monkeypatch.setattr(
        openpyxl.worksheet.worksheet.Worksheet,
        "max_row",
        property(lambda sheet: reads.append(sheet.title) or max_row.fget(sheet)),
    )

    book = bulletin_workbook(figures)

    assert all(reads.count(title) <= 1 for title in reads)  # the summary's first column is styled once at the end
    assert book["签约未开工"].max_row > 2  # the rows are there (read after building)


def test_a_bulletin_of_the_demo_adds_up_against_the_database():
    from demo.reference import reference_load
    from demo.seed import demo_seed

    reference_load()
    demo = demo_seed()
    today = timezone.localdate()

    bulletin = bulletin_generate(program=demo.program, period=month_add(month_of(today), -1), today=today)

    book = open_workbook(bulletin)
    assert tuple(book.sheetnames) == SHEETS
    live = Project.objects.filter(pairing__program=demo.program).exclude(health=Health.TERMINATED)
    pairings = rows_of(book["分结对进度"])
    stages = ["储备", "签约", "开工", "投产", "达效"]
    for row in pairings:
        assert sum(row[stage] for stage in stages) == row["项目数"]
    total = pairings[-1]
    assert total["帮扶方(强县)"] == "合计"
    assert total["项目数"] == live.count() == sum(row["项目数"] for row in pairings[:-1])
    assert as_yuan(total["计划总投资(元)"]) == sum(p.planned_investment for p in live)
    assert as_yuan(total["已完成投资(元)"]) == sum(p.completed_investment for p in live)
    red_in_book = {row["项目编号"] for row in rows_of(book["红黄牌"]) if row["预警"] == "红牌"}
    red_in_db = set(
        ProjectWarning.objects.filter(project__pairing__program=demo.program, colour=WarningColour.RED).values_list(
            "project__code", flat=True
        )
    )
    assert red_in_book == red_in_db
    assert len(red_in_db) == bulletin.summary["totals"]["warnings"]["red"]
    assert rows_of(book["概览"])[0]["数值"] == demo.program.name


# --- The scheduled job -----------------------------------------------------------------------------------------------


class TestSchedule:
    def test_the_beat_entry_runs_the_task_on_the_first_of_the_month(self):
        entry = settings.CELERY_BEAT_SCHEDULE["bulletins-monthly"]

        assert entry["task"] == "projects.tasks.monthly_bulletins_task"
        assert entry["task"] in app.tasks
        assert isinstance(entry["schedule"], crontab)
        assert entry["schedule"].day_of_month == {1}

    def test_last_months_bulletin_of_every_running_program_once(self, program):
        ended = ProgramFactory(code="ended", start_date=dt.date(2020, 1, 1), end_date=dt.date(2021, 12, 31))
        last_month = month_add(month_of(timezone.localdate()), -1)

        first = monthly_bulletins_task.delay().get(timeout=5)
        second = monthly_bulletins_task.delay().get(timeout=5)

        assert first == second
        assert list(Bulletin.objects.values_list("program__code", "period")) == [("sd-test", last_month)]
        assert not Bulletin.objects.filter(program=ended).exists()

    def test_the_service_takes_the_month_before_today(self, program):
        bulletins = bulletins_generate_monthly(today=dt.date(2026, 1, 1))

        assert [(b.program.code, b.period) for b in bulletins] == [("sd-test", "2025-12")]


# --- Admin -----------------------------------------------------------------------------------------------------------


def login(client, user):
    client.force_login(user)
    # The assertions read the English source strings, whatever the translations say.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def bulletin(program, given, officer):
    return bulletin_generate(program=program, period=PERIOD, by=officer, today=TODAY)


def url(name: str, *args) -> str:
    return reverse(f"admin:projects_bulletin_{name}", args=args)


class TestAdmin:
    def test_the_list_links_the_printable_page_and_the_staff_only_download(self, client, officer, bulletin):
        response = login(client, officer).get(url("changelist"))

        assert response.status_code == 200
        content = response.content.decode()
        assert url("print", bulletin.pk) in content
        assert url("download", bulletin.pk) in content
        assert "bulletin-sd-test-2025-10.xlsx" in content
        assert settings.MEDIA_URL not in content
        assert url("generate") in content

    def test_the_detail_page_shows_no_media_link(self, client, officer, bulletin):
        response = login(client, officer).get(url("change", bulletin.pk))

        assert response.status_code == 200
        assert settings.MEDIA_URL not in response.content.decode()
        assert url("print", bulletin.pk) in response.content.decode()

    def test_the_printable_page_has_the_figures_in_chinese_and_a_print_button(self, client, officer, bulletin):
        response = login(client, officer).get(url("print", bulletin.pk))

        assert response.status_code == 200
        content = response.content.decode()
        for heading in (
            "一、总体情况",
            "二、分结对进度",
            "签约超过6个月未开工",
            "四、红黄牌项目",
            "五、逾期未报",
            "及时率",
        ):
            assert heading in content
        assert "@media print" in content and "size: A4" in content
        assert "data-print" in content and "admin_extra/print.js" in content  # the button, wired without inline script
        assert "68,000.00 万元" in content  # the planned total, 680,000,000.55 yuan
        assert "TEZ-002" in content and "MY-002" in content
        assert "25.0%" in content and "50.0%" in content

    def test_the_download_is_the_stored_workbook(self, client, officer, bulletin):
        response = login(client, officer).get(url("download", bulletin.pk))

        assert response.status_code == 200
        assert response["Content-Type"] == XLSX
        assert 'filename="bulletin-sd-test-2025-10.xlsx"' in response["Content-Disposition"]
        book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        assert tuple(book.sheetnames) == SHEETS

    def test_generate_now_makes_the_bulletin_and_again_replaces_it(self, client, officer, program, given):
        login(client, officer)

        page = client.get(url("generate"))
        first = client.post(url("generate"), {"program": program.pk, "period": "2025-09"})
        second = client.post(url("generate"), {"program": program.pk, "period": "2025-09"})

        assert page.status_code == 200
        assert first.status_code == second.status_code == 302
        only = Bulletin.objects.get()
        assert (only.period, only.generated_by) == ("2025-09", officer)
        assert first["Location"] == url("change", only.pk)

    def test_generate_now_says_what_is_wrong_with_the_month(self, client, officer, program):
        response = login(client, officer).post(url("generate"), {"program": program.pk, "period": "2999-01"})

        assert response.status_code == 200
        assert "has not begun yet" in response.content.decode()
        assert not Bulletin.objects.exists()

    def test_the_action_generates_selected_bulletins_again(self, client, officer, bulletin):
        response = login(client, officer).post(
            url("changelist"), {"action": "generate_again", "_selected_action": [bulletin.pk]}
        )

        assert response.status_code == 302
        bulletin.refresh_from_db()
        assert Bulletin.objects.count() == 1
        assert bulletin.summary["as_of"] == timezone.localdate().isoformat()

    def test_a_leader_reads_and_downloads_but_does_not_generate(self, client, leader, bulletin, program):
        login(client, leader)

        assert client.get(url("print", bulletin.pk)).status_code == 200
        assert client.get(url("download", bulletin.pk)).status_code == 200
        assert url("generate") not in client.get(url("changelist")).content.decode()
        assert client.get(url("generate")).status_code == 403
        assert client.post(url("generate"), {"program": program.pk, "period": "2025-09"}).status_code == 403
        assert Bulletin.objects.count() == 1

    @pytest.mark.parametrize("page", ["print", "download", "change"])
    def test_a_liaison_is_not_staff_and_is_sent_to_the_login(self, client, liaison_a, bulletin, page):
        response = login(client, liaison_a).get(url(page, bulletin.pk))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))

    @pytest.mark.parametrize("page", ["print", "download"])
    def test_anonymous_is_sent_to_the_login(self, client, bulletin, page):
        response = client.get(url(page, bulletin.pk))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))

    def test_generate_is_refused_to_a_liaison_and_to_anonymous(self, client, liaison_a, program):
        anonymous = client.post(url("generate"), {"program": program.pk, "period": "2025-09"})
        as_liaison = login(client, liaison_a).post(url("generate"), {"program": program.pk, "period": "2025-09"})

        assert anonymous.status_code == as_liaison.status_code == 302
        assert not Bulletin.objects.exists()
