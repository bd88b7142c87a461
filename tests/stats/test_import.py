"""Statistics and pairing files: all or nothing, every bad line named, idempotent re-imports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from openpyxl import Workbook

from pairing.factories import CityFactory, CountyFactory, ProvinceFactory
from pairing.models import Pairing, Program
from stats.importers import FileRejected
from stats.models import GapResult, ImportBatch, StatValue
from stats.services import indicators_import, pairings_import

pytestmark = pytest.mark.django_db

HEADER = ["region", "indicator", "period", "value", "growth_pct", "source"]
SOURCE = "枣庄市统计公报"


@pytest.fixture(autouse=True)
def english():
    # The assertions read the English messages; the UI default is Chinese once translations exist.
    with translation.override("en"):
        yield


@pytest.fixture
def regions(db):
    """Shandong, 枣庄 (real adcodes) and 德州's 庆云县 for the pairing files."""
    ProvinceFactory()
    for adcode, name in (("370402", "市中区"), ("370403", "薛城区"), ("370405", "台儿庄区"), ("370481", "滕州市")):
        CountyFactory(adcode=adcode, name=name)
    CountyFactory(adcode="371423", name="庆云县", parent=CityFactory(adcode="371400", name="德州市"))


def csv_bytes(rows: list[list[object]], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def do_import(data: bytes, filename: str = "stats.csv"):
    return indicators_import(stream=io.BytesIO(data), filename=filename)


GOOD = [
    ["370000", "gdp", "2024", "9000000000000", "", SOURCE],
    ["370000", "gdp", "2025", "9400000000000", "5.0", SOURCE],
    ["370405", "gdp", "2024", "19000000000", "", SOURCE],
    ["370405", "gdp", "2025", "19300000000", "5.581", SOURCE],
    ["370402", "gdp", "2024", "30000000000", "", SOURCE],
    ["370402", "gdp", "2025", "31,500,000,000", "", SOURCE],
    ["370403", "fai", "2025", "", "20%", SOURCE],
]


# --- a good file --------------------------------------------------------------------------------------------------


def test_good_csv_imports_every_row(regions, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = do_import(csv_bytes(GOOD))
    assert (report.rows, report.created, report.updated, report.unchanged) == (7, 7, 0, 0)
    assert report.warnings == []
    batch = ImportBatch.objects.get()
    assert batch.pk == report.batch_id
    assert (batch.kind, batch.filename, batch.rows, batch.created) == ("indicators", "stats.csv", 7, 7)
    assert StatValue.objects.filter(batch=batch).count() == 7
    zhongqu = StatValue.objects.get(region="370402", period="2025")
    assert zhongqu.value == Decimal("31500000000") and zhongqu.growth_pct is None
    assert zhongqu.release == "preliminary" and zhongqu.as_of is None and zhongqu.source == SOURCE
    assert StatValue.objects.get(region="370403").growth_pct == Decimal("20")
    # The recomputation ran once the import committed.
    assert len(callbacks) == 1
    assert GapResult.objects.filter(period="2025").count() == 3


def test_reimporting_the_same_file_changes_nothing(regions, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        do_import(csv_bytes(GOOD))
    # Tamper with a result: if the re-import recomputed, this would be put right.
    GapResult.objects.filter(region="370405", period="2025").update(rank=99)
    values_before = list(StatValue.objects.order_by("pk").values())

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = do_import(csv_bytes(GOOD))

    assert (report.created, report.updated, report.unchanged, report.batch_id) == (0, 0, 7, None)
    assert ImportBatch.objects.count() == 1
    assert callbacks == []
    assert list(StatValue.objects.order_by("pk").values()) == values_before
    assert GapResult.objects.get(region="370405", period="2025").rank == 99


def test_changed_figure_updates_in_place(regions, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        do_import(csv_bytes(GOOD))
    changed = [row[:] for row in GOOD]
    changed[5][3] = "32000000000"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = do_import(csv_bytes(changed))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 6)
    assert StatValue.objects.count() == 7
    assert StatValue.objects.get(region="370402", period="2025").value == Decimal("32000000000")
    assert len(callbacks) == 1
    assert GapResult.objects.get(region="370402", period="2025").growth_pct == Decimal("6.666666666667")


# --- a bad file ---------------------------------------------------------------------------------------------------

BAD_HEADER = [*HEADER, "release", "as_of"]
BAD_ROWS = [
    ["370405", "gdp", "2024", "19000000000", "", SOURCE, "", ""],  # line 2: fine
    ["379999", "gdp", "2025", "1", "", SOURCE, "", ""],  # line 3
    ["370405", "gross", "2025", "1", "", SOURCE, "", ""],  # line 4
    ["370405", "gdp", "2025-13", "1", "", SOURCE, "", ""],  # line 5
    ["370405", "gdp", "25", "1", "", SOURCE, "", ""],  # line 6
    ["370405", "gdp", "2023", "abc", "", SOURCE, "", ""],  # line 7
    ["370405", "gdp", "2022", "-5", "", SOURCE, "", ""],  # line 8
    ["370405", "gdp", "2021", "", "", SOURCE, "", ""],  # line 9
    ["370405", "gdp", "2024", "19100000000", "", SOURCE, "", ""],  # line 10: repeats line 2
    ["370405", "gdp", "2020", "1", "", SOURCE, "final", ""],  # line 11
    ["370405", "gdp", "2019", "1", "", SOURCE, "revised", "2025-02-30"],  # line 12
    ["370402", "gdp", "2025", "1", "", SOURCE, "revised", "2025-03-01"],  # line 13: fine
]
EXPECTED_PROBLEMS = {
    3: "unknown region adcode '379999'",
    4: "unknown indicator 'gross'",
    5: "period '2025-13' is neither a year (2025) nor a month (2025-09)",
    6: "period '25' is neither a year (2025) nor a month (2025-09)",
    7: "value 'abc' is not a number",
    8: "the value cannot be negative",
    9: "neither a value nor a growth rate is given",
    10: "repeats line 2",
    11: "release 'final' must be preliminary or revised",
    12: "as_of '2025-02-30' is not a date (YYYY-MM-DD)",
}


def test_file_with_bad_rows_imports_nothing_and_names_every_line(regions):
    StatValue.objects.create(region_id="370481", indicator="gdp", period="2024", value=1)
    with pytest.raises(FileRejected) as rejected:
        do_import(csv_bytes(BAD_ROWS, header=BAD_HEADER))
    problems = {problem.line: problem.message for problem in rejected.value.problems}
    assert sorted(problems) == sorted(EXPECTED_PROBLEMS)
    for line, reason in EXPECTED_PROBLEMS.items():
        assert reason in problems[line], (line, problems[line])
    assert str(rejected.value.problems[0]).startswith("line 3: ")
    assert StatValue.objects.count() == 1
    assert ImportBatch.objects.count() == 0


def test_growth_at_or_below_minus_100_is_rejected(regions):
    with pytest.raises(FileRejected) as rejected:
        do_import(
            csv_bytes([["370405", "fai", "2025", "", "-100", SOURCE], ["370405", "gdp", "2025", "", "x", SOURCE]])
        )
    assert [(p.line, p.message) for p in rejected.value.problems] == [
        (2, "a growth rate must be above -100%"),
        (3, "growth 'x' is not a number"),
    ]


def test_command_rejects_the_file_and_prints_each_bad_line(regions, tmp_path):
    path = write(tmp_path / "bad.csv", csv_bytes(BAD_ROWS, header=BAD_HEADER))
    stderr = io.StringIO()
    with pytest.raises(CommandError, match=r"bad\.csv: 10 bad row\(s\); nothing was imported"):
        call_command("import_indicators", str(path), stderr=stderr, stdout=io.StringIO())
    printed = stderr.getvalue().splitlines()
    assert len(printed) == 10
    for line, reason in EXPECTED_PROBLEMS.items():
        assert any(text.startswith(f"line {line}: ") and reason in text for text in printed), line
    assert StatValue.objects.count() == 0


def test_command_imports_a_good_file(regions, tmp_path):
    path = write(tmp_path / "good.csv", csv_bytes(GOOD))
    stdout = io.StringIO()
    call_command("import_indicators", str(path), stdout=stdout)
    assert "good.csv: 7 rows — 7 created, 0 updated, 0 unchanged, 0 warning(s)" in stdout.getvalue()
    assert StatValue.objects.count() == 7


def test_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_indicators", str(tmp_path / "missing.csv"))


def test_wrong_header_is_one_problem_on_line_1(regions):
    data = csv_bytes([["370405", "gdp", "2025", "1", "", SOURCE]], header=["adcode", *HEADER[1:]])
    with pytest.raises(FileRejected) as rejected:
        do_import(data)
    assert len(rejected.value.problems) == 1
    problem = rejected.value.problems[0]
    assert problem.line == 1
    assert "region,indicator,period,value,growth_pct,source" in problem.message
    assert "adcode,indicator" in problem.message


def test_unknown_extra_column_is_a_header_problem(regions):
    with pytest.raises(FileRejected) as rejected:
        do_import(csv_bytes([["370405", "gdp", "2025", "1", "", SOURCE, "x"]], header=[*HEADER, "note"]))
    assert [p.line for p in rejected.value.problems] == [1]


def test_other_file_types_are_rejected(regions):
    with pytest.raises(FileRejected) as rejected:
        do_import(csv_bytes(GOOD), filename="stats.txt")
    assert [p.line for p in rejected.value.problems] == [1]


# --- warnings -----------------------------------------------------------------------------------------------------


def test_growth_disagreeing_with_the_levels_is_a_warning_not_an_error(regions):
    rows = [
        ["370405", "gdp", "2024", "100", "", SOURCE],
        ["370405", "gdp", "2025", "120", "5.4", SOURCE],  # line 3: levels say 20%, 14.6 pp off
        ["370402", "gdp", "2024", "100", "", SOURCE],
        ["370402", "gdp", "2025", "110", "5.1", SOURCE],  # line 5: levels say 10%, 4.9 pp off — fine
    ]
    report = do_import(csv_bytes(rows))
    assert report.created == 4
    assert len(report.warnings) == 1
    assert report.warnings[0].startswith("line 3: ")
    assert "5.4%" in report.warnings[0] and "20.0%" in report.warnings[0]
    assert ImportBatch.objects.get().warnings == report.warnings


def test_growth_warning_uses_the_stored_previous_level(regions):
    do_import(csv_bytes([["370405", "gdp", "2024", "100", "", SOURCE]]))
    report = do_import(csv_bytes([["370405", "gdp", "2025", "90", "3", SOURCE]]))
    assert report.created == 1
    assert len(report.warnings) == 1 and report.warnings[0].startswith("line 2: ")


def test_command_prints_warnings(regions, tmp_path):
    rows = [["370405", "gdp", "2024", "100", "", SOURCE], ["370405", "gdp", "2025", "120", "5.4", SOURCE]]
    stdout = io.StringIO()
    call_command("import_indicators", str(write(tmp_path / "w.csv", csv_bytes(rows))), stdout=stdout)
    assert "line 3: reported growth 5.4%" in stdout.getvalue()
    assert "1 warning(s)" in stdout.getvalue()


# --- formats ------------------------------------------------------------------------------------------------------


def test_xlsx_with_numeric_adcodes(regions, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([370405, "gdp", 2024, 19000000000, None, SOURCE])  # adcode and period typed as integers
    sheet.append([370405.0, "GDP", "2025", 19300000000.0, 5.581, SOURCE])  # adcode as a float, indicator upper-case
    sheet.append([370000, "gdp", 2025, None, 5, SOURCE])
    path = tmp_path / "stats.xlsx"
    workbook.save(path)

    report = indicators_import(stream=path.open("rb"), filename=path.name)

    assert report.created == 3
    assert set(StatValue.objects.values_list("region_id", flat=True)) == {"370405", "370000"}
    latest = StatValue.objects.get(region="370405", period="2025")
    assert latest.indicator == "gdp"
    assert latest.value == Decimal("19300000000")
    assert latest.growth_pct == Decimal("5.581")
    assert StatValue.objects.get(region="370000").growth_pct == Decimal("5")


def test_xlsx_bad_rows_are_named_by_spreadsheet_line(regions, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([370405, "gdp", 2024, 1, None, SOURCE])
    sheet.append([None] * 6)  # a blank line is skipped but still counted
    sheet.append([379999, "gdp", 2024, 1, None, SOURCE])
    path = tmp_path / "stats.xlsx"
    workbook.save(path)
    with pytest.raises(FileRejected) as rejected:
        indicators_import(stream=path.open("rb"), filename=path.name)
    assert [(p.line, p.message) for p in rejected.value.problems] == [(4, "unknown region adcode '379999'")]


def test_damaged_xlsx_is_one_problem(regions):
    with pytest.raises(FileRejected) as rejected:
        do_import(b"not a zip file", filename="stats.xlsx")
    assert [p.line for p in rejected.value.problems] == [1]


def test_gb18030_csv(regions):
    data = csv_bytes(
        [["370405", "gdp", "2025", "19300000000", "5.581", "枣庄市2025年国民经济和社会发展统计公报"]],
        encoding="gb18030",
    )
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    report = do_import(data)
    assert report.created == 1
    assert StatValue.objects.get().source == "枣庄市2025年国民经济和社会发展统计公报"


def test_utf8_csv_with_bom(regions):
    report = do_import(b"\xef\xbb\xbf" + csv_bytes([["370405", "gdp", "2025", "1", "", SOURCE]]))
    assert report.created == 1


def test_release_and_as_of_columns(regions):
    header = [*HEADER, "release", "as_of"]
    rows = [
        ["370405", "gdp", "2025", "19300000000", "", SOURCE, "初步核算", "2026-01-20"],
        ["370405", "gdp", "2025", "19350000000", "", SOURCE, "revised", "2026-09-30"],
        ["370402", "gdp", "2025", "31500000000", "", SOURCE, "", ""],
        ["370403", "gdp", "2025", "20000000000", "", SOURCE, "修订", ""],
    ]
    report = do_import(csv_bytes(rows, header=header))
    assert report.created == 4
    got = {(v.region_id, v.release): v.as_of for v in StatValue.objects.all()}
    assert got == {
        ("370405", "preliminary"): dt.date(2026, 1, 20),
        ("370405", "revised"): dt.date(2026, 9, 30),
        ("370402", "preliminary"): None,
        ("370403", "revised"): None,
    }


def test_only_the_release_column(regions):
    report = do_import(csv_bytes([["370405", "gdp", "2025", "1", "", SOURCE, "Revised"]], header=[*HEADER, "release"]))
    assert report.created == 1
    assert StatValue.objects.get().release == "revised"


# --- pairings -----------------------------------------------------------------------------------------------------

PAIRING_HEADER = ["program", "strong", "weak", "start_date", "source"]
PAIRING_SOURCE = "关于开展强县产业帮扶弱县工作的通知"


def import_pairings(rows: list[list[str]], header: list[str] = PAIRING_HEADER):
    return pairings_import(stream=io.BytesIO(csv_bytes(rows, header=header)), filename="pairings.csv")


def test_pairings_import_is_idempotent(regions):
    rows = [
        ["sd-2024", "370481", "370405", "2024-09-01", PAIRING_SOURCE],
        ["sd-2024", "370402", "371423", "2024-09-01", PAIRING_SOURCE],
    ]
    first = import_pairings(rows)
    assert (first.rows, first.created, first.unchanged) == (2, 2, 0)
    program = Program.objects.get(code="sd-2024")
    assert program.province_id == "370000"
    assert Pairing.objects.filter(program=program).count() == 2
    assert ImportBatch.objects.filter(kind="pairings").count() == 1

    second = import_pairings(rows)

    assert (second.created, second.unchanged) == (0, 2)
    assert Pairing.objects.count() == 2
    assert Program.objects.count() == 1
    assert ImportBatch.objects.filter(kind="pairings").count() == 1


def test_pairings_with_a_bad_row_create_nothing(regions):
    rows = [
        ["sd-2024", "370481", "370405", "2024-09-01", PAIRING_SOURCE],  # line 2: fine
        ["sd-2024", "370402", "379999", "2024-09-01", PAIRING_SOURCE],  # line 3: unknown weak county
        ["sd-2024", "370000", "371423", "2024/09/01", ""],  # line 4: province, bad date, no source
    ]
    with pytest.raises(FileRejected) as rejected:
        import_pairings(rows)
    problems = {p.line: p.message for p in rejected.value.problems}
    assert sorted(problems) == [3, 4]
    assert "weak '379999' is not a county-level adcode" in problems[3]
    assert "strong '370000' is not a county-level adcode" in problems[4]
    assert "start_date '2024/09/01'" in problems[4]
    assert "the source document is missing" in problems[4]
    assert (Pairing.objects.count(), Program.objects.count(), ImportBatch.objects.count()) == (0, 0, 0)


def test_pairings_rejected_by_the_service_roll_back_earlier_rows(regions):
    rows = [
        ["sd-2024", "370481", "370405", "2024-09-01", PAIRING_SOURCE],  # line 2: fine on its own
        ["sd-2024", "370402", "370405", "2024-09-01", PAIRING_SOURCE],  # line 3: 台儿庄 is already paired
    ]
    with pytest.raises(FileRejected) as rejected:
        import_pairings(rows)
    assert [p.line for p in rejected.value.problems] == [3]
    assert (Pairing.objects.count(), Program.objects.count(), ImportBatch.objects.count()) == (0, 0, 0)


def test_import_pairings_command(regions, tmp_path):
    rows = [["sd-2024", "370481", "370405", "2024-09-01", PAIRING_SOURCE]]
    path = write(tmp_path / "pairings.csv", csv_bytes(rows, header=PAIRING_HEADER))
    stdout = io.StringIO()
    call_command("import_pairings", str(path), stdout=stdout)
    call_command("import_pairings", str(path), stdout=stdout)
    assert "1 created, 0 unchanged" in stdout.getvalue()
    assert "0 created, 1 unchanged" in stdout.getvalue()
    assert Pairing.objects.count() == 1

    bad = write(tmp_path / "bad.csv", csv_bytes([["", "370481", "370402", "2024-09-01", "x"]], header=PAIRING_HEADER))
    stderr = io.StringIO()
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("import_pairings", str(bad), stderr=stderr)
    assert stderr.getvalue().startswith("line 2: the program code is missing")
