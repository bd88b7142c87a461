"""The month's workbook on the liaison pages: download → fill in with openpyxl → upload, every row checked by the
form's and the service's rules, all or nothing, each bad cell named; rows that belong to another project, county or
month, formulas and hostile files refused; who may download and upload."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from common.periods import month_add
from liaison.workbooks import COLUMNS, FIRST_ROW, HEADER_ROW, KEYS
from projects.factories import ProgressReportFactory, ProjectFactory
from projects.models import ClosedPeriod, ProgressReport, ReportStatus, Stage
from projects.reports import ReportData, progress_report_save, progress_report_submit

from .conftest import signed_in

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def column(key: str) -> int:
    return KEYS.index(key) + 1


def download(client, period: str):
    response = client.get(reverse("liaison:workbook_download", args=[period]))
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == XLSX
    return load_workbook(io.BytesIO(response.content))


def upload(client, workbook, name: str = "月报.xlsx"):
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.name = name
    buffer.seek(0)
    return client.post(reverse("liaison:workbook"), {"workbook": buffer})


def row_of(sheet, code: str) -> int:
    for row in range(FIRST_ROW, sheet.max_row + 1):
        if sheet.cell(row=row, column=column("code")).value == code:
            return row
    raise AssertionError(f"{code} is not in the workbook")


def fill(sheet, project_code: str, **values) -> None:
    row = row_of(sheet, project_code)
    for key, value in values.items():
        sheet.cell(row=row, column=column(key)).value = value


def errors_of(response) -> list[str]:
    return response.context["errors"]


@pytest.fixture
def chinese(liaison_a):
    return signed_in(liaison_a, language="zh-hans")


@pytest.fixture
def project_a2(pairing_a, today):
    """A project under construction with an approved report of the month before the one due."""
    return ProjectFactory(
        pairing=pairing_a,
        code="TEZ-002",
        name="台儿庄新材料项目",
        signed_date=today - dt.timedelta(days=400),
        stage=Stage.STARTED,
        actual_start_date=today - dt.timedelta(days=300),
        completed_investment=Decimal("20000000.00"),
    )


@pytest.fixture
def last_month(project_a2, due_period):
    return ProgressReportFactory(
        project=project_a2,
        period=month_add(due_period, -1),
        stage=Stage.STARTED,
        actual_start_date=project_a2.actual_start_date,
        cumulative_investment=Decimal("20000000.00"),
        month_investment=Decimal("1000000.00"),
        status=ReportStatus.APPROVED,
        submitted_at="2025-01-01T00:00Z",
        first_submitted_at="2025-01-01T00:00Z",
        reviewed_at="2025-01-02T00:00Z",
        problem_category="land",
        problems="用地指标未落实",
    )


class TestDownload:
    def test_one_row_per_project_prefilled_in_chinese_with_units(
        self, client_a, project_a, project_a2, last_month, project_b, due_period
    ):
        workbook = download(client_a, due_period)
        sheet = workbook.worksheets[0]

        assert sheet["A1"].value == "填报月份"
        assert sheet["B1"].value == due_period
        assert sheet["D1"].value == "台儿庄区"
        headers = [cell.value for cell in sheet[HEADER_ROW]]
        assert "本月完成投资（万元）" in headers
        assert "累计完成投资（万元）" in headers
        assert "项目编号" in headers
        codes = [sheet.cell(row=row, column=column("code")).value for row in range(FIRST_ROW, sheet.max_row + 1)]
        assert codes == ["TEZ-001", "TEZ-002"]  # county B's project is not there
        row = row_of(sheet, "TEZ-002")
        value = lambda key: sheet.cell(row=row, column=column(key)).value  # noqa: E731
        # Last month's figures carried over, in 万元; what happens within a month starts empty.
        assert value("stage") == "开工"
        assert value("cumulative_investment") == 2000
        assert value("last_cumulative") == 2000
        assert value("month_investment") is None
        assert value("actual_start_date") == project_a2.actual_start_date.isoformat()
        assert value("problems") == "用地指标未落实"
        assert value("problem_category") == "用地"
        # The project's cells are locked on a protected sheet; what a liaison types is not.
        assert sheet.protection.sheet
        assert sheet.cell(row=row, column=column("code")).protection.locked
        assert sheet.cell(row=row, column=column("check")).protection.locked
        assert not sheet.cell(row=row, column=column("month_investment")).protection.locked

    def test_a_hostile_project_name_is_written_as_text(self, client_a, pairing_a, today, due_period):
        ProjectFactory(
            pairing=pairing_a, code="TEZ-009", name='=HYPERLINK("http://x")', signed_date=today - dt.timedelta(400)
        )

        sheet = download(client_a, due_period).worksheets[0]

        cell = sheet.cell(row=row_of(sheet, "TEZ-009"), column=column("name"))
        assert cell.data_type == "s"
        assert cell.value == '\'=HYPERLINK("http://x")'

    def test_text_defused_on_the_way_out_is_stored_as_typed(self, client_a, project_a, due_period):
        workbook = download(client_a, due_period)
        fill(
            workbook.worksheets[0],
            "TEZ-001",
            month_investment=1,
            cumulative_investment=1,
            problem_category="其他",
            problems="'=土地指标+能耗指标",
        )

        assert upload(client_a, workbook).status_code == 302
        assert ProgressReport.objects.get().problems == "=土地指标+能耗指标"
        again = download(client_a, due_period).worksheets[0]
        cell = again.cell(row=row_of(again, "TEZ-001"), column=column("problems"))
        assert (cell.value, cell.data_type) == ("'=土地指标+能耗指标", "s")

    def test_a_future_month_is_not_offered(self, client_a, project_a, today):
        future = month_add(f"{today:%Y-%m}", 1)

        response = client_a.get(reverse("liaison:workbook_download", args=[future]))

        assert response.status_code == 302
        assert not ProgressReport.objects.exists()


class TestRoundTrip:
    def test_download_fill_upload_creates_drafts_ready_to_submit(
        self, client_a, liaison_a, project_a, project_a2, last_month, due_period
    ):
        workbook = download(client_a, due_period)
        sheet = workbook.worksheets[0]
        fill(sheet, "TEZ-001", month_investment=500, cumulative_investment="3,000.5", jobs_created=12)
        fill(
            sheet,
            "TEZ-002",
            month_investment=123.456789,
            cumulative_investment=2123.456789,
            problems=None,
            problem_category=None,
        )

        response = upload(client_a, workbook)

        assert response.status_code == 302, errors_of(response)
        first = ProgressReport.objects.get(project=project_a, period=due_period)
        second = ProgressReport.objects.get(project=project_a2, period=due_period)
        assert first.status == second.status == ReportStatus.DRAFT  # saved, not submitted
        assert first.month_investment == Decimal("5000000.00")
        assert first.cumulative_investment == Decimal("30005000.00")
        assert first.jobs_created == 12
        assert second.month_investment == Decimal("1234567.89")  # 万元 to the fen, exactly
        assert second.stage == Stage.STARTED
        assert second.problems == ""

        # The drafts can be submitted as they are.
        progress_report_submit(report=first, by=liaison_a)

    def test_a_draft_downloaded_again_is_updated(self, client_a, project_a, due_period):
        workbook = download(client_a, due_period)
        fill(workbook.worksheets[0], "TEZ-001", month_investment=500, cumulative_investment=3000)
        assert upload(client_a, workbook).status_code == 302

        again = download(client_a, due_period)
        sheet = again.worksheets[0]
        row = row_of(sheet, "TEZ-001")
        assert sheet.cell(row=row, column=column("month_investment")).value == 500
        fill(sheet, "TEZ-001", month_investment=600, cumulative_investment=3100)
        response = upload(client_a, again)

        assert response.status_code == 302
        report = ProgressReport.objects.get(project=project_a)
        assert report.month_investment == Decimal("6000000.00")
        assert report.version == 2

    def test_deleted_rows_are_not_reported(self, client_a, project_a, project_a2, last_month, due_period):
        workbook = download(client_a, due_period)
        sheet = workbook.worksheets[0]
        sheet.delete_rows(row_of(sheet, "TEZ-002"))
        fill(sheet, "TEZ-001", month_investment=1, cumulative_investment=1)

        assert upload(client_a, workbook).status_code == 302
        assert list(ProgressReport.objects.filter(period=due_period).values_list("project__code", flat=True)) == [
            "TEZ-001"
        ]

    def test_a_row_left_as_downloaded_is_not_reported(self, client_a, project_a, project_a2, last_month, due_period):
        workbook = download(client_a, due_period)
        fill(workbook.worksheets[0], "TEZ-001", month_investment=1, cumulative_investment=1)

        response = upload(client_a, workbook)

        assert response.status_code == 302
        assert list(ProgressReport.objects.filter(period=due_period).values_list("project__code", flat=True)) == [
            "TEZ-001"
        ]

    def test_a_row_changed_without_this_months_investment_is_named(
        self, client_a, project_a, project_a2, last_month, due_period
    ):
        workbook = download(client_a, due_period)
        fill(workbook.worksheets[0], "TEZ-002", cumulative_investment=2500)

        response = upload(client_a, workbook)

        assert response.status_code == 400
        assert errors_of(response) == ["Row 5 本月完成投资（万元）: This field is required."]
        assert not ProgressReport.objects.filter(period=due_period).exists()

    def test_a_report_in_review_is_left_alone_unless_changed(self, client_a, liaison_a, project_a, due_period):
        data = ReportData(stage=Stage.SIGNED, cumulative_investment=Decimal(1000), month_investment=Decimal(1000))
        report = progress_report_submit(
            report=progress_report_save(project=project_a, period=due_period, data=data, by=liaison_a), by=liaison_a
        )
        workbook = download(client_a, due_period)

        assert upload(client_a, workbook).status_code == 302
        report.refresh_from_db()
        assert report.status == ReportStatus.SUBMITTED

        fill(workbook.worksheets[0], "TEZ-001", month_investment=0.05)
        response = upload(client_a, workbook)
        assert response.status_code == 400
        assert any("in review" in error for error in errors_of(response))


class TestAllOrNothing:
    def test_any_bad_cell_saves_nothing_and_each_is_named(self, chinese, project_a, project_a2, last_month, due_period):
        workbook = download(chinese, due_period)
        sheet = workbook.worksheets[0]
        assert row_of(sheet, "TEZ-002") == 5
        fill(sheet, "TEZ-001", month_investment=500, cumulative_investment=3000, stage="完工了")
        fill(sheet, "TEZ-002", month_investment=-5, cumulative_investment=1000)

        response = upload(chinese, workbook)

        assert response.status_code == 400
        assert not ProgressReport.objects.filter(period=due_period).exists()
        errors = errors_of(response)
        assert any(error.startswith("第4行 所处阶段：") for error in errors), errors
        # The service's rules, through progress_report_save: a negative amount, a cumulative that falls.
        assert "第5行 本月完成投资（万元）：金额不能为负数。" in errors, errors
        assert any(error.startswith("第5行 累计完成投资（万元）：") for error in errors), errors
        assert 'id="workbook-errors"' in response.content.decode()

    def test_the_forms_rules_apply_to_every_row(self, client_a, project_a, due_period):
        workbook = download(client_a, due_period)
        fill(workbook.worksheets[0], "TEZ-001", month_investment="12.3456789", cumulative_investment="abc")

        errors = errors_of(upload(client_a, workbook))

        assert "Row 4 本月完成投资（万元）: Enter at most six decimal places (万元 to the fen)." in errors
        assert "Row 4 累计完成投资（万元）: Enter an amount in 万元, e.g. 1234.5678." in errors
        assert not ProgressReport.objects.exists()

    def test_a_row_moved_to_another_project_is_refused(self, client_a, project_a, project_a2, last_month, due_period):
        workbook = download(client_a, due_period)
        sheet = workbook.worksheets[0]
        fill(sheet, "TEZ-001", month_investment=1, cumulative_investment=1)
        fill(sheet, "TEZ-002", month_investment=1, cumulative_investment=2000)
        fill(sheet, "TEZ-001", code="TEZ-003")

        response = upload(client_a, workbook)

        assert response.status_code == 400
        assert any(error.startswith("Row 4 校验码（请勿修改）: ") for error in errors_of(response)), errors_of(response)
        assert not ProgressReport.objects.filter(period=due_period).exists()

    def test_another_countys_project_row_is_refused(self, client_a, liaison_b, project_a, project_b, due_period):
        theirs = download(signed_in(liaison_b), due_period).worksheets[0]
        foreign = [cell.value for cell in theirs[row_of(theirs, "MY-001")]]
        workbook = download(client_a, due_period)
        sheet = workbook.worksheets[0]
        fill(sheet, "TEZ-001", month_investment=1, cumulative_investment=1)
        foreign[column("month_investment") - 1] = 1
        foreign[column("cumulative_investment") - 1] = 1
        sheet.append(foreign)

        response = upload(client_a, workbook)

        assert response.status_code == 400
        assert errors_of(response) == [
            "Row 5 项目编号: Project MY-001 is not located in your county: you cannot report on it."
        ]
        assert not ProgressReport.objects.exists()

    def test_a_row_of_another_month_is_refused(self, client_a, project_a, due_period):
        workbook = download(client_a, due_period)
        sheet = workbook.worksheets[0]
        fill(sheet, "TEZ-001", month_investment=1, cumulative_investment=1)
        sheet["B1"] = month_add(due_period, -1)

        response = upload(client_a, workbook)

        assert response.status_code == 400
        assert any(error.startswith("Row 4 校验码（请勿修改）: ") for error in errors_of(response))

    def test_a_future_month_is_refused(self, chinese, project_a, due_period, today):
        workbook = download(chinese, due_period)
        workbook.worksheets[0]["B1"] = month_add(f"{today:%Y-%m}", 1)

        response = upload(chinese, workbook)

        assert response.status_code == 400
        errors = errors_of(response)
        assert len(errors) == 1 and errors[0].startswith("第1行 填报月份："), errors
        assert not ProgressReport.objects.exists()

    def test_a_closed_month_is_refused_on_the_month(self, client_a, project_a, due_period):
        workbook = download(client_a, due_period)
        fill(workbook.worksheets[0], "TEZ-001", month_investment=1, cumulative_investment=1)
        ClosedPeriod.objects.create(program=project_a.pairing.program, period=due_period)

        response = upload(client_a, workbook)

        assert response.status_code == 400
        assert f"Row 4 填报月份: The period {due_period} is closed." in errors_of(response)

    def test_a_change_on_the_website_since_the_download_is_not_overwritten(
        self, client_a, liaison_a, project_a, due_period
    ):
        workbook = download(client_a, due_period)
        fill(workbook.worksheets[0], "TEZ-001", month_investment=1, cumulative_investment=1)
        data = ReportData(stage=Stage.SIGNED, cumulative_investment=Decimal(900), month_investment=Decimal(900))
        progress_report_save(project=project_a, period=due_period, data=data, by=liaison_a)

        response = upload(client_a, workbook)

        assert response.status_code == 400
        assert any("changed on the website" in error for error in errors_of(response))
        assert ProgressReport.objects.get().cumulative_investment == Decimal(900)

    def test_the_same_project_twice_is_refused(self, client_a, project_a, due_period):
        workbook = download(client_a, due_period)
        sheet = workbook.worksheets[0]
        fill(sheet, "TEZ-001", month_investment=1, cumulative_investment=1)
        sheet.append([cell.value for cell in sheet[FIRST_ROW]])

        errors = errors_of(upload(client_a, workbook))

        assert errors == ["Row 5 项目编号: Project TEZ-001 is already on row 4."]


class TestHostileFiles:
    def test_a_formula_cell_is_refused(self, client_a, project_a, due_period):
        workbook = download(client_a, due_period)
        fill(workbook.worksheets[0], "TEZ-001", month_investment="=100*5", cumulative_investment=3000)

        response = upload(client_a, workbook)

        assert response.status_code == 400
        assert errors_of(response) == ["Row 4 本月完成投资（万元）: Type the figure itself, not a formula."]
        assert not ProgressReport.objects.exists()

    def test_a_csv_is_refused(self, client_a, project_a):
        file = io.BytesIO("项目编号\nTEZ-001\n".encode())
        file.name = "月报.csv"

        response = client_a.post(reverse("liaison:workbook"), {"workbook": file})

        assert response.status_code == 400
        assert errors_of(response) == ["Row 1: Upload the .xlsx workbook downloaded from this page."]

    def test_a_file_that_is_no_workbook_is_refused(self, client_a, project_a):
        file = io.BytesIO(b"PK\x03\x04 not really a zip")
        file.name = "月报.xlsx"

        errors = errors_of(client_a.post(reverse("liaison:workbook"), {"workbook": file}))

        assert len(errors) == 1 and "not a readable .xlsx file" in errors[0]

    @override_settings(IMPORT_MAX_UNZIPPED_BYTES=50_000)
    def test_a_workbook_that_unzips_too_large_is_refused_before_it_is_opened(self, client_a, project_a):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/worksheets/sheet1.xml", "<a/>" + " " * 1_000_000)
        buffer.name = "月报.xlsx"
        buffer.seek(0)

        errors = errors_of(client_a.post(reverse("liaison:workbook"), {"workbook": buffer}))

        assert len(errors) == 1 and "unzips to" in errors[0]

    @override_settings(IMPORT_MAX_ROWS=5)
    def test_too_many_rows_are_refused_at_the_first_beyond_the_limit(self, client_a, project_a):
        workbook = Workbook()
        for number in range(50):
            workbook.active.append([f"line {number}"])

        errors = errors_of(upload(client_a, workbook))

        assert len(errors) == 1 and errors[0].startswith("Row 7:"), errors

    def test_a_workbook_of_another_layout_is_refused(self, client_a, project_a, due_period):
        workbook = Workbook()
        workbook.active.append(["填报月份", due_period])
        workbook.active.append([])
        workbook.active.append(["项目编号", "本月投资"])

        errors = errors_of(upload(client_a, workbook))

        assert errors == ["Row 3: The columns are not those of the workbook downloaded from this page."]

    def test_no_file(self, client_a):
        response = client_a.post(reverse("liaison:workbook"), {})

        assert response.status_code == 400
        assert errors_of(response) == ["Choose the filled-in workbook to upload."]


class TestAccess:
    @pytest.mark.parametrize("persona", ["officer", "finance", "leader", "norole"])
    def test_only_liaisons(self, request, persona, project_a, due_period):
        client = signed_in(request.getfixturevalue(persona))

        assert client.get(reverse("liaison:workbook")).status_code == 403
        assert client.get(reverse("liaison:workbook_download", args=[due_period])).status_code == 403
        assert client.post(reverse("liaison:workbook"), {}).status_code == 403

    def test_anonymous_is_sent_to_sign_in(self, anonymous, due_period):
        for url in (reverse("liaison:workbook"), reverse("liaison:workbook_download", args=[due_period])):
            response = anonymous.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("liaison:login"))

    def test_each_liaison_gets_their_own_countys_projects(self, client_a, client_b, project_a, project_b, due_period):
        page = client_b.get(reverse("liaison:workbook")).content.decode()
        assert "MY-001" in page and "TEZ-001" not in page
        sheet = download(client_b, due_period).worksheets[0]
        assert [sheet.cell(row=r, column=1).value for r in range(FIRST_ROW, sheet.max_row + 1)] == ["MY-001"]

    def test_the_page_lists_the_projects_and_links_the_download(self, client_a, project_a, due_period):
        body = client_a.get(reverse("liaison:workbook")).content.decode()

        assert "TEZ-001" in body
        assert reverse("liaison:workbook_download", args=[due_period]) in body
        assert len(COLUMNS) == len(KEYS)


class TestQueries:
    def test_the_download_reads_the_same_number_of_queries_for_3_or_30_projects(
        self, client_a, pairing_a, today, due_period
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        def projects(n: int, start: int) -> None:
            for number in range(start, start + n):
                project = ProjectFactory(
                    pairing=pairing_a, code=f"Q-{number:03d}", signed_date=today - dt.timedelta(days=400)
                )
                ProgressReportFactory(project=project, period=month_add(due_period, -1))

        projects(3, 0)
        with CaptureQueriesContext(connection) as few:
            download(client_a, due_period)
        projects(27, 3)
        with CaptureQueriesContext(connection) as many:
            sheet = download(client_a, due_period).worksheets[0]

        assert sheet.max_row == FIRST_ROW + 29
        assert len(many) == len(few)
