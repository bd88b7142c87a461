"""The statistics bureau's wide tables: read as they come, previewed, confirmed; templates and workbooks round trip."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import translation
from openpyxl import Workbook, load_workbook

from pairing.factories import ProgramFactory
from stats.importers import FileRejected
from stats.models import ImportBatch, ImportJob, StatValue
from stats.services import indicators_import
from stats.wide import read_indicator_file
from stats.workbooks import statistics_workbook, wide_template

from . import bureau

pytestmark = pytest.mark.django_db

UPLOAD = "/admin/stats/importbatch/upload/"
CONFIRM = "/admin/stats/importbatch/upload/confirm/"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def regions(db):
    bureau.regions()


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


def do_import(data: bytes, filename: str = "bureau.xlsx", **options):
    return indicators_import(stream=io.BytesIO(data), filename=filename, **options)


def figure(region: str, indicator: str, period: str = "2025") -> tuple:
    value = StatValue.objects.get(region=region, indicator=indicator, period=period)
    return value.value, value.growth_pct


def assert_bureau_table_imported() -> None:
    # The province's own row; 亿元 → yuan.
    assert figure("370000", "gdp") == (Decimal("9876540000000.00"), Decimal("5.5"))
    # City subtotal rows are stored for the cities.
    assert figure("370100", "gdp") == (Decimal("1300050000000.00"), Decimal("6.1"))
    assert figure("370400", "gpbr") == (Decimal("17000000000.00"), Decimal("3.0"))
    # Both 市中区, each resolved within the city row above it; 万元 → yuan, to the fen.
    assert figure("370103", "gdp") == (Decimal("160000000000.00"), Decimal("5.9"))
    assert figure("370103", "gpbr") == (Decimal("9000005000.00"), Decimal("4.2"))
    assert figure("370402", "gdp") == (Decimal("40000000000.00"), Decimal("4.8"))
    # Named without the suffix (台儿庄) and indented (历下区); a growth-only column; a "—" left empty.
    assert figure("370405", "fai") == (None, Decimal("6.0"))
    assert figure("370102", "fai") == (None, Decimal("-2.5"))
    assert figure("370103", "tax") == (Decimal("7000000000.00"), None)
    # Nothing for the 高新区, which is no county-level unit.
    assert StatValue.objects.filter(region__in=["370102", "370103", "370402", "370405"]).count() == 16
    assert StatValue.objects.count() == 7 * 4


# --- Reading the bureau's table -----------------------------------------------------------------------------------


def test_a_zone_row_fails_the_file_with_its_line(regions):
    with pytest.raises(FileRejected) as rejected:
        do_import(bureau.xlsx_bytes())
    assert [(p.line, p.message.split(" — ")[0]) for p in rejected.value.problems] == [(9, "A9: 济南高新区")]
    assert "no county-level unit" in rejected.value.problems[0].message
    assert StatValue.objects.count() == 0


def test_skip_unknown_imports_the_rest_and_lists_what_was_skipped(regions):
    report = do_import(bureau.xlsx_bytes(), skip_unknown=True)
    assert report.skipped == ["line 9: A9: 济南高新区 — names no county-level unit (a zone or a note)"]
    assert report.rows == report.created == 28
    assert_bureau_table_imported()
    batch = ImportBatch.objects.get()
    assert StatValue.objects.filter(batch=batch).count() == 28
    assert StatValue.objects.get(region="370000", indicator="gdp").source.startswith("2025年全省各县")
    # Idempotent: the same table again changes nothing.
    again = do_import(bureau.xlsx_bytes(), skip_unknown=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 28)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_the_csv_variant(regions, encoding):
    report = do_import(bureau.csv_bytes(encoding=encoding), filename="bureau.csv", skip_unknown=True)
    assert [line.split(":")[0] for line in report.skipped] == ["line 8"]
    assert_bureau_table_imported()


def test_how_columns_and_rows_were_understood(regions):
    understood = read_indicator_file(io.BytesIO(bureau.xlsx_bytes()), "bureau.xlsx", skip_unknown=True)
    assert understood.layout == "wide" and understood.period == "2025"
    columns = [(c.letter, c.kind, c.indicator, c.unit) for c in understood.columns]
    assert columns == [
        ("A", "name", "", ""),
        ("B", "level", "gdp", "亿元"),
        ("C", "growth", "gdp", "%"),
        ("D", "level", "gpbr", "万元"),
        ("E", "growth", "gpbr", "%"),
        ("F", "level", "tax", "万元"),
        ("G", "growth", "tax", "%"),
        ("H", "growth", "fai", "%"),
    ]
    rows = [(r.line, r.name, r.adcode, r.level) for r in understood.regions]
    assert rows == [
        (5, "全省", "370000", "province"),
        (6, "济南市", "370100", "city"),
        (7, "历下区", "370102", "county"),
        (8, "市中区", "370103", "county"),
        (10, "枣庄市", "370400", "city"),
        (11, "市中", "370402", "county"),
        (12, "台儿庄", "370405", "county"),
    ]
    assert [p.line for p in understood.skipped] == [9]


def test_a_blank_line_inside_the_table_is_a_row_to_correct_and_trailing_ones_are_not(regions):
    rows = [*bureau.ROWS[:3], [""] * 8, *bureau.ROWS[3:4], ["注：本表数据为初步核算数。"], [""] * 8, [""] * 8]
    with pytest.raises(FileRejected) as rejected:
        do_import(bureau.csv_bytes(rows), filename="bureau.csv")
    assert [str(p) for p in rejected.value.problems] == [
        "line 7: A7: (a blank line) — a blank line names no region",
        "line 9: A9: 注：本表数据为初步核算数。 — names no county-level unit (a zone or a note)",
    ]
    report = do_import(bureau.csv_bytes(rows), filename="bureau.csv", skip_unknown=True)
    assert [line.split(":")[0] for line in report.skipped] == ["line 7", "line 9"]
    assert report.rows == 4 * 4


def test_the_period_comes_from_the_option_before_the_title(regions):
    report = do_import(bureau.xlsx_bytes(title="2025年1-9月各县（市、区）主要经济指标"), skip_unknown=True)
    assert StatValue.objects.filter(period="2025-09").count() == report.rows
    StatValue.objects.all().delete()
    do_import(bureau.xlsx_bytes(title="各县（市、区）主要经济指标"), skip_unknown=True, period="2024")
    assert set(StatValue.objects.values_list("period", flat=True)) == {"2024"}


def test_without_a_period_the_file_fails(regions):
    with pytest.raises(FileRejected) as rejected:
        do_import(bureau.xlsx_bytes(title="各县（市、区）主要经济指标"), skip_unknown=True)
    assert rejected.value.problems[0].line == 1 and "--period" in rejected.value.problems[0].message


def test_a_county_without_its_city_row_is_ambiguous(regions):
    rows = [row for row in bureau.ROWS if row[0].strip() not in ("济南市", "枣庄市", "济南高新区")]
    with pytest.raises(FileRejected) as rejected:
        do_import(bureau.xlsx_bytes(rows))
    assert [problem.line for problem in rejected.value.problems] == [7, 8]  # 市中区 and 市中
    for problem in rejected.value.problems:
        assert "济南市市中区、枣庄市市中区" in problem.message and "under its city's row" in problem.message


def test_a_bad_cell_is_named(regions):
    rows = [list(row) for row in bureau.ROWS]
    rows[2][3] = "一百万"
    rows[6][2] = "-120"
    with pytest.raises(FileRejected) as rejected:
        do_import(bureau.xlsx_bytes(rows), skip_unknown=True)
    messages = [str(p) for p in rejected.value.problems]
    assert messages == [
        "line 7: D7: '一百万' is not a number",
        "line 11: C11: a growth rate must be above -100%",
    ]
    assert StatValue.objects.count() == 0


def test_a_one_row_header_with_the_unit_under_the_title(regions):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2025年枣庄市各区（市）主要指标"])
    sheet.append(["单位：万元、%"])
    sheet.append(
        ["地区", "规模以上工业增加值增速(%)", "社会消费品零售总额", "居民人均可支配收入（元）", "进出口总额增长"]
    )
    sheet.append(["枣庄市", 9.1, 1200000, 38000, 12.5])
    sheet.append(["台儿庄区", 8.2, 150000, 30000.5, -3])
    stream = io.BytesIO()
    workbook.save(stream)
    do_import(stream.getvalue())
    assert figure("370400", "industry_va") == (None, Decimal("9.1"))
    assert figure("370405", "retail") == (Decimal("1500000000.00"), None)
    assert figure("370405", "income_pc") == (Decimal("30000.50"), None)
    assert figure("370405", "trade") == (None, Decimal("-3"))


def test_a_growth_column_without_a_name_belongs_to_the_indicator_on_its_left(regions):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2025年主要经济指标"])
    sheet.append(["县（市、区）", "地区生产总值（亿元）", "增长（%）", "位次", "税收收入（万元）", "增速(%)"])
    sheet.append(["台儿庄区", 250.5, 5.2, 7, 90000, 1.5])
    stream = io.BytesIO()
    workbook.save(stream)
    understood = read_indicator_file(io.BytesIO(stream.getvalue()), "one-row.xlsx")
    assert [(c.kind, c.indicator) for c in understood.columns] == [
        ("name", ""),
        ("level", "gdp"),
        ("growth", "gdp"),
        ("ignored", "gdp"),
        ("level", "tax"),
        ("growth", "tax"),
    ]
    do_import(stream.getvalue())
    assert figure("370405", "gdp") == (Decimal("25050000000.00"), Decimal("5.2"))
    assert figure("370405", "tax") == (Decimal("900000000.00"), Decimal("1.5"))


def test_row_numbers_and_rank_columns_are_not_imported(regions):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2025年主要经济指标"])
    sheet.append(["序号", "县（市、区）", "地区生产总值", "", "", "税收收入"])
    sheet.append(["", "", "总量（亿元）", "增速（%）", "位次", "增速（%）"])
    sheet.append([1, "台儿庄区", 250.5, 5.2, 3, 1.5])
    stream = io.BytesIO()
    workbook.save(stream)
    understood = read_indicator_file(io.BytesIO(stream.getvalue()), "ranked.xlsx")
    assert [(c.letter, c.kind) for c in understood.columns] == [
        ("A", "ignored"),
        ("B", "name"),
        ("C", "level"),
        ("D", "growth"),
        ("E", "ignored"),
        ("F", "growth"),
    ]
    do_import(stream.getvalue())
    assert figure("370405", "gdp") == (Decimal("25050000000.00"), Decimal("5.2"))
    assert figure("370405", "tax") == (None, Decimal("1.5"))
    assert StatValue.objects.count() == 2


def test_the_long_format_keeps_working(regions):
    data = "region,indicator,period,value,growth_pct,source\n370405,gdp,2025,19000000000,,公报\n".encode()
    report = do_import(data, filename="long.csv")
    assert report.created == 1 and figure("370405", "gdp") == (Decimal("19000000000.00"), None)


# --- Bounds ---------------------------------------------------------------------------------------------------------


@override_settings(IMPORT_MAX_ROWS=5)
def test_a_table_beyond_the_row_limit_is_refused(regions):
    with pytest.raises(FileRejected) as rejected:
        do_import(bureau.xlsx_bytes(), skip_unknown=True)
    assert [str(p) for p in rejected.value.problems] == ["line 7: an import may have at most 5 rows below the header"]


@override_settings(IMPORT_MAX_ROWS=11)
def test_the_figures_of_a_table_are_bounded_like_the_rows_of_the_long_format(regions):
    with pytest.raises(FileRejected) as rejected:
        do_import(bureau.xlsx_bytes(), skip_unknown=True)
    # Four figures a row: the third row would hold the 9th to the 12th.
    assert [str(p) for p in rejected.value.problems] == [
        "line 7: an import may hold at most 11 figures; split the table"
    ]


@override_settings(IMPORT_MAX_COLUMNS=6)
def test_a_table_beyond_the_column_limit_is_refused(regions):
    with pytest.raises(FileRejected) as rejected:
        do_import(bureau.xlsx_bytes(), skip_unknown=True)
    assert "column H is beyond the limit of 6 columns" in str(rejected.value.problems[0])


# --- The command ----------------------------------------------------------------------------------------------------


def test_command_options(regions, tmp_path):
    path = tmp_path / "bureau.xlsx"
    path.write_bytes(bureau.xlsx_bytes(title="各县（市、区）主要经济指标"))
    err = io.StringIO()
    with pytest.raises(CommandError, match="bad row"):
        call_command("import_indicators", str(path), "--period", "2025", stderr=err)
    assert "line 9: A9: 济南高新区" in err.getvalue()
    out = io.StringIO()
    call_command("import_indicators", str(path), "--period", "2025", "--skip-unknown", stdout=out)
    assert "skipped: line 9: A9: 济南高新区" in out.getvalue()
    assert "28 rows — 28 created" in out.getvalue() and "1 row(s) skipped" in out.getvalue()
    assert_bureau_table_imported()


# --- The admin: preview, then confirm -------------------------------------------------------------------------------


def upload(client, data: bytes, name: str = "bureau.xlsx", **fields):
    return client.post(
        UPLOAD,
        {"kind": "indicators", "file": SimpleUploadedFile(name, data), **fields},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_preview_then_confirm(regions, officer_client):
    preview = upload(officer_client, bureau.xlsx_bytes(), skip_unknown="on")
    assert preview.status_code == 200
    assert StatValue.objects.count() == 0 and ImportBatch.objects.count() == 0  # nothing before confirming
    body = preview.content.decode()
    for shown in ("亿元", "万元", "370103", "370402", "济南高新区", "Rows that will be skipped", "Confirm and import"):
        assert shown in body, shown
    response = officer_client.post(CONFIRM, {"token": preview.context["token"]}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert_bureau_table_imported()
    shown = [str(message) for message in response.context["messages"]]
    assert "skipped: line 9: A9: 济南高新区 — names no county-level unit (a zone or a note)" in shown
    # A preview is confirmed once.
    again = officer_client.post(CONFIRM, {"token": preview.context["token"]}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "expired" in again.content.decode() and ImportBatch.objects.count() == 1


def test_a_preview_with_problems_cannot_be_confirmed(regions, officer_client):
    preview = upload(officer_client, bureau.xlsx_bytes())
    assert preview.context["token"] == "" and "Confirm and import" not in preview.content.decode()
    assert "A9: 济南高新区" in preview.content.decode()
    officer_client.post(CONFIRM, {"token": "guessed"})
    assert StatValue.objects.count() == 0


def test_a_token_of_another_session_imports_nothing(regions, officer_client, client, django_user_model):
    preview = upload(officer_client, bureau.xlsx_bytes(), skip_unknown="on")
    other = django_user_model.objects.create_superuser("other", "o@example.org", "pw", is_staff=True)
    from django.test import Client

    second = Client()
    second.force_login(other)
    second.post(CONFIRM, {"token": preview.context["token"]})
    assert StatValue.objects.count() == 0


@override_settings(IMPORT_BACKGROUND_BYTES=100)
def test_a_large_table_is_previewed_then_imported_in_the_background(
    regions, officer, officer_client, django_capture_on_commit_callbacks
):
    preview = upload(officer_client, bureau.xlsx_bytes(title="主要经济指标"), period="2025", skip_unknown="on")
    assert preview.context["large"] and ImportJob.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(CONFIRM, {"token": preview.context["token"]})
    job = ImportJob.objects.get()
    assert response.url == f"/admin/stats/importjob/{job.pk}/change/"
    assert (job.period, job.skip_unknown, job.status, job.created) == ("2025", True, "done", 28)
    assert "第 9 行" in job.warnings[-1] and "济南高新区" in job.warnings[-1]  # the worker writes in Chinese
    assert_bureau_table_imported()


# --- Templates and the officers' workbook ---------------------------------------------------------------------------


def test_the_long_template_round_trips(regions, officer_client):
    response = officer_client.get("/admin/stats/importbatch/template/long/")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheets = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in sheets.active[1]][:6] == ["region", "indicator", "period", "value", "growth_pct", "source"]
    assert sheets.sheetnames == ["统计数据", "填表说明"]
    report = do_import(response.content, filename="long.xlsx")
    assert report.created == 2
    assert figure("370405", "fai", "2025-09") == (None, Decimal("-2.5"))


def test_the_wide_template_round_trips(regions, officer_client):
    response = officer_client.get("/admin/stats/importbatch/template/wide/?province=370000&period=2025-09")
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    assert sheet["A1"].value == "2025年1-9月山东省各县（市、区）主要经济指标"
    assert "B2:C2" in {str(r) for r in sheet.merged_cells.ranges}
    names = [sheet.cell(row, 1).value.strip() for row in range(4, sheet.max_row + 1)]
    assert names == ["全省", "济南市", "历下区", "市中区", "枣庄市", "市中区", "台儿庄区"]
    # Filled in: 枣庄's 市中区 (row 9) GDP of 400 亿元 growing 4.8 %, and the province's growth.
    sheet["B9"], sheet["C9"], sheet["C4"] = 400, 4.8, 5.5
    stream = io.BytesIO()
    workbook.save(stream)
    do_import(stream.getvalue())
    assert figure("370402", "gdp", "2025-09") == (Decimal("40000000000.00"), Decimal("4.8"))
    assert figure("370000", "gdp", "2025-09") == (None, Decimal("5.5"))
    assert StatValue.objects.count() == 2
    assert officer_client.get("/admin/stats/importbatch/template/other/").status_code == 404


@pytest.fixture
def workbook_program(regions):
    program = ProgramFactory(code="sd-2025", name="强县帮扶弱县")
    data = "region,indicator,period,value,growth_pct,source\n370405,gdp,2024,25000000000,,公报\n".encode()
    do_import(data, filename="2024.csv")
    return program


def test_the_statistics_workbook_round_trips(workbook_program, officer_client):
    response = officer_client.get("/admin/stats/importbatch/workbook/?program=sd-2025&period=2025")
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    assert sheet["A1"].value == "2025年强县帮扶弱县各县（市、区）统计数据填报表"
    rows = {sheet.cell(row, 1).value: row for row in range(4, sheet.max_row + 1)}
    assert sorted(rows) == ["370102", "370103", "370402", "370405"]
    assert (sheet["C2"].value, sheet["C3"].value, sheet["D3"].value) == (
        "地区生产总值",
        "上年同期（万元）",
        "总量（万元）",
    )
    assert sheet.cell(rows["370405"], 3).value == 2500000  # last year's figure, in 万元, for reference
    sheet.cell(rows["370405"], 4, 2600000)
    sheet.cell(rows["370405"], 5, 4.1)
    sheet.cell(rows["370102"], 5, 6)
    stream = io.BytesIO()
    workbook.save(stream)
    do_import(stream.getvalue(), filename="workbook.xlsx")
    assert figure("370405", "gdp") == (Decimal("26000000000.00"), Decimal("4.1"))
    assert figure("370102", "gdp") == (None, Decimal("6"))
    assert figure("370405", "gdp", "2024") == (Decimal("25000000000.00"), None)  # the reference is not imported
    assert StatValue.objects.count() == 3


def test_a_workbook_with_a_bad_cell_changes_nothing(workbook_program):
    workbook = load_workbook(io.BytesIO(statistics_workbook(program=workbook_program, period="2025")))
    sheet = workbook.active
    sheet["D4"], sheet["E5"], sheet["G6"] = 100, "5,5", "abc"
    stream = io.BytesIO()
    workbook.save(stream)
    with pytest.raises(FileRejected) as rejected:
        do_import(stream.getvalue())
    assert [str(p) for p in rejected.value.problems] == [
        "line 5: E5: '5,5' is not a number",
        "line 6: G6: 'abc' is not a number",
    ]
    assert StatValue.objects.count() == 1  # only last year's


def test_the_workbook_page_asks_for_a_program_and_period(workbook_program, officer_client):
    page = officer_client.get("/admin/stats/importbatch/workbook/")
    assert page.status_code == 200 and b"<form" in page.content
    bad = officer_client.get(
        "/admin/stats/importbatch/workbook/?program=sd-2025&period=2025-13", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert bad.status_code == 200 and "Use a year" in bad.content.decode()


def test_template_cells_cannot_hold_formulas(regions):
    from pairing.models import Region

    Region.objects.filter(adcode="370102").update(name="=HYPERLINK(1)")
    workbook = load_workbook(io.BytesIO(wide_template(province=Region.objects.get(pk="370000"), period="2025")))
    values = [cell.value for row in workbook.active.iter_rows() for cell in row if cell.value]
    assert any("HYPERLINK" in str(value) for value in values)
    assert all(cell.data_type != "f" for row in workbook.active for cell in row)


def test_a_county_named_like_its_city_is_the_county(regions):
    from pairing.factories import CityFactory, CountyFactory

    CountyFactory(adcode="370502", name="东营区", parent=CityFactory(adcode="370500", name="东营市"))
    rows = [["东营市", "3000", "5.0", "", "", "", "", ""], ["  东营区", "1000", "5.2", "", "", "", "", ""]]
    do_import(bureau.csv_bytes(rows), filename="bureau.csv")
    assert figure("370500", "gdp")[0] == Decimal("300000000000.00")
    assert figure("370502", "gdp")[0] == Decimal("100000000000.00")


def test_every_unit_of_the_province_resolves_from_the_registry():
    """The wide template of the whole of Shandong (the national registry loaded), filled in and read back: every
    city and county-level unit resolves to itself, both 市中区 and every county named like its city included."""
    from pairing.models import Region, RegionLevel

    call_command("load_regions", stdout=io.StringIO())
    province = Region.objects.get(pk="370000")
    workbook = load_workbook(io.BytesIO(wide_template(province=province, period="2025")))
    sheet = workbook.active
    for row in range(4, sheet.max_row + 1):
        sheet.cell(row, 2, 100)
    stream = io.BytesIO()
    workbook.save(stream)
    understood = read_indicator_file(io.BytesIO(stream.getvalue()), "shandong.xlsx")
    assert understood.problems == []
    expected = {"370000"} | set(
        Region.objects.within(province)
        .filter(level__in=[RegionLevel.CITY, RegionLevel.COUNTY])
        .values_list("adcode", flat=True)
    )
    assert {row.adcode for row in understood.regions} == expected
    assert len(understood.rows) == len(expected)


def test_a_table_of_a_few_counties_finds_its_province_among_all_of_china():
    call_command("load_regions", stdout=io.StringIO())
    rows = [["台儿庄", "250.5", "5.2"], ["蒙阴县", "180", "6.1"], ["  莒县", "420", "5.0"]]
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2025年部分县主要经济指标"])
    sheet.append(["县（市、区）", "地区生产总值（亿元）", "地区生产总值增长（%）"])
    for row in rows:
        sheet.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    understood = read_indicator_file(io.BytesIO(stream.getvalue()), "few.xlsx")
    assert understood.problems == []
    assert [row.adcode for row in understood.regions] == ["370405", "371328", "371122"]


def test_a_file_without_a_header_is_refused_on_line_1(regions):
    data = "\n".join(["说明文字"] * 60 + ["县（市、区）,地区生产总值（亿元）", "台儿庄区,1"]).encode()
    with pytest.raises(FileRejected) as rejected:
        do_import(data, filename="notes.csv")
    (problem,) = rejected.value.problems
    assert problem.line == 1 and "no header row names an indicator" in problem.message


def test_unconfirmed_previews_do_not_pile_up(regions, officer_client, monkeypatch):
    import datetime as dt

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from stats import admin as stats_admin

    abandoned = default_storage.save("imports/preview/abandoned.xlsx", ContentFile(b"x"))
    first = upload(officer_client, bureau.xlsx_bytes(), skip_unknown="on")
    first_file = officer_client.session["stats_import_preview"]["stored"]
    assert default_storage.exists(first_file) and default_storage.exists(abandoned)
    # A second preview in the session replaces the first; one left by anyone past PREVIEW_KEPT is removed.
    monkeypatch.setattr(stats_admin, "PREVIEW_KEPT", dt.timedelta(0))
    second = upload(officer_client, bureau.xlsx_bytes(), skip_unknown="on")
    assert not default_storage.exists(first_file) and not default_storage.exists(abandoned)
    officer_client.post(CONFIRM, {"token": first.context["token"]})
    assert StatValue.objects.count() == 0  # the replaced preview cannot be confirmed
    officer_client.post(CONFIRM, {"token": second.context["token"]})
    assert StatValue.objects.count() == 28
    _dirs, files = default_storage.listdir("imports/preview")
    assert files == []  # removed once imported


def test_hostile_names_and_headers_are_escaped_in_the_preview(regions, officer_client):
    rows = [*bureau.ROWS[:2], ["<script>alert(1)</script>", "1", "1", "", "", "", "", ""]]
    top = ["县（市、区）", "地区生产总值", "", "<img src=x onerror=alert(2)>"]
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2025年主要经济指标"])
    sheet.append(top)
    sheet.append(["", "总量（亿元）", "增长（%）", ""])
    for row in rows:
        sheet.append(row[:4])
    stream = io.BytesIO()
    workbook.save(stream)
    preview = upload(officer_client, stream.getvalue(), skip_unknown="on")
    body = preview.content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<img src=x" not in body and "&lt;img" in body
